"""challenge-rules: safeguarding professional challenge and escalation procedures as data.

Load a partnership's procedure with `load_policy`, a case's events with
`load_history`, and ask `evaluate` what is due next and what is late.

Each name of ``__all__`` is imported from its module when first used
(PEP 562), so ``import challenge_rules`` loads none of them: a command or a
program pays only for the modules it uses. ``from challenge_rules import
evaluate`` and ``challenge_rules.evaluate`` work as for any other name;
type checkers and IDEs read the imports under ``TYPE_CHECKING`` below.
"""

from __future__ import annotations

from importlib import import_module

# Not typing's own: importing typing (with re, enum, ...) would cost the bare import most of
# its time. Type checkers read any TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Final

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

_ERRORS: Final = "challenge_rules.errors"
_DEFINED_IN: Final[dict[str, str]] = {
    "policy_digest": "challenge_rules._digest",
    "evaluate": "challenge_rules._engine",
    "evaluate_many": "challenge_rules._engine",
    "Deadline": "challenge_rules.calendar",
    "Lateness": "challenge_rules.calendar",
    "Timescale": "challenge_rules.calendar",
    "WorkingCalendar": "challenge_rules.calendar",
    "CalendarError": _ERRORS,
    "ChallengeRulesError": _ERRORS,
    "InvalidHistory": _ERRORS,
    "InvalidInput": _ERRORS,
    "InvalidPolicy": _ERRORS,
    "InvalidScenario": _ERRORS,
    "MissingExtra": _ERRORS,
    "NotFound": _ERRORS,
    "Problem": _ERRORS,
    "UnknownPolicy": _ERRORS,
    "WrongArgument": _ERRORS,
    "Action": "challenge_rules.evaluation",
    "Breach": "challenge_rules.evaluation",
    "Evaluation": "challenge_rules.evaluation",
    "Status": "challenge_rules.evaluation",
    "CaseHistory": "challenge_rules.history",
    "load_history": "challenge_rules.loading",
    "load_policy": "challenge_rules.loading",
    "shipped_policies": "challenge_rules.loading",
    "shipped_policy": "challenge_rules.loading",
    "Policy": "challenge_rules.policy",
    "PolicyVersions": "challenge_rules.versions",
    "load_versions": "challenge_rules.versions",
}
"""The module that defines each name of ``__all__`` (the imports above, for the interpreter)."""


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whichever value the name is
    """Import a name of ``__all__`` from its module on first use, and keep it."""
    module = _DEFINED_IN.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg, name=name)
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
