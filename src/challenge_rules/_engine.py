"""How `challenge_rules.evaluate` works: one pass over the events, then the dues.

The pass walks the events in time order and builds a small mutable picture of
the case (the stages reached, duty occurrences, absences, risk); everything
returned is then built from that picture as frozen values.  Nothing here reads
a clock or keeps state between calls.
"""

from __future__ import annotations

import functools
from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs
from attrs import frozen

from challenge_rules._history_checks import check_history, event_order
from challenge_rules._instants import is_shared_offset, shared_offset
from challenge_rules.calendar import Deadline, WorkingCalendar
from challenge_rules.errors import CalendarError, InvalidHistory, Problem
from challenge_rules.evaluate import (
    Action,
    ActionKind,
    Addressee,
    Breach,
    Citation,
    ContactDetails,
    Evaluation,
    Notice,
    StageRecord,
    Status,
    WarningCode,
)
from challenge_rules.history import (
    AnyEvent,
    CaseClosed,
    CaseHistory,
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
    Actor,
    AgreedTimescales,
    Anchor,
    Duty,
    EventMatch,
    Exclusion,
    Fallback,
    Policy,
    Side,
    Stage,
    TriggerKind,
    UrgencyRule,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import date, datetime

# Enum members bound once: reading one through its class costs a metaclass lookup
# on Python 3.11, and the code below reads them for every event and action.
_AGREED_IGNORED = AgreedTimescales.IGNORED
_AGREED_REPLACES = AgreedTimescales.REPLACES
_ANCHOR_CONCERN = Anchor.CONCERN
_ANCHOR_ESCALATED = Anchor.ESCALATED
_ANCHOR_PREVIOUS_STAGE_CONCLUDED = Anchor.PREVIOUS_STAGE_CONCLUDED
_OUTCOME_RESOLVED = Outcome.RESOLVED
_OUTCOME_UNRESOLVED = Outcome.UNRESOLVED
_OUTCOME_WITHDRAWN = Outcome.WITHDRAWN
_SIDE_EACH = Side.EACH
_SIDE_RAISING = Side.RAISING
_SIDE_RECEIVING = Side.RECEIVING
_STATUS_CLOSED = Status.CLOSED
_STATUS_NOT_APPLICABLE = Status.NOT_APPLICABLE
_STATUS_OPEN = Status.OPEN
_STATUS_REDIRECTED = Status.REDIRECTED
_STATUS_RESOLVED = Status.RESOLVED
_STATUS_WITHDRAWN = Status.WITHDRAWN
_TRIGGER_CONCERN_RAISED = TriggerKind.CONCERN_RAISED
_TRIGGER_EVENT = TriggerKind.EVENT
_TRIGGER_STAGE_CONCLUDED = TriggerKind.STAGE_CONCLUDED
_TRIGGER_STAGE_ENTERED = TriggerKind.STAGE_ENTERED
_TRIGGER_STAGE_RESOLVED = TriggerKind.STAGE_RESOLVED
_TRIGGER_STAGE_UNRESOLVED = TriggerKind.STAGE_UNRESOLVED

_DISCUSSION = EventMatch(kind="discussion_held")
_LADDER_KINDS = frozenset({"discussion_held", "escalated"})
_CLOSING = {
    "resolved": _STATUS_RESOLVED,
    "withdrawn": _STATUS_WITHDRAWN,
    "other": _STATUS_CLOSED,
}


class _StagePlan(NamedTuple):
    """What a stage's actions say that is the same in every case."""

    action_id: str
    who: tuple[tuple[str, Side], ...]
    clause: str
    escalate_id: str
    escalate_who: tuple[tuple[str, Side], ...]


def _stage_plan(stage: Stage) -> _StagePlan:
    escalation = stage.on_unresolved
    return _StagePlan(
        action_id=f"stage:{stage.id}",
        who=_pairs(stage.participants),
        clause=stage.timescale_clause or stage.clause,
        escalate_id=f"escalate:{stage.id}",
        escalate_who=() if escalation is None else _pairs((escalation.by,)),
    )


@frozen
class _PolicyIndex:
    """What the engine looks up in a policy, built once per policy."""

    calendar: WorkingCalendar
    citations: dict[str, Citation]
    role_names: dict[str, str]
    duties: dict[tuple[TriggerKind, str | None], tuple[Duty, ...]]
    """The duties each trigger makes due, by trigger and stage (None: not a stage's)."""
    event_duties: dict[str, tuple[Duty, ...]]
    """The duties triggered by history events, by event kind."""
    ladders: dict[str | None, tuple[tuple[Stage, ...], dict[str, int]]]
    """Each nature's ladder with its stages' positions (None: the main ladder)."""
    absence_fallbacks: dict[str, tuple[Fallback, ...]]
    support_fallbacks: tuple[Fallback, ...]
    area_contacts: dict[str | None, dict[tuple[str, ...], tuple[ContactDetails, ...]]]
    """Per area, the contacts for each list of purposes the policy names."""
    stage_plans: dict[str, _StagePlan]
    addressees: dict[tuple[str, Side, str | None], Addressee]
    """Addressees already built, when no fallback applies (they are immutable values)."""


def _contact_table(
    policy: Policy,
) -> dict[str | None, dict[tuple[str, ...], tuple[ContactDetails, ...]]]:
    lists = {stage.contacts for stage in policy.all_stages()}
    lists.update(s.on_unresolved.contacts for s in policy.all_stages() if s.on_unresolved)
    lists.update(duty.contacts for duty in policy.duties)
    lists.update(a.contacts for rule in policy.urgency for a in rule.immediate_actions)
    areas: list[str | None] = [None, *(p.id for p in policy.partnerships)]
    return {
        area: {
            purposes: tuple(
                ContactDetails(
                    id=c.id,
                    name=c.name,
                    purpose=c.purpose,
                    area=c.area,
                    email=c.email,
                    phone=c.phone,
                    hours=c.hours,
                )
                for purpose in purposes
                for c in policy.contacts_for(purpose, area)
            )
            for purposes in lists
        }
        for area in areas
    }


@functools.lru_cache(maxsize=64)
def _index_policy(policy: Policy) -> _PolicyIndex:
    sources = {s.id: s for s in policy.sources}
    citations = {
        c.id: Citation(
            clause=c.id,
            source=sources[c.source].title if c.source in sources else c.source,
            section=c.section,
            quote=c.quote,
            document=sources[c.source].document if c.source in sources else None,
            url=sources[c.source].url if c.source in sources else None,
        )
        for c in policy.clauses
    }
    stage_ids: list[str | None] = [None, *(s.id for s in policy.all_stages())]
    duties = {
        (kind, stage): tuple(
            d
            for d in policy.duties
            if d.trigger.on is kind and (not d.trigger.stages or stage in d.trigger.stages)
        )
        for kind in TriggerKind
        for stage in stage_ids
    }
    event_duties: dict[str, list[Duty]] = {}
    for duty in policy.duties:
        if duty.trigger.on is _TRIGGER_EVENT and duty.trigger.event is not None:
            event_duties.setdefault(duty.trigger.event.kind, []).append(duty)
    natures = {None, *(n for track in policy.tracks for n in track.natures)}
    ladders = {}
    for nature in natures:
        ladder = policy.ladder(nature)
        ladders[nature] = (ladder, {stage.id: i for i, stage in enumerate(ladder)})
    absence: dict[str, list[Fallback]] = {}
    for fallback in policy.fallbacks:
        if fallback.when.absent:
            absence.setdefault(fallback.role, []).append(fallback)
    return _PolicyIndex(
        area_contacts=_contact_table(policy),
        stage_plans={stage.id: _stage_plan(stage) for stage in policy.all_stages()},
        calendar=policy.working_calendar(),
        citations=citations,
        role_names={r.id: r.name for r in policy.roles},
        duties={key: found for key, found in duties.items() if found},
        event_duties={kind: tuple(found) for kind, found in event_duties.items()},
        ladders=ladders,
        addressees={},
        absence_fallbacks={role: tuple(found) for role, found in absence.items()},
        support_fallbacks=tuple(
            f
            for f in policy.fallbacks
            if f.when.also_holds is not None and f.then.seek_support_from
        ),
    )


# The pass's working records are plain slotted classes, not attrs ones: they are
# private, mutable, and built for every case, so construction cost counts.


class _Reached:
    """A stage the case reached (mutable while the pass runs)."""

    __slots__ = (
        "concluded_at",
        "entered_at",
        "entered_by",
        "escalated_at",
        "index",
        "outcome",
        "stage",
    )

    def __init__(
        self, stage: Stage, index: int, entered_at: datetime, entered_by: str | None
    ) -> None:
        self.stage = stage
        self.index = index
        self.entered_at = entered_at
        self.entered_by = entered_by
        self.concluded_at: datetime | None = None
        self.outcome: Outcome | None = None
        self.escalated_at: datetime | None = None
        """When an explicit escalation into this stage was recorded."""


class _Occurrence(NamedTuple):
    """One time a duty became due."""

    duty: Duty
    at: datetime
    side: Side
    stage: str | None


class _InForce:
    """When one urgency rule was in force: intervals that never overlap, in time order.

    Interval i runs from ``starts[i]`` to ``ends[i]``; the last one has no end
    while ``ends`` is one shorter than ``starts`` (the rule is still in force).
    Both lists are sorted, so what was in force when is found by bisection.
    """

    __slots__ = ("ends", "rule", "starts")

    def __init__(self, rule: UrgencyRule) -> None:
        self.rule = rule
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []

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

    def at(self, moment: datetime) -> bool:
        """Whether the rule was in force at ``moment``."""
        last = bisect_right(self.starts, moment) - 1  # the last interval begun by then
        return last >= 0 and (last == len(self.ends) or moment < self.ends[last])


class _Case:
    """The picture of the case the pass builds."""

    __slots__ = (
        "absences",
        "agreed",
        "by_kind",
        "calendar",
        "closed_at",
        "combined",
        "concern",
        "exclusion",
        "immediate",
        "index",
        "ladder",
        "occurrences",
        "policy",
        "positions",
        "reached",
        "risk",
        "seen",
        "status",
        "urgency",
        "warned",
        "warnings",
    )

    def __init__(self, policy: Policy, index: _PolicyIndex, concern: ConcernRaised) -> None:
        self.policy = policy
        self.index = index
        self.calendar = index.calendar
        self.concern = concern
        self.ladder, self.positions = index.ladders.get(concern.nature) or index.ladders[None]
        self.status = _STATUS_OPEN
        self.closed_at: datetime | None = None
        self.reached: list[_Reached] = []
        self.occurrences: list[_Occurrence] = []
        self.urgency: dict[str, _InForce] = {}
        """When each urgency rule the case met was in force, by rule id."""
        self.risk: str | None = None
        self.absences: list[RoleHolderAbsent] = []
        self.combined: dict[Side, set[str]] = {}
        self.agreed: dict[str, list[TimescaleAgreed]] = {}
        """Timescales agreed per stage, in time order."""
        self.immediate: list[tuple[UrgencyRule, datetime]] = []
        self.seen: list[AnyEvent] = []
        self.by_kind: dict[str, list[AnyEvent]] = {}
        """The events seen, by kind, in time order (what discharges a duty is looked up here)."""
        self.warnings: list[Notice] = []
        self.warned: set[Notice] = set()
        self.exclusion: Exclusion | None = None

    @property
    def current(self) -> _Reached:
        return self.reached[-1]

    def warn(self, code: WarningCode, message: str, event: AnyEvent | None = None) -> None:
        notice = Notice(code=code, message=message, event=None if event is None else event.id)
        if notice not in self.warned:  # the same absence is met once per action
            self.warned.add(notice)
            self.warnings.append(notice)


def run(policy: Policy, history: CaseHistory, as_of: datetime) -> Evaluation:
    """Evaluate; see `challenge_rules.evaluate.evaluate`."""
    index = _index_policy(policy)
    calendar = index.calendar
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise CalendarError(
            message="as_of has no UTC offset",
            value=as_of.isoformat(),
            expected="a timestamp with an offset, such as 2026-06-08T09:30:00+01:00",
            hint="evaluate needs to know which day it is in the policy's time zone",
        )
    concern = check_history(policy, history)
    # Local time with the shared tzinfo: compared with event times quickly (see shared_offset).
    moment = calendar.local_time(as_of)
    if concern.at > moment:
        raise InvalidHistory(
            problems=(
                Problem(
                    message=f"the concern was raised at {concern.at.isoformat()}, after as_of",
                    path=(),
                    event=concern.id,
                    expected=f"as_of ({as_of.isoformat()}) at or after the concern",
                ),
            ),
        )
    case = _Case(policy, index, concern)
    if history.policy is not None and history.policy != policy.id:
        case.warn(
            "policy_mismatch",
            f"the history names policy {history.policy!r} but is evaluated under {policy.id!r}",
        )
    for event in sorted(_fixed_offsets(history.events), key=event_order):
        if event.at > moment:
            case.warn(
                "after_as_of",
                f"{event.kind} at {event.at.isoformat()} is later than as_of: ignored",
                event,
            )
            continue
        _apply(case, event)
    return _result(case, history, as_of, moment)


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


def _is_shared(event: AnyEvent) -> bool:
    if not is_shared_offset(event.at):
        return False
    recorded = event.recorded_at
    if recorded is not None and not is_shared_offset(recorded):
        return False
    due = getattr(event, "due", None)
    return due is None or is_shared_offset(due)


def _restated(event: AnyEvent) -> AnyEvent:
    changes: dict[str, Any] = {
        name: shared_offset(moment)
        for name in ("at", "recorded_at", "due")
        if (moment := getattr(event, name, None)) is not None
    }
    return attrs.evolve(event, **changes)


# -- the pass ---------------------------------------------------------------


def _apply(case: _Case, event: AnyEvent) -> None:
    kind = event.kind
    if kind == "concern_raised":
        _start(case, event)  # type: ignore[arg-type]
        return
    if kind in _LADDER_KINDS and event.at < case.concern.at:
        case.warn("before_concern", f"{kind} is dated before the concern: ignored", event)
        return
    case.seen.append(event)
    found = case.by_kind.get(kind)
    if found is None:
        case.by_kind[kind] = [event]
    else:
        found.append(event)
    handle = _HANDLERS.get(kind)
    if handle is not None:
        handle(case, event)
    duties = case.index.event_duties.get(kind)
    if duties:
        for duty in duties:
            match = duty.trigger.event
            if match is not None and _matches(match, event):
                _occur(case, duty, event.at, getattr(event, "stage", None))


def _absence(case: _Case, event: RoleHolderAbsent) -> None:
    case.absences.append(event)


def _combined(case: _Case, event: RolesCombined) -> None:
    case.combined.setdefault(event.side, set()).update(event.roles)


def _agreed(case: _Case, event: TimescaleAgreed) -> None:
    case.agreed.setdefault(event.stage, []).append(event)


def _closed_by_system(case: _Case, event: CaseClosed) -> None:
    _close(case, _CLOSING[event.reason], event)


def _redirected(case: _Case, event: Redirected) -> None:
    _close(case, _STATUS_REDIRECTED, event)


def _start(case: _Case, concern: ConcernRaised) -> None:
    policy = case.policy
    if not any(concern.nature in t.natures for t in policy.tracks):
        for exclusion in policy.scope.exclusions:
            if concern.nature in exclusion.natures:
                case.exclusion = exclusion
                case.status = _STATUS_NOT_APPLICABLE
                case.closed_at = concern.at
                return
    _fire(case, _TRIGGER_CONCERN_RAISED, None, concern.at)
    _enter(case, 0, concern.at, concern.id)


def _enter(case: _Case, index: int, at: datetime, event_id: str | None) -> None:
    case.reached.append(_Reached(case.ladder[index], index, at, event_id))
    _fire(case, _TRIGGER_STAGE_ENTERED, case.ladder[index].id, at)


def _conclude(case: _Case, reached: _Reached, outcome: Outcome, at: datetime) -> None:
    reached.concluded_at = at
    reached.outcome = outcome
    stage_id = reached.stage.id
    _fire(case, _TRIGGER_STAGE_CONCLUDED, stage_id, at)
    if outcome is _OUTCOME_RESOLVED:
        _fire(case, _TRIGGER_STAGE_RESOLVED, stage_id, at)
    elif outcome is _OUTCOME_UNRESOLVED:
        _fire(case, _TRIGGER_STAGE_UNRESOLVED, stage_id, at)


def _index(case: _Case, stage_id: str) -> int:
    return case.positions[stage_id]  # check_history vouches every stage id is on the ladder


def _closed(case: _Case, event: AnyEvent) -> bool:
    if case.closed_at is None:
        return False
    case.warn(
        "after_closure",
        f"{event.kind} comes after the case was closed ({case.status.value}): ignored",
        event,
    )
    return True


def _move_to(case: _Case, target: int, at: datetime, event: AnyEvent) -> None:
    """Advance the ladder to ``target`` (a later stage), warning of skipped stages.

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
        _conclude(case, current, _OUTCOME_UNRESOLVED, at)
    first = current.index if only_entered else current.index + 1
    skipped = [s for s in case.ladder[first:target] if not s.optional]
    if skipped and not _skip_allowed(case, target, at):
        names = ", ".join(s.name for s in skipped)
        case.warn("stage_skipped", f"went to {case.ladder[target].name}, skipping {names}", event)
    _enter(case, target, at, event.id)


def _skip_allowed(case: _Case, target: int, at: datetime) -> bool:
    stage_id = case.ladder[target].id
    return any(f.rule.skip_to == stage_id and f.at(at) for f in case.urgency.values())


def _discussion(case: _Case, event: DiscussionHeld) -> None:
    if _closed(case, event):
        return
    target = _index(case, event.stage)
    current = case.current
    if target < current.index:
        case.warn(
            "out_of_order",
            f"outcome recorded for {case.ladder[target].name}, which the case has left: ignored",
            event,
        )
        return
    if target == current.index and current.concluded_at is not None:
        case.warn(
            "duplicate_outcome",
            f"{current.stage.name} already concluded ({current.outcome}): ignored",
            event,
        )
        return
    if target > current.index:
        _move_to(case, target, event.at, event)
    reached = case.current
    _conclude(case, reached, event.outcome, event.at)
    if event.outcome is _OUTCOME_RESOLVED:
        _close(case, _STATUS_RESOLVED, event)
    elif event.outcome is _OUTCOME_WITHDRAWN:
        _close(case, _STATUS_WITHDRAWN, event)
    else:
        _after_unresolved(case, reached, event)


def _after_unresolved(case: _Case, reached: _Reached, event: AnyEvent) -> None:
    escalation = reached.stage.on_unresolved
    if escalation is None:
        case.warn(
            "ladder_ended",
            f"{reached.stage.name} is the last stage and ended unresolved"
            + (f": {reached.stage.final_note}" if reached.stage.final_note else ""),
            event,
        )
        return
    target = reached.index + 1 if escalation.to is None else _index(case, escalation.to)
    case.reached.append(_Reached(case.ladder[target], target, event.at, event.id))
    _fire(case, _TRIGGER_STAGE_ENTERED, case.ladder[target].id, event.at)


def _escalation(case: _Case, event: Escalated) -> None:
    if _closed(case, event):
        return
    target = _index(case, event.to_stage)
    current = case.current
    if target < current.index or (target == current.index and current.escalated_at is not None):
        case.warn(
            "out_of_order",
            f"escalation to {case.ladder[target].name}, which the case has already reached: "
            "ignored",
            event,
        )
        return
    if target == current.index:
        current.escalated_at = event.at
        return
    _move_to(case, target, event.at, event)
    case.current.escalated_at = event.at


def _risk(case: _Case, event: RiskAssessed) -> None:
    case.risk = event.level
    for rule in case.policy.urgency:
        in_force = case.urgency.get(rule.id)
        active = in_force is not None and in_force.active
        if event.level not in rule.risks:
            if active:
                in_force.ends.append(event.at)  # type: ignore[union-attr]
            continue
        if active:
            continue
        if in_force is None:
            in_force = case.urgency[rule.id] = _InForce(rule)
        in_force.starts.append(event.at)
        case.immediate.append((rule, event.at))


def _close(case: _Case, status: Status, event: AnyEvent) -> None:
    # A matter found out of scope may still be recorded as taken elsewhere.
    if case.closed_at is not None and not (
        case.status is _STATUS_NOT_APPLICABLE and status is _STATUS_REDIRECTED
    ):
        return
    case.status = status
    case.closed_at = event.at


def _fire(case: _Case, kind: TriggerKind, stage: str | None, at: datetime) -> None:
    duties = case.index.duties.get((kind, stage))
    if duties:
        for duty in duties:
            _occur(case, duty, at, stage)


def _occur(case: _Case, duty: Duty, at: datetime, stage: str | None) -> None:
    side = duty.who.side
    if side is _SIDE_EACH:
        case.occurrences.append(_Occurrence(duty, at, _SIDE_RAISING, stage))
        case.occurrences.append(_Occurrence(duty, at, _SIDE_RECEIVING, stage))
    else:
        case.occurrences.append(_Occurrence(duty, at, side, stage))


def _matches(match: EventMatch, event: AnyEvent) -> bool:
    if event.kind != match.kind:
        return False
    for key, wanted in match.where.items():
        value = getattr(event, key, None)
        if value != wanted and not (isinstance(wanted, tuple) and value in wanted):
            return False
    return True


def _at(event: AnyEvent) -> datetime:
    return event.at


def _discharged_at(
    case: _Case, match: EventMatch, since: datetime, stage: str | None, side: Side | None
) -> datetime | None:
    """When the first event discharging an item due from ``since`` was recorded.

    An item of a stage is discharged by an event naming that stage or none; on
    a side, by one naming that side, each side or none.
    """
    events = case.by_kind.get(match.kind)
    if events is None:
        return None
    # The events of a kind are in time order: start the scan at ``since``.
    for position in range(bisect_left(events, since, key=_at), len(events)):
        event = events[position]
        if not _matches(match, event):
            continue
        event_stage = getattr(event, "stage", None)
        if stage is not None and event_stage is not None and event_stage != stage:
            continue
        event_side = getattr(event, "side", None)
        if (
            side in (_SIDE_RAISING, _SIDE_RECEIVING)
            and isinstance(event_side, Side)
            and event_side not in (side, _SIDE_EACH)
        ):
            continue
        return event.at
    return None


_HANDLERS: dict[str, Callable[[_Case, Any], None]] = {
    "discussion_held": _discussion,
    "escalated": _escalation,
    "risk_assessed": _risk,
    "role_holder_absent": _absence,
    "roles_combined": _combined,
    "timescale_agreed": _agreed,
    "case_closed": _closed_by_system,
    "redirected": _redirected,
}
"""What each kind of event does to the picture, beyond being seen (None: nothing)."""


# -- building the result ----------------------------------------------------

_Who = tuple[tuple[str, Side], ...]
"""Who must act, as (role, side) pairs: a policy's ``each`` side already split in two."""


def _pairs(actors: Iterable[Actor]) -> _Who:
    pairs: list[tuple[str, Side]] = []
    for actor in actors:
        if actor.side is _SIDE_EACH:
            pairs += [(actor.role, _SIDE_RAISING), (actor.role, _SIDE_RECEIVING)]
        else:
            pairs.append((actor.role, actor.side))
    return tuple(pairs)


class _Builder:
    """Collects the actions and breaches of one evaluation."""

    __slots__ = (
        "actions",
        "addressees",
        "agencies",
        "as_of",
        "breaches",
        "case",
        "contacts",
        "today",
    )

    def __init__(self, case: _Case, as_of: datetime, today: date) -> None:
        self.case = case
        self.as_of = as_of
        """``as_of`` with a fixed offset."""
        self.today = today
        self.actions: list[Action] = []
        self.breaches: list[Breach] = []
        self.addressees: dict[tuple[str, Side, str | None], Addressee] = {}
        concern = case.concern
        self.agencies = {
            _SIDE_RAISING: concern.raising.agency,
            _SIDE_RECEIVING: concern.receiving.agency,
        }
        self.contacts = case.index.area_contacts.get(concern.area, {})

    def add(  # noqa: PLR0913, PLR0917 - positional for speed; each names a part of the action
        self,
        action_id: str,
        kind: ActionKind,
        what: str,
        who: _Who,
        who_stage: str | None,
        clause: str,
        due: Deadline | None,
        done_at: datetime | None,
        urgent: bool,
        stage: str | None,
        contacts: tuple[str, ...],
        forms: tuple[str, ...],
    ) -> None:
        """Record an action: required if not done, a breach if (it was) late.

        Who acts is worked out (absences, fallbacks) only for an action that is
        required or was late: it is wasted on what was done in time.
        """
        addressees = None
        if due is not None:
            until = self.as_of if done_at is None else done_at
            # Only a moment after the instant can be late (lateness decides):
            # deadline instants and event times have fixed offsets (see run), so
            # comparing them is exact.
            if until > due.at:
                late = self.case.calendar.lateness(due, until)
                if late is not None:
                    addressees = self.who(who, who_stage)
                    self.breaches.append(
                        Breach(
                            action_id,
                            kind,
                            what,
                            addressees,
                            self.case.index.citations[clause],
                            due,
                            late,
                            done_at,
                            stage,
                        )
                    )
        if done_at is None:
            self.actions.append(
                Action(
                    action_id,
                    kind,
                    what,
                    self.who(who, who_stage) if addressees is None else addressees,
                    self.case.index.citations[clause],
                    due,
                    urgent,
                    stage,
                    self.contacts[contacts] if contacts else (),
                    forms,
                )
            )

    def who(self, pairs: _Who, stage_id: str | None) -> tuple[Addressee, ...]:
        if not self.case.absences:  # no fallback can apply: the role holders themselves
            if len(pairs) == 1:
                ((role, side),) = pairs
                return (_present(self, role, side),)
            return tuple(_present(self, role, side) for role, side in pairs)
        return tuple(_addressee(self, role, side, stage_id) for role, side in pairs)


def _result(case: _Case, history: CaseHistory, as_of: datetime, moment: datetime) -> Evaluation:
    builder = _Builder(case, moment, case.calendar.local_date(moment))
    reached = case.reached
    dues = [_stage_due(case, r, i) for i, r in enumerate(reached)]
    if case.exclusion is not None:
        _redirect_action(builder, case.exclusion)
    else:
        _stage_actions(builder, dues)
        if case.occurrences:
            _duty_actions(builder)
        if case.combined:
            _support_actions(builder)
    if case.immediate:
        _immediate_actions(builder)
    actions = builder.actions
    if len(actions) > 1:
        actions.sort(key=_action_order(moment))
    breaches = builder.breaches
    if len(breaches) > 1:
        breaches.sort(key=_breach_order)
    return Evaluation(
        history.reference,
        case.policy.id,
        case.policy.version,
        as_of,
        case.status,
        reached[-1].stage.id if reached else None,
        tuple(
            StageRecord(r.stage.id, r.stage.name, r.entered_at, due, r.concluded_at, r.outcome)
            for r, due in zip(reached, dues, strict=True)
        ),
        tuple(actions),
        tuple(breaches),
        tuple(case.warnings),
        case.risk,
        _urgent_now(case),
    )


def _urgent_now(case: _Case) -> bool:
    """Whether an urgency rule in force covers the stage an open case is at."""
    if not case.urgency or case.closed_at is not None or not case.reached:
        return False
    stage_id = case.current.stage.id
    return any(
        f.active and (not f.rule.stages or stage_id in f.rule.stages) for f in case.urgency.values()
    )


def _action_order(moment: datetime) -> Callable[[Action], tuple[object, ...]]:
    def order(action: Action) -> tuple[object, ...]:
        # Immediate safeguarding actions first, then other urgent ones, then by due date.
        due = action.due
        return (
            action.kind != "urgent",
            not action.urgent,
            due is None,
            moment if due is None else due.at,
            action.id,
        )

    return order


def _breach_order(breach: Breach) -> tuple[datetime, str]:
    return (breach.due.at, breach.id)


def _before(first: Deadline, second: Deadline) -> bool:
    return first.at < second.at  # fixed offsets (see run): exact


def _redirect_action(builder: _Builder, exclusion: Exclusion) -> None:
    concern = builder.case.concern
    who = ((concern.raising.role, _SIDE_RAISING),)
    builder.who(who, None)  # says so if no one is available to act (a warning)
    if builder.case.status is _STATUS_REDIRECTED:
        return
    builder.add(
        f"redirect:{exclusion.id}",
        "redirect",
        exclusion.instead,
        who,
        None,
        exclusion.clause,
        None,
        None,
        False,
        None,
        (),
        (),
    )


def _anchor(case: _Case, reached: _Reached, position: int) -> datetime:
    anchor = reached.stage.counts_from
    if anchor is _ANCHOR_CONCERN:
        return case.concern.at
    if anchor is _ANCHOR_PREVIOUS_STAGE_CONCLUDED and position > 0:
        previous = case.reached[position - 1]
        if previous.concluded_at is not None:
            return previous.concluded_at
    return reached.entered_at


def _stage_due(case: _Case, reached: _Reached, position: int) -> Deadline | None:
    stage = reached.stage
    timescale = stage.timescale
    due = None
    if timescale is not None:
        due = case.calendar.deadline(_anchor(case, reached, position), timescale)
        notified = reached.escalated_at
        if (
            notified is not None
            and stage.counts_from is _ANCHOR_ESCALATED
            # Counted from the notification, unless that came after the deadline had
            # passed: a late escalation must not make a breach disappear.
            and notified < due.at
        ):
            due = case.calendar.deadline(notified, timescale)
    if case.agreed:
        due = _agreed_due(case, stage.id, due)
    if case.urgency:
        # Urgency counts from when the stage was open, whatever its clock counts from.
        due = _urgent_due(case, stage.id, reached.entered_at, reached.concluded_at, due)
    return due


def _agreed_due(case: _Case, stage_id: str, due: Deadline | None) -> Deadline | None:
    mode = case.policy.agreed_timescales
    if mode is _AGREED_IGNORED:
        return due
    for agreement in case.agreed.get(stage_id, ()):
        agreed_due = Deadline(at=agreement.due, day=None)
        if due is None or _before(agreed_due, due):
            due = agreed_due
        elif mode is _AGREED_REPLACES and agreement.at < due.at:
            # Replacing may lengthen a timescale, but never revives one already
            # missed: breaches must not vanish as a case goes on.
            due = agreed_due
    return due


def _urgency_for(
    case: _Case, stage_id: str | None, start: datetime, until: datetime | None
) -> Iterator[tuple[UrgencyRule, datetime]]:
    """The urgency rules in force for an item open from ``start`` to ``until``."""
    for in_force in case.urgency.values():
        rule = in_force.rule
        if rule.stages and stage_id not in rule.stages:
            continue
        # Deadlines only move later with their anchor: the first moment in force is enough.
        since = in_force.first_in(start, until)
        if since is not None:
            yield rule, since


def _urgent_due(
    case: _Case,
    stage_id: str | None,
    anchor: datetime,
    until: datetime | None,
    due: Deadline | None,
) -> Deadline | None:
    for rule, since in _urgency_for(case, stage_id, anchor, until):
        if rule.timescale is None:
            continue
        shorter = case.calendar.deadline(since, rule.timescale)
        if due is None or _before(shorter, due):
            due = shorter
    return due


def _is_urgent(case: _Case, stage_id: str | None, start: datetime, until: datetime | None) -> bool:
    return bool(case.urgency) and any(True for _ in _urgency_for(case, stage_id, start, until))


def _stage_actions(builder: _Builder, dues: list[Deadline | None]) -> None:
    case = builder.case
    plans = case.index.stage_plans
    closed_at = case.closed_at
    previous = None
    reached_list = case.reached
    for position, reached in enumerate(reached_list):
        stage = reached.stage
        stage_id = stage.id
        plan = plans[stage_id]
        done_at = reached.concluded_at
        if done_at is None:
            done_at = closed_at
        builder.add(
            plan.action_id,
            "stage",
            stage.action,
            plan.who,
            stage_id,
            plan.clause,
            dues[position],
            done_at,
            _is_urgent(case, stage_id, reached.entered_at, done_at),
            stage_id,
            stage.contacts,
            stage.forms,
        )
        if previous is not None and previous.outcome is _OUTCOME_UNRESOLVED:
            following = reached_list[position + 1] if position + 1 < len(reached_list) else None
            _escalation_action(builder, previous, reached, following)
        previous = reached


def _escalation_action(
    builder: _Builder, previous: _Reached, reached: _Reached, following: _Reached | None
) -> None:
    """The duty to escalate out of ``previous`` into ``reached`` (``following``: the next)."""
    escalation = previous.stage.on_unresolved
    if escalation is None:
        return
    case = builder.case
    since = previous.concluded_at or reached.entered_at
    # Done by the first of: an escalation into the next stage, a discussion held
    # there, or the case going further. A later record cannot undo an earlier one.
    done = [
        reached.escalated_at,
        None if following is None else following.entered_at,
        _discharged_at(case, _DISCUSSION, since, reached.stage.id, None),
    ]
    done_at = min((at for at in done if at is not None), default=case.closed_at)
    due = None
    if escalation.timescale is not None:
        due = case.calendar.deadline(since, escalation.timescale)
    previous_id = previous.stage.id
    if case.urgency:
        due = _urgent_due(case, previous_id, since, done_at, due)
    plan = case.index.stage_plans[previous_id]
    builder.add(
        plan.escalate_id,
        "escalation",
        escalation.action,
        plan.escalate_who,
        previous_id,
        escalation.clause,
        due,
        done_at,
        _is_urgent(case, previous_id, since, done_at),
        reached.stage.id,
        escalation.contacts,
        escalation.forms,
    )


def _duty_actions(builder: _Builder) -> None:
    case = builder.case
    calendar = case.calendar
    counts: dict[str, int] = {}
    for duty, at, side, stage in case.occurrences:
        done_at = _discharged_at(case, duty.discharged_by, at, stage, side)
        key = f"duty:{duty.id}@{stage or 'case'}"
        if duty.who.side is _SIDE_EACH:
            key += f":{side}"
        count = counts[key] = counts.get(key, 0) + 1
        if count > 1:
            key += f"#{count}"
        builder.add(
            key,
            "duty",
            duty.action,
            ((duty.who.role, side),),
            stage,
            duty.clause,
            None if duty.timescale is None else calendar.deadline(at, duty.timescale),
            done_at,
            False,
            stage,
            duty.contacts,
            duty.forms,
        )


def _immediate_actions(builder: _Builder) -> None:
    case = builder.case
    activations: dict[str, int] = {}
    for rule, since in case.immediate:
        activations[rule.id] = count = activations.get(rule.id, 0) + 1
        suffix = f"#{count}" if count > 1 else ""  # a rule can be activated more than once
        # Not done, it lapses when the rule stops (the risk reassessed at a level
        # the rule does not name) or the case is closed: then it is no longer
        # needed. A matter out of scope keeps it: no procedure took the risk on.
        lapsed = [case.urgency[rule.id].end_of(since)]
        if case.status is not _STATUS_NOT_APPLICABLE:
            lapsed.append(case.closed_at)
        lapsed_at = min((at for at in lapsed if at is not None), default=None)
        for spec in rule.immediate_actions:
            done_at = _discharged_at(case, spec.discharged_by, since, None, None)
            if done_at is None:
                done_at = lapsed_at
            builder.add(
                f"urgent:{rule.id}:{spec.id}{suffix}",
                "urgent",
                spec.action,
                _pairs((spec.who,)),
                None,
                rule.clause,
                None,
                done_at,
                True,
                None,
                spec.contacts,
                (),
            )


def _support_actions(builder: _Builder) -> None:
    """Support a person holding two roles must seek (e.g. a DSL who is also line manager)."""
    case = builder.case
    if case.closed_at is not None or not case.reached:
        return
    current = case.current
    if current.concluded_at is not None:
        return
    stage_id = current.stage.id
    for fallback in case.index.support_fallbacks:
        when, then = fallback.when, fallback.then
        if fallback.stages and stage_id not in fallback.stages:
            continue
        for side in (_SIDE_RAISING, _SIDE_RECEIVING):
            if fallback.side is not None and fallback.side is not side:
                continue
            held = case.combined.get(side, set())
            if fallback.role not in held or when.also_holds not in held:
                continue
            if when.sectors and _sector(case, side) not in when.sectors:
                continue
            names = " or ".join(_role_name(case, r) for r in then.seek_support_from)
            builder.add(
                f"support:{fallback.id}:{side}",
                "support",
                f"Seek support from the {names}",
                ((fallback.role, side),),
                stage_id,
                fallback.clause,
                None,
                None,
                False,
                stage_id,
                (),
                (),
            )


# -- who acts ---------------------------------------------------------------


def _sector(case: _Case, side: Side) -> str | None:
    if side is _SIDE_RAISING:
        return case.concern.raising.sector
    if side is _SIDE_RECEIVING:
        return case.concern.receiving.sector
    return None


def _agency(builder: _Builder, side: Side) -> str | None:
    agency = builder.agencies.get(side)
    if agency is not None:
        return agency
    case = builder.case
    area = case.concern.area
    for partnership in case.policy.partnerships:
        if partnership.id == area:
            return partnership.name
    return None


def _role_name(case: _Case, role_id: str) -> str:
    return case.index.role_names.get(role_id, role_id)


def _absent(case: _Case, side: Side, role: str, day: date) -> bool:
    return any(
        a.side in (side, _SIDE_EACH) and a.role == role and a.start <= day <= a.end
        for a in case.absences
    )


_MAX_CACHED_ADDRESSEES = 4096


def _present(builder: _Builder, role: str, side: Side) -> Addressee:
    """The role holder themself (no fallback), shared between cases: agencies recur."""
    agency = _agency(builder, side)
    cache = builder.case.index.addressees
    key = (role, side, agency)
    found = cache.get(key)
    if found is None:
        found = Addressee(role, builder.case.index.role_names.get(role, role), side, agency)
        if len(cache) >= _MAX_CACHED_ADDRESSEES:
            cache.clear()  # a bound on memory; refilling is cheap
        cache[key] = found
    return found


def _addressee(builder: _Builder, role: str, side: Side, stage_id: str | None) -> Addressee:
    key = (role, side, stage_id)
    found = builder.addressees.get(key)
    if found is None:
        found = builder.addressees[key] = _find_addressee(builder, role, side, stage_id)
    return found


def _find_addressee(builder: _Builder, role: str, side: Side, stage_id: str | None) -> Addressee:
    case, day = builder.case, builder.today
    if not _absent(case, side, role, day):
        return _present(builder, role, side)
    agency = _agency(builder, side)
    for fallback in case.index.absence_fallbacks.get(role, ()):
        if fallback.side is not None and fallback.side is not side:
            continue
        if fallback.stages and stage_id not in fallback.stages:
            continue
        if fallback.when.sectors and _sector(case, side) not in fallback.when.sectors:
            continue
        for substitute in fallback.then.substitutes:
            if not _absent(case, side, substitute, day):
                return Addressee(
                    substitute,
                    _role_name(case, substitute),
                    side,
                    agency,
                    instead_of=_role_name(case, role),
                    fallback=fallback.id,
                )
    case.warn(
        "no_one_available",
        f"the {_role_name(case, role)} ({side} side) is absent on "
        f"{day.isoformat()} and the policy names no one available to stand in",
    )
    return Addressee(role, _role_name(case, role), side, agency, available=False)
