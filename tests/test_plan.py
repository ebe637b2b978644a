"""The engine's phases: the compiled plan and the replay's table of event effects."""

from __future__ import annotations

from datetime import date, datetime
from typing import get_args
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings

from challenge_rules import _obligations as obligations_module
from challenge_rules import calendar as calendar_module
from challenge_rules import evaluate, shipped_policies, shipped_policy
from challenge_rules._plan import duty_item, plan_for
from challenge_rules._replay import EFFECTS
from challenge_rules.calendar import Timescale, Unit, WorkingCalendar
from challenge_rules.history import AnyEvent
from challenge_rules.policy import Policy, Side
from challenge_rules.testing import Case, cases, policies


def _natures(policy: Policy) -> list[str | None]:
    return [None, "unknown nature", *(n for track in policy.tracks for n in track.natures)]


@settings(max_examples=40)
@given(policies())
def test_each_natures_ladder_is_the_policys(policy: Policy) -> None:
    plan = plan_for(policy)
    for nature in _natures(policy):
        ladder = plan.ladder(nature)
        assert ladder.stages == policy.ladder(nature)
        assert [ladder.rungs[s.id] for s in ladder.stages] == list(range(len(ladder.stages)))


def test_shipped_policies_ladders_are_the_policys() -> None:
    for policy_id in shipped_policies():
        policy = shipped_policy(policy_id)
        for nature in _natures(policy):
            assert plan_for(policy).ladder(nature).stages == policy.ladder(nature)


@settings(max_examples=40)
@given(policies())
def test_compiled_duty_items_are_the_ones_built_when_needed(policy: Policy) -> None:
    items = plan_for(policy).duty_items
    for duty in policy.duties:
        if duty.who is None:  # one action for whoever takes part in each stage
            for stage in policy.all_stages():
                built = duty_item(duty, stage.id, Side.EACH, stage.participants)
                assert items[duty.id, stage.id, Side.EACH] == built
            continue
        sides = (Side.RAISING, Side.RECEIVING) if duty.who.side is Side.EACH else (duty.who.side,)
        for stage in [None, *(s.id for s in policy.all_stages())]:
            for side in sides:
                assert items[duty.id, stage, side] == duty_item(duty, stage, side)


def test_equal_policies_share_a_plan() -> None:
    policy = shipped_policy("hips")
    assert plan_for(attrs.evolve(policy)) is plan_for(policy)


def test_every_event_with_an_effect_is_an_event_class() -> None:
    assert set(EFFECTS) <= set(get_args(AnyEvent))


def test_a_calendar_holds_no_cache() -> None:
    # Its only fields are its inputs and what they determine: nothing fills up as it is used.
    assert {f.name for f in attrs.fields(WorkingCalendar)} == {
        "time_zone",
        "holidays",
        "extra_closures",
        "_zone",
        "_days",
    }
    one, other = WorkingCalendar(), WorkingCalendar()
    trigger = datetime(2026, 6, 1, 9, tzinfo=ZoneInfo("Europe/London"))
    first = one.deadline(trigger, Timescale(Unit.WORKING_DAYS, 5))
    calendar_module._day_deadline.cache_clear()
    assert other.deadline(trigger, Timescale(Unit.WORKING_DAYS, 5)) == first
    assert first.day == date(2026, 6, 8)


@settings(max_examples=20)
@given(cases(max_events=15))
def test_results_do_not_depend_on_the_caches(case: Case) -> None:
    warm = evaluate(*case)
    plan_for.cache_clear()
    calendar_module._day_deadline.cache_clear()
    obligations_module._role_holder.cache_clear()
    assert evaluate(*case) == warm
