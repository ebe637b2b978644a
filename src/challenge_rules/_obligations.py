"""The engine's third phase: from the case state, the actions due and the breaches.

`derive` reads a replayed `challenge_rules._replay.Case` and works out every
item the policy makes due in it (each stage reached, each escalation out of
an unresolved stage, each duty occurrence, each immediate safeguarding
action, the support a person holding two roles must seek, a redirection):
a `challenge_rules._plan.Item` (what it is, whom it falls on) with when it
was due and when it was done.  `Builder.add` turns each into a required
`Action` (not done yet), a `Breach` (done late, or still outstanding after it
was due), or both; who acts is worked out there (absences, fallbacks) only
when it is needed.

Caching: the role holders themselves (no fallback applied) recur across
cases, so `_role_holder` keeps the last 4,096 built, keyed on every field of
the `Addressee` it returns: an immutable value equal to a fresh one.
"""

from __future__ import annotations

import functools
import typing
from datetime import timedelta
from typing import TYPE_CHECKING, Final, NamedTuple

from challenge_rules._construct import constructor
from challenge_rules._plan import NO_CLOCK, Clock, Item, PartyKey, RoutePlan, Who, duty_item
from challenge_rules._replay import (
    assessed_during,
    discharging,
    first_matching,
    lapsed_at,
    visit_at,
)
from challenge_rules._schedule import Schedule, absent_spans, change_day, is_absent
from challenge_rules.calendar import Deadline
from challenge_rules.evaluation import Action, Addressee, Breach, Severity, Status
from challenge_rules.history import Outcome
from challenge_rules.policy import (
    MAY_BE_MISSING,
    AgreedTimescales,
    Anchor,
    EventMatch,
    Exclusion,
    Side,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import date, datetime

    from challenge_rules._replay import Case, Reached
    from challenge_rules.calendar import Timescale
    from challenge_rules.history import ActionPlanAgreed, AnyEvent
    from challenge_rules.policy import Duty, Escalation, UrgencyRule

_DISCUSSION = EventMatch(kind="discussion_held")
_ONE_DAY: Final = timedelta(days=1)
# The result values, built without the frozen __init__'s cost (see _construct).
_ACTION: Final = constructor(Action)
_BREACH: Final = constructor(Breach)


class Obligations(NamedTuple):
    """What `derive` found: the stages' deadlines, the actions and the breaches, in order."""

    dues: list[Deadline | None]
    """Each reached stage's deadline, in the order the case reached them."""
    severities: list[Severity]
    """What lateness against each of ``dues`` is."""
    actions: list[Action]
    breaches: list[Breach]
    next_change_at: datetime | None
    """The earliest instant after ``moment`` at which, with no new events, they would change
    (local time with a fixed offset)."""


def derive(case: Case, moment: datetime) -> Obligations:
    """The obligations of ``case`` at ``moment`` (local time with a fixed offset)."""
    builder = Builder(case, moment)
    found = [_stage_due(case, r, nth, builder.route(r)) for nth, r in enumerate(case.reached)]
    dues = [due for due, _ in found]
    severities = [severity for _, severity in found]
    if case.exclusion is not None:
        _redirect_action(builder, case.exclusion)
    else:
        _stage_actions(builder, dues, severities)
        if case.plan.stage_steps:
            _step_actions(builder)
        if case.plan.review_items:
            _review_actions(builder)
        elif "action_plan_agreed" in case.by_kind:
            _untracked_plans(case)
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
    changes = builder.schedule.next_change(case.plan.calendar, case.next_event_at)
    return Obligations(dues, severities, actions, breaches, changes)


class Builder:
    """Collects the actions and breaches of one evaluation."""

    __slots__ = (
        "actions",
        "addressees",
        "agencies",
        "area_agency",
        "as_of",
        "breaches",
        "case",
        "contacts",
        "party",
        "routes",
        "schedule",
        "today",
    )

    def __init__(self, case: Case, as_of: datetime) -> None:
        self.case = case
        self.as_of = as_of
        """``as_of`` with a fixed offset."""
        self.today: date | None = None
        """``as_of``'s day where the case is, once asked (only absences need it: see `day`)."""
        self.actions: list[Action] = []
        self.breaches: list[Breach] = []
        self.addressees: dict[tuple[str, Side, str | None], tuple[Addressee, datetime | None]] = {}
        """Who acts for a role, side and stage, once absences are taken into account, and
        when that would change (see `_schedule.change_day`)."""
        self.schedule = Schedule(as_of)
        """When what is found would change: every timed fact tells it (see `_schedule`)."""
        self.routes: dict[Reached, RoutePlan | None] = {}
        """The route each stage the case reached took, once asked (see `route`)."""
        concern = case.concern
        plan = case.plan
        self.area_agency = (
            None if concern.area is None else plan.partnership_names.get(concern.area)
        )
        """The agency of a side the concern names none for: its area's partnership."""
        self.agencies = {
            Side.RAISING: concern.raising.agency,
            Side.RECEIVING: concern.receiving.agency,
        }
        self.contacts = plan.area_contacts.get(concern.area, {})
        subject = None
        if concern.subject is not None and plan.subject_contacts:
            subject = concern.subject
            self.contacts = plan.subject_contacts.get((concern.area, subject), self.contacts)
        self.party: PartyKey = (
            concern.raising.agency,
            concern.receiving.agency,
            concern.area,
            subject,
        )
        """What of the case decides its role holders and contacts (the key of the plan's memos)."""

    def add(  # noqa: PLR0913 - the item, its clock, and the events that bound it
        self,
        item: Item,
        due: Deadline | None,
        done_at: datetime | None,
        *,
        urgent: bool = False,
        severity: Severity = Severity.FIRM,
        started_by: str | None = None,
        ended_by: str | None = None,
    ) -> None:
        """Record an item due by ``due`` (None: no timescale), done at ``done_at``.

        ``severity`` is what lateness against ``due`` is (see `Severity`);
        ``started_by`` and ``ended_by`` the ids of the events that made it due and
        that did it (or made it no longer needed).

        ``done_at`` is when it was done or stopped being needed (None: it is
        still required, an action).  It is a breach if it was (or is still)
        late.  Who acts is worked out (absences, fallbacks) only for an item
        that is required or was late: it is wasted on what was done in time.
        """
        if due is None:  # never late: an action if still required, else nothing
            if done_at is None:
                self.actions.append(self.untimed(item, urgent, severity, started_by))
            return
        addressees: tuple[Addressee, ...] = ()
        breached = False
        until = self.as_of if done_at is None else done_at
        # Only a moment after the instant can be late (lateness decides):
        # deadline instants and event times have fixed offsets (see
        # _replay), so comparing them is exact.
        if until > due.at:
            late = self.case.plan.calendar.lateness(due, until)
            if late is not None:
                breached = True
                addressees = self.who(item.who, item.who_stage)
                self.breaches.append(
                    _BREACH(
                        item.id,
                        item.kind,
                        item.what,
                        addressees,
                        self.case.plan.citations[item.clause],
                        due,
                        late,
                        done_at,
                        item.stage,
                        severity,
                        started_by,
                        ended_by,
                    )
                )
        elif done_at is None:  # still on time: late from the instant after the deadline
            self.schedule.on_time(due)
        if done_at is None:
            soon_from = None
            if self.case.plan.due_soon:
                soon_from = self.soon_from(item, due)
            contacts = item.contacts
            self.actions.append(
                _ACTION(
                    item.id,
                    item.kind,
                    item.what,
                    addressees if breached else self.who(item.who, item.who_stage),
                    self.case.plan.citations[item.clause],
                    due,
                    urgent,
                    item.stage,
                    self.contacts[contacts] if contacts else (),
                    item.forms,
                    severity,
                    soon_from,
                    soon_from is not None and soon_from <= self.as_of and not breached,
                    started_by,
                )
            )

    def untimed(
        self, item: Item, urgent: bool, severity: Severity, started_by: str | None
    ) -> Action:
        """The action ``item`` calls for, still required and with no deadline.

        Without absences every field is a function of the item, the case's
        `PartyKey` and the arguments, and most recur from case to case: the
        plan keeps them (`Plan.actions`).  With absences who acts is worked out
        afresh (it may warn, and schedules when it would change).
        """
        plan = self.case.plan
        if self.case.absences:
            return self.action(item, urgent, severity, started_by)
        key = (item, self.party, urgent, severity, started_by)
        found = plan.actions.found.get(key)
        if found is None:
            found = plan.actions.keep(key, self.action(item, urgent, severity, started_by))
        return found

    def action(
        self, item: Item, urgent: bool, severity: Severity, started_by: str | None
    ) -> Action:
        """The action ``item`` calls for, still required and with no deadline, built."""
        contacts = item.contacts
        return _ACTION(
            item.id,
            item.kind,
            item.what,
            self.who(item.who, item.who_stage),
            self.case.plan.citations[item.clause],
            None,
            urgent,
            item.stage,
            self.contacts[contacts] if contacts else (),
            item.forms,
            severity,
            None,
            False,
            started_by,
        )

    def day(self) -> date:
        """The day of ``as_of`` in the policy's time zone (what absences are counted in)."""
        if self.today is None:
            self.today = self.case.plan.calendar.local_date(self.as_of)
        return self.today

    def route(self, reached: Reached) -> RoutePlan | None:
        """The route the stage ``reached`` took (None: the stage has no routes)."""
        if not self.case.plan.stage_routes:
            return None
        if reached in self.routes:
            return self.routes[reached]
        taken = self.routes[reached] = route(self.case, reached)
        return taken

    def on_route(self, item: Item, reached: Reached | None) -> Item:
        """``item`` of the stage ``reached``, with who acts on the route the stage took.

        An item addressed to the stage's participants (`Item.to_participants`) goes to
        those of the route, where the route names its own: the one place the stage's
        participants are read for anything but its own action.
        """
        if not item.to_participants or reached is None:
            return item
        taken = self.route(reached)
        if taken is None or not taken.route.participants:
            return item
        return item._replace(who=taken.item.who)

    def soon_from(self, item: Item, due: Deadline) -> datetime | None:
        """From when an action due by ``due`` counts as due soon (None: the policy never says)."""
        windows = self.case.plan.due_soon
        window = windows.get(item.stage) if item.stage in windows else windows.get(None)
        if window is None:
            return None
        starts = self.case.plan.calendar.ahead_of(due, window)
        self.schedule.at(starts)  # the flag turns then (a moment passed is never scheduled)
        return starts

    def who(
        self, pairs: Who, stage_id: str | None, *, scheduled: bool = True
    ) -> tuple[Addressee, ...]:
        """Who acts for each (role, side) pair, fallbacks applied.

        ``scheduled``: whether the evaluation shows them (then the day an
        absence would change them is scheduled), or they are only asked for
        the warning that no one is available.
        """
        if not self.case.absences:  # no fallback can apply: the role holders themselves
            # They depend on the pairs and the case's agencies and area alone (`PartyKey`).
            memo = self.case.plan.addressees
            key = (pairs, self.party)
            holders = memo.found.get(key)
            if holders is None:
                holders = memo.keep(key, tuple(_present(self, role, side) for role, side in pairs))
            return holders
        found = [_addressee(self, role, side, stage_id) for role, side in pairs]
        if scheduled:
            for _, changes_at in found:
                self.schedule.at(changes_at)
        return tuple(addressee for addressee, _ in found)


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
    return first.at < second.at  # fixed offsets (see _replay): exact


# -- deadlines --------------------------------------------------------------


_MOMENTS: Final = {
    Anchor.DECISION: "the disputed decision (decision_at)",
    Anchor.DECISION_RECEIVED: "receiving the disputed decision (decision_received_at)",
}
_FALLBACK_WORDS: Final = {
    Anchor.CONCERN: "the concern",
    Anchor.STAGE_ENTERED: "the start of the stage",
    Anchor.PREVIOUS_STAGE_CONCLUDED: "the end of the previous stage",
    Anchor.ESCALATED: "the escalation into the stage",
}


def _fallback_words(fallback: Anchor | None) -> str:
    return "its usual start" if fallback is None else _FALLBACK_WORDS.get(fallback, fallback)


class Start(NamedTuple):
    """Where a clock starts: a moment, or the anchor to count from instead."""

    moment: datetime | None = None
    """The moment, when the anchor names one the case gives."""
    anchor: Anchor | None = None
    """Otherwise the anchor to count from (None: the item's own default start)."""
    started: bool = True
    """False for a clock counted from an event not yet recorded, with no fallback."""
    fallback: Anchor | None = None
    """With a moment from an event the case records as it goes: the anchor the clock
    counted from until then, whose deadline stands if it passed before the event (a
    late record must not make a breach disappear)."""


def clock_start(
    case: Case,
    anchor: Anchor | None,
    match: EventMatch | None,
    fallback: Anchor | None,
    what: str,
) -> Start:
    """Where the clock of ``what``, counted from ``anchor``, starts in ``case``.

    A moment the concern should give but does not (the decision, its
    receipt) falls back to ``fallback`` with a ``clock_fallback`` warning; an
    event not yet recorded falls back to ``fallback`` if there is one, and
    otherwise has not started the clock.
    """
    if anchor is None or anchor not in MAY_BE_MISSING:
        return Start(anchor=anchor)
    concern = case.concern
    if anchor is Anchor.DECISION_RECEIVED or anchor is Anchor.DECISION:
        moment = concern.decision_at
        if anchor is Anchor.DECISION_RECEIVED and concern.decision_received_at is not None:
            moment = concern.decision_received_at
        if moment is not None:
            return Start(moment)
        case.warn(
            "clock_fallback",
            f"the clock of {what} counts from {_MOMENTS[anchor]}, which the concern does not "
            f"give: counted from {_fallback_words(fallback)} instead",
            concern,
        )
        return Start(anchor=fallback)
    if anchor is Anchor.IDENTIFIED:  # not given: identified when it was raised
        return Start(concern.identified_at or concern.at)
    if anchor is Anchor.INITIAL_DISCUSSION:
        match = _DISCUSSION
    found = None if match is None else first_matching(case, match)
    if found is not None:
        return Start(found, fallback=fallback)
    return Start(anchor=fallback, started=fallback is not None)


def _anchor(
    case: Case, reached: Reached, nth: int
) -> tuple[datetime | None, Anchor | None, datetime | None]:
    """When the clock of ``reached``, the ``nth`` stage the case reached, starts.

    With the anchor it counted from in the end (for the moment: None; not
    started: also None), and for a moment from an event with a fallback, when
    the fallback's clock started (see `Start.fallback`).
    """
    stage = reached.stage
    if stage.counts_from not in MAY_BE_MISSING:  # the common case: no lookup in the case
        moment, anchor = _stage_start(case, reached, nth, stage.counts_from)
        return moment, anchor, None
    start = clock_start(
        case, stage.counts_from, stage.counts_from_event, stage.counts_from_fallback, stage.name
    )
    if start.moment is not None:
        before = None
        if start.fallback is not None:
            before, _ = _stage_start(case, reached, nth, start.fallback)
        return start.moment, None, before
    if not start.started:
        return None, None, None
    moment, anchor = _stage_start(case, reached, nth, start.anchor or Anchor.STAGE_ENTERED)
    return moment, anchor, None


def _stage_start(case: Case, reached: Reached, nth: int, anchor: Anchor) -> tuple[datetime, Anchor]:
    """The moment a stage-relative (or the concern's) ``anchor`` names, and the anchor used."""
    if anchor is Anchor.CONCERN:
        return case.concern.at, anchor
    if anchor is Anchor.PREVIOUS_STAGE_CONCLUDED and nth > 0:
        previous = case.reached[nth - 1]
        if previous.concluded_at is not None:
            return previous.concluded_at, anchor
    return reached.entered_at, anchor


def route(case: Case, reached: Reached) -> RoutePlan | None:
    """The route the stage ``reached`` took: the first whose condition held (None: no routes).

    A condition on risk holds if the case was assessed at one of its levels while the
    stage was open; one on the concern's nature or subject, if the concern is of it.
    """
    routes = case.plan.stage_routes.get(reached.stage.id)
    if not routes:
        return None
    concern = case.concern
    until = reached.concluded_at or case.closed_at
    for planned in routes:
        when = planned.route.when
        if when is None:
            return planned
        if when.natures and concern.nature not in when.natures:
            continue
        if when.subjects and concern.subject not in when.subjects:
            continue
        if when.risks and not assessed_during(case, when.risks, reached.entered_at, until):
            continue
        return planned
    return None  # no default: the stage's own action and clock (a policy check says so)


def _stage_clock(case: Case, reached: Reached, taken: RoutePlan | None) -> Clock:
    if taken is not None:
        return taken.clock
    return case.plan.stage_clocks.get(reached.stage.id, NO_CLOCK)


def _stage_due(
    case: Case, reached: Reached, nth: int, taken: RoutePlan | None
) -> tuple[Deadline | None, Severity]:
    """The deadline of ``reached``, the ``nth`` stage reached (``taken``: the route it took)."""
    stage = reached.stage
    read = _stage_clock(case, reached, taken)
    timescale = read.timescale
    calendar = case.plan.calendar
    due = None
    severity = read.severity
    if timescale is not None:
        start, anchor, before = _anchor(case, reached, nth)
        due = None if start is None else calendar.due(start, timescale)
        if start is not None and before is not None and due is not None:
            until = calendar.due(before, timescale)
            if until is not None and until.at < start:
                due = until  # the event came after the fallback's deadline had passed
        notified = reached.escalated_at
        if (
            due is not None
            and notified is not None
            and anchor is Anchor.ESCALATED
            # Counted from the notification, unless that came after the deadline had
            # passed: a late escalation must not make a breach disappear.
            and notified < due.at
        ):
            due = calendar.due(notified, timescale)
    if case.agreed:
        agreed = _agreed_due(case, stage.id, due)
        if agreed is not due:
            due, severity = agreed, Severity.FIRM  # a timescale agreed for the case
    if case.urgency:
        # Urgency counts from when the stage was open, whatever its clock counts from.
        due, severity = _urgent_due(
            case, stage.id, reached.entered_at, reached.concluded_at, due, severity
        )
    return due, severity


def _item_due(
    case: Case, owner: Duty | Escalation, what: str, default: datetime, timescale: Timescale
) -> Deadline | None:
    """A duty's or an escalation's deadline under ``timescale`` (``default``: its usual start)."""
    calendar = case.plan.calendar
    if owner.counts_from is None:
        return calendar.due(default, timescale)
    start = clock_start(
        case, owner.counts_from, owner.counts_from_event, owner.counts_from_fallback, what
    )
    if start.moment is None:
        if not start.started:
            return None
        fallen = case.concern.at if start.anchor is Anchor.CONCERN else default
        return calendar.due(fallen, timescale)
    due = calendar.due(start.moment, timescale)
    if start.fallback is not None and due is not None:
        fallen = case.concern.at if start.fallback is Anchor.CONCERN else default
        until = calendar.due(fallen, timescale)
        if until is not None and until.at < start.moment:
            return until  # the event came after the fallback's deadline had passed
    return due


def _agreed_due(case: Case, stage_id: str, due: Deadline | None) -> Deadline | None:
    mode = case.plan.policy.agreed_timescales
    if mode is AgreedTimescales.IGNORED:
        return due
    for agreement in case.agreed.get(stage_id, ()):
        agreed_due = Deadline(at=agreement.due, day=None)
        if due is None or _before(agreed_due, due):
            due = agreed_due
        elif mode is AgreedTimescales.REPLACES and agreement.at < due.at:
            # Replacing may lengthen a timescale, but never revives one already
            # missed: breaches must not vanish as a case goes on.
            due = agreed_due
    return due


def _urgency_for(
    case: Case, stage_id: str | None, start: datetime, until: datetime | None
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


def _urgent_due(  # noqa: PLR0913, PLR0917 - the item, its span and its deadline so far
    case: Case,
    stage_id: str | None,
    anchor: datetime,
    until: datetime | None,
    due: Deadline | None,
    severity: Severity,
) -> tuple[Deadline | None, Severity]:
    clocks = case.plan.urgency_clocks
    for rule, since in _urgency_for(case, stage_id, anchor, until):
        read = clocks.get(rule.id, NO_CLOCK)
        if read.timescale is None:
            continue
        shorter = case.plan.calendar.due(since, read.timescale)
        if shorter is not None and (due is None or _before(shorter, due)):
            due, severity = shorter, read.severity
    return due, severity


def _is_urgent(case: Case, stage_id: str | None, start: datetime, until: datetime | None) -> bool:
    return bool(case.urgency) and any(True for _ in _urgency_for(case, stage_id, start, until))


# -- the items --------------------------------------------------------------


def _redirect_action(builder: Builder, exclusion: Exclusion) -> None:
    concern = builder.case.concern
    who = ((concern.raising.role, Side.RAISING),)
    if builder.case.status is Status.REDIRECTED:
        builder.who(who, None, scheduled=False)  # says so if no one is available (a warning)
        return
    builder.add(
        Item(
            id=f"redirect:{exclusion.id}",
            kind="redirect",
            what=exclusion.instead,
            who=who,
            clause=exclusion.clause,
            contacts=exclusion.contacts,
        ),
        due=None,
        done_at=None,
        started_by=concern.id,
    )


def _stage_actions(
    builder: Builder, dues: list[Deadline | None], severities: list[Severity]
) -> None:
    case = builder.case
    items = case.plan.stage_items
    clocks = case.plan.stage_clocks
    closed_at = case.closed_at
    previous = None
    reached_list = case.reached
    for nth, reached in enumerate(reached_list):
        stage_id = reached.stage.id
        done_at, done_by = reached.concluded_at, reached.concluded_by
        if done_at is None:
            done_at, done_by = closed_at, case.closed_by
        item, urgent = items[stage_id], clocks[stage_id].urgent
        taken = builder.route(reached)
        if taken is not None:  # the route's action: urgent if urgency chose it
            when = taken.route.when
            item, urgent = taken.item, taken.clock.urgent or bool(when and when.risks)
        builder.add(
            item,
            dues[nth],
            done_at,
            urgent=urgent or _is_urgent(case, stage_id, reached.entered_at, done_at),
            severity=severities[nth],
            started_by=reached.entered_by,
            ended_by=done_by,
        )
        if previous is not None and previous.outcome is Outcome.UNRESOLVED:
            following = reached_list[nth + 1] if nth + 1 < len(reached_list) else None
            _escalation_action(builder, previous, reached, following)
        previous = reached


def _escalation_action(
    builder: Builder, previous: Reached, reached: Reached, following: Reached | None
) -> None:
    """The duty to escalate out of ``previous`` into ``reached`` (``following``: the next)."""
    escalation = previous.stage.on_unresolved
    if escalation is None:
        return
    case = builder.case
    since = previous.concluded_at or reached.entered_at
    # Done by the first of: an escalation into the next stage, a discussion held
    # there, or the case going further. A later record cannot undo an earlier one.
    discussion = discharging(case, _DISCUSSION, since, reached.stage.id, None)
    done_at, done_by = reached.escalated_at, reached.escalated_by
    for at, by in (
        (None, None) if following is None else (following.entered_at, following.entered_by),
        (None, None) if discussion is None else (discussion.at, discussion.id),
    ):
        if at is not None and (done_at is None or at < done_at):  # the first of equals stands
            done_at, done_by = at, by
    if done_at is None:
        done_at, done_by = case.closed_at, case.closed_by
    due = None
    previous_id = previous.stage.id
    read = case.plan.escalation_clocks.get(previous_id, NO_CLOCK)
    severity = read.severity
    if read.timescale is not None:
        what = f"the escalation from {previous.stage.name}"
        due = _item_due(case, escalation, what, since, read.timescale)
    if case.urgency:
        due, severity = _urgent_due(case, previous_id, since, done_at, due, severity)
    builder.add(
        case.plan.escalation_items[previous_id, reached.stage.id],
        due,
        done_at,
        urgent=read.urgent or _is_urgent(case, previous_id, since, done_at),
        severity=severity,
        started_by=previous.concluded_by or reached.entered_by,
        ended_by=done_by,
    )


def _first(done: tuple[datetime | None, str | None]) -> datetime:
    return done[0]  # type: ignore[return-value]  # only pairs with a moment are compared


def _step_actions(builder: Builder) -> None:
    """The timed steps inside each stage the case reached (see `challenge_rules.policy.Step`).

    A step is due from when the step it follows was done (the first: from where
    the stage's clock starts, its ``counts_from``), and stops being needed when
    its stage concludes or the case closes; a step whose predecessor was never
    done is never due.  A later step is done by the first event recording it
    since the stage opened (its clock started, or the case reached it if that was
    later), even one recorded before the step it follows was done (a meeting held
    before the discussion was recorded done).
    """
    case = builder.case
    calendar = case.plan.calendar
    for nth, reached in enumerate(case.reached):
        steps = case.plan.stage_steps.get(reached.stage.id)
        if not steps:
            continue
        first, _, _ = _anchor(case, reached, nth)
        if first is None:  # counted from an event not yet seen: no step is due yet
            continue
        stage_id = reached.stage.id
        opened = max(first, reached.entered_at)
        ended, ended_by = min(
            (
                (at, by)
                for at, by in (
                    (reached.concluded_at, reached.concluded_by),
                    (case.closed_at, case.closed_by),
                )
                if at is not None
            ),
            default=(None, None),
        )
        done: list[AnyEvent | None] = []
        for step in steps:
            after = None if step.after is None else done[step.after]
            start = first if step.after is None else (None if after is None else after.at)
            if start is None or (ended is not None and start > ended):
                done.append(None)  # not due: the step it follows was never done
                continue
            since = start if step.after is None else min(start, opened)
            found = [discharging(case, m, since, stage_id, None) for m in step.done_by]
            event = _before_lapse(
                min((e for e in found if e is not None), key=_event_at, default=None), ended
            )
            done.append(event)
            read = step.clock
            due = None if read.timescale is None else calendar.due(start, read.timescale)
            builder.add(
                builder.on_route(step.item, reached),
                due,
                ended if event is None else event.at,
                urgent=read.urgent,
                severity=read.severity,
                started_by=reached.entered_by if after is None else after.id,
                ended_by=ended_by if event is None else event.id,
            )


def _event_at(event: AnyEvent) -> datetime:
    return event.at


def _before_lapse(done: AnyEvent | None, lapsed_at: datetime | None) -> AnyEvent | None:
    """``done``, the first event recording an item done, unless the item had lapsed first.

    An item that stops being needed at ``lapsed_at`` (its stage concluded, the case
    closed, its rule stopped; None: not yet) is not done by an event recorded after
    that: it lapsed first, and lateness until then stands.  An event at that very
    instant does it.  Steps, duties and immediate actions all decide this here.
    """
    if done is not None and lapsed_at is not None and done.at > lapsed_at:
        return None
    return done


_REVIEWED = EventMatch(kind="action_plan_reviewed")


def _untracked_plans(case: Case) -> None:
    """Say that an agreed action plan is not followed up: the policy has no ``action_plan``."""
    for event in case.by_kind["action_plan_agreed"]:
        case.warn(
            "action_plan_not_tracked",
            "an action plan was agreed, but the policy says nothing of reviewing one "
            "(no action_plan): its follow-up is not tracked",
            event,
        )


def _review_actions(builder: Builder) -> None:
    """Each agreed action plan's review, due at its follow-up (the case stays under review)."""
    case = builder.case
    items = case.plan.review_items
    counts: dict[str, int] = {}
    for event in case.by_kind.get("action_plan_agreed", ()):
        agreed = typing.cast("ActionPlanAgreed", event)
        stage = agreed.stage
        if stage is None:  # the stage the case was at when the plan was agreed
            stage = next(
                (r.stage.id for r in reversed(case.reached) if r.entered_at <= agreed.at), None
            )
        item = items.get(stage) or items[None]
        if stage is not None:
            item = builder.on_route(item, visit_at(case, stage, agreed.at))
        count = counts[item.id] = counts.get(item.id, 0) + 1
        if count > 1:  # a plan agreed again: its reviews are numbered
            item = item._replace(id=f"{item.id}#{count}")
        reviewed = discharging(case, _REVIEWED, agreed.at, stage, None)
        builder.add(
            item,
            Deadline(at=agreed.follow_up, day=None),
            None if reviewed is None else reviewed.at,
            started_by=agreed.id,
            ended_by=None if reviewed is None else reviewed.id,
        )


def _duty_actions(builder: Builder) -> None:
    case = builder.case
    items = case.plan.duty_items
    clocks = case.plan.duty_clocks
    seen = case.by_kind
    counts: dict[str, int] = {}
    for duty, at, side, stage, by in case.occurrences:
        read = clocks.get(duty.id, NO_CLOCK)
        match = duty.discharged_by
        # Most duties are done by a kind of event the case has none of: no search then.
        done = discharging(case, match, at, stage, side) if match.kind in seen else None
        if duty.lapses is not None:
            # No longer needed once its stage concluded; lateness until then stands.
            lapsed = lapsed_at(case, stage, at)
            done = _before_lapse(done, lapsed[0])
            done_at, done_by = lapsed if done is None else (done.at, done.id)
        else:
            done_at, done_by = (None, None) if done is None else (done.at, done.id)
        item = items.get((duty.id, stage, side)) or duty_item(duty, stage, side)
        count = counts[item.id] = counts.get(item.id, 0) + 1
        due = None
        if read.timescale is not None:
            due = _item_due(case, duty, f'duty "{duty.id}"', at, read.timescale)
        elif done_at is not None:  # done, and never late: nothing to show
            continue
        if count > 1:  # the same duty due again: its actions are numbered
            item = item._replace(id=f"{item.id}#{count}")
        if stage is not None and item.to_participants:
            item = builder.on_route(item, visit_at(case, stage, at))
        if due is None:  # never late (most duties): an action while still required
            if done_at is None:
                builder.actions.append(builder.untimed(item, read.urgent, read.severity, by))
            continue
        builder.add(
            item,
            due,
            done_at,
            urgent=read.urgent,
            severity=read.severity,
            started_by=by,
            ended_by=done_by,
        )


def _immediate_actions(builder: Builder) -> None:
    case = builder.case
    activations: dict[str, int] = {}
    for rule, since, by in case.immediate:
        activations[rule.id] = count = activations.get(rule.id, 0) + 1
        suffix = f"#{count}" if count > 1 else ""  # a rule can be activated more than once
        # Not done, it lapses when the rule stops (the risk reassessed at a level
        # the rule does not name) or the case is closed: then it is no longer
        # needed. A matter out of scope keeps it: no procedure took the risk on.
        in_force = case.urgency[rule.id]
        lapsed = [(in_force.end_of(since), in_force.ender_of(since))]
        if case.status is not Status.NOT_APPLICABLE:
            lapsed.append((case.closed_at, case.closed_by))
        lapsed_at, lapsed_by = min(
            ((at, ender) for at, ender in lapsed if at is not None),
            default=(None, None),
            key=_first,
        )
        for spec in rule.immediate_actions:
            done = discharging(case, spec.discharged_by, since, None, None)
            done = _before_lapse(done, lapsed_at)
            done_at, done_by = (lapsed_at, lapsed_by) if done is None else (done.at, done.id)
            item = case.plan.urgent_items[rule.id, spec.id]
            builder.add(
                item._replace(id=item.id + suffix) if suffix else item,
                None,
                done_at,
                urgent=True,
                started_by=by,
                ended_by=done_by,
            )


def _support_actions(builder: Builder) -> None:
    """Support a person holding two roles must seek (e.g. a DSL who is also line manager)."""
    case = builder.case
    if case.closed_at is not None or not case.reached:
        return
    current = case.current
    if current.concluded_at is not None:
        return
    stage_id = current.stage.id
    for fallback in case.plan.support_fallbacks:
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
                Item(
                    id=f"support:{fallback.id}:{side}",
                    kind="support",
                    what=f"Seek support from the {names}",
                    who=((fallback.role, side),),
                    clause=fallback.clause,
                    stage=stage_id,
                    who_stage=stage_id,
                ),
                None,
                None,
            )


# -- who acts ---------------------------------------------------------------


def _sector(case: Case, side: Side) -> str | None:
    if side is Side.RAISING:
        return case.concern.raising.sector
    if side is Side.RECEIVING:
        return case.concern.receiving.sector
    return None


def _agency(builder: Builder, side: Side) -> str | None:
    agency = builder.agencies.get(side)
    return builder.area_agency if agency is None else agency


def _role_name(case: Case, role_id: str) -> str:
    return case.plan.role_names.get(role_id, role_id)


def _absent(case: Case, side: Side, role: str, day: date) -> bool:
    return is_absent(absent_spans(case.absences, side, role), day)


def _present(builder: Builder, role: str, side: Side) -> Addressee:
    """The role holder themself (no fallback)."""
    name = builder.case.plan.role_names.get(role, role)
    return _role_holder(role, name, side, _agency(builder, side))


@functools.lru_cache(maxsize=4096)
def _role_holder(role: str, role_name: str, side: Side, agency: str | None) -> Addressee:
    return Addressee(role, role_name, side, agency)


def _addressee(
    builder: Builder, role: str, side: Side, stage_id: str | None
) -> tuple[Addressee, datetime | None]:
    """Who acts for ``role``, and from when that would change (None: it would not)."""
    key = (role, side, stage_id)
    found = builder.addressees.get(key)
    if found is None:
        consulted = [role]
        addressee = _find_addressee(builder, role, side, stage_id, consulted)
        case = builder.case
        changes = change_day(case.absences, side, consulted, builder.day())
        starts = None if changes is None else case.plan.calendar.end_of_day(changes - _ONE_DAY)
        found = builder.addressees[key] = (addressee, starts)
    return found


def _find_addressee(
    builder: Builder, role: str, side: Side, stage_id: str | None, consulted: list[str]
) -> Addressee:
    """Who acts for ``role``; ``consulted`` gains each substitute whose absence was asked."""
    case, day = builder.case, builder.day()
    if not _absent(case, side, role, day):
        return _present(builder, role, side)
    agency = _agency(builder, side)
    for fallback in case.plan.absence_fallbacks.get(role, ()):
        if fallback.side is not None and fallback.side is not side:
            continue
        if fallback.stages and stage_id not in fallback.stages:
            continue
        if fallback.when.sectors and _sector(case, side) not in fallback.when.sectors:
            continue
        for substitute in fallback.then.substitutes:
            consulted.append(substitute)
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


__all__ = ["Builder", "Obligations", "derive"]
