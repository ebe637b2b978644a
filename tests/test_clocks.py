"""Clocks worded loosely (issue 15): each construct through the schema, the checks and the engine.

The scenario file ``tests/policies/clocks.scenarios.json`` is the worked
example of every construct (a clock from the disputed decision, its receipt,
the concern's identification, the initial discussion and an event; without
delay; immediately; one timescale in two units; indicative timescales); the
tests here add what a scenario file cannot say: the messages for a policy
that gets them wrong, and properties that hold for every policy and case.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from challenge_rules import evaluate
from challenge_rules._semantic import check_policy_semantics
from challenge_rules.calendar import Firmness, Governs, Timescale, Unit, working_calendar
from challenge_rules.errors import CalendarError, InvalidHistory
from challenge_rules.evaluation import Severity
from challenge_rules.loading import load_history, load_policy, policy_problems
from challenge_rules.policy import Anchor, EventMatch, Policy, TimescaleDefaults
from challenge_rules.report import render_text, to_json
from challenge_rules.scenarios import run_file
from challenge_rules.testing import cases, moments, policies

if TYPE_CHECKING:
    from challenge_rules.history import CaseHistory

POLICIES = Path(__file__).parent / "policies"
CLOCKS = load_policy(POLICIES / "clocks.json")
LONDON = working_calendar()
SPANS = (Unit.WORKING_DAYS, Unit.CALENDAR_DAYS, Unit.HOURS, Unit.MONTHS, Unit.SAME_DAY)


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((POLICIES / "clocks.json").read_text("utf-8"))
    return loaded


def problems_of(changed: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
    return [(p.pointer, p.message, p.hint, p.severity) for p in policy_problems(changed)]


def errors_of(policy: Policy) -> list[tuple[str, str]]:
    return [(p.pointer, p.message) for p in check_policy_semantics(policy) if p.severity == "error"]


# --- the worked example ------------------------------------------------------------------


def test_the_clock_scenarios_pass_and_cover_every_rule_clause() -> None:
    result = run_file(POLICIES / "clocks.scenarios.json")
    failures = [d for outcome in result.outcomes for d in outcome.differences]
    assert failures == []
    assert result.uncovered == ()
    assert len(result.outcomes) >= 10


def test_the_clock_policy_has_no_problems() -> None:
    assert policy_problems(document()) == ()


# --- schema and messages -----------------------------------------------------------------


def _timescale_problems(timescale: object) -> list[tuple[str, str, str | None, str]]:
    changed = document()
    changed["stages"][0]["timescale"] = timescale
    return problems_of(changed)


def test_a_mistyped_unit_gets_one_problem_and_no_invalid_example() -> None:
    # Issue 15: {"unit": "without_delay"} used to get 'write for example {"unit":
    # "without_delay", "amount": 5}', an example the schema refuses.
    found = _timescale_problems({"unit": "without-delay"})
    assert [(p, h) for p, _, h, _ in found] == [
        ("/stages/0/timescale/unit", 'did you mean "without_delay"?')
    ]
    assert not any("amount" in message for _, message, _, _ in found)


def test_a_unit_without_an_amount_suggests_a_valid_example() -> None:
    ((pointer, _, hint, _),) = _timescale_problems({"unit": "hours"})
    assert pointer == "/stages/0/timescale"
    assert hint == 'write for example {"unit": "hours", "amount": 5}'
    example = document()
    example["stages"][0]["timescale"] = json.loads(hint.removeprefix("write for example "))
    assert policy_problems(example) == ()


def test_an_amount_where_none_is_taken_names_the_units_from_the_schema() -> None:
    ((pointer, message, hint, _),) = _timescale_problems({"unit": "without_delay", "amount": 3})
    assert pointer == "/stages/0/timescale/amount"
    assert "takes no amount" in message
    assert hint == 'leave "amount" out'
    (problem,) = policy_problems(
        {
            **document(),
            "stages": [{**document()["stages"][0], "timescale": {"unit": "same_day", "amount": 2}}],
        }
    )
    assert "without_delay" in (problem.expected or "")


@pytest.mark.parametrize(
    ("timescale", "pointer", "words"),
    [
        (
            {"unit": "working_days", "amount": 2, "tolerance": {"unit": "same_day"}},
            "/stages/0/timescale/unit",
            '"tolerance" is only for immediately',
        ),
        (
            {"unit": "hours", "amount": 2, "expect_within": {"unit": "same_day"}},
            "/stages/0/timescale/unit",
            '"expect_within" is only for without_delay',
        ),
        (
            {"unit": "hours", "amount": 48, "alternative": {"unit": "working_days", "amount": 2}},
            "/stages/0/timescale",
            'missing property "governs"',
        ),
        (
            {"unit": "immediately", "tolerance": {"unit": "immediately"}},
            "/stages/0/timescale/tolerance/unit",
            '"immediately" is not allowed',
        ),
    ],
)
def test_misused_clock_properties_are_located(timescale: object, pointer: str, words: str) -> None:
    found = _timescale_problems(timescale)
    assert [p for p, *_ in found] == [pointer]
    assert words in found[0][1]


# --- semantic checks ---------------------------------------------------------------------


def _with_duty(index: int, **changes: object) -> Policy:
    duties = list(CLOCKS.duties)
    duties[index] = attrs.evolve(duties[index], **changes)
    return attrs.evolve(CLOCKS, duties=tuple(duties))


def _with_stage(index: int, **changes: object) -> Policy:
    stages = list(CLOCKS.stages)
    stages[index] = attrs.evolve(stages[index], **changes)
    return attrs.evolve(CLOCKS, stages=tuple(stages))


def test_a_duty_cannot_count_from_a_stage_anchor() -> None:
    ((pointer, message),) = errors_of(_with_duty(0, counts_from=Anchor.ESCALATED))
    assert pointer == "/duties/0/counts_from"
    assert "only a stage has a start of its own" in message


def test_an_event_anchor_needs_its_event_and_an_event_needs_the_anchor() -> None:
    assert errors_of(_with_duty(2, counts_from_event=None)) == [
        ("/duties/2", 'counts_from "event" names no event')
    ]
    meeting = EventMatch(kind="meeting_held")
    ((pointer, _),) = errors_of(_with_stage(1, counts_from_event=meeting))
    assert pointer == "/stages/1/counts_from_event"


def test_an_anchor_events_kind_is_checked_like_any_event_match() -> None:
    ((pointer, message),) = errors_of(_with_duty(2, counts_from_event=EventMatch(kind="meting")))
    assert pointer == "/duties/2/counts_from_event/kind"
    assert "unknown event kind" in message


def test_fallbacks_must_exist_for_the_item_and_be_able_to_apply() -> None:
    ((pointer, message),) = errors_of(_with_duty(3, counts_from_fallback=Anchor.ESCALATED))
    assert (pointer, message) == (
        "/duties/3/counts_from_fallback",
        'a duty or an escalation cannot fall back to "escalated"',
    )
    ((pointer, message),) = errors_of(_with_stage(1, counts_from_fallback=Anchor.CONCERN))
    assert pointer == "/stages/1/counts_from_fallback"
    assert "never applies" in message


def test_an_urgency_rule_without_delay_and_no_deadline_is_an_error() -> None:
    policy = load_policy(POLICIES / "minimal.json")
    rule = attrs.evolve(policy.urgency[0], timescale=Timescale(Unit.WITHOUT_DELAY))
    ((pointer, _),) = errors_of(attrs.evolve(policy, urgency=(rule,)))
    assert pointer == "/urgency/0/timescale"


def test_immediately_read_as_the_very_moment_is_warned_of_until_the_policy_says() -> None:
    exact = attrs.evolve(CLOCKS, timescale_defaults=TimescaleDefaults())
    warned = [p.pointer for p in check_policy_semantics(exact) if p.severity == "warning"]
    assert warned == ["/stages/1/on_unresolved/timescale/unit", "/duties/0/timescale/unit"]
    assert not [p for p in check_policy_semantics(CLOCKS) if "very moment" in p.message]


# --- the model ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: Timescale(Unit.HOURS, 48, alternative=Timescale(Unit.WORKING_DAYS, 2)),
        lambda: Timescale(Unit.HOURS, 48, governs=Governs.LATER),
        lambda: Timescale(Unit.WORKING_DAYS, 2, tolerance=Timescale(Unit.SAME_DAY)),
        lambda: Timescale(Unit.IMMEDIATELY, expect_within=Timescale(Unit.SAME_DAY)),
        lambda: Timescale(Unit.IMMEDIATELY, tolerance=Timescale(Unit.WITHOUT_DELAY)),
        lambda: Timescale(
            Unit.WITHOUT_DELAY, alternative=Timescale(Unit.SAME_DAY), governs=Governs.FIRST
        ),
        lambda: Timescale(Unit.HOURS, 4, firmness="loose"),
        lambda: Timescale(Unit.WITHOUT_DELAY, 3),
    ],
)
def test_a_timescale_that_makes_no_sense_is_refused(build: Any) -> None:
    with pytest.raises(CalendarError):
        build()


def test_a_bare_without_delay_has_no_deadline() -> None:
    moment = datetime(2026, 6, 8, 9, tzinfo=UTC)
    assert LONDON.due(moment, Timescale(Unit.WITHOUT_DELAY)) is None
    with pytest.raises(CalendarError, match="has no deadline"):
        LONDON.deadline(moment, Timescale(Unit.WITHOUT_DELAY))


def test_timescales_say_both_readings() -> None:
    later = Timescale(Unit.HOURS, 48, Timescale(Unit.WORKING_DAYS, 2), Governs.LATER)
    assert str(later) == "48 hours or 2 working days, whichever is later"
    first = attrs.evolve(later, governs=Governs.FIRST)
    assert str(first) == "48 hours (2 working days)"
    assert str(Timescale(Unit.WITHOUT_DELAY)) == "without delay"


# --- history -----------------------------------------------------------------------------


def _history(**fields: str) -> dict[str, Any]:
    concern = {
        "kind": "concern_raised",
        "id": "e1",
        "at": "2026-06-10T10:00:00+01:00",
        "raising": {"role": "practitioner", "agency": "A"},
        "receiving": {"role": "practitioner", "agency": "B"},
        **fields,
    }
    return {"reference": "case-1", "events": [concern]}


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"decision_at": "2026-06-11T10:00:00+01:00"}, "/events/0/decision_at"),
        ({"identified_at": "2026-06-10T10:01:00+01:00"}, "/events/0/identified_at"),
        (
            {
                "decision_at": "2026-06-09T10:00:00+01:00",
                "decision_received_at": "2026-06-08T10:00:00+01:00",
            },
            "/events/0/decision_received_at",
        ),
    ],
)
def test_moments_before_the_concern_must_come_before_it(
    fields: dict[str, str], pointer: str
) -> None:
    history = load_history(_history(**fields))
    with pytest.raises(InvalidHistory) as raised:
        evaluate(CLOCKS, history, datetime(2026, 6, 12, tzinfo=UTC))
    assert [p.pointer for p in raised.value.problems] == [pointer]


def test_the_report_says_drift_and_guidelines_apart_from_breaches() -> None:
    history = load_history(
        {
            "reference": "case-1",
            "events": [
                {
                    "kind": "concern_raised",
                    "id": "e1",
                    "at": "2026-06-08T09:00:00+01:00",
                    "decision_at": "2026-06-08T08:00:00+01:00",
                    "raising": {"role": "practitioner", "agency": "A"},
                    "receiving": {"role": "practitioner", "agency": "B"},
                },
                {
                    "kind": "discussion_held",
                    "id": "e2",
                    "at": "2026-06-09T10:00:00+01:00",
                    "stage": "raise",
                    "outcome": "unresolved",
                },
            ],
        }
    )
    evaluation = evaluate(CLOCKS, history, datetime(2026, 6, 12, 9, tzinfo=UTC))
    text = render_text(evaluation)
    assert "[drift past the policy's expectation, not a breach of the procedure]" in text
    assert "(the policy's expectation: the procedure says without delay)" in text
    breaches = {b["id"]: b["severity"] for b in to_json(evaluation)["breaches"]}
    assert breaches == {
        "escalate:raise": "drift",
        "stage:step-1": "firm",
        "duty:record-concern@case": "firm",
    }


# --- properties --------------------------------------------------------------------------

SPAN = st.builds(
    lambda unit, amount: Timescale(unit, 0 if unit is Unit.SAME_DAY else amount),
    st.sampled_from(SPANS),
    st.integers(1, 30),
)


@given(trigger=moments(), first=SPAN, second=SPAN)
def test_sooner_of_two_is_at_most_each_and_later_at_least_each(
    trigger: datetime, first: Timescale, second: Timescale
) -> None:
    each = [LONDON.deadline(trigger, first), LONDON.deadline(trigger, second)]
    both = {g: Timescale(first.unit, first.amount, second, g) for g in Governs}
    sooner = LONDON.deadline(trigger, both[Governs.SOONER])
    later = LONDON.deadline(trigger, both[Governs.LATER])
    assert sooner in each
    assert later in each
    assert all(sooner.at <= d.at <= later.at for d in each)
    assert LONDON.deadline(trigger, both[Governs.FIRST]) == each[0]


@given(trigger=moments(), tolerance=SPAN, delay=st.integers(0, 10**7))
def test_a_tolerance_never_makes_an_on_time_action_late(
    trigger: datetime, tolerance: Timescale, delay: int
) -> None:
    exact = LONDON.deadline(trigger, Timescale(Unit.IMMEDIATELY))
    tolerant = LONDON.deadline(trigger, Timescale(Unit.IMMEDIATELY, tolerance=tolerance))
    assert tolerant.at >= exact.at
    done = trigger + timedelta(seconds=delay)
    if LONDON.lateness(exact, done) is None:
        assert LONDON.lateness(tolerant, done) is None


@given(trigger=moments(), span=SPAN, firmness=st.sampled_from(Firmness))
def test_firmness_never_moves_a_deadline(
    trigger: datetime, span: Timescale, firmness: Firmness
) -> None:
    marked = attrs.evolve(span, firmness=firmness)
    assert LONDON.deadline(trigger, marked) == LONDON.deadline(trigger, span)


def _breaches(policy: Policy, history: CaseHistory, as_of: datetime) -> set[tuple[object, ...]]:
    found = evaluate(policy, history, as_of).breaches
    return {(b.id, b.due, b.late, b.done_at) for b in found}


_ENGINE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_ENGINE
@given(cases(policies(with_tracks=True)))
def test_indicative_timescales_change_only_the_severity(case: Any) -> None:
    policy, history, as_of = case
    defaults = policy.timescale_defaults
    firm = attrs.evolve(policy, timescale_defaults=attrs.evolve(defaults, firmness=Firmness.FIRM))
    indicative = attrs.evolve(
        policy, timescale_defaults=attrs.evolve(defaults, firmness=Firmness.INDICATIVE)
    )
    assert _breaches(indicative, history, as_of) == _breaches(firm, history, as_of)
    # Under the indicative default a breach is firm only where its own timescale says so
    # (or it was agreed for the case): the default never makes one firm.
    severities = {b.id: b.severity for b in evaluate(firm, history, as_of).breaches}
    for breach in evaluate(indicative, history, as_of).breaches:
        if breach.severity is Severity.FIRM:
            assert severities[breach.id] is Severity.FIRM


@_ENGINE
@given(cases(policies(with_tracks=True)), st.sampled_from([Unit.SAME_DAY, Unit.HOURS]))
def test_a_policy_tolerance_for_immediately_never_adds_a_breach(
    case: Any,
    unit: Unit,
) -> None:
    policy, history, as_of = case
    defaults = policy.timescale_defaults
    exact = attrs.evolve(policy, timescale_defaults=attrs.evolve(defaults, immediately_means=None))
    tolerance = Timescale(unit, 0 if unit is Unit.SAME_DAY else 4)
    tolerant = attrs.evolve(
        policy, timescale_defaults=attrs.evolve(defaults, immediately_means=tolerance)
    )
    late = {b[0] for b in _breaches(exact, history, as_of)}
    assert {b[0] for b in _breaches(tolerant, history, as_of)} <= late


def test_an_event_recorded_after_the_fallbacks_deadline_never_makes_a_breach_vanish() -> None:
    scenarios = json.loads((POLICIES / "clocks.scenarios.json").read_text("utf-8"))["scenarios"]
    (scenario,) = [s for s in scenarios if "minutes" in s["clauses"]]
    history = load_history({"reference": "case-1", "events": scenario["events"]})
    # Until the meeting, the minutes' clock runs from the concern (Thu 11 June): due by
    # the end of Mon 15 June. The meeting on Tue 23 June comes after that had passed.
    policy = _with_duty(2, counts_from_fallback=Anchor.CONCERN)
    before = evaluate(policy, history, datetime(2026, 6, 22, 9, tzinfo=UTC))
    after = evaluate(policy, history, datetime(2026, 6, 29, 8, tzinfo=UTC))
    for evaluation in (before, after):
        (minutes,) = [b for b in evaluation.breaches if b.id == "duty:minutes@step-2"]
        assert minutes.due.day is not None
        assert minutes.due.day.isoformat() == "2026-06-15"
    # Without a fallback, the clock starts at the meeting (due by the end of Thu 25 June).
    plain = evaluate(CLOCKS, history, datetime(2026, 6, 22, 9, tzinfo=UTC))
    assert plain.action("duty:minutes@step-2").due is None
