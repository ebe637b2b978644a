"""Semantic checks: the rules of a policy that its JSON Schema cannot express.

The broken-policy files (``tests/policies/broken``) cover each check through a
file; the tests here build `Policy` values directly, for the cases a file
cannot reach (the schema refuses it first) and for the finer points.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest
from hypothesis import given, settings

from challenge_rules import _semantic, evaluate
from challenge_rules._gaps import locate
from challenge_rules._semantic import check_policy_semantics, resolves
from challenge_rules._vocabulary import Vocabulary, vocabulary
from challenge_rules.calendar import Timescale, Unit
from challenge_rules.converter import default_converter
from challenge_rules.errors import InvalidPolicy, Problem, pointer_join
from challenge_rules.loading import (
    load_history,
    load_policy,
    policy_problems,
    shipped_policies,
    shipped_policy,
)
from challenge_rules.policy import (
    Actor,
    Anchor,
    CalendarSpec,
    Escalation,
    EventMatch,
    Fallback,
    FallbackThen,
    FallbackWhen,
    Gap,
    GapKind,
    Policy,
    Role,
    Sector,
    Side,
    Stage,
    Track,
    Trigger,
    TriggerKind,
)
from challenge_rules.testing import policies

if TYPE_CHECKING:
    from collections.abc import Iterator

MINIMAL = Path(__file__).parent / "policies" / "minimal.json"
BASE = load_policy(MINIMAL)


def errors(policy: Policy) -> list[tuple[str, str]]:
    return [(p.pointer, p.message) for p in check_policy_semantics(policy) if p.severity == "error"]


def warnings(policy: Policy) -> list[tuple[str, str]]:
    return [
        (p.pointer, p.message) for p in check_policy_semantics(policy) if p.severity == "warning"
    ]


def only_error(policy: Policy) -> Problem:
    found = [p for p in check_policy_semantics(policy) if p.severity == "error"]
    assert len(found) == 1, found
    return found[0]


def with_stage(policy: Policy, index: int, **changes: object) -> Policy:
    stages = list(policy.stages)
    stages[index] = attrs.evolve(stages[index], **changes)
    return attrs.evolve(policy, stages=tuple(stages))


def test_minimal_policy_has_no_problems():
    assert check_policy_semantics(BASE) == ()


@pytest.mark.parametrize("policy_id", shipped_policies())
def test_shipped_policies_have_no_errors(policy_id):
    assert errors(shipped_policy(policy_id)) == []


# --- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "what"),
    [
        ("roles", "role"),
        ("clauses", "clause"),
        ("sources", "source"),
        ("duties", "duty"),
        ("fallbacks", "fallback"),
        ("urgency", "urgency rule"),
        ("contacts", "contact"),
        ("partnerships", "partnership"),
        ("risk_levels", "risk level"),
        ("stages", "stage"),
    ],
)
def test_duplicate_ids_in_every_collection(field, what):
    items = getattr(BASE, field)
    policy = attrs.evolve(BASE, **{field: (*items, items[-1])})
    duplicate = [e for e in errors(policy) if e[1].startswith(f"duplicate {what} id")]
    assert duplicate == [(f"/{field}/{len(items)}/id", f'duplicate {what} id "{items[-1].id}"')]


def test_duplicate_ids_across_ladders():
    track = Track(
        id="t", name="Track", clause="step-2", natures=("complaint",), stages=(BASE.stages[2],)
    )
    policy = attrs.evolve(BASE, tracks=(track,))
    assert errors(policy) == [("/tracks/0/stages/0/id", 'duplicate stage id "step-2"')]


# --- references the schema cannot refuse ----------------------------------------------------


def test_unknown_holiday_calendar():
    policy = attrs.evolve(BASE, calendar=CalendarSpec(holidays="scotland"))
    problem = only_error(policy)
    assert problem.pointer == "/calendar/holidays"
    assert problem.expected is not None
    assert "england-and-wales" in problem.expected


def test_unknown_event_kind_and_suggestion():
    duty = attrs.evolve(BASE.duties[0], discharged_by=EventMatch(kind="record_mad"))
    problem = only_error(attrs.evolve(BASE, duties=(duty,)))
    assert problem.pointer == "/duties/0/discharged_by/kind"
    assert problem.hint == 'did you mean "record_made"?'


@pytest.mark.parametrize(
    ("match", "message"),
    [
        (EventMatch("outcome_confirmed", {"in_writing": "yes"}), "is true or false"),
        (EventMatch("record_made", {"record": True}), "is text, but it is matched with true"),
        (EventMatch("record_made", {"at": "2026-06-08"}), 'field "at" cannot be matched'),
        (EventMatch("concern_raised", {"topics": "x"}), 'field "topics" cannot be matched'),
        (EventMatch("escalated", {"by": "receivng"}), "is not a possible value"),
    ],
)
def test_where_values(match, message):
    duty = attrs.evolve(BASE.duties[0], discharged_by=match)
    problem = only_error(attrs.evolve(BASE, duties=(duty,)))
    assert message in problem.message
    assert problem.pointer.startswith("/duties/0/discharged_by/where/")


def test_where_values_that_match():
    matches = [
        EventMatch("outcome_confirmed", {"in_writing": True, "by": "each", "stage": "step-1"}),
        EventMatch("escalated", {"to_stage": "step-2", "by_role": "dsl"}),
        EventMatch("concern_raised", {"nature": "systemic", "area": "example"}),
    ]
    duties = tuple(
        attrs.evolve(BASE.duties[0], id=f"d{i}", discharged_by=m) for i, m in enumerate(matches)
    )
    assert errors(attrs.evolve(BASE, duties=duties)) == []


def test_too_long_a_timescale():
    policy = with_stage(BASE, 1, timescale=Timescale(Unit.WORKING_DAYS, 20_000))
    assert errors(policy) == [
        ("/stages/1/timescale/amount", "the timescale is too long (20000 working_days)")
    ]


def test_stage_without_participants():
    problem = only_error(with_stage(BASE, 1, participants=()))
    assert problem.pointer == "/stages/1/participants"


# --- triggers --------------------------------------------------------------------------------


def test_ignored_trigger_parts_are_warnings():
    trigger = Trigger(
        on=TriggerKind.CONCERN_RAISED, stages=("step-1",), event=EventMatch("meeting_held")
    )
    duty = attrs.evolve(BASE.duties[0], trigger=trigger)
    policy = attrs.evolve(BASE, duties=(duty,))
    assert errors(policy) == []
    assert [w[0] for w in warnings(policy)] == [
        "/duties/0/trigger/event",
        "/duties/0/trigger/stages",
    ]


def test_event_trigger_with_its_event_is_fine():
    trigger = Trigger(
        on=TriggerKind.EVENT, event=EventMatch("meeting_held", {"meeting": "resolution"})
    )
    duty = attrs.evolve(BASE.duties[0], trigger=trigger)
    assert check_policy_semantics(attrs.evolve(BASE, duties=(duty,))) == ()


# --- fallbacks ---------------------------------------------------------------------------------


def fallback(ident: str, role: str, *substitutes: str, **scope: object) -> Fallback:
    when = FallbackWhen(absent=True, sectors=tuple(scope.pop("sectors", ())))  # type: ignore[arg-type]
    return Fallback(
        id=ident,
        clause="absence",
        role=role,
        when=when,
        then=FallbackThen(substitutes=substitutes),
        **scope,  # type: ignore[arg-type]
    )


def cycles(*fallbacks: Fallback) -> list[str]:
    policy = attrs.evolve(BASE, fallbacks=fallbacks)
    return [m for _, m in errors(policy) if "circle" in m]


def test_self_substitution_is_a_cycle():
    assert cycles(fallback("a", "dsl", "dsl")) == [
        'fallbacks go round in a circle: dsl -> dsl (fallbacks "a")'
    ]


def test_three_role_cycle_is_reported_once():
    found = cycles(
        fallback("a", "practitioner", "line_manager"),
        fallback("b", "line_manager", "dsl"),
        fallback("c", "dsl", "practitioner"),
    )
    circle = "practitioner -> line_manager -> dsl -> practitioner"
    assert found == [f'fallbacks go round in a circle: {circle} (fallbacks "a", "b", "c")']


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"side": Side.RAISING}, {"side": Side.RECEIVING}),
        ({"stages": ("step-1",)}, {"stages": ("step-2",)}),
        ({"sectors": ("school",)}, {"sectors": ("gp",)}),
    ],
)
def test_fallbacks_that_never_apply_together_are_no_cycle(first, second):
    policy_sectors = (Sector("school", "Schools"), Sector("gp", "General practice"))
    fallbacks = (
        fallback("a", "line_manager", "dsl", **first),
        fallback("b", "dsl", "line_manager", **second),
    )
    policy = attrs.evolve(BASE, fallbacks=fallbacks, sectors=policy_sectors)
    assert errors(policy) == []
    overlapping = (
        fallback("a", "line_manager", "dsl", **first),
        fallback("b", "dsl", "line_manager", **first),
    )
    assert [m for _, m in errors(attrs.evolve(policy, fallbacks=overlapping)) if "circle" in m]


def test_a_fallback_with_nobody_to_turn_to():
    empty = attrs.evolve(BASE.fallbacks[0], then=FallbackThen())
    problem = only_error(attrs.evolve(BASE, fallbacks=(empty,)))
    assert (problem.pointer, problem.message) == (
        "/fallbacks/0/then",
        'fallback "line-manager-away" names nobody to turn to',
    )


def test_also_holds_fallback_applies():
    combined = attrs.evolve(
        BASE.fallbacks[0],
        when=FallbackWhen(also_holds="dsl"),
        then=FallbackThen(seek_support_from=("senior_manager",)),
    )
    assert check_policy_semantics(attrs.evolve(BASE, fallbacks=(combined,))) == ()


# --- ladders ----------------------------------------------------------------------------------


def dissent_track(*stages: Stage) -> Track:
    return Track(
        id="dissent",
        name="Dissent",
        clause="step-2",
        natures=("child_protection_conference",),
        stages=stages,
    )


def test_track_ladders_are_checked_like_the_main_one():
    first = attrs.evolve(
        BASE.stages[2], id="d1", counts_from=Anchor.PREVIOUS_STAGE_CONCLUDED, on_unresolved=None
    )
    last = attrs.evolve(
        BASE.stages[2],
        id="d2",
        on_unresolved=Escalation(clause="step-2", action="Escalate.", by=Actor("dsl")),
    )
    policy = attrs.evolve(BASE, tracks=(dissent_track(first, last),))
    found = errors(policy)
    assert [pointer for pointer, _ in found] == [
        "/tracks/0/stages/0/counts_from",
        "/tracks/0/stages/0",
        "/tracks/0/stages/1/on_unresolved",
    ]
    assert 'track "dissent" cannot count from "previous_stage_concluded"' in found[0][1]
    assert 'stage "d1" is not the last stage, but says nothing about escalating' in found[1][1]
    assert 'last stage of track "dissent" escalates, but there is no stage after it' in found[2][1]


def test_escalation_may_skip_forward():
    escalate = attrs.evolve(BASE.stages[0].on_unresolved, to="step-2")
    policy = with_stage(BASE, 0, on_unresolved=escalate)
    # step-1 is still reached: the urgency rule may skip to it.
    assert errors(policy) == []


def test_escalation_from_the_last_stage_to_an_earlier_one():
    back = Escalation(clause="step-2", action="Go back.", by=Actor("dsl"), to="step-1")
    problem = only_error(with_stage(BASE, 2, on_unresolved=back))
    assert problem.message == 'stage "step-2" escalates backwards, to "step-1", an earlier stage'


def test_one_stage_ladder():
    policy = attrs.evolve(BASE, stages=(BASE.stages[2],), urgency=(), fallbacks=())
    assert check_policy_semantics(policy) == ()


# --- warnings and gaps ---------------------------------------------------------------------


def gap(about: str, text: str, kind: GapKind = GapKind.SOURCE_SILENT) -> Gap:
    ident = "".join(c if c.isalnum() else "-" for c in about.lower()).strip("-") or "policy"
    return Gap(id=ident, kind=kind, about=about, text=text)


def test_stage_without_timescale_names_the_gap_about_its_timescale_once():
    reason = "The source gives Step 2 only as Day 8-13."
    policy = attrs.evolve(
        with_stage(BASE, 2, timescale=None), gaps=(gap("/stages/step-2/timescale", reason),)
    )
    assert warnings(policy) == [
        (
            "/stages/2/timescale",
            f'stage "step-2" has no timescale, so its action has no due date: {reason}',
        )
    ]


def test_the_no_timescale_warning_does_not_quote_a_gap_about_something_else_of_the_stage():
    other = gap("/stages/step-2", "The order of events within the stage is unclear.")
    policy = attrs.evolve(with_stage(BASE, 2, timescale=None), gaps=(other,))
    assert warnings(policy) == [
        (
            "/stages/2/timescale",
            'stage "step-2" has no timescale, so its action has no due date: the source gives none',
        ),
        ("/stages/2", "gap in the source: The order of events within the stage is unclear."),
    ]


def test_every_gap_is_a_warning():
    gaps = (
        Gap(id="whole", kind=GapKind.SOURCE_SILENT, about="", text="Whole-policy gap."),
        gap("/duties/record-escalation/timescale", "No time for recording."),
    )
    policy = attrs.evolve(BASE, gaps=gaps)
    assert warnings(policy) == [
        ("", "gap in the source: Whole-policy gap."),
        ("/duties/0/timescale", "gap in the source: No time for recording."),
    ]


def test_a_gap_the_format_cannot_say_is_warned_of_as_a_gap_in_the_format():
    cannot = gap("/duties/record-escalation", "Urgent, no deadline.", GapKind.FORMAT_CANNOT_SAY)
    assert warnings(attrs.evolve(BASE, gaps=(cannot,))) == [
        ("/duties/0", "gap in the format: Urgent, no deadline.")
    ]


def test_an_older_form_gap_is_still_read_with_a_warning_naming_the_id_path():
    older = Gap(pointer="/duties/0/timescale", text="No time for recording.")
    problems = list(check_policy_semantics(attrs.evolve(BASE, gaps=(older,))))
    assert [(p.severity, p.pointer) for p in problems] == [
        ("warning", "/gaps/0/pointer"),
        ("warning", "/duties/0/timescale"),
    ]
    assert '"about": "/duties/record-escalation/timescale"' in (problems[0].hint or "")


def test_a_gap_about_nothing_is_an_error_with_the_id_path_meant():
    policy = attrs.evolve(BASE, gaps=(gap("/duties/0/timescale", "No time for recording."),))
    (problem,) = check_policy_semantics(policy)
    assert (problem.severity, problem.pointer) == ("error", "/gaps/0/about")
    assert problem.hint is not None
    assert "/duties/record-escalation/timescale" in problem.hint


def test_gap_ids_are_unique():
    twice = (gap("", "One."), gap("", "Two."))
    assert errors(attrs.evolve(BASE, gaps=twice))[0][0] == "/gaps/1/id"


def test_a_gap_needs_about_id_and_kind_or_a_pointer():
    with pytest.raises(InvalidPolicy, match="a gap needs id, kind"):
        Gap(about="/stages", text="x")
    with pytest.raises(InvalidPolicy, match="a gap needs id, kind, about"):
        Gap(text="x")


def test_effective_from_far_future():
    problem = only_error(attrs.evolve(BASE, effective_from=date(2999, 1, 1)))
    assert problem.pointer == "/effective_from"


# --- every problem points into the policy ---------------------------------------------------


def broken_policies() -> list[Policy]:
    return [
        with_stage(
            BASE, 1, clause="nope", participants=(Actor("nobody"),), contacts=("x",), forms=("f",)
        ),
        with_stage(BASE, 0, counts_from=Anchor.PREVIOUS_STAGE_CONCLUDED, on_unresolved=None),
        attrs.evolve(
            BASE, fallbacks=(fallback("a", "dsl", "dsl", stages=("zz",)),), gaps=(gap("/x", "y"),)
        ),
        attrs.evolve(BASE, calendar=CalendarSpec(time_zone="Mars/Base", holidays="moon")),
        attrs.evolve(BASE, urgency=(attrs.evolve(BASE.urgency[0], risks=("r",), skip_to="s"),)),
    ]


@pytest.mark.parametrize("policy", broken_policies())
def test_problem_pointers_resolve(policy):
    document = default_converter().unstructure(policy)
    problems = check_policy_semantics(policy)
    assert any(p.severity == "error" for p in problems)
    for problem in problems:
        assert resolves(document, problem.pointer), problem
        assert (
            problem.expected
            or problem.hint
            or problem.severity == "warning"
            or "never" in problem.message
        )


def test_many_fallbacks_are_checked_quickly():
    roles = tuple(Role(f"r{i}", f"Role {i}") for i in range(1000))
    chain = tuple(
        Fallback(
            id=f"f{i}",
            clause="absence",
            role=f"r{i}",
            when=FallbackWhen(absent=True, sectors=()),
            then=FallbackThen(substitutes=(f"r{(i + 1) % 1000}", f"r{(i + 7) % 1000}")),
            stages=(),
        )
        for i in range(1000)
    )
    policy = attrs.evolve(BASE, roles=BASE.roles + roles, fallbacks=chain)
    started = time.perf_counter()
    found = [m for _, m in errors(policy) if "circle" in m]
    assert time.perf_counter() - started < 5
    assert len(found) == 1  # one strongly connected group, reported once


@pytest.mark.parametrize(("unit", "most"), [("months", 1200), ("calendar_days", 10_000)])
def test_a_timescale_is_bounded_so_every_evaluation_can_place_its_deadline(
    unit: str, most: int
) -> None:
    document = default_converter().unstructure(shipped_policy("hips"))
    document["stages"][1]["timescale"] = {"unit": unit, "amount": most + 1}
    errors = [p for p in policy_problems(document) if p.severity == "error"]
    assert [p.pointer for p in errors] == ["/stages/1/timescale/amount"]
    assert str(errors[0].expected).startswith(f"at most {most}")
    # At the bound, a case raised at the end of the last year a history may hold is placed.
    document["stages"][1]["timescale"]["amount"] = most
    document["stages"][1]["counts_from"] = "concern"
    policy = load_policy(document)
    history = load_history(
        {
            "reference": "R",
            "events": [
                {
                    "kind": "concern_raised",
                    "id": "e1",
                    "at": "2099-12-31T09:00:00Z",
                    "raising": {"role": "practitioner", "agency": "A"},
                    "receiving": {"role": "practitioner", "agency": "B"},
                }
            ],
        }
    )
    evaluate(policy, history, datetime.fromisoformat("2099-12-31T10:00:00Z"))


# --- the table of rules ------------------------------------------------------------------

RULE_NAMES = [
    "unique_ids",
    "references",
    "participants",
    "event_matches",
    "triggers",
    "fallbacks_apply",
    "fallback_cycles",
    "timescale_lengths",
    "line_managers",
    "due_soon_windows_fit",
    "clock_anchors",
    "urgency_shortens",
    "untimed_stages",
    "ladder_starts",
    "escalations",
    "reachable_stages",
    "ladder_ends",
    "track_natures",
    "effective_date",
    "time_zone",
    "holidays",
    "extra_closures",
    "gaps",
    "subjects",
    "form_fields",
    "immediately_read",
]


def test_the_rules_are_a_table_in_report_order() -> None:
    assert [rule.__name__ for rule in _semantic.RULES] == RULE_NAMES
    assert all(rule.__doc__ for rule in _semantic.RULES)


_ORDER_CASES = {
    "a gap explaining an untimed stage": attrs.evolve(
        with_stage(BASE, 2, timescale=None),
        gaps=(gap("/stages/step-2/timescale", "Step 2 only as Day 8-13."), gap("", "Whole gap.")),
    ),
    "an escalation backwards and an unreachable stage": with_stage(
        BASE,
        0,
        on_unresolved=attrs.evolve(BASE.stages[0].on_unresolved, to=BASE.stages[0].id),
    ),
    "an unknown stage to escalate to": with_stage(
        BASE, 0, on_unresolved=attrs.evolve(BASE.stages[0].on_unresolved, to="nowhere")
    ),
}


@pytest.mark.parametrize("policy", list(_ORDER_CASES.values()), ids=list(_ORDER_CASES))
def test_each_rule_finds_the_same_whatever_ran_before(policy: Policy) -> None:
    names = vocabulary(policy)
    alone = {rule: list(rule(policy, names)) for rule in reversed(_semantic.RULES)}
    assert [p for rule in _semantic.RULES for p in alone[rule]] == list(
        check_policy_semantics(policy)
    )
    assert check_policy_semantics(policy)  # each case has something to find


def test_a_new_rule_is_one_decorated_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_semantic, "RULES", list(_semantic.RULES))

    @_semantic.rule
    def titles_are_short(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
        if len(policy.title) > 5:
            yield Problem(message="the title is long", path=("title",), severity="warning")

    found = check_policy_semantics(BASE)
    assert found[-1] == Problem(message="the title is long", path=("title",), severity="warning")


def test_ladders_are_picked_by_position_not_by_their_label() -> None:
    # Two tracks with one id (an error of its own) are still two ladders: neither's
    # stage is taken for a stage of the other's.
    def track(stage_id: str, nature: str) -> Track:
        stage = attrs.evolve(BASE.stages[0], id=stage_id, on_unresolved=None)
        return Track(
            id="t", name="T", clause=BASE.stages[0].clause, natures=(nature,), stages=(stage,)
        )

    policy = attrs.evolve(BASE, tracks=(track("d1", "dissent"), track("d2", "other")))
    assert errors(policy) == [("/tracks/1/id", 'duplicate track id "t"')]


def _document_paths(node: object, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _document_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _document_paths(value, (*path, index))


@given(policies(max_stages=3))
@settings(max_examples=25)
def test_gap_pointers_are_resolved_in_the_model_as_in_the_document(policy: Policy) -> None:
    document = default_converter().unstructure(policy)
    for path in _document_paths(document):
        pointer = pointer_join(*path)
        assert _points_into(policy, pointer), pointer
        for extra in ("x", "0", "99", "id"):
            deeper = f"{pointer}/{extra}"
            assert _points_into(policy, deeper) == resolves(document, deeper), deeper


def _points_into(policy: Policy, pointer: str) -> bool:
    return locate(policy, Gap(pointer=pointer, text="x")) is not None
