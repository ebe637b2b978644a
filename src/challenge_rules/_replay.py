"""The engine's second phase: a case's events replayed, in time order, into case state.

`replay` walks the events once and builds a `Case`: the stages reached (each
with its rung on the ladder), the duty occurrences, absences, combined roles,
agreed timescales, the urgency rules' intervals in force, the risk, and the
notices for irregular events.  What an event does is looked up in
`EFFECTS` by the event's class: a new event kind that changes the case is one
function and one `Effect` entry there.  The state is private and mutable while the
replay runs; the obligations phase only reads it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from challenge_rules._construct import constructor
from challenge_rules._history_checks import event_order
from challenge_rules._instants import is_shared_offset, shared_offset
from challenge_rules.evaluation import Notice, Status, WarningCode
from challenge_rules.history import (
    EVENT_TYPES,
    AnyEvent,
    CaseClosed,
    ConcernRaised,
    DiscussionHeld,
    Escalated,
    Outcome,
    Redirected,
    RiskAssessed,
    RoleHolderAbsent,
    RolesCombined,
    TimescaleAgreed,
)
from challenge_rules.policy import (
    Duty,
    EventMatch,
    Exclusion,
    Side,
    Stage,
    UrgencyRule,
    WhereValue,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from challenge_rules._plan import Due, Plan
    from challenge_rules.history import CaseHistory

_NOTICE = constructor(Notice)  # built without the frozen __init__'s cost (see _construct)

# The case state's records are plain slotted classes, not attrs ones: they are
# private, mutable, and built for every case, so construction cost counts.


class Reached:
    """A stage the case reached (mutable while the replay runs)."""

    __slots__ = (
        "concluded_at",
        "concluded_by",
        "entered_at",
        "entered_by",
        "escalated_at",
        "escalated_by",
        "outcome",
        "rung",
        "stage",
    )

    def __init__(
        self, stage: Stage, rung: int, entered_at: datetime, entered_by: str | None
    ) -> None:
        self.stage = stage
        self.rung = rung
        """The stage's position on the case's ladder."""
        self.entered_at = entered_at
        self.entered_by = entered_by
        self.concluded_at: datetime | None = None
        self.concluded_by: str | None = None
        """The id of the event that concluded it (see `StageRecord.ended_by`)."""
        self.outcome: Outcome | None = None
        self.escalated_at: datetime | None = None
        """When an explicit escalation into this stage was recorded."""
        self.escalated_by: str | None = None


class Occurrence(NamedTuple):
    """One time a duty became due."""

    duty: Duty
    at: datetime
    side: Side
    stage: str | None
    by: str | None = None
    """The id of the event that made it due."""


class InForce:
    """When one urgency rule was in force: intervals that never overlap, in time order.

    Interval i runs from ``starts[i]`` to ``ends[i]``; the last one has no end
    while ``ends`` is one shorter than ``starts`` (the rule is still in force).
    Both lists are sorted, so what was in force when is found by bisection.
    """

    __slots__ = ("ended_by", "ends", "rule", "starts")

    def __init__(self, rule: UrgencyRule) -> None:
        self.rule = rule
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.ended_by: list[str] = []
        """The id of the event that ended each interval, as ``ends``."""

    @property
    def active(self) -> bool:
        return len(self.ends) < len(self.starts)

    def first_in(self, start: datetime, until: datetime | None) -> datetime | None:
        """The first moment from ``start`` to ``until`` (exclusive) the rule was in force."""
        first = bisect_right(self.ends, start)  # the first interval ending after start
        if first == len(self.starts):
            return None
        begun = self.starts[first]
        if until is not None and begun >= until:
            return None
        return max(start, begun)

    def end_of(self, start: datetime) -> datetime | None:
        """When the interval begun at ``start`` ended (None: it has not)."""
        position = bisect_left(self.starts, start)
        return self.ends[position] if position < len(self.ends) else None

    def ender_of(self, start: datetime) -> str | None:
        """The id of the event that ended the interval begun at ``start`` (None: none has)."""
        position = bisect_left(self.starts, start)
        return self.ended_by[position] if position < len(self.ended_by) else None

    def at(self, moment: datetime) -> bool:
        """Whether the rule was in force at ``moment``."""
        last = bisect_right(self.starts, moment) - 1  # the last interval begun by then
        return last >= 0 and (last == len(self.ends) or moment < self.ends[last])


class Case:
    """The state of one case, as the replay builds it."""

    __slots__ = (
        "absences",
        "agreed",
        "by_kind",
        "closed_at",
        "closed_by",
        "combined",
        "concern",
        "exclusion",
        "immediate",
        "ladder",
        "next_event_at",
        "occurrences",
        "plan",
        "reached",
        "risk",
        "rungs",
        "status",
        "times",
        "urgency",
        "warned",
        "warnings",
    )

    def __init__(self, plan: Plan, concern: ConcernRaised) -> None:
        self.plan = plan
        self.concern = concern
        ladder = plan.ladder(concern.nature)
        self.ladder = ladder.stages
        self.rungs = ladder.rungs
        self.status = _OPEN
        self.closed_at: datetime | None = None
        self.closed_by: str | None = None
        """The id of the event that closed the case."""
        self.reached: list[Reached] = []
        self.occurrences: list[Occurrence] = []
        self.urgency: dict[str, InForce] = {}
        """When each urgency rule the case met was in force, by rule id."""
        self.risk: str | None = None
        self.absences: list[RoleHolderAbsent] = []
        self.combined: dict[Side, set[str]] = {}
        self.agreed: dict[str, list[TimescaleAgreed]] = {}
        """Timescales agreed per stage, in time order."""
        self.immediate: list[tuple[UrgencyRule, datetime, str]] = []
        """Each urgency rule activated: when, and the id of the risk assessment that did."""
        self.by_kind: dict[str, list[AnyEvent]] = {}
        """The events seen, by kind, in time order (what discharges a duty is looked up here)."""
        self.times: dict[str, list[datetime]] = {}
        """The times of ``by_kind``'s events, as ``by_kind`` (to find those from a moment on)."""
        self.warnings: list[Notice] = []
        self.warned: set[Notice] = set()
        self.exclusion: Exclusion | None = None
        self.next_event_at: datetime | None = None
        """The time of the first event dated after the moment replayed to (left out)."""

    @property
    def current(self) -> Reached:
        return self.reached[-1]

    def warn(self, code: WarningCode, message: str, event: AnyEvent | None = None) -> None:
        notice = _NOTICE(code=code, message=message, event=None if event is None else event.id)
        if notice not in self.warned:  # the same absence is met once per action
            self.warned.add(notice)
            self.warnings.append(notice)

    def urgent_now(self) -> bool:
        """Whether an urgency rule in force covers the stage an open case is at."""
        if not self.urgency or self.closed_at is not None or not self.reached:
            return False
        stage_id = self.current.stage.id
        return any(
            f.active and (not f.rule.stages or stage_id in f.rule.stages)
            for f in self.urgency.values()
        )


def replay(plan: Plan, history: CaseHistory, concern: ConcernRaised, moment: datetime) -> Case:
    """The state of the case at ``moment`` (local time with a fixed offset).

    ``concern`` is the history's concern, as `check_history` found it.
    """
    case = Case(plan, concern)
    policy = plan.policy
    if history.policy is not None and history.policy != policy.id:
        case.warn(
            "policy_mismatch",
            f"the history names policy {history.policy!r} but is evaluated under {policy.id!r}",
        )
    for event in sorted(_fixed_offsets(history.events), key=event_order):
        if event.at > moment:
            if case.next_event_at is None:  # in time order: the first is the earliest
                case.next_event_at = event.at
            case.warn(
                "after_as_of",
                f"{event.kind} at {event.at.isoformat()} is later than as_of: ignored",
                event,
            )
            continue
        _apply(case, event)
    return case


def _fixed_offsets(events: tuple[AnyEvent, ...]) -> Iterable[AnyEvent]:
    """The events, with every time restated with the shared tzinfo for its offset.

    Two datetimes in one named zone compare by wall clock, ignoring the fold
    (PEP 495), so within an autumn clock change's repeated hour they would
    sort wrongly; and datetimes with different tzinfo objects compare slowly.
    `load_history` already gives times in this form; values built in Python may not.
    """
    for event in events:
        if not _is_shared(event):
            return [e if _is_shared(e) else _restated(e) for e in events]
    return events


_RESTATED: Final = ("at", "recorded_at", "due", "follow_up")
"""The moments the replay compares (a concern's own moments only start clocks)."""
_EXTRA_MOMENTS: Final = {
    cls: tuple(name for name in _RESTATED[2:] if name in attrs.fields_dict(cls))
    for cls in EVENT_TYPES.values()
}
"""Each event class's moments beyond ``at`` and ``recorded_at``, of `_RESTATED`."""


def _is_shared(event: AnyEvent) -> bool:
    if not is_shared_offset(event.at):
        return False
    recorded = event.recorded_at
    if recorded is not None and not is_shared_offset(recorded):
        return False
    for name in _EXTRA_MOMENTS.get(type(event), _RESTATED[2:]):
        moment = getattr(event, name, None)
        if moment is not None and not is_shared_offset(moment):
            return False
    return True


def _restated(event: AnyEvent) -> AnyEvent:
    changes: dict[str, Any] = {
        name: shared_offset(moment)
        for name in _RESTATED
        if (moment := getattr(event, name, None)) is not None
    }
    return attrs.evolve(event, **changes)


# -- what each event does ---------------------------------------------------


class Effect(NamedTuple):
    """What one class of event does to the case."""

    change: Callable[[Case, Any], None] | None
    """How it changes the case, beyond being seen (None: not at all)."""
    seen: bool = True
    """Whether it is among the events seen, which discharge duties and trigger them."""
    on_ladder: bool = False
    """Whether it moves the case along its ladder (then it is ignored if dated before the
    concern)."""


def _apply(case: Case, event: AnyEvent) -> None:
    effect: Effect = EFFECTS.get(type(event), _SEEN_ONLY)
    change, seen, on_ladder = effect
    if not seen:
        change(case, event)  # type: ignore[misc]  # every unseen effect has a change
        return
    kind = event.kind
    if on_ladder and event.at < case.concern.at:
        case.warn("before_concern", f"{kind} is dated before the concern: ignored", event)
        return
    found = case.by_kind.get(kind)
    if found is None:
        case.by_kind[kind] = [event]
        case.times[kind] = [event.at]
    else:
        found.append(event)
        case.times[kind].append(event.at)
    if change is not None:
        change(case, event)
    triggered = case.plan.replay.events.get(kind)
    if triggered:
        for due, where in triggered:
            if _has(event, where):
                _occur(case, (due,), event.at, getattr(event, "stage", None), event.id)


def _absence(case: Case, event: RoleHolderAbsent) -> None:
    case.absences.append(event)


def _combined(case: Case, event: RolesCombined) -> None:
    case.combined.setdefault(event.side, set()).update(event.roles)


def _agreed(case: Case, event: TimescaleAgreed) -> None:
    case.agreed.setdefault(event.stage, []).append(event)


_CLOSING = {
    "resolved": Status.RESOLVED,
    "withdrawn": Status.WITHDRAWN,
    "other": Status.CLOSED,
}


def _closed_by_system(case: Case, event: CaseClosed) -> None:
    _close(case, _CLOSING[event.reason], event)


def _redirected(case: Case, event: Redirected) -> None:
    _close(case, _REDIRECTED, event)


def _start(case: Case, concern: ConcernRaised) -> None:
    tables = case.plan.replay
    nature = concern.nature
    exclusion = None if nature in tables.tracked else tables.excluded.get(nature)
    if exclusion is not None:
        case.exclusion = exclusion
        case.status = _NOT_APPLICABLE
        case.closed_at = concern.at
        case.closed_by = concern.id
        return
    _occur(case, tables.raised, concern.at, None, concern.id)
    _enter(case, 0, concern.at, concern.id)


def _enter(case: Case, rung: int, at: datetime, event_id: str | None) -> None:
    stage = case.ladder[rung]
    case.reached.append(Reached(stage, rung, at, event_id))
    _occur(case, case.plan.replay.stages[stage.id].entered, at, stage.id, event_id)


def _conclude(case: Case, reached: Reached, outcome: Outcome, at: datetime, by: str) -> None:
    reached.concluded_at = at
    reached.concluded_by = by
    reached.outcome = outcome
    stage_id = reached.stage.id
    duties = case.plan.replay.stages[stage_id]
    _occur(case, duties.concluded, at, stage_id, by)
    if outcome is _RESOLVED:
        _occur(case, duties.resolved, at, stage_id, by)
    elif outcome is _UNRESOLVED:
        _occur(case, duties.unresolved, at, stage_id, by)


def _rung(case: Case, stage_id: str) -> int:
    return case.rungs[stage_id]  # check_history vouches every stage id is on the ladder


def _closed(case: Case, event: AnyEvent) -> bool:
    if case.closed_at is None:
        return False
    case.warn(
        "after_closure",
        f"{event.kind} comes after the case was closed ({case.status.value}): ignored",
        event,
    )
    return True


def _move_to(case: Case, target: int, at: datetime, event: AnyEvent) -> None:
    """Advance the ladder to rung ``target`` (a later stage), warning of skipped stages.

    Skipped: every required stage between, and the current one if the case only
    entered it (an earlier stage ended unresolved) and it had neither a
    discussion nor an escalation into it of its own. The stage the concern
    opened is the case's own: leaving it by escalation is not skipping it.
    """
    current = case.current
    only_entered = (
        current.concluded_at is None and current.escalated_at is None and len(case.reached) > 1
    )
    if current.concluded_at is None:
        _conclude(case, current, Outcome.UNRESOLVED, at, event.id)
    first = current.rung if only_entered else current.rung + 1
    skipped = [s for s in case.ladder[first:target] if not s.optional]
    if skipped and not _skip_allowed(case, target, at):
        names = ", ".join(s.name for s in skipped)
        case.warn("stage_skipped", f"went to {case.ladder[target].name}, skipping {names}", event)
    _enter(case, target, at, event.id)


def _skip_allowed(case: Case, target: int, at: datetime) -> bool:
    stage_id = case.ladder[target].id
    return any(f.rule.skip_to == stage_id and f.at(at) for f in case.urgency.values())


def _discussion(case: Case, event: DiscussionHeld) -> None:
    if _closed(case, event):
        return
    target = _rung(case, event.stage)
    current = case.current
    if target < current.rung:
        case.warn(
            "out_of_order",
            f"outcome recorded for {case.ladder[target].name}, which the case has left: ignored",
            event,
        )
        return
    if target == current.rung and current.concluded_at is not None:
        case.warn(
            "duplicate_outcome",
            f"{current.stage.name} already concluded ({current.outcome}): ignored",
            event,
        )
        return
    if target > current.rung:
        _move_to(case, target, event.at, event)
    reached = case.current
    _conclude(case, reached, event.outcome, event.at, event.id)
    closing = _CLOSED_BY.get(event.outcome)  # closed without agreement: where the stage allows
    if closing is not None:
        _close(case, closing, event)
    else:
        _after_unresolved(case, reached, event)


def _after_unresolved(case: Case, reached: Reached, event: AnyEvent) -> None:
    stage = reached.stage
    escalation = stage.on_unresolved
    if escalation is None:
        case.warn(
            "ladder_ended",
            f"{stage.name} is the last stage and ended unresolved"
            + (f": {stage.final_note}" if stage.final_note else ""),
            event,
        )
        return
    target = reached.rung + 1 if escalation.to is None else _rung(case, escalation.to)
    _enter(case, target, event.at, event.id)


def _escalation(case: Case, event: Escalated) -> None:
    if _closed(case, event):
        return
    target = _rung(case, event.to_stage)
    current = case.current
    if target < current.rung or (target == current.rung and current.escalated_at is not None):
        case.warn(
            "out_of_order",
            f"escalation to {case.ladder[target].name}, which the case has already reached: "
            "ignored",
            event,
        )
        return
    if target == current.rung:
        current.escalated_at, current.escalated_by = event.at, event.id
        return
    _move_to(case, target, event.at, event)
    case.current.escalated_at, case.current.escalated_by = event.at, event.id


def _risk(case: Case, event: RiskAssessed) -> None:
    case.risk = event.level
    for rule in case.plan.policy.urgency:
        in_force = case.urgency.get(rule.id)
        active = in_force is not None and in_force.active
        if event.level not in rule.risks:
            if active:
                in_force.ends.append(event.at)  # type: ignore[union-attr]
                in_force.ended_by.append(event.id)  # type: ignore[union-attr]
            continue
        if active:
            continue
        if in_force is None:
            in_force = case.urgency[rule.id] = InForce(rule)
        in_force.starts.append(event.at)
        case.immediate.append((rule, event.at, event.id))


def _close(case: Case, status: Status, event: AnyEvent) -> None:
    # A matter found out of scope may still be recorded as taken elsewhere.
    if case.closed_at is not None and not (
        case.status is _NOT_APPLICABLE and status is _REDIRECTED
    ):
        return
    case.status = status
    case.closed_at = event.at
    case.closed_by = event.id


def _occur(
    case: Case, dues: tuple[Due, ...], at: datetime, stage: str | None, by: str | None
) -> None:
    """Make ``dues`` due at ``at`` (for ``stage``; ``by``: the event that did)."""
    if not dues:
        return
    subject = case.concern.subject
    occurrences = case.occurrences
    for duty, sides, subjects, of_stage in dues:
        if subjects and subject is not None and subject not in subjects:
            continue  # a duty for concerns about someone else (an adult's, a child's)
        own = stage
        if of_stage and own is None:
            # Its stage is the one the case is at (for the concern: the first one).
            own = case.current.stage.id if case.reached else case.ladder[0].id
        for side in sides:
            occurrences.append(Occurrence(duty, at, side, own, by))


_SEEN_ONLY: Effect = Effect(None)

# Enum members bound once: reading one through its class costs a metaclass lookup on
# Python 3.11, and these are read for every event of every case.
_RESOLVED: Final = Outcome.RESOLVED
_UNRESOLVED: Final = Outcome.UNRESOLVED
_NOT_APPLICABLE: Final = Status.NOT_APPLICABLE
_REDIRECTED: Final = Status.REDIRECTED
_OPEN: Final = Status.OPEN
_ONE_SIDE: Final = (Side.RAISING, Side.RECEIVING)
_EACH: Final = Side.EACH

_CLOSED_BY: Final = {
    Outcome.RESOLVED: Status.RESOLVED,
    Outcome.WITHDRAWN: Status.WITHDRAWN,
    Outcome.CLOSED_WITHOUT_AGREEMENT: Status.CLOSED_WITHOUT_AGREEMENT,
}
"""The status a stage's outcome closes the case with (none: the case goes on)."""

EFFECTS: dict[type[AnyEvent], Effect] = {
    ConcernRaised: Effect(_start, seen=False),
    DiscussionHeld: Effect(_discussion, on_ladder=True),
    Escalated: Effect(_escalation, on_ladder=True),
    RiskAssessed: Effect(_risk),
    RoleHolderAbsent: Effect(_absence),
    RolesCombined: Effect(_combined),
    TimescaleAgreed: Effect(_agreed),
    CaseClosed: Effect(_closed_by_system),
    Redirected: Effect(_redirected),
}
"""What each class of event does; a class not listed is only seen."""


# -- queries on the state ---------------------------------------------------


def matches(match: EventMatch, event: AnyEvent) -> bool:
    """Whether ``event`` is of the kind ``match`` names, with the field values it names."""
    return event.kind == match.kind and _has(event, match.where.items())


def _has(event: AnyEvent, where: Iterable[tuple[str, WhereValue]]) -> bool:
    """Whether ``event`` has the field values ``where`` gives (a tuple: any one of them)."""
    for key, wanted in where:
        value = getattr(event, key, None)
        if value != wanted and not (isinstance(wanted, tuple) and value in wanted):
            return False
    return True


def first_matching(case: Case, match: EventMatch) -> datetime | None:
    """When the case's first event matching ``match`` happened (None: there is none yet)."""
    for event in case.by_kind.get(match.kind, ()):
        if matches(match, event):
            return event.at
    return None


def assessed_during(
    case: Case, levels: tuple[str, ...], start: datetime, until: datetime | None
) -> bool:
    """Whether the case's risk was at one of ``levels`` at some moment of a span.

    The span runs from ``start`` to ``until`` (exclusive; None: until now).
    """
    level = None
    for event in case.by_kind.get("risk_assessed", ()):  # in time order
        if until is not None and event.at >= until:
            break
        if event.at > start and level in levels:
            return True  # in force at the start of the span
        level = getattr(event, "level", None)
        if event.at >= start and level in levels:
            return True
    return level in levels


def lapsed_at(case: Case, stage: str | None, since: datetime) -> tuple[datetime | None, str | None]:
    """When a duty due from ``since`` for ``stage`` lapsed with it, and what ended it.

    That is when the stage's visit open at ``since`` concluded, or the case
    closed, with the id of the event that did it ((None, None): not yet).
    """
    ends = [(case.closed_at, case.closed_by)]
    reached = None if stage is None else visit_at(case, stage, since)
    if reached is not None:
        ends.append((reached.concluded_at, reached.concluded_by))
    return min(((at, by) for at, by in ends if at is not None), default=(None, None))


def visit_at(case: Case, stage: str, since: datetime) -> Reached | None:
    """The visit of ``stage`` an item due from ``since`` belongs to (None: none yet).

    That is the last time the case reached the stage at or before ``since``.
    """
    for reached in reversed(case.reached):
        if reached.stage.id == stage and reached.entered_at <= since:
            return reached
    return None


def discharged_at(
    case: Case, match: EventMatch, since: datetime, stage: str | None, side: Side | None
) -> datetime | None:
    """When the first event discharging an item due from ``since`` was recorded."""
    event = discharging(case, match, since, stage, side)
    return None if event is None else event.at


def discharging(
    case: Case, match: EventMatch, since: datetime, stage: str | None, side: Side | None
) -> AnyEvent | None:
    """The first event discharging an item due from ``since`` (None: none yet).

    An item of a stage is discharged by an event naming that stage or none; on
    a side, by one naming that side, each side or none.
    """
    kind = match.kind
    events = case.by_kind.get(kind)
    if events is None:
        return None
    where = match.where.items()
    staged, sided = _NAMED.get(kind, (True, True))
    if stage is None:
        staged = False
    if side not in _ONE_SIDE:
        sided = False
    # The events of a kind are in time order: start the scan at ``since``.
    for position in range(bisect_left(case.times[kind], since), len(events)):
        event = events[position]
        if where and not _has(event, where):
            continue
        if staged:
            event_stage = getattr(event, "stage", None)
            if event_stage is not None and event_stage != stage:
                continue
        if sided:
            event_side = getattr(event, "side", None)
            if isinstance(event_side, Side) and event_side not in (side, _EACH):
                continue
        return event
    return None


_NAMED: Final = {
    kind: ("stage" in attrs.fields_dict(cls), "side" in attrs.fields_dict(cls))
    for kind, cls in EVENT_TYPES.items()
}
"""Per event kind, whether its events name a stage and a side (else neither limits what
they discharge)."""


__all__ = [
    "EFFECTS",
    "Case",
    "Effect",
    "InForce",
    "Occurrence",
    "Reached",
    "assessed_during",
    "discharged_at",
    "discharging",
    "first_matching",
    "lapsed_at",
    "replay",
    "visit_at",
]
