"""Tests of the testing kit itself (challenge_rules.testing): its strategies and helpers.

The strategies promise valid data: generated policies pass the schema and the
semantic checks and survive a round trip through JSON, generated histories
pass the history schema and `check_history` under their policy, and regular
histories give no irregularity warnings.  The helpers promise readable
failures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from challenge_rules import evaluate
from challenge_rules._history_checks import check_history
from challenge_rules.calendar import Unit
from challenge_rules.converter import make_converter
from challenge_rules.evaluation import Status
from challenge_rules.history import CaseHistory, ConcernRaised, DiscussionHeld, Outcome
from challenge_rules.loading import load_history, load_policy, policy_problems
from challenge_rules.policy import Policy
from challenge_rules.schemas import history_schema, policy_schema, validate_document
from challenge_rules.testing import (
    Case,
    as_of_moments,
    assert_breach,
    assert_no_action,
    assert_no_breaches,
    assert_requires,
    assert_status,
    cases,
    histories,
    moments,
    policies,
    timescales,
)
from challenge_rules.testing._assertions import _example_evaluation

LONDON = ZoneInfo("Europe/London")
BST = timezone(timedelta(hours=1))
CONVERTER = make_converter()
IRREGULAR = {"stage_skipped", "out_of_order", "after_closure", "duplicate_outcome"}


def as_json(value: object) -> object:
    """Unstructure and pass through JSON text, as a file would."""
    return json.loads(json.dumps(CONVERTER.unstructure(value)))


def schema_errors(schema: dict, document: object) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def _build_example() -> tuple[Policy, CaseHistory]:
    """The policy and history behind `_example_evaluation`, written as JSON documents."""
    document = {
        "id": "example",
        "title": "An example procedure",
        "version": "1",
        "effective_from": "2026-01-01",
        "protects": ["children"],
        "partnerships": [{"id": "area-1", "name": "Example", "area": "Example"}],
        "sources": [{"id": "src-1", "title": "Example procedure"}],
        "clauses": [{"id": "cl-1", "source": "src-1", "section": "Steps"}],
        "roles": [
            {"id": "practitioner", "name": "Practitioner"},
            {"id": "line-manager", "name": "Line manager"},
        ],
        "stages": [
            {
                "id": "step-1",
                "name": "Step 1",
                "clause": "cl-1",
                "action": "Talk to the other practitioner",
                "participants": [{"role": "practitioner", "side": "raising"}],
                "timescale": {"unit": "working_days", "amount": 2},
                "on_unresolved": {
                    "clause": "cl-1",
                    "action": "Tell your line manager",
                    "by": {"role": "practitioner", "side": "raising"},
                },
            },
            {
                "id": "step-2",
                "name": "Step 2",
                "clause": "cl-1",
                "action": "Discuss with the other line manager",
                "participants": [{"role": "line-manager", "side": "raising"}],
                "timescale": {"unit": "working_days", "amount": 6},
            },
        ],
    }
    history = {
        "reference": "CASE-1",
        "events": [
            {
                "kind": "concern_raised",
                "id": "e1",
                "at": "2026-06-01T09:00:00+01:00",
                "raising": {"role": "practitioner", "agency": "School"},
                "receiving": {"role": "practitioner", "agency": "Children's Social Care"},
            },
            {
                "kind": "discussion_held",
                "id": "e2",
                "at": "2026-06-05T10:00:00+01:00",
                "stage": "step-1",
                "outcome": "unresolved",
            },
            {
                "kind": "escalated",
                "id": "e3",
                "at": "2026-06-05T10:05:00+01:00",
                "to_stage": "step-2",
            },
        ],
    }
    return CONVERTER.structure(document, Policy), CONVERTER.structure(history, CaseHistory)


EXAMPLE_POLICY, EXAMPLE_HISTORY = _build_example()


# --- policies ----------------------------------------------------------------------------


@given(policies(with_tracks=True))
def test_generated_policies_are_valid_and_round_trip(policy: Policy) -> None:
    document = as_json(policy)
    assert CONVERTER.structure(document, Policy) == policy
    assert schema_errors(policy_schema(), document) == []
    errors = [str(p) for p in policy_problems(document) if p.severity == "error"]
    assert errors == []


@settings(max_examples=30)
@given(policies(max_stages=1, with_fallbacks=False, with_urgency=False, with_duties=False))
def test_policy_flags_leave_parts_out(policy: Policy) -> None:
    assert len(policy.stages) == 1
    assert policy.stages[0].on_unresolved is None
    assert (policy.fallbacks, policy.urgency, policy.duties, policy.tracks) == ((), (), (), ())


@given(policies())
def test_generated_ladders_end_and_escalate_forward(policy: Policy) -> None:
    ids = [s.id for s in policy.stages]
    assert policy.stages[-1].on_unresolved is None
    assert policy.stages[0].counts_from.value != "previous_stage_concluded"
    for index, stage in enumerate(policy.stages[:-1]):
        assert stage.on_unresolved is not None
        if stage.on_unresolved.to is not None:
            assert ids.index(stage.on_unresolved.to) > index
    assert policy.calendar.time_zone == "Europe/London"
    assert policy.calendar.holidays == "england-and-wales"


def test_max_stages_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_stages"):
        policies(max_stages=0)


# --- histories ----------------------------------------------------------------------------


@given(cases(policies(with_tracks=True), irregular=True))
def test_generated_histories_are_valid(case: Case) -> None:
    policy, history, as_of = case
    concern = check_history(policy, history)
    concerns = [e for e in history.events if isinstance(e, ConcernRaised)]
    assert concerns == [concern]
    assert all(e.at >= concern.at for e in history.events)
    assert len({e.id for e in history.events}) == len(history.events)
    assert all(e.recorded_at is None or e.recorded_at >= e.at for e in history.events)
    assert all(e.at.utcoffset() is not None for e in history.events)
    document = as_json(history)
    assert schema_errors(history_schema(), document) == []
    assert validate_document(document, "history") == ()
    assert load_history(document) == history
    assert as_of >= concern.at


@given(cases(policies(with_tracks=True)))
def test_regular_histories_give_no_irregularity_warnings(case: Case) -> None:
    evaluation = evaluate(*case)
    assert {w.code for w in evaluation.warnings}.isdisjoint(IRREGULAR), evaluation.warnings


@settings(max_examples=30)
@given(st.data())
def test_histories_respect_max_events_and_start(data: st.DataObject) -> None:
    policy = data.draw(policies(max_stages=3), label="policy")
    start = datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)  # a second before the clocks change
    history = data.draw(histories(policy, max_events=4, start=start), label="history")
    assert 1 <= len(history.events) <= 4
    concern = next(e for e in history.events if isinstance(e, ConcernRaised))
    assert concern.at == start


def test_irregular_histories_reach_each_irregularity() -> None:
    """Each warning an irregular history should provoke is provoked by some history.

    A fixed sample (derandomized, so never flaky) of ladders of 3 or 4 stages
    whose second stage may not be skipped, each history evaluated once every
    event has happened.
    """
    found: Counter[str] = Counter()
    ladders = policies(max_stages=4, with_duties=False, with_fallbacks=False, with_urgency=False)

    def skippable(policy: Policy) -> bool:  # a stage that may not be skipped, then another
        return len(policy.stages) >= 3 and not policy.stages[1].optional

    @settings(max_examples=150, derandomize=True, database=None)
    @given(cases(ladders.filter(skippable), max_events=12, irregular=True))
    def sample(case: Case) -> None:
        last = max(e.at for e in case.history.events)
        found.update({w.code for w in evaluate(case.policy, case.history, last).warnings})

    sample()
    assert set(found) >= IRREGULAR, found


def test_histories_reject_bad_arguments() -> None:
    policy = EXAMPLE_POLICY
    with pytest.raises(ValueError, match="max_events"):
        histories(policy, max_events=0)
    with pytest.raises(ValueError, match="aware"):
        histories(policy, start=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


# --- moments and timescales ------------------------------------------------------------------


@given(moments(date(2026, 3, 29), date(2026, 3, 30)))
def test_moments_fall_on_the_london_days_asked_for(moment: datetime) -> None:
    assert moment.utcoffset() is not None
    assert date(2026, 3, 29) <= moment.astimezone(LONDON).date() <= date(2026, 3, 30)
    assert (moment.utcoffset() or timedelta()) % timedelta(minutes=1) == timedelta()


@given(timescales(["working_days", "same_day"]))
def test_timescales_in_the_units_asked_for(timescale) -> None:
    assert timescale.unit in (Unit.WORKING_DAYS, Unit.SAME_DAY)
    assert (timescale.amount >= 1) == (timescale.unit is Unit.WORKING_DAYS)


@settings(max_examples=30)
@given(st.data())
def test_as_of_moments_are_from_the_concern_on(data: st.DataObject) -> None:
    history = EXAMPLE_HISTORY
    moment = data.draw(as_of_moments(history, after=timedelta(days=2)))
    first = history.events[0].at
    last = max(e.at for e in history.events)
    assert first <= moment <= last + timedelta(days=2)


def test_as_of_moments_need_a_concern() -> None:
    with pytest.raises(ValueError, match="concern_raised"):
        as_of_moments(CaseHistory(reference="x", events=()))


@settings(max_examples=10)
@given(cases(EXAMPLE_POLICY, max_events=3))
def test_cases_take_a_fixed_policy(case: Case) -> None:
    assert case.policy is EXAMPLE_POLICY
    assert 1 <= len(case.history.events) <= 3
    assert case == (case.policy, case.history, case.as_of)


@settings(max_examples=10)
@given(cases(st.just(EXAMPLE_POLICY)))
def test_cases_take_a_strategy_of_policies(case: Case) -> None:
    assert case.policy is EXAMPLE_POLICY


def test_importing_the_kit_does_not_import_pytest() -> None:
    code = "import sys, challenge_rules.testing; sys.exit('pytest' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", code], check=False, capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()


# --- the assertion helpers -------------------------------------------------------------------


def test_the_example_is_what_the_docstrings_say() -> None:
    policy, history = EXAMPLE_POLICY, EXAMPLE_HISTORY
    assert evaluate(policy, history, datetime(2026, 6, 8, 9, 0, tzinfo=BST)) == (
        _example_evaluation()
    )


def test_assert_requires_returns_the_matching_action() -> None:
    evaluation = _example_evaluation()
    action = assert_requires(evaluation, what="OTHER LINE MANAGER", role="Line manager")
    assert action.id == "stage:step-2"
    assert assert_requires(evaluation, side="raising", stage="step-2", kind="stage") is action
    assert assert_requires(evaluation, due_by=date(2026, 6, 15), urgent=False) is action
    assert assert_requires(evaluation, due_by=datetime(2026, 6, 16, tzinfo=BST)) is action


@pytest.mark.parametrize(
    ("filters", "shown"),
    [
        ({"role": "dsl"}, "role='dsl'"),
        ({"due_by": date(2026, 6, 12)}, "due_by=datetime.date(2026, 6, 12)"),
        ({"kind": "escalation"}, "kind='escalation'"),
        ({"urgent": True}, "urgent=True"),
        ({"side": "receiving"}, "side='receiving'"),
    ],
)
def test_assert_requires_lists_what_was_required(filters: dict, shown: str) -> None:
    with pytest.raises(AssertionError) as failure:
        assert_requires(_example_evaluation(), **filters)
    message = str(failure.value)
    assert message.startswith(f"no required action matches {shown}; case CASE-1 as of ")
    assert "status open, stage step-2" in message
    assert "required actions (1):" in message
    assert (
        "  - stage:step-2 [stage] 'Discuss with the other line manager'; "
        "who: line-manager/raising; due by end of 2026-06-15; stage: step-2"
    ) in message


def test_assert_requires_says_when_nothing_is_required() -> None:
    policy, history = EXAMPLE_POLICY, EXAMPLE_HISTORY
    closed = evaluate(policy, history, datetime(2026, 6, 1, 9, 0, tzinfo=BST))
    assert_no_action(closed, stage="step-2")
    resolved = CaseHistory(
        reference="CASE-2",
        events=(
            *history.events[:1],
            DiscussionHeld(
                id="e9",
                at=datetime(2026, 6, 2, 10, 0, tzinfo=BST),
                stage="step-1",
                outcome=Outcome.RESOLVED,
            ),
        ),
    )
    evaluation = evaluate(policy, resolved, datetime(2026, 6, 8, 9, 0, tzinfo=BST))
    assert_status(evaluation, Status.RESOLVED, stage="step-1")
    assert_no_action(evaluation)
    with pytest.raises(AssertionError, match=r"required actions: none"):
        assert_requires(evaluation)


def test_assert_no_action_lists_the_matches() -> None:
    evaluation = _example_evaluation()
    assert_no_action(evaluation, kind="duty")
    assert_no_action(evaluation, role="dsl")
    with pytest.raises(AssertionError) as failure:
        assert_no_action(evaluation, role="line-manager")
    message = str(failure.value)
    assert message.startswith("1 required action matches role='line-manager', expected none")
    assert "matching actions (1):\n  - stage:step-2 [stage]" in message
    with pytest.raises(AssertionError, match="1 required action matches any, expected none"):
        assert_no_action(evaluation)


def test_assert_breach_returns_the_matching_breach() -> None:
    evaluation = _example_evaluation()
    breach = assert_breach(evaluation, action_id="stage:step-1", late_working_days=2)
    assert breach.done_at == datetime(2026, 6, 5, 10, 0, tzinfo=BST)
    assert assert_breach(evaluation, stage="step-1", kind="stage", outstanding=False) is breach
    assert assert_breach(evaluation, what="other practitioner", role="practitioner") is breach


def test_assert_breach_lists_the_breaches() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_breach(_example_evaluation(), late_working_days=3, outstanding=True)
    message = str(failure.value)
    assert message.startswith("no breach matches late_working_days=3, outstanding=True; case")
    assert (
        "breaches (1):\n  - stage:step-1 [stage] 'Talk to the other practitioner'; "
        "who: practitioner/raising; due by end of 2026-06-03; 2 working days late; "
        "done 2026-06-05T10:00:00+01:00; stage: step-1"
    ) in message


def test_assert_no_breaches() -> None:
    policy, history = EXAMPLE_POLICY, EXAMPLE_HISTORY
    on_time = evaluate(policy, history, datetime(2026, 6, 3, 23, 59, tzinfo=BST))
    assert_no_breaches(on_time)
    with pytest.raises(AssertionError, match=r"expected no breaches; .*\nbreaches \(1\):\n"):
        assert_no_breaches(_example_evaluation())


def test_assert_status_shows_the_timeline_and_warnings() -> None:
    evaluation = _example_evaluation()
    assert_status(evaluation, "open")
    assert_status(evaluation, Status.OPEN, stage="step-2")
    with pytest.raises(AssertionError) as failure:
        assert_status(evaluation, "open", stage="step-1")
    message = str(failure.value)
    assert message.startswith("expected status 'open' at stage 'step-1', got 'open' (stage step-2)")
    assert "stages reached (2):\n  - step-1: entered 2026-06-01T09:00:00+01:00" in message
    assert "concluded unresolved 2026-06-05T10:00:00+01:00" in message
    assert "warnings: none" in message
    with pytest.raises(ValueError, match="'shut' is not a valid Status"):
        assert_status(evaluation, "shut")


def test_assert_requires_compares_due_instants_across_clock_changes() -> None:
    """A deadline in the repeated autumn hour matches the same instant given in UTC."""
    bug = json.loads(
        (Path(__file__).parent / "data/engine_bugs/deadline-in-repeated-hour.json").read_text(
            encoding="utf-8"
        )
    )
    evaluation = evaluate(
        load_policy(bug["policy"]),
        load_history(bug["history"]),
        datetime.fromisoformat(bug["as_of"]),
    )
    due = datetime.fromisoformat("2024-10-27T01:30:00+00:00")
    assert assert_requires(evaluation, due_by=due).id == "stage:step-1"
    assert_no_action(evaluation, due_by=due + timedelta(hours=1))


# The package and each of its modules: importing a module runs the package's check first.
@pytest.mark.parametrize(
    "module",
    [
        "challenge_rules.testing",
        "challenge_rules.testing._policies",
        "challenge_rules.testing._assertions",
    ],
)
def test_without_hypothesis_the_import_says_which_extra_to_install(module: str) -> None:
    # A fresh interpreter in which `import hypothesis` fails, as without the extra.
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "from challenge_rules.errors import ChallengeRulesError\n"
        f"try:\n    import {module}\n"
        "except ModuleNotFoundError as error:\n"
        "    assert isinstance(error, ChallengeRulesError)\n    print(error)\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'challenge-rules[testing]'" in done.stdout
