"""challenge-rules: safeguarding professional challenge and escalation procedures as data.

Load a partnership's procedure with `load_policy`, a case's events with
`load_history`, and ask `evaluate` what is due next and what is late.
"""

from challenge_rules._digest import policy_digest
from challenge_rules._engine import evaluate, evaluate_many
from challenge_rules.calendar import Deadline, Lateness, Timescale, WorkingCalendar
from challenge_rules.errors import (
    CalendarError,
    ChallengeRulesError,
    InvalidHistory,
    InvalidInput,
    InvalidPolicy,
    InvalidScenario,
    MissingExtra,
    NotFound,
    Problem,
    UnknownPolicy,
    WrongArgument,
)
from challenge_rules.evaluation import Action, Breach, Evaluation, Status
from challenge_rules.history import CaseHistory
from challenge_rules.loading import load_history, load_policy, shipped_policies, shipped_policy
from challenge_rules.policy import Policy
from challenge_rules.versions import PolicyVersions, load_versions

__all__ = [
    "Action",
    "Breach",
    "CalendarError",
    "CaseHistory",
    "ChallengeRulesError",
    "Deadline",
    "Evaluation",
    "InvalidHistory",
    "InvalidInput",
    "InvalidPolicy",
    "InvalidScenario",
    "Lateness",
    "MissingExtra",
    "NotFound",
    "Policy",
    "PolicyVersions",
    "Problem",
    "Status",
    "Timescale",
    "UnknownPolicy",
    "WorkingCalendar",
    "WrongArgument",
    "evaluate",
    "evaluate_many",
    "load_history",
    "load_policy",
    "load_versions",
    "policy_digest",
    "shipped_policies",
    "shipped_policy",
]
