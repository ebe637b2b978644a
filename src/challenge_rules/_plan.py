"""The engine's first phase: a policy compiled once into the tables a pass reads.

`plan_for` turns a `Policy` into a `Plan`: the citations, role names, duties
by trigger, each nature's ladder with its stages' rungs, the fallbacks and the
contacts per area, all looked up by key while events are replayed and
obligations derived.  The names and ladders come from the policy's
`challenge_rules._vocabulary.vocabulary` (the one walk over a policy), not
from a walk of its own.

Caching: `plan_for` keeps the plans of the last 64 policies it was asked
about (an LRU cache keyed on the policy, whose hash is cached; equal
policies share a plan).  A plan is a pure function of its policy and its
tables are never changed after it is built, so an answer cannot depend on
whether it came from the cache.  Its two `Memo` tables (`Plan.addressees`,
`Plan.actions`) are the exception that proves it: each holds values built
under the plan from their key alone, so a hit returns a value equal to the
one a miss builds.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import TYPE_CHECKING, Final, Generic, NamedTuple, TypeVar

import attrs
from attrs import field, frozen

from challenge_rules._references import PARTNERSHIP
from challenge_rules._vocabulary import due_soon_windows, vocabulary
from challenge_rules.calendar import Firmness, Timescale, Unit, WorkingCalendar
from challenge_rules.evaluation import (
    Action,
    ActionKind,
    Addressee,
    Citation,
    ContactDetails,
    Severity,
)
from challenge_rules.policy import (
    Actor,
    Duty,
    EventMatch,
    Exclusion,
    Fallback,
    Policy,
    Route,
    Side,
    Stage,
    Subject,
    TimescaleDefaults,
    TriggerKind,
    WhereValue,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


Who = tuple[tuple[str, Side], ...]
"""Who must act, as (role, side) pairs: a policy's ``each`` side already split in two."""

Rungs = dict[str, int]
"""Each stage's rung: its position on its ladder, from 0."""


def pairs(actors: Iterable[Actor]) -> Who:
    """``actors`` as (role, side) pairs, ``each`` split into the two sides."""
    found: list[tuple[str, Side]] = []
    for actor in actors:
        if actor.side is Side.EACH:
            found += [(actor.role, Side.RAISING), (actor.role, Side.RECEIVING)]
        else:
            found.append((actor.role, actor.side))
    return tuple(found)


class Clock(NamedTuple):
    """A timescale as the policy reads it: its defaults applied, and how firm it is."""

    timescale: Timescale | None
    """The timescale with the policy's tolerance for ``immediately`` and expectation for
    ``without_delay`` filled in, and no firmness of its own (None: no timescale)."""
    severity: Severity
    """What lateness against it is."""
    urgent: bool
    """Whether the source wants it at once (``immediately``, ``without_delay``)."""


NO_CLOCK = Clock(None, Severity.FIRM, urgent=False)
"""An item with no timescale."""
_URGENT_UNITS = frozenset({Unit.IMMEDIATELY, Unit.WITHOUT_DELAY})


def clock(
    timescale: Timescale | None, defaults: TimescaleDefaults, firmness: Firmness | None = None
) -> Clock:
    """How ``timescale`` reads under the policy's ``defaults`` (``firmness``: its ladder's)."""
    if timescale is None:
        return NO_CLOCK
    unit = timescale.unit
    read = defaults.read(timescale, firmness)
    if unit is Unit.WITHOUT_DELAY:
        severity = Severity.DRIFT
    elif read.firmness is Firmness.INDICATIVE:
        severity = Severity.INDICATIVE
    else:
        severity = Severity.FIRM
    # Firmness is kept apart (in the severity): a plain timescale takes the fast path.
    read = attrs.evolve(read, firmness=None)
    if read == timescale:
        read = timescale  # the same value: keep the one the policy holds
    return Clock(read, severity, urgent=unit in _URGENT_UNITS)


class Item(NamedTuple):
    """One thing a policy can make due: what the resulting action or breach says."""

    id: str
    """The action's stable id (see `challenge_rules.evaluation.Action.id`)."""
    kind: ActionKind
    what: str
    who: Who
    clause: str
    stage: str | None = None
    """The stage the action belongs to, as the result names it."""
    who_stage: str | None = None
    """The stage whose fallbacks apply to who acts."""
    contacts: tuple[str, ...] = ()
    """The contact purposes to list."""
    forms: tuple[str, ...] = ()
    to_participants: bool = False
    """Whether ``who`` is its stage's participants: then, where the stage took a route
    naming participants of its own, they act instead (the stage's own action takes
    its `RoutePlan.item`)."""


class StepPlan(NamedTuple):
    """One timed step inside a stage, compiled: what its action says and what ends it."""

    item: Item
    clock: Clock
    done_by: tuple[EventMatch, ...]
    """The events that record it done (a ``step_done`` naming it, and its ``done_by``)."""
    after: int | None
    """The position of the step it follows among its stage's steps (None: the stage's entry)."""


class RoutePlan(NamedTuple):
    """One route of a stage, compiled: its condition, and the stage's action and clock on it."""

    route: Route
    item: Item
    clock: Clock


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MEMO_LIMIT: Final = 4096
"""How many values each of a plan's `Memo` tables holds before it is emptied."""


class Memo(Generic[K, V]):
    """Values built under one plan, each a pure function of its key (and the plan): a bounded memo.

    Equal keys always build equal values, so a hit returns what a miss would build:
    results never depend on what was asked before.  Keys are immutable values; at
    ``limit`` entries the table is emptied (one atomic step, safe in the service's
    worker threads) and fills again with what is asked next.
    """

    __slots__ = ("found", "limit")

    def __init__(self, limit: int = MEMO_LIMIT) -> None:
        self.found: dict[K, V] = {}
        self.limit = limit

    def keep(self, key: K, value: V) -> V:
        """Remember ``value`` as what ``key`` builds, and return it."""
        if len(self.found) >= self.limit:
            self.found.clear()
        self.found[key] = value
        return value


PartyKey = tuple[str | None, str | None, str | None, Subject | None]
"""What of a case decides who its role holders are and which contacts it is shown: the
raising and receiving agencies, the area and (where some contact serves only some
subjects) the subject."""


@frozen
class Ladder:
    """The stages a concern of some nature goes through, with each stage's rung."""

    stages: tuple[Stage, ...]
    rungs: Rungs


@frozen
class Plan:
    """What the engine looks up in one policy (its tables are built once, never changed).

    Only its `Memo` tables grow, each with values that are a pure function of their key.
    """

    policy: Policy
    calendar: WorkingCalendar
    citations: dict[str, Citation]
    role_names: dict[str, str]
    duties: dict[tuple[TriggerKind, str | None], tuple[Duty, ...]]
    """The duties each trigger makes due, by trigger and stage (None: not a stage's)."""
    event_duties: dict[str, tuple[Duty, ...]]
    """The duties triggered by history events, by event kind."""
    ladders: dict[str | None, Ladder]
    """Each nature's ladder (None: the main ladder, for every other nature)."""
    absence_fallbacks: dict[str, tuple[Fallback, ...]]
    """The fallbacks for an absent role holder, by role."""
    support_fallbacks: tuple[Fallback, ...]
    """The fallbacks for one person holding two roles who must seek support."""
    area_contacts: dict[str | None, dict[tuple[str, ...], tuple[ContactDetails, ...]]]
    """Per area, the contacts for each list of purposes the policy names."""
    stage_items: dict[str, Item]
    """Each stage's own action, by stage."""
    escalation_items: dict[tuple[str, str], Item]
    """The escalation out of an unresolved stage, by that stage and the stage escalated to."""
    duty_items: dict[tuple[str, str | None, Side], Item]
    """Each duty's action, by duty, stage (None: the case's) and side."""
    urgent_items: dict[tuple[str, str], Item]
    """Each urgency rule's immediate actions, by rule and action."""
    stage_clocks: dict[str, Clock]
    """Each stage's timescale as the policy reads it, by stage."""
    escalation_clocks: dict[str, Clock]
    """Each escalation's timescale as the policy reads it, by the stage escalated out of."""
    duty_clocks: dict[str, Clock]
    """Each duty's timescale as the policy reads it, by duty."""
    urgency_clocks: dict[str, Clock]
    """Each urgency rule's timescale as the policy reads it, by rule."""
    replay: ReplayTables
    """What the replay looks up per event (see `replay_tables`)."""
    subject_contacts: dict[
        tuple[str | None, Subject], dict[tuple[str, ...], tuple[ContactDetails, ...]]
    ] = field(factory=dict)
    """As `area_contacts`, per area and subject, where some contact serves only some
    subjects (empty otherwise: every subject is shown the same contacts)."""
    stage_steps: dict[str, tuple[StepPlan, ...]] = field(factory=dict)
    """Each stage's timed steps, in order, by stage (only stages that have some)."""
    stage_routes: dict[str, tuple[RoutePlan, ...]] = field(factory=dict)
    """Each stage's routes, in order, by stage (only stages that have some)."""
    review_items: dict[str | None, Item] = field(factory=dict)
    """The review of an agreed action plan, by the stage it was agreed at (None: the
    case's); empty where the policy asks no review (`Policy.action_plan`)."""
    due_soon: dict[str | None, Timescale] = field(factory=dict)
    """How long before its deadline an action counts as due soon, by its stage (None: the
    policy's window, for actions of no stage); empty where the policy sets no window."""
    partnership_names: dict[str, str] = field(factory=dict)
    """Each partnership's name, by its id (an area): the agency of its side's role holders."""
    addressees: Memo[tuple[Who, PartyKey], tuple[Addressee, ...]] = field(
        factory=Memo, eq=False, repr=False
    )
    """The role holders themselves (no absence applies) for a ``who`` in a case with a
    `PartyKey`: built by `challenge_rules._obligations.Builder.who`."""
    actions: Memo[tuple[object, ...], Action] = field(factory=Memo, eq=False, repr=False)
    """Required actions with no deadline in cases with no absences, by their `Item`, the
    case's `PartyKey` and the rest of their fields (see
    `challenge_rules._obligations.Builder.add`): most recur from case to case."""

    def ladder(self, nature: str | None) -> Ladder:
        """The ladder a concern of ``nature`` goes through."""
        return self.ladders.get(nature) or self.ladders[None]


def _stage_item(stage: Stage) -> Item:
    return Item(
        id=f"stage:{stage.id}",
        kind="stage",
        what=stage.action,
        who=pairs(stage.participants),
        clause=stage.timescale_clause or stage.clause,
        stage=stage.id,
        who_stage=stage.id,
        contacts=stage.contacts,
        forms=stage.forms,
    )


def _stages_with_firmness(policy: Policy) -> Iterator[tuple[Stage, Firmness | None]]:
    """Each stage of each ladder, with the firmness its track sets (None: the track sets none)."""
    firmness = {track.id: track.firmness for track in policy.tracks}
    for ladder in vocabulary(policy).ladders:
        firm = None if ladder.track is None else firmness.get(ladder.track)
        for stage in ladder.stages:
            yield stage, firm


def _stage_steps(policy: Policy) -> dict[str, tuple[StepPlan, ...]]:
    defaults = policy.timescale_defaults
    found = {}
    for stage, firm in _stages_with_firmness(policy):
        if not stage.steps:
            continue
        positions = {step.id: n for n, step in enumerate(stage.steps)}
        compiled = []
        for n, step in enumerate(stage.steps):
            after = positions.get(step.after) if step.after is not None else n - 1
            done_by: tuple[EventMatch, ...] = (
                EventMatch(kind="step_done", where={"step": step.id}),
            )
            if step.done_by is not None:
                done_by += (step.done_by,)
            item = Item(
                id=f"step:{stage.id}:{step.id}",
                kind="step",
                what=step.action,
                who=pairs(step.participants or stage.participants),
                clause=step.clause or stage.clause,
                stage=stage.id,
                who_stage=stage.id,
                to_participants=not step.participants,
            )
            compiled.append(
                StepPlan(
                    item,
                    clock(step.timescale, defaults, firm),
                    done_by,
                    None if after is None or after < 0 else after,
                )
            )
        found[stage.id] = tuple(compiled)
    return found


def _stage_routes(
    policy: Policy, stage_clocks: dict[str, Clock]
) -> dict[str, tuple[RoutePlan, ...]]:
    defaults = policy.timescale_defaults
    found = {}
    for stage, firm in _stages_with_firmness(policy):
        if not stage.routes:
            continue
        usual = _stage_item(stage)
        found[stage.id] = tuple(
            RoutePlan(
                route,
                usual._replace(
                    what=route.action or usual.what,
                    who=pairs(route.participants) if route.participants else usual.who,
                    clause=route.clause,
                ),
                stage_clocks[stage.id]
                if route.timescale is None
                else clock(route.timescale, defaults, firm),
            )
            for route in stage.routes
        )
    return found


def _review_items(policy: Policy) -> dict[str | None, Item]:
    review = policy.action_plan
    if review is None:
        return {}
    found: dict[str | None, Item] = {}
    for stage in (None, *policy.all_stages()):
        who = review.who or (() if stage is None else stage.participants)
        found[None if stage is None else stage.id] = Item(
            id=f"review:action-plan@{'case' if stage is None else stage.id}",
            kind="review",
            what=review.action,
            who=pairs(who),
            clause=review.clause,
            stage=None if stage is None else stage.id,
            who_stage=None if stage is None else stage.id,
            to_participants=not review.who and stage is not None,
        )
    return found


def _escalation_items(policy: Policy) -> dict[tuple[str, str], Item]:
    found = {}
    for ladder in vocabulary(policy).ladders:
        for stage in ladder.stages:
            escalation = stage.on_unresolved
            if escalation is None:
                continue
            who = pairs((escalation.by,))
            for into in ladder.stages:
                found[stage.id, into.id] = Item(
                    id=f"escalate:{stage.id}",
                    kind="escalation",
                    what=escalation.action,
                    who=who,
                    clause=escalation.clause,
                    stage=into.id,
                    who_stage=stage.id,
                    contacts=escalation.contacts,
                    forms=escalation.forms,
                )
    return found


def duty_item(
    duty: Duty, stage: str | None, side: Side, participants: tuple[Actor, ...] = ()
) -> Item:
    """The action a duty that became due (for ``stage``, on ``side``) calls for.

    ``participants``: the stage's, for a duty addressed to them (`Duty.addressed_to`;
    a route the stage takes may name others, see `Item.to_participants`).
    """
    key = f"duty:{duty.id}@{stage or 'case'}"
    if duty.who is not None and duty.who.side is Side.EACH:
        key += f":{side}"
    return Item(
        id=key,
        kind="duty",
        what=duty.action,
        who=((duty.who.role, side),) if duty.who is not None else pairs(participants),
        clause=duty.clause,
        stage=stage,
        who_stage=stage,
        contacts=duty.contacts,
        forms=duty.forms,
        to_participants=duty.who is None,
    )


def _duty_items(policy: Policy) -> dict[tuple[str, str | None, Side], Item]:
    stages: list[str | None] = [None, *(s.id for s in policy.all_stages())]
    found: dict[tuple[str, str | None, Side], Item] = {}
    for duty in policy.duties:
        if duty.who is None:  # the participants of each stage (see `Duty.addressed_to`)
            for stage in policy.all_stages():
                found[duty.id, stage.id, Side.EACH] = duty_item(
                    duty, stage.id, Side.EACH, stage.participants
                )
            continue
        sides = (Side.RAISING, Side.RECEIVING) if duty.who.side is Side.EACH else (duty.who.side,)
        for stage_id in stages:
            for side in sides:
                found[duty.id, stage_id, side] = duty_item(duty, stage_id, side)
    return found


def _urgent_items(policy: Policy) -> dict[tuple[str, str], Item]:
    return {
        (rule.id, spec.id): Item(
            id=f"urgent:{rule.id}:{spec.id}",
            kind="urgent",
            what=spec.action,
            who=pairs((spec.who,)),
            clause=rule.clause,
            contacts=spec.contacts,
        )
        for rule in policy.urgency
        for spec in rule.immediate_actions
    }


def _citations(policy: Policy) -> dict[str, Citation]:
    sources = {s.id: s for s in policy.sources}
    return {
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


def _subject_contacts(
    policy: Policy,
) -> dict[tuple[str | None, Subject], dict[tuple[str, ...], tuple[ContactDetails, ...]]]:
    if not any(c.subjects for c in policy.contacts):
        return {}
    return {
        (area, subject): found
        for subject in Subject
        for area, found in _contact_table(policy, subject).items()
    }


def _contact_table(
    policy: Policy, subject: Subject | None = None
) -> dict[str | None, dict[tuple[str, ...], tuple[ContactDetails, ...]]]:
    lists = {stage.contacts for stage in policy.all_stages()}
    lists.update(s.on_unresolved.contacts for s in policy.all_stages() if s.on_unresolved)
    lists.update(duty.contacts for duty in policy.duties)
    lists.update(a.contacts for rule in policy.urgency for a in rule.immediate_actions)
    lists.update(x.contacts for x in policy.scope.exclusions)
    areas: list[str | None] = [None, *sorted(vocabulary(policy).known(PARTNERSHIP))]
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
                for c in policy.contacts_for(purpose, area, subject)
            )
            for purposes in lists
        }
        for area in areas
    }


def _ladders(policy: Policy) -> dict[str | None, Ladder]:
    natures = {track.id: track.natures for track in policy.tracks}
    ladders: dict[str | None, Ladder] = {}
    # The vocabulary lists the main ladder first, then each track's in order; a
    # nature on more than one track takes the first (as `Policy.ladder` does).
    for found in reversed(vocabulary(policy).ladders):
        ladder = Ladder(found.stages, {stage.id: rung for rung, stage in enumerate(found.stages)})
        if found.track is None:
            ladders[None] = ladder
        else:
            for nature in natures[found.track]:
                ladders[nature] = ladder
    return ladders


def _stage_clocks(policy: Policy) -> tuple[dict[str, Clock], dict[str, Clock]]:
    defaults = policy.timescale_defaults
    stages: dict[str, Clock] = {}
    escalations: dict[str, Clock] = {}
    for stage, firm in _stages_with_firmness(policy):
        stages[stage.id] = clock(stage.timescale, defaults, firm)
        if stage.on_unresolved is not None:
            escalations[stage.id] = clock(stage.on_unresolved.timescale, defaults, firm)
    return stages, escalations


def _due_soon(policy: Policy) -> dict[str | None, Timescale]:
    windows: dict[str | None, Timescale] = {
        found.stage.id: found.due_soon.before for found in due_soon_windows(policy)
    }
    if policy.due_soon is not None:
        windows[None] = policy.due_soon.before
    return windows


def _partnership_names(policy: Policy) -> dict[str, str]:
    names: dict[str, str] = {}
    for partnership in policy.partnerships:
        names.setdefault(partnership.id, partnership.name)  # the first of an id, as ever
    return names


def _compile(policy: Policy) -> Plan:
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
        if duty.trigger.on is TriggerKind.EVENT and duty.trigger.event is not None:
            event_duties.setdefault(duty.trigger.event.kind, []).append(duty)
    stage_clocks, escalation_clocks = _stage_clocks(policy)
    defaults = policy.timescale_defaults
    absence: dict[str, list[Fallback]] = {}
    for fallback in policy.fallbacks:
        if fallback.when.absent:
            absence.setdefault(fallback.role, []).append(fallback)
    return Plan(
        policy=policy,
        calendar=policy.working_calendar(),
        citations=_citations(policy),
        role_names={r.id: r.name for r in policy.roles},
        duties={key: found for key, found in duties.items() if found},
        event_duties={kind: tuple(found) for kind, found in event_duties.items()},
        ladders=_ladders(policy),
        absence_fallbacks={role: tuple(found) for role, found in absence.items()},
        support_fallbacks=tuple(
            f
            for f in policy.fallbacks
            if f.when.also_holds is not None and f.then.seek_support_from
        ),
        area_contacts=_contact_table(policy),
        stage_items={stage.id: _stage_item(stage) for stage in policy.all_stages()},
        escalation_items=_escalation_items(policy),
        duty_items=_duty_items(policy),
        urgent_items=_urgent_items(policy),
        stage_clocks=stage_clocks,
        escalation_clocks=escalation_clocks,
        duty_clocks={duty.id: clock(duty.timescale, defaults) for duty in policy.duties},
        urgency_clocks={rule.id: clock(rule.timescale, defaults) for rule in policy.urgency},
        subject_contacts=_subject_contacts(policy),
        stage_steps=_stage_steps(policy),
        stage_routes=_stage_routes(policy, stage_clocks),
        review_items=_review_items(policy),
        due_soon=_due_soon(policy),
        partnership_names=_partnership_names(policy),
        replay=replay_tables(policy, duties),
    )


# -- the replay's tables --------------------------------------------------------
# What `_replay` looks up for each event, read from the policy once: the duties a
# stage's entry or end makes due, by stage, and those an event makes due, by kind.


class Due(NamedTuple):
    """A duty as the replay makes it due."""

    duty: Duty
    sides: tuple[Side, ...]
    """The side of each occurrence (``each`` split in two; the stage's participants:
    one occurrence, on ``each``)."""
    subjects: tuple[Subject, ...]
    """Only for concerns about these (empty: any)."""
    of_stage: bool
    """Whether it belongs to the stage the case is at when its trigger names none
    (`Duty.belongs_to_stage`)."""


class StageDuties(NamedTuple):
    """The duties made due when one stage is entered, concluded, resolved, left unresolved."""

    entered: tuple[Due, ...]
    concluded: tuple[Due, ...]
    resolved: tuple[Due, ...]
    unresolved: tuple[Due, ...]


class EventDue(NamedTuple):
    """A duty made due by history events of one kind with some field values."""

    due: Due
    where: tuple[tuple[str, WhereValue], ...]
    """The trigger's field values (a tuple: any one of them)."""


class ReplayTables(NamedTuple):
    """The duties each step of the replay makes due, and the concern's scope."""

    raised: tuple[Due, ...]
    """The duties the concern makes due."""
    stages: dict[str, StageDuties]
    """By stage."""
    events: dict[str, tuple[EventDue, ...]]
    """By event kind."""
    tracked: frozenset[str]
    """The natures some track takes (an exclusion never applies to them)."""
    excluded: dict[str, Exclusion]
    """For each nature not tracked, the first exclusion that covers it."""


def _due(duty: Duty) -> Due:
    who = duty.who
    if who is None:
        sides: tuple[Side, ...] = (Side.EACH,)
    elif who.side is Side.EACH:
        sides = (Side.RAISING, Side.RECEIVING)
    else:
        sides = (who.side,)
    return Due(duty, sides, duty.subjects, duty.belongs_to_stage)


def replay_tables(
    policy: Policy, duties: dict[tuple[TriggerKind, str | None], tuple[Duty, ...]]
) -> ReplayTables:
    """The `ReplayTables` of ``policy`` (``duties``: by trigger and stage, as `Plan.duties`)."""

    def dues(kind: TriggerKind, stage: str | None) -> tuple[Due, ...]:
        return tuple(_due(duty) for duty in duties.get((kind, stage), ()))

    events: dict[str, list[EventDue]] = {}
    for duty in policy.duties:
        match = duty.trigger.event
        if duty.trigger.on is TriggerKind.EVENT and match is not None:
            events.setdefault(match.kind, []).append(
                EventDue(_due(duty), tuple(match.where.items()))
            )
    tracked = frozenset(nature for track in policy.tracks for nature in track.natures)
    excluded: dict[str, Exclusion] = {}
    for exclusion in policy.scope.exclusions:
        for nature in exclusion.natures:
            if nature not in tracked:
                excluded.setdefault(nature, exclusion)
    return ReplayTables(
        raised=dues(TriggerKind.CONCERN_RAISED, None),
        stages={
            stage.id: StageDuties(
                dues(TriggerKind.STAGE_ENTERED, stage.id),
                dues(TriggerKind.STAGE_CONCLUDED, stage.id),
                dues(TriggerKind.STAGE_RESOLVED, stage.id),
                dues(TriggerKind.STAGE_UNRESOLVED, stage.id),
            )
            for stage in policy.all_stages()
        },
        events={kind: tuple(found) for kind, found in events.items()},
        tracked=tracked,
        excluded=excluded,
    )


@functools.lru_cache(maxsize=64)
def plan_for(policy: Policy) -> Plan:
    """The `Plan` of ``policy`` (kept for the last 64 policies asked about)."""
    return _compile(policy)


__all__ = [
    "NO_CLOCK",
    "Clock",
    "Due",
    "Item",
    "Ladder",
    "Memo",
    "PartyKey",
    "Plan",
    "ReplayTables",
    "RoutePlan",
    "Rungs",
    "StageDuties",
    "StepPlan",
    "Who",
    "clock",
    "duty_item",
    "pairs",
    "plan_for",
    "replay_tables",
]
