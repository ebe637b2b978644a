"""How `challenge_rules.evaluate` works: one pass over the events, then the dues.

The pass walks the events in time order and builds a small mutable picture of
the case (the stages reached, duty occurrences, absences, risk); everything
returned is then built from that picture as frozen values.  Nothing here reads
a clock or keeps state between calls.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from attrs import define, field, frozen

from challenge_rules._history_checks import check_history, event_order
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
    from collections.abc import Iterable, Iterator

_LADDER_EVENTS = (DiscussionHeld, Escalated)
_CLOSING = {
    "resolved": Status.RESOLVED,
    "withdrawn": Status.WITHDRAWN,
    "other": Status.CLOSED,
}


@frozen
class _PolicyIndex:
    """What the engine looks up in a policy, built once per policy."""

    calendar: WorkingCalendar
    citations: dict[str, Citation]
    role_names: dict[str, str]
    duties: dict[TriggerKind, tuple[Duty, ...]]
    absence_fallbacks: dict[str, tuple[Fallback, ...]]
    support_fallbacks: tuple[Fallback, ...]
    contacts: dict[tuple[tuple[str, ...], str | None], tuple[ContactDetails, ...]]
    """The contacts for each list of purposes the policy names, per area."""


def _contact_table(
    policy: Policy,
) -> dict[tuple[tuple[str, ...], str | None], tuple[ContactDetails, ...]]:
    lists = {stage.contacts for stage in policy.all_stages()}
    lists.update(s.on_unresolved.contacts for s in policy.all_stages() if s.on_unresolved)
    lists.update(duty.contacts for duty in policy.duties)
    lists.update(a.contacts for rule in policy.urgency for a in rule.immediate_actions)
    areas: list[str | None] = [None, *(p.id for p in policy.partnerships)]
    return {
        (purposes, area): tuple(
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
    duties: dict[TriggerKind, list[Duty]] = {}
    for duty in policy.duties:
        duties.setdefault(duty.trigger.on, []).append(duty)
    absence: dict[str, list[Fallback]] = {}
    for fallback in policy.fallbacks:
        if fallback.when.absent:
            absence.setdefault(fallback.role, []).append(fallback)
    return _PolicyIndex(
        contacts=_contact_table(policy),
        calendar=policy.working_calendar(),
        citations=citations,
        role_names={r.id: r.name for r in policy.roles},
        duties={kind: tuple(found) for kind, found in duties.items()},
        absence_fallbacks={role: tuple(found) for role, found in absence.items()},
        support_fallbacks=tuple(
            f
            for f in policy.fallbacks
            if f.when.also_holds is not None and f.then.seek_support_from
        ),
    )


@define
class _Reached:
    """A stage the case reached (mutable while the pass runs)."""

    stage: Stage
    index: int
    entered_at: datetime
    entered_by: str | None
    concluded_at: datetime | None = None
    outcome: Outcome | None = None
    escalated_at: datetime | None = None
    """When an explicit escalation into this stage was recorded."""


@define
class _Occurrence:
    """One time a duty became due."""

    duty: Duty
    at: datetime
    side: Side
    stage: str | None
    done_at: datetime | None = None


@define
class _Interval:
    rule: UrgencyRule
    start: datetime
    end: datetime | None = None


@define
class _Case:
    """The picture of the case the pass builds."""

    policy: Policy
    index: _PolicyIndex
    calendar: WorkingCalendar
    concern: ConcernRaised
    ladder: tuple[Stage, ...]
    positions: dict[str, int]
    status: Status = Status.OPEN
    closed_at: datetime | None = None
    reached: list[_Reached] = field(factory=list)
    occurrences: list[_Occurrence] = field(factory=list)
    urgency: list[_Interval] = field(factory=list)
    risk: str | None = None
    absences: list[RoleHolderAbsent] = field(factory=list)
    combined: dict[Side, set[str]] = field(factory=dict)
    agreed: dict[str, list[TimescaleAgreed]] = field(factory=dict)
    """Timescales agreed per stage, in time order."""
    immediate: list[tuple[UrgencyRule, datetime]] = field(factory=list)
    seen: list[AnyEvent] = field(factory=list)
    by_kind: dict[str, list[AnyEvent]] = field(factory=dict)
    """The events seen, by kind, in time order (what discharges a duty is looked up here)."""
    warnings: list[Notice] = field(factory=list)
    exclusion: Exclusion | None = None

    @property
    def current(self) -> _Reached:
        return self.reached[-1]

    def warn(self, code: WarningCode, message: str, event: AnyEvent | None = None) -> None:
        notice = Notice(code=code, message=message, event=None if event is None else event.id)
        if notice not in self.warnings:  # the same absence is met once per action
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
    if concern.at > as_of:
        raise InvalidHistory(
            kind="case history",
            problems=(
                Problem(
                    message=f"the concern was raised at {concern.at.isoformat()}, after as_of",
                    pointer="",
                    event=concern.id,
                    expected=f"as_of ({as_of.isoformat()}) at or after the concern",
                ),
            ),
        )
    ladder = policy.ladder(concern.nature)
    case = _Case(
        policy=policy,
        index=index,
        calendar=calendar,
        concern=concern,
        ladder=ladder,
        positions={stage.id: i for i, stage in enumerate(ladder)},
    )
    if history.policy is not None and history.policy != policy.id:
        case.warn(
            "policy_mismatch",
            f"the history names policy {history.policy!r} but is evaluated under {policy.id!r}",
        )
    for event in sorted(history.events, key=event_order):
        if event.at > as_of:
            case.warn(
                "after_as_of",
                f"{event.kind} at {event.at.isoformat()} is later than as_of: ignored",
                event,
            )
            continue
        _apply(case, event)
    return _result(case, history, as_of)


# -- the pass ---------------------------------------------------------------


def _apply(case: _Case, event: AnyEvent) -> None:  # noqa: C901 - one branch per event kind
    if isinstance(event, ConcernRaised):
        _start(case, event)
        return
    if isinstance(event, _LADDER_EVENTS) and event.at < case.concern.at:
        case.warn("before_concern", f"{event.kind} is dated before the concern: ignored", event)
        return
    case.seen.append(event)
    case.by_kind.setdefault(event.kind, []).append(event)
    match event:
        case DiscussionHeld():
            _discussion(case, event)
        case Escalated():
            _escalation(case, event)
        case RiskAssessed():
            _risk(case, event)
        case RoleHolderAbsent():
            case.absences.append(event)
        case RolesCombined():
            case.combined.setdefault(event.side, set()).update(event.roles)
        case TimescaleAgreed():
            case.agreed.setdefault(event.stage, []).append(event)
        case CaseClosed():
            _close(case, _CLOSING[event.reason], event)
        case Redirected():
            _close(case, Status.REDIRECTED, event)
        case _:
            pass
    _fire_event_duties(case, event)


def _start(case: _Case, concern: ConcernRaised) -> None:
    policy = case.policy
    if not any(concern.nature in t.natures for t in policy.tracks):
        for exclusion in policy.scope.exclusions:
            if concern.nature in exclusion.natures:
                case.exclusion = exclusion
                case.status = Status.NOT_APPLICABLE
                case.closed_at = concern.at
                return
    _fire(case, TriggerKind.CONCERN_RAISED, None, concern.at)
    _enter(case, 0, concern.at, concern.id)


def _enter(case: _Case, index: int, at: datetime, event_id: str | None) -> None:
    case.reached.append(_Reached(case.ladder[index], index, at, event_id))
    _fire(case, TriggerKind.STAGE_ENTERED, case.ladder[index].id, at)


def _conclude(case: _Case, reached: _Reached, outcome: Outcome, at: datetime) -> None:
    reached.concluded_at = at
    reached.outcome = outcome
    stage_id = reached.stage.id
    _fire(case, TriggerKind.STAGE_CONCLUDED, stage_id, at)
    if outcome is Outcome.RESOLVED:
        _fire(case, TriggerKind.STAGE_RESOLVED, stage_id, at)
    elif outcome is Outcome.UNRESOLVED:
        _fire(case, TriggerKind.STAGE_UNRESOLVED, stage_id, at)


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
    """Advance the ladder to ``target`` (a later stage), warning of skipped stages."""
    current = case.current
    if current.concluded_at is None:
        _conclude(case, current, Outcome.UNRESOLVED, at)
    skipped = [s for s in case.ladder[current.index + 1 : target] if not s.optional]
    if skipped and not _skip_allowed(case, target, at):
        names = ", ".join(s.name for s in skipped)
        case.warn("stage_skipped", f"went to {case.ladder[target].name}, skipping {names}", event)
    _enter(case, target, at, event.id)


def _skip_allowed(case: _Case, target: int, at: datetime) -> bool:
    stage_id = case.ladder[target].id
    return any(
        i.rule.skip_to == stage_id and i.start <= at and (i.end is None or at < i.end)
        for i in case.urgency
    )


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
    if event.outcome is Outcome.RESOLVED:
        _close(case, Status.RESOLVED, event)
    elif event.outcome is Outcome.WITHDRAWN:
        _close(case, Status.WITHDRAWN, event)
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
    _fire(case, TriggerKind.STAGE_ENTERED, case.ladder[target].id, event.at)


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
    active = {i.rule.id for i in case.urgency if i.end is None}
    for interval in case.urgency:
        if interval.end is None and event.level not in interval.rule.risks:
            interval.end = event.at
    for rule in case.policy.urgency:
        if event.level in rule.risks and rule.id not in active:
            case.urgency.append(_Interval(rule, event.at))
            case.immediate.append((rule, event.at))


def _close(case: _Case, status: Status, event: AnyEvent) -> None:
    # A matter found out of scope may still be recorded as taken elsewhere.
    if case.closed_at is not None and not (
        case.status is Status.NOT_APPLICABLE and status is Status.REDIRECTED
    ):
        return
    case.status = status
    case.closed_at = event.at


def _fire(case: _Case, kind: TriggerKind, stage: str | None, at: datetime) -> None:
    for duty in case.index.duties.get(kind, ()):
        trigger = duty.trigger
        if trigger.stages and stage not in trigger.stages:
            continue
        _occur(case, duty, at, stage)


def _fire_event_duties(case: _Case, event: AnyEvent) -> None:
    for duty in case.index.duties.get(TriggerKind.EVENT, ()):
        match = duty.trigger.event
        if match is not None and _matches(match, event):
            _occur(case, duty, event.at, getattr(event, "stage", None))


def _occur(case: _Case, duty: Duty, at: datetime, stage: str | None) -> None:
    sides = (Side.RAISING, Side.RECEIVING) if duty.who.side is Side.EACH else (duty.who.side,)
    case.occurrences.extend(_Occurrence(duty, at, side, stage) for side in sides)


def _matches(match: EventMatch, event: AnyEvent) -> bool:
    if event.kind != match.kind:
        return False
    for key, wanted in match.where.items():
        value = getattr(event, key, None)
        if value != wanted and not (isinstance(wanted, tuple) and value in wanted):
            return False
    return True


def _discharged_at(
    match: EventMatch,
    events: Iterable[AnyEvent],
    since: datetime,
    stage: str | None,
    side: Side | None,
) -> datetime | None:
    for event in events:
        if event.at < since or not _matches(match, event):
            continue
        event_stage = getattr(event, "stage", None)
        if stage is not None and event_stage is not None and event_stage != stage:
            continue
        event_side = getattr(event, "side", None)
        if (
            side in (Side.RAISING, Side.RECEIVING)
            and isinstance(event_side, Side)
            and event_side not in (side, Side.EACH)
        ):
            continue
        return event.at
    return None


# -- building the result ----------------------------------------------------


@define
class _Builder:
    case: _Case
    as_of: datetime
    today: date
    actions: list[Action] = field(factory=list)
    breaches: list[Breach] = field(factory=list)
    addressees: dict[tuple[str, Side, str | None], Addressee] = field(factory=dict)

    def citation(self, clause_id: str) -> Citation:
        return self.case.index.citations[clause_id]

    def contacts(self, purposes: tuple[str, ...]) -> tuple[ContactDetails, ...]:
        if not purposes:
            return ()
        return self.case.index.contacts[purposes, self.case.concern.area]

    def add(  # noqa: PLR0913 - keyword-only: each names a part of the action
        self,
        *,
        action_id: str,
        kind: ActionKind,
        what: str,
        who: tuple[Addressee, ...],
        clause: str,
        due: Deadline | None,
        done_at: datetime | None,
        urgent: bool = False,
        stage: str | None = None,
        contacts: tuple[str, ...] = (),
        forms: tuple[str, ...] = (),
    ) -> None:
        """Record an action: required if not done, a breach if (it was) late."""
        why = self.citation(clause)
        if due is not None:
            until = self.as_of if done_at is None else done_at
            late = self.case.calendar.lateness(due, until)
            if late is not None:
                self.breaches.append(
                    Breach(
                        id=action_id,
                        kind=kind,
                        what=what,
                        who=who,
                        why=why,
                        due=due,
                        late=late,
                        done_at=done_at,
                        stage=stage,
                    )
                )
        if done_at is None:
            self.actions.append(
                Action(
                    id=action_id,
                    kind=kind,
                    what=what,
                    who=who,
                    why=why,
                    due=due,
                    urgent=urgent,
                    stage=stage,
                    contacts=self.contacts(contacts),
                    forms=forms,
                )
            )


def _result(case: _Case, history: CaseHistory, as_of: datetime) -> Evaluation:
    builder = _Builder(case, as_of, case.calendar.local_date(as_of))
    dues = [_stage_due(case, r, i) for i, r in enumerate(case.reached)]
    if case.exclusion is not None:
        _redirect_action(builder, case.exclusion)
    else:
        _stage_actions(builder, dues)
        _duty_actions(builder)
        _support_actions(builder)
    _immediate_actions(builder)
    actions = sorted(
        builder.actions,
        # Immediate safeguarding actions first, then other urgent ones, then by due date.
        key=lambda a: (
            a.kind != "urgent",
            not a.urgent,
            a.due is None,
            _utc(a.due.at if a.due else as_of),
            a.id,
        ),
    )
    breaches = sorted(builder.breaches, key=lambda b: (_utc(b.due.at), b.id))
    timeline = tuple(
        StageRecord(
            stage=r.stage.id,
            name=r.stage.name,
            entered_at=r.entered_at,
            due=due,
            concluded_at=r.concluded_at,
            outcome=r.outcome,
        )
        for r, due in zip(case.reached, dues, strict=True)
    )
    return Evaluation(
        reference=history.reference,
        policy=case.policy.id,
        policy_version=case.policy.version,
        as_of=as_of,
        status=case.status,
        stage=case.current.stage.id if case.reached else None,
        timeline=timeline,
        actions=tuple(actions),
        breaches=tuple(breaches),
        warnings=tuple(case.warnings),
        risk=case.risk,
        urgent=any(i.end is None for i in case.urgency),
    )


def _utc(moment: datetime) -> datetime:
    # Aware datetimes sharing one ZoneInfo compare by wall clock, ignoring the fold.
    return moment.astimezone(UTC)


def _before(first: Deadline, second: Deadline) -> bool:
    return _utc(first.at) < _utc(second.at)


def _redirect_action(builder: _Builder, exclusion: Exclusion) -> None:
    concern = builder.case.concern
    who = (_addressee(builder, concern.raising.role, Side.RAISING, None),)
    if builder.case.status is Status.REDIRECTED:
        return
    builder.add(
        action_id=f"redirect:{exclusion.id}",
        kind="redirect",
        what=exclusion.instead,
        who=who,
        clause=exclusion.clause,
        due=None,
        done_at=None,
    )


def _anchor(case: _Case, reached: _Reached, position: int) -> datetime:
    anchor = reached.stage.counts_from
    if anchor is Anchor.CONCERN:
        return case.concern.at
    if anchor is Anchor.PREVIOUS_STAGE_CONCLUDED and position > 0:
        previous = case.reached[position - 1]
        if previous.concluded_at is not None:
            return previous.concluded_at
    return reached.entered_at


def _stage_due(case: _Case, reached: _Reached, position: int) -> Deadline | None:
    stage = reached.stage
    anchor = _anchor(case, reached, position)
    timescale = stage.timescale
    due = None if timescale is None else case.calendar.deadline(anchor, timescale)
    notified = reached.escalated_at
    if (
        due is not None
        and timescale is not None
        and stage.counts_from is Anchor.ESCALATED
        and notified is not None
        # Counted from the notification, unless that came after the deadline had
        # passed: a late escalation must not make a breach disappear.
        and _utc(notified) < _utc(due.at)
    ):
        due = case.calendar.deadline(notified, timescale)
    mode = case.policy.agreed_timescales
    if mode is not AgreedTimescales.IGNORED:
        for agreement in case.agreed.get(stage.id, ()):
            agreed_due = Deadline(at=agreement.due, day=None)
            if due is None or _before(agreed_due, due):
                due = agreed_due
            elif mode is AgreedTimescales.REPLACES and _utc(agreement.at) < _utc(due.at):
                # Replacing may lengthen a timescale, but never revives one already
                # missed: breaches must not vanish as a case goes on.
                due = agreed_due
    # Urgency counts from when the stage was open, whatever its clock counts from.
    return _urgent_due(case, stage.id, reached.entered_at, reached.concluded_at, due)


def _urgency_for(
    case: _Case, stage_id: str | None, start: datetime, until: datetime | None
) -> Iterator[tuple[UrgencyRule, datetime]]:
    """The urgency rules in force for an item open from ``start`` to ``until``."""
    for interval in case.urgency:
        rule = interval.rule
        if rule.stages and stage_id not in rule.stages:
            continue
        if until is not None and interval.start >= until:
            continue
        if interval.end is not None and interval.end <= start:
            continue
        yield rule, max(start, interval.start)


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
    return any(True for _ in _urgency_for(case, stage_id, start, until))


def _stage_actions(builder: _Builder, dues: list[Deadline | None]) -> None:
    case = builder.case
    for position, reached in enumerate(case.reached):
        stage = reached.stage
        done_at = reached.concluded_at
        if done_at is None and case.closed_at is not None:
            done_at = case.closed_at
        builder.add(
            action_id=f"stage:{stage.id}",
            kind="stage",
            what=stage.action,
            who=_addressees(builder, stage.participants, stage.id),
            clause=stage.timescale_clause or stage.clause,
            due=dues[position],
            done_at=done_at,
            urgent=_is_urgent(case, stage.id, reached.entered_at, done_at),
            stage=stage.id,
            contacts=stage.contacts,
            forms=stage.forms,
        )
        if position > 0:
            _escalation_action(builder, case.reached[position - 1], reached)


def _escalation_action(builder: _Builder, previous: _Reached, reached: _Reached) -> None:
    """The duty to escalate out of ``previous`` into ``reached``, when it was not explicit."""
    escalation = previous.stage.on_unresolved
    if escalation is None or previous.outcome is not Outcome.UNRESOLVED:
        return
    case = builder.case
    since = previous.concluded_at or reached.entered_at
    done_at = reached.escalated_at
    if done_at is None:
        later = [r for r in case.reached if r.index > reached.index]
        later_events = [
            e
            for e in case.seen
            if isinstance(e, DiscussionHeld) and e.stage == reached.stage.id and e.at >= since
        ]
        candidates = [r.entered_at for r in later] + [e.at for e in later_events]
        done_at = min(candidates, default=None)
    if done_at is None and case.closed_at is not None:
        done_at = case.closed_at
    due = None
    if escalation.timescale is not None:
        due = case.calendar.deadline(since, escalation.timescale)
    due = _urgent_due(case, previous.stage.id, since, done_at, due)
    builder.add(
        action_id=f"escalate:{previous.stage.id}",
        kind="escalation",
        what=escalation.action,
        who=_addressees(builder, (escalation.by,), previous.stage.id),
        clause=escalation.clause,
        due=due,
        done_at=done_at,
        urgent=_is_urgent(case, previous.stage.id, since, done_at),
        stage=reached.stage.id,
        contacts=escalation.contacts,
        forms=escalation.forms,
    )


def _duty_actions(builder: _Builder) -> None:
    case = builder.case
    counts: dict[str, int] = {}
    for occurrence in case.occurrences:
        duty = occurrence.duty
        done_at = _discharged_at(
            duty.discharged_by,
            case.by_kind.get(duty.discharged_by.kind, ()),
            occurrence.at,
            occurrence.stage,
            occurrence.side,
        )
        where = occurrence.stage or "case"
        key = f"duty:{duty.id}@{where}"
        if duty.who.side is Side.EACH:
            key += f":{occurrence.side.value}"
        counts[key] = counts.get(key, 0) + 1
        if counts[key] > 1:
            key += f"#{counts[key]}"
        due = (
            None
            if duty.timescale is None
            else case.calendar.deadline(occurrence.at, duty.timescale)
        )
        builder.add(
            action_id=key,
            kind="duty",
            what=duty.action,
            who=(_addressee(builder, duty.who.role, occurrence.side, occurrence.stage),),
            clause=duty.clause,
            due=due,
            done_at=done_at,
            stage=occurrence.stage,
            contacts=duty.contacts,
            forms=duty.forms,
        )


def _immediate_actions(builder: _Builder) -> None:
    case = builder.case
    activations: dict[str, int] = {}
    for rule, since in case.immediate:
        activations[rule.id] = count = activations.get(rule.id, 0) + 1
        suffix = f"#{count}" if count > 1 else ""  # a rule can be activated more than once
        for spec in rule.immediate_actions:
            events = case.by_kind.get(spec.discharged_by.kind, ())
            done_at = _discharged_at(spec.discharged_by, events, since, None, None)
            builder.add(
                action_id=f"urgent:{rule.id}:{spec.id}{suffix}",
                kind="urgent",
                what=spec.action,
                who=_addressees(builder, (spec.who,), None),
                clause=rule.clause,
                due=None,
                done_at=done_at,
                urgent=True,
                contacts=spec.contacts,
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
        for side in (Side.RAISING, Side.RECEIVING):
            if fallback.side is not None and fallback.side is not side:
                continue
            held = case.combined.get(side, set())
            if fallback.role not in held or when.also_holds not in held:
                continue
            if when.sectors and _sector(case, side) not in when.sectors:
                continue
            names = " or ".join(_role_name(case, r) for r in then.seek_support_from)
            builder.add(
                action_id=f"support:{fallback.id}:{side.value}",
                kind="support",
                what=f"Seek support from the {names}",
                who=(_addressee(builder, fallback.role, side, stage_id),),
                clause=fallback.clause,
                due=None,
                done_at=None,
                stage=stage_id,
            )


# -- who acts ---------------------------------------------------------------


def _sector(case: _Case, side: Side) -> str | None:
    if side is Side.RAISING:
        return case.concern.raising.sector
    if side is Side.RECEIVING:
        return case.concern.receiving.sector
    return None


def _agency(case: _Case, side: Side) -> str | None:
    if side is Side.RAISING:
        return case.concern.raising.agency
    if side is Side.RECEIVING:
        return case.concern.receiving.agency
    area = case.concern.area
    for partnership in case.policy.partnerships:
        if partnership.id == area:
            return partnership.name
    return None


def _role_name(case: _Case, role_id: str) -> str:
    return case.index.role_names.get(role_id, role_id)


def _absent(case: _Case, side: Side, role: str, day: date) -> bool:
    return any(
        a.side in (side, Side.EACH) and a.role == role and a.start <= day <= a.end
        for a in case.absences
    )


def _addressees(
    builder: _Builder, actors: Iterable[Actor], stage_id: str | None
) -> tuple[Addressee, ...]:
    result: list[Addressee] = []
    for actor in actors:
        if actor.side is Side.EACH:
            result.append(_addressee(builder, actor.role, Side.RAISING, stage_id))
            result.append(_addressee(builder, actor.role, Side.RECEIVING, stage_id))
        else:
            result.append(_addressee(builder, actor.role, actor.side, stage_id))
    return tuple(result)


def _addressee(builder: _Builder, role: str, side: Side, stage_id: str | None) -> Addressee:
    if side is Side.EACH:  # callers split EACH; a lone EACH actor stands for the raiser
        side = Side.RAISING
    key = (role, side, stage_id)
    found = builder.addressees.get(key)
    if found is None:
        found = builder.addressees[key] = _find_addressee(builder, role, side, stage_id)
    return found


def _find_addressee(builder: _Builder, role: str, side: Side, stage_id: str | None) -> Addressee:
    case, day = builder.case, builder.today
    agency = _agency(case, side)
    if not case.absences or not _absent(case, side, role, day):
        return Addressee(role, _role_name(case, role), side, agency)
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
        f"the {_role_name(case, role)} ({side.value} side) is absent on "
        f"{day.isoformat()} and the policy names no one available to stand in",
    )
    return Addressee(role, _role_name(case, role), side, agency, available=False)
