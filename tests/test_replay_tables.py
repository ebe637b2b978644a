"""The engine's replay reads plan tables and event times: the same answers as the plain rules.

`_plan.replay_tables` compiles, once per policy, the duties each stage's entry
and end and each event kind make due, and the concern's scope; `discharging`
finds the events from a moment on by bisecting their times.  Each is checked
here against the plain definition it replaces, over generated policies and
cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from challenge_rules._engine import _moment
from challenge_rules._history_checks import check_history, event_order
from challenge_rules._plan import plan_for
from challenge_rules._replay import discharging, matches, replay
from challenge_rules.history import Nature
from challenge_rules.policy import EventMatch, Policy, Side, TriggerKind
from challenge_rules.testing import cases, policies

if TYPE_CHECKING:
    from datetime import datetime

    from challenge_rules._replay import Case as Replayed
    from challenge_rules.history import AnyEvent
    from challenge_rules.testing import Case


def _plain_duties(policy: Policy, kind: TriggerKind, stage: str | None) -> list[str]:
    return [
        duty.id
        for duty in policy.duties
        if duty.trigger.on is kind and (not duty.trigger.stages or stage in duty.trigger.stages)
    ]


def _plain_sides(policy: Policy, duty_id: str) -> tuple[Side, ...]:
    duty = next(d for d in policy.duties if d.id == duty_id)
    if duty.who is None:
        return (Side.EACH,)
    if duty.who.side is Side.EACH:
        return (Side.RAISING, Side.RECEIVING)
    return (duty.who.side,)


@settings(max_examples=60)
@given(policies())
def test_the_duties_each_stage_makes_due_are_the_policys(policy: Policy) -> None:
    tables = plan_for(policy).replay
    assert [d.duty.id for d in tables.raised] == _plain_duties(
        policy, TriggerKind.CONCERN_RAISED, None
    )
    for stage in policy.all_stages():
        found = tables.stages[stage.id]
        for kind, dues in (
            (TriggerKind.STAGE_ENTERED, found.entered),
            (TriggerKind.STAGE_CONCLUDED, found.concluded),
            (TriggerKind.STAGE_RESOLVED, found.resolved),
            (TriggerKind.STAGE_UNRESOLVED, found.unresolved),
        ):
            assert [d.duty.id for d in dues] == _plain_duties(policy, kind, stage.id)
    everything = [*tables.raised, *(d for s in tables.stages.values() for dues in s for d in dues)]
    for due in (*everything, *(e.due for found in tables.events.values() for e in found)):
        assert due.sides == _plain_sides(policy, due.duty.id)
        assert due.subjects == due.duty.subjects
        assert due.of_stage == due.duty.belongs_to_stage
    for event_kind, triggered in tables.events.items():
        assert [(e.due.duty.id, dict(e.where)) for e in triggered] == [
            (d.id, dict(d.trigger.event.where))
            for d in policy.duties
            if d.trigger.on is TriggerKind.EVENT
            and d.trigger.event is not None
            and d.trigger.event.kind == event_kind
        ]


@settings(max_examples=60)
@given(policies())
def test_the_scope_of_each_nature_is_the_policys(policy: Policy) -> None:
    tables = plan_for(policy).replay
    for nature in (None, *Nature, *(n for e in policy.scope.exclusions for n in e.natures)):
        tracked = any(nature in track.natures for track in policy.tracks)
        plain = None
        if not tracked:
            plain = next((e for e in policy.scope.exclusions if nature in e.natures), None)
        found = None if nature in tables.tracked else tables.excluded.get(nature)
        assert found == plain


def _replayed(case: Case) -> Replayed:
    moment = _moment(case.policy, case.as_of)
    concern = check_history(case.policy, case.history)
    return replay(moment.plan, case.history, concern, moment.local)


def _plain_discharging(
    case: Replayed, match: EventMatch, since: datetime, stage: str | None, side: Side | None
) -> AnyEvent | None:
    """`discharging` by its docstring: the first event seen from ``since`` on that fits."""
    seen = sorted((e for found in case.by_kind.values() for e in found), key=event_order)
    for event in seen:
        if event.at < since or not matches(match, event):
            continue
        event_stage = getattr(event, "stage", None)
        if stage is not None and event_stage is not None and event_stage != stage:
            continue
        event_side = getattr(event, "side", None)
        # On one side: not by an event naming another (an event naming each side, or
        # none, discharges it).
        one_side = side in {Side.RAISING, Side.RECEIVING}
        if one_side and event_side in set(Side) - {Side.EACH} and event_side != side:
            continue
        return event
    return None


def _matches_of(policy: Policy) -> list[EventMatch]:
    found = [EventMatch("discussion_held"), EventMatch("action_plan_reviewed")]
    found += [duty.discharged_by for duty in policy.duties]
    found += [a.discharged_by for rule in policy.urgency for a in rule.immediate_actions]
    for stage in policy.all_stages():
        found += [m for step in stage.steps for m in (step.done_by,) if m is not None]
    return found


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(cases(max_events=15), st.data())
def test_discharging_is_the_first_fitting_event_from_a_moment_on(
    case: Case, data: st.DataObject
) -> None:
    replayed = _replayed(case)
    times = sorted({e.at for found in replayed.by_kind.values() for e in found})
    stages = [None, *(s.id for s in case.policy.all_stages())]
    for match in _matches_of(case.policy):
        since = data.draw(st.sampled_from(times)) if times else case.as_of
        stage = data.draw(st.sampled_from(stages))
        side = data.draw(st.sampled_from([None, *Side]))
        assert discharging(replayed, match, since, stage, side) is _plain_discharging(
            replayed, match, since, stage, side
        )
