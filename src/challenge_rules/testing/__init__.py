"""Hypothesis strategies and assertion helpers for testing code built on challenge-rules.

Install the ``testing`` extra (``pip install 'challenge-rules[testing]'``):
this package needs Hypothesis and nothing else beyond challenge-rules itself
(it never imports pytest, so it works under any test runner).

Strategies draw *valid* data: a drawn policy passes the schema and the
semantic checks, a drawn history passes `evaluate`'s checks under its policy.

- `policies`: escalation ladders with timescales in every unit, duties, role
  fallbacks, urgency rules, contacts, forms and scope exclusions;
- `histories`: the events of one disagreement under a policy;
- `as_of_moments`: moments to evaluate a history at;
- `cases`: all three together, as a `Case`;
- `batches`: a policy, several histories and one moment, as a `Batch`
  (`evaluate_many`'s arguments);
- `policy_versions`: the versions of one policy in force one after another;
- `moments` and `timescales`: the building blocks.

Assertion helpers raise `AssertionError` with a message that lists what the
evaluation *did* require, so a failing test says what went wrong:
`assert_requires`, `assert_no_action`, `assert_breach`, `assert_no_breaches`
and `assert_status`.

`Evaluation.next_change_at` is checked by `assert_stable_until_next_change`
(at an instant `instants_before_next_change` draws) and `assert_next_change`,
on the `ScheduleView` that `schedule_view` takes of an evaluation.

A property test of your own code, for example::

    from hypothesis import given
    from challenge_rules import evaluate
    from challenge_rules.testing import cases

    @given(cases())
    def test_reminders_never_crash(case):
        evaluation = evaluate(*case)
        assert my_reminders(evaluation) is not None
"""

from challenge_rules.errors import MissingExtra

try:
    import hypothesis  # noqa: F401 - only to say which extra is missing
except ModuleNotFoundError:
    raise MissingExtra(
        feature="challenge_rules.testing", extra="testing", missing="Hypothesis"
    ) from None

from challenge_rules.testing._assertions import (
    assert_breach,
    assert_no_action,
    assert_no_breaches,
    assert_requires,
    assert_status,
)
from challenge_rules.testing._blocks import moments, timescales
from challenge_rules.testing._histories import (
    Batch,
    Case,
    as_of_moments,
    batches,
    cases,
    histories,
)
from challenge_rules.testing._policies import policies
from challenge_rules.testing._schedule import (
    ScheduleView,
    assert_next_change,
    assert_stable_until_next_change,
    instants_before_next_change,
    schedule_view,
)
from challenge_rules.testing._versions import policy_versions

__all__ = [
    "Batch",
    "Case",
    "ScheduleView",
    "as_of_moments",
    "assert_breach",
    "assert_next_change",
    "assert_no_action",
    "assert_no_breaches",
    "assert_requires",
    "assert_stable_until_next_change",
    "assert_status",
    "batches",
    "cases",
    "histories",
    "instants_before_next_change",
    "moments",
    "policies",
    "policy_versions",
    "schedule_view",
    "timescales",
]
