"""The policy model: one partnership's escalation procedure, as immutable values.

A `Policy` is what a policy JSON file describes once it has passed schema and
semantic validation (see `challenge_rules.loading`).  Field names here are the
JSON property names, one for one.  Every rule that can demand an action of
someone (a stage, a duty, a fallback, an urgency rule, a scope exclusion)
names the `Clause` of its source document that it comes from, so each action
and breach the evaluator reports can cite it.
"""

from __future__ import annotations

import enum
from collections.abc import ItemsView, KeysView, Mapping, ValuesView
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

import attrs
from attrs import field, frozen

from challenge_rules._references import (
    CLAUSE,
    FORM,
    PARTNERSHIP,
    PURPOSE,
    RISK_LEVEL,
    ROLE,
    SECTOR,
    SOURCE,
    STAGE,
    TOPIC,
    defines,
    refers,
)
from challenge_rules.calendar import Firmness, Timescale, Unit, WorkingCalendar, working_calendar
from challenge_rules.errors import InvalidPolicy, NotFound, Problem

if TYPE_CHECKING:
    from collections.abc import Iterator

Protects = Literal["children", "adults"]
NotifiedChange = Literal["appeared", "due_soon", "breached", "done"]
"""A kind of change to an action a case system notifies of (see `challenge_rules.changes`)."""


class Side(enum.StrEnum):
    """Whose people a rule speaks of, relative to one disagreement."""

    RAISING = "raising"
    """The agency that raised the challenge."""
    RECEIVING = "receiving"
    """The agency whose decision or practice is challenged."""
    EACH = "each"
    """Both agencies, each for its own part."""
    PARTNERSHIP = "partnership"
    """The safeguarding partnership itself (its business unit, its members)."""


class Subject(enum.StrEnum):
    """Whom a concern is about; contacts and duties may serve only some of them."""

    CHILD = "child"
    ADULT = "adult"
    ADULT_AT_RISK = "adult_at_risk"
    """An adult with care and support needs at risk of abuse or neglect (Care Act 2014)."""


SUBJECTS_PROTECTED: dict[Subject, Protects] = {
    Subject.CHILD: "children",
    Subject.ADULT: "adults",
    Subject.ADULT_AT_RISK: "adults",
}
"""Which of a policy's `Protects` each subject falls under."""


class Anchor(enum.StrEnum):
    """What a clock (a stage's, a duty's, an escalation's) counts from.

    ``stage_entered``, ``previous_stage_concluded`` and ``escalated`` are for
    stages only.  ``decision``, ``decision_received``, ``identified``,
    ``initial_discussion`` and ``event`` are moments a case may not give (yet):
    then the clock counts from the item's ``counts_from_fallback`` (by default:
    a stage's entry, a duty's trigger, an escalation's stage concluding).
    """

    CONCERN = "concern"
    """The moment the concern arose (``concern_raised``)."""
    STAGE_ENTERED = "stage_entered"
    """The moment the case reached this stage (escalation or unresolved outcome)."""
    PREVIOUS_STAGE_CONCLUDED = "previous_stage_concluded"
    """The moment the previous stage concluded."""
    ESCALATED = "escalated"
    """The moment the escalation into this stage was recorded ("of being notified
    of the escalation"); until one is recorded, the moment the case reached the
    stage.  A late escalation never moves a deadline that had already passed."""
    DECISION = "decision"
    """The disputed decision (``decision_at`` on the concern), e.g. a conference meeting."""
    DECISION_RECEIVED = "decision_received"
    """Receiving the disputed decision (``decision_received_at``), else the decision itself."""
    IDENTIFIED = "identified"
    """Identifying the concern (``identified_at`` on the concern)."""
    INITIAL_DISCUSSION = "initial_discussion"
    """The case's first ``discussion_held``."""
    EVENT = "event"
    """The case's first event matching the item's ``counts_from_event``."""


STAGE_ANCHORS: frozenset[Anchor] = frozenset(
    {Anchor.STAGE_ENTERED, Anchor.PREVIOUS_STAGE_CONCLUDED, Anchor.ESCALATED}
)
"""The anchors only a stage's clock can count from."""
MAY_BE_MISSING: frozenset[Anchor] = frozenset(
    {
        Anchor.DECISION,
        Anchor.DECISION_RECEIVED,
        Anchor.IDENTIFIED,
        Anchor.INITIAL_DISCUSSION,
        Anchor.EVENT,
    }
)
"""The anchors a case may not give: the ones a ``counts_from_fallback`` is for."""


class TriggerKind(enum.StrEnum):
    """What makes a duty due."""

    CONCERN_RAISED = "concern_raised"
    STAGE_ENTERED = "stage_entered"
    STAGE_CONCLUDED = "stage_concluded"
    STAGE_RESOLVED = "stage_resolved"
    STAGE_UNRESOLVED = "stage_unresolved"
    EVENT = "event"
    """A matching history event (see `Trigger.event`)."""


class AgreedTimescales(enum.StrEnum):
    """How a timescale agreed for one case combines with the policy's own."""

    SHORTER = "shorter"
    """Whichever is shorter: the policy's timescale or the agreed one."""
    REPLACES = "replaces"
    """The agreed timescale replaces the policy's (time frames set case by case)."""
    IGNORED = "ignored"


@frozen
class Source:
    """A document a policy is drawn from."""

    id: str = field(metadata=defines(SOURCE))
    title: str
    kind: Literal["procedure", "seed-extract", "public-page", "guidance"] = "procedure"
    document: str | None = None
    """A file name, for documents kept as files (e.g. the seed extracts)."""
    url: str | None = None
    publisher: str | None = None
    published: str | None = None
    """As the document states it (a date, a month or a year)."""
    retrieved: date | None = None
    note: str | None = None


@frozen
class Clause:
    """One citable part of a source: the authority for a rule."""

    id: str = field(metadata=defines(CLAUSE))
    source: str = field(metadata=refers(SOURCE))
    """The `Source.id` it is in."""
    section: str
    """The heading, step or paragraph, as the source names it."""
    quote: str | None = None
    """The words of the source, where short enough to quote."""


@frozen
class Partnership:
    """A safeguarding partnership, or one area of a multi-area procedure."""

    id: str = field(metadata=defines(PARTNERSHIP))
    name: str
    area: str
    """The local authority area it covers."""


@frozen
class CalendarSpec:
    """The working-day calendar a policy's timescales count in."""

    time_zone: str = "Europe/London"
    holidays: str = "england-and-wales"
    extra_closures: tuple[date, ...] = ()
    """The partnership's own closure days, and special bank holidays announced
    after this library's release."""

    def working_calendar(self) -> WorkingCalendar:
        """The (cached) calendar object for this specification."""
        return working_calendar(self.time_zone, self.holidays, self.extra_closures)


@frozen
class Role:
    """A role someone plays in the procedure (practitioner, line manager, ...)."""

    id: str = field(metadata=defines(ROLE))
    name: str
    description: str | None = None
    line_manager: str | None = field(default=None, metadata=refers(ROLE))
    """The role that line-manages holders of this one: told, as well as them, of the
    changes to their actions that `Policy.tell_line_managers` names."""


@frozen
class Sector:
    """A kind of setting an agency belongs to (school, general practice, ...)."""

    id: str = field(metadata=defines(SECTOR))
    name: str


@frozen
class RiskLevel:
    """A level of risk a case can be assessed at; urgency rules key on these."""

    id: str = field(metadata=defines(RISK_LEVEL))
    name: str


@frozen
class Actor:
    """Who does something: a role on one side of the disagreement."""

    role: str = field(metadata=refers(ROLE))
    side: Side = Side.RAISING


WhereValue = str | bool | tuple[str, ...]
"""A value an event field must have; a list of texts means any one of them."""


class FieldValues(Mapping[str, WhereValue]):
    """An immutable, hashable mapping of event field names to the values they must have.

    It reads like the ``dict`` it is built from (``where["purpose"]``,
    ``where.get(...)``, ``where == {"purpose": "front-door"}``), but cannot be
    changed, so a `Policy` holding one keeps the hash it was built with.
    """

    __slots__ = ("_hash", "_values")

    _values: dict[str, WhereValue]
    _hash: int

    def __init__(self, values: Mapping[str, WhereValue] | None = None) -> None:
        # A private copy: changes to the mapping it was built from do not reach it.
        values = dict(values or {})
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_hash", hash(frozenset(values.items())))

    def __setattr__(self, name: str, value: object) -> None:
        msg = f"FieldValues is immutable: cannot set {name!r}"
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> None:
        msg = f"FieldValues is immutable: cannot delete {name!r}"
        raise AttributeError(msg)

    def __getitem__(self, key: str) -> WhereValue:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    # The dict's own (read-only) views and lookups: the engine reads these per event.
    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: str, default: WhereValue | None = None) -> WhereValue | None:  # type: ignore[override]
        """The value ``key`` must have, or ``default``."""
        return self._values.get(key, default)

    def items(self) -> ItemsView[str, WhereValue]:
        """The field names and values, as a read-only view."""
        return self._values.items()

    def keys(self) -> KeysView[str]:
        """The field names, as a read-only view."""
        return self._values.keys()

    def values(self) -> ValuesView[WhereValue]:
        """The values, as a read-only view."""
        return self._values.values()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldValues):
            return self._values == other._values
        return isinstance(other, Mapping) and self._values == dict(other.items())

    def __repr__(self) -> str:
        return f"FieldValues({self._values!r})"


def _field_values(value: Mapping[str, WhereValue] | None) -> FieldValues:
    return value if isinstance(value, FieldValues) else FieldValues(value)


@frozen
class EventMatch:
    """Matches history events of one kind whose fields have the values in ``where``.

    A value may be a list of texts: the field must have one of them (the front
    door *or*, out of hours, the Emergency Duty Team was contacted).  ``where``
    may be given as a ``dict``; it is kept as an immutable `FieldValues`.
    """

    kind: str
    where: FieldValues = field(factory=FieldValues, converter=_field_values)


@frozen
class Exclusion:
    """A kind of matter the procedure must not be used for, and what to do instead."""

    id: str
    clause: str = field(metadata=refers(CLAUSE, rule=True))
    natures: tuple[str, ...]
    """Concern natures (``systemic``, ``complaint``, ...) this exclusion covers."""
    instead: str
    """What to do instead, in words a practitioner can act on."""
    redirect_to: str | None = None
    """A short name for the other procedure (``complaints``, ...)."""
    contacts: tuple[str, ...] = field(default=(), metadata=refers(PURPOSE))
    """Contact purposes to show with what to do instead (e.g. the LADO)."""


@frozen
class Scope:
    """When the procedure applies, and when it must not be used."""

    applies_when: tuple[str, ...] = ()
    applies_clause: str | None = field(default=None, metadata=refers(CLAUSE))
    exclusions: tuple[Exclusion, ...] = ()


@frozen
class Escalation:
    """What happens when a stage ends unresolved."""

    clause: str = field(metadata=refers(CLAUSE, rule=True))
    action: str
    """What must be done to escalate (e.g. *notify your line manager*)."""
    by: Actor
    to: str | None = field(default=None, metadata=refers(STAGE))
    """The stage escalated to; ``None`` for the next stage on the ladder."""
    timescale: Timescale | None = None
    """How soon the escalation itself must happen after the stage concludes."""
    contacts: tuple[str, ...] = field(default=(), metadata=refers(PURPOSE))
    """Contact purposes to show with the escalation (e.g. the partnership's mailbox)."""
    forms: tuple[str, ...] = field(default=(), metadata=refers(FORM))
    """Forms the escalation uses (e.g. a referral form)."""
    counts_from: Anchor | None = None
    """What the escalation's clock counts from (``None``: the stage concluding)."""
    counts_from_event: EventMatch | None = None
    """For ``counts_from: event``: the event the clock starts at."""
    counts_from_fallback: Anchor | None = None
    """What the clock counts from when the case does not give ``counts_from``'s moment."""


def _window(_instance: object, _attribute: object, value: Timescale) -> None:
    if not value.plain or value.unit in (Unit.IMMEDIATELY, Unit.WITHOUT_DELAY):
        raise InvalidPolicy(
            problems=(
                Problem(
                    message=f"a due-soon window of {value} has no fixed length",
                    expected="a unit and an amount: working_days, calendar_days, hours, months "
                    "or same_day",
                ),
            )
        )


@frozen
class DueSoon:
    """When an action counts as due soon: for the last ``before`` of the time it allows.

    ``before`` is counted back from the deadline the way deadlines count
    forward (see `WorkingCalendar.ahead_of`): one working day before "end of
    Thursday" is from the start of Thursday.
    """

    before: Timescale = field(validator=_window)


@frozen
class Stage:
    """One rung of the ladder."""

    id: str = field(metadata=defines(STAGE))
    name: str
    clause: str = field(metadata=refers(CLAUSE, rule=True))
    action: str
    """What must happen at this stage."""
    participants: tuple[Actor, ...]
    """Who takes part; the first is the one who leads the stage."""
    timescale: Timescale | None = None
    """``None`` where the source gives no timescale: the action has no due date."""
    counts_from: Anchor = Anchor.STAGE_ENTERED
    timescale_clause: str | None = field(default=None, metadata=refers(CLAUSE, rule=True))
    """The clause that sets the timescale, when it is not the stage's own."""
    timescale_note: str | None = None
    """How the timescale was read from the source (e.g. *Day 8-13*)."""
    optional: bool = False
    """An optional stage may be passed over without a *stage skipped* warning."""
    contacts: tuple[str, ...] = field(default=(), metadata=refers(PURPOSE))
    """Contact purposes to show with this stage's action (see `Contact.purpose`)."""
    forms: tuple[str, ...] = field(default=(), metadata=refers(FORM))
    """Forms used at this stage (see `Form`)."""
    on_unresolved: Escalation | None = None
    """``None`` on the last stage: the ladder ends there."""
    final_note: str | None = None
    """For the last stage: what the source says happens when it concludes."""
    counts_from_event: EventMatch | None = None
    """For ``counts_from: event``: the event the clock starts at."""
    counts_from_fallback: Anchor | None = None
    """What the clock counts from when the case does not give ``counts_from``'s moment
    (``None``: the stage's entry)."""
    due_soon: DueSoon | None = None
    """When the stage's actions count as due soon (``None``: as its track or policy says)."""


@frozen
class Track:
    """A separate ladder for concerns of particular natures.

    For example: dissent from a child protection conference decision.
    """

    id: str
    name: str
    clause: str = field(metadata=refers(CLAUSE))
    natures: tuple[str, ...]
    stages: tuple[Stage, ...]
    firmness: Firmness | None = None
    """How firm the track's timescales are (``None``: the policy's default)."""
    firmness_clause: str | None = field(default=None, metadata=refers(CLAUSE))
    """The clause that says so (e.g. *the timescales are guidelines*)."""
    due_soon: DueSoon | None = None
    """When the track's actions count as due soon (a stage's own comes first; ``None``:
    as the policy says)."""


@frozen
class Trigger:
    """When a duty becomes due."""

    on: TriggerKind
    stages: tuple[str, ...] = field(default=(), metadata=refers(STAGE))
    """Restrict stage triggers to these stages (empty: every stage)."""
    event: EventMatch | None = None
    """For ``on: event``: the history event that triggers the duty."""


@frozen
class Duty:
    """Something that must be done that is not itself a stage.

    Recording, confirming an outcome in writing, telling the workers involved,
    submitting a form, disseminating learning, ...  A duty is due once per
    trigger occurrence, and stays required until a matching event records it
    done.
    """

    id: str
    clause: str = field(metadata=refers(CLAUSE, rule=True))
    action: str
    who: Actor
    trigger: Trigger
    discharged_by: EventMatch
    timescale: Timescale | None = None
    """``None``: an outstanding action with no due date, never a breach."""
    contacts: tuple[str, ...] = field(default=(), metadata=refers(PURPOSE))
    forms: tuple[str, ...] = field(default=(), metadata=refers(FORM))
    counts_from: Anchor | None = None
    """What the duty's clock counts from (``None``: when it became due)."""
    counts_from_event: EventMatch | None = None
    """For ``counts_from: event``: the event the clock starts at."""
    counts_from_fallback: Anchor | None = None
    """What the clock counts from when the case does not give ``counts_from``'s moment."""
    subjects: tuple[Subject, ...] = ()
    """Only for concerns about these subjects (empty: any). A concern that does not
    say whom it is about gets every duty."""


@frozen
class FallbackWhen:
    """The condition of a fallback rule: absence, or one person holding two roles."""

    absent: bool = False
    also_holds: str | None = field(default=None, metadata=refers(ROLE))
    """The other role the same person holds (e.g. ``dsl``)."""
    sectors: tuple[str, ...] = field(default=(), metadata=refers(SECTOR))
    """Only in these sectors (empty: any)."""


@frozen
class FallbackThen:
    """The effect of a fallback rule."""

    substitutes: tuple[str, ...] = field(default=(), metadata=refers(ROLE))
    """Roles to turn to instead, in order of preference."""
    seek_support_from: tuple[str, ...] = field(default=(), metadata=refers(ROLE))
    """Roles (often sector bodies) to seek support from, any one of them."""


@frozen
class Fallback:
    """A role fallback: who acts when the usual person cannot."""

    id: str
    clause: str = field(metadata=refers(CLAUSE, rule=True))
    role: str = field(metadata=refers(ROLE))
    when: FallbackWhen
    then: FallbackThen
    side: Side | None = None
    """Only for this side (``None``: either side)."""
    stages: tuple[str, ...] = field(default=(), metadata=refers(STAGE))
    """Only at these stages (empty: every stage)."""


@frozen
class ImmediateAction:
    """An action an urgency rule demands at once."""

    id: str
    action: str
    who: Actor
    discharged_by: EventMatch
    contacts: tuple[str, ...] = field(default=(), metadata=refers(PURPOSE))


@frozen
class UrgencyRule:
    """What changes when a case is assessed at a given level of risk."""

    id: str
    clause: str = field(metadata=refers(CLAUSE, rule=True))
    risks: tuple[str, ...] = field(metadata=refers(RISK_LEVEL))
    """The `RiskLevel` ids that activate the rule."""
    immediate_actions: tuple[ImmediateAction, ...] = ()
    timescale: Timescale | None = None
    """While active, shortens the timescales of stages and escalations, where shorter."""
    stages: tuple[str, ...] = field(default=(), metadata=refers(STAGE))
    """Stages whose timescales it shortens (empty: every stage)."""
    skip_to: str | None = field(default=None, metadata=refers(STAGE))
    """A stage the case may go straight to (no *stage skipped* warning)."""
    note: str | None = None


@frozen
class Contact:
    """A mailbox, duty team or telephone line, per area."""

    id: str
    name: str
    purpose: str = field(metadata=defines(PURPOSE))
    """What it is for (``step-3-referral``, ``front-door``, ...)."""
    clause: str = field(metadata=refers(CLAUSE))
    area: str | None = field(default=None, metadata=refers(PARTNERSHIP))
    """The `Partnership.id` it serves (``None``: every area)."""
    email: str | None = None
    phone: str | None = None
    hours: str | None = None
    subjects: tuple[Subject, ...] = ()
    """Only for concerns about these subjects (empty: any); one joint protocol can give
    children's and adults' concerns different contacts."""


@frozen
class FormField:
    """One field of a form.  Personal fields are never filled by the library."""

    id: str
    label: str
    personal: bool = False
    fill_from: str | None = None
    """Where a case system can take the value from (see the docs' vocabulary)."""


@frozen
class Form:
    """A form a stage or duty uses (e.g. the Pan-Cheshire Appendix A referral)."""

    id: str = field(metadata=defines(FORM))
    title: str
    clause: str = field(metadata=refers(CLAUSE))
    fields: tuple[FormField, ...] = ()
    """The form's fields; empty only where ``fields_known`` is false."""
    submit_to: str | None = field(default=None, metadata=refers(PURPOSE))
    """A contact purpose."""
    fields_known: bool = True
    """False where the source names the form but does not list its fields: ``fields``
    then holds only those the source mentions (perhaps none)."""


@frozen
class Topic:
    """An area in which disagreements arise, to classify a concern."""

    id: str = field(metadata=defines(TOPIC))
    label: str
    clause: str = field(metadata=refers(CLAUSE))


@frozen
class Guidance:
    """Text a user acts on that is not a rule: a pledge, a template, prompts."""

    id: str
    kind: Literal["pledge", "template", "prompts", "principles", "barriers", "expectations"]
    title: str
    clause: str = field(metadata=refers(CLAUSE))
    items: tuple[str, ...]
    """The questions, prompts or statements, in order."""
    use: str | None = None
    """When to use it (e.g. *read at the start of multi-agency meetings*)."""


class GapKind(enum.StrEnum):
    """Why a gap is there: only the second kind can be closed by extending the format."""

    SOURCE_SILENT = "source_silent"
    """The source (or the part of it that could be read) does not say it, or is ambiguous."""
    FORMAT_CANNOT_SAY = "format_cannot_say"
    """The source says it and the policy format has no way to express it."""


UNCLASSIFIED: Final = "unclassified"
"""How `Policy.gap_counts` names the kind of a gap in the older form, which has none."""


@frozen
class Gap:
    """Something the source leaves out, named so nobody mistakes it for a rule.

    A gap is written either with ``id``, ``kind`` and ``about`` (an id path) or,
    in the older form, with a ``pointer`` alone; construction refuses a gap
    that has neither ``about`` nor ``pointer``, or ``about`` without ``id``
    and ``kind``.
    """

    pointer: str | None = field(default=None, kw_only=True)
    """The older form: a JSON pointer by array index to the part of the policy concerned."""
    text: str = field(kw_only=True)
    id: str | None = field(default=None, kw_only=True)
    kind: GapKind | None = field(default=None, kw_only=True)
    about: str | None = field(default=None, kw_only=True)
    """An id path: a JSON pointer whose steps into a list are element ids
    (``/stages/step-2/timescale``); "" is the whole policy."""

    def __attrs_post_init__(self) -> None:
        if self.pointer is None and None in (self.id, self.kind, self.about):
            missing = [n for n in ("id", "kind", "about") if getattr(self, n) is None]
            raise InvalidPolicy(
                problems=(
                    Problem(
                        message=f"a gap needs {', '.join(missing)}",
                        expected='"id", "kind" and "about" (or the older "pointer")',
                    ),
                )
            )


@frozen
class TimescaleDefaults:
    """How the policy reads its timescales, where a timescale does not say."""

    firmness: Firmness = Firmness.FIRM
    """How firm the timescales are (a track's or a timescale's own firmness overrides it)."""
    firmness_clause: str | None = field(default=None, metadata=refers(CLAUSE))
    """The clause that says so (e.g. *the timescales provided are guidelines*)."""
    immediately_means: Timescale | None = None
    """How long "immediately" allows, e.g. the same working day (``None``: not a moment
    beyond the trigger, so any later is late; a policy check warns of it)."""
    without_delay_expects: Timescale | None = None
    """The deadline the policy sets for what the source wants "without delay"
    (``None``: none, the action is urgent but can never be late)."""

    def read(self, timescale: Timescale, firmness: Firmness | None = None) -> Timescale:
        """``timescale`` as the policy reads it: these defaults filled in where it says nothing.

        ``firmness`` is its ladder's (a track's), which comes before the policy's.
        The result always has a firmness, and for ``immediately`` and
        ``without_delay`` the policy's tolerance and expectation if it has none.
        """
        changes: dict[str, object] = {}
        if timescale.firmness is None:
            changes["firmness"] = firmness or self.firmness
        if timescale.unit is Unit.IMMEDIATELY and timescale.tolerance is None:
            changes["tolerance"] = self.immediately_means
        if timescale.unit is Unit.WITHOUT_DELAY and timescale.expect_within is None:
            changes["expect_within"] = self.without_delay_expects
        return attrs.evolve(timescale, **changes)  # type: ignore[arg-type]


# The hash is cached: the evaluator keys its per-policy lookup tables on it.
@frozen(cache_hash=True)
class Policy:
    """One partnership's professional challenge and escalation procedure."""

    id: str
    title: str
    version: str
    effective_from: date
    protects: tuple[Protects, ...]
    partnerships: tuple[Partnership, ...]
    sources: tuple[Source, ...]
    clauses: tuple[Clause, ...]
    roles: tuple[Role, ...]
    stages: tuple[Stage, ...]
    calendar: CalendarSpec = CalendarSpec()
    summary: str | None = None
    scope: Scope = Scope()
    sectors: tuple[Sector, ...] = ()
    risk_levels: tuple[RiskLevel, ...] = ()
    tracks: tuple[Track, ...] = ()
    duties: tuple[Duty, ...] = ()
    fallbacks: tuple[Fallback, ...] = ()
    urgency: tuple[UrgencyRule, ...] = ()
    agreed_timescales: AgreedTimescales = AgreedTimescales.SHORTER
    contacts: tuple[Contact, ...] = ()
    forms: tuple[Form, ...] = ()
    topics: tuple[Topic, ...] = ()
    guidance: tuple[Guidance, ...] = ()
    gaps: tuple[Gap, ...] = ()
    timescale_defaults: TimescaleDefaults = TimescaleDefaults()
    due_soon: DueSoon | None = None
    """When actions count as due soon, where their stage and track do not say (``None``:
    never: an action is due or late, never due soon)."""
    tell_line_managers: tuple[NotifiedChange, ...] = ()
    """The changes to an action its addressees' line managers are told of too (see
    `Role.line_manager`); empty: only the addressees."""
    effective_until: date | None = None
    """The last day this version is in force (``None``: until the next version's
    ``effective_from``, or for good). See `challenge_rules.versions`."""
    applies_to_open_cases: bool = False
    """Whether this version takes over the cases still open on its ``effective_from``
    (by default a case is judged by the version in force when its concern was raised)."""

    def gap_counts(self) -> dict[str, int]:
        """How many gaps of each `GapKind` (every kind, by value), then `UNCLASSIFIED` ones.

        `UNCLASSIFIED` counts the gaps in the older ``pointer`` form, which have
        no kind; it is listed only when there are some.
        """
        counts = {kind.value: 0 for kind in GapKind}
        for gap in self.gaps:
            key = gap.kind.value if gap.kind is not None else UNCLASSIFIED
            counts[key] = counts.get(key, 0) + 1
        return counts

    def ladder(self, nature: str | None = None) -> tuple[Stage, ...]:
        """The stages a concern of ``nature`` goes through."""
        if nature is not None:
            for track in self.tracks:
                if nature in track.natures:
                    return track.stages
        return self.stages

    def all_stages(self) -> Iterator[Stage]:
        """Every stage, on the main ladder and on every track."""
        yield from self.stages
        for track in self.tracks:
            yield from track.stages

    def stage(self, stage_id: str) -> Stage:
        """The stage with this id (on any ladder)."""
        for stage in self.all_stages():
            if stage.id == stage_id:
                return stage
        raise NotFound(kind="stage", key=stage_id, available=tuple(s.id for s in self.all_stages()))

    def clause(self, clause_id: str) -> Clause:
        """The clause with this id."""
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise NotFound(kind="clause", key=clause_id, available=tuple(c.id for c in self.clauses))

    def source(self, source_id: str) -> Source:
        """The source with this id."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise NotFound(kind="source", key=source_id, available=tuple(s.id for s in self.sources))

    def contacts_for(
        self, purpose: str, area: str | None = None, subject: Subject | None = None
    ) -> tuple[Contact, ...]:
        """Contacts serving ``purpose``: those of ``area`` if it has any, else all.

        With a ``subject``, only the contacts for concerns about it (or about anyone).
        """
        matching = tuple(
            c
            for c in self.contacts
            if c.purpose == purpose and (subject is None or not c.subjects or subject in c.subjects)
        )
        if area is None:
            return matching
        local = tuple(c for c in matching if c.area in (area, None))
        return local or matching

    def contact_purposes(self) -> frozenset[str]:
        """The purposes a history's ``contact_made`` events may name.

        Those of the policy's contacts, and any an urgency rule's immediate
        action is discharged by.
        """
        purposes = {c.purpose for c in self.contacts}
        for rule in self.urgency:
            for action in rule.immediate_actions:
                wanted = action.discharged_by.where.get("purpose")
                if isinstance(wanted, str):
                    purposes.add(wanted)
                elif isinstance(wanted, tuple):
                    purposes.update(wanted)
        return frozenset(purposes)

    def working_calendar(self) -> WorkingCalendar:
        """The working-day calendar this policy counts in."""
        return self.calendar.working_calendar()


__all__ = [
    "MAY_BE_MISSING",
    "STAGE_ANCHORS",
    "SUBJECTS_PROTECTED",
    "UNCLASSIFIED",
    "Actor",
    "AgreedTimescales",
    "Anchor",
    "CalendarSpec",
    "Clause",
    "Contact",
    "DueSoon",
    "Duty",
    "Escalation",
    "EventMatch",
    "Exclusion",
    "Fallback",
    "FallbackThen",
    "FallbackWhen",
    "FieldValues",
    "Form",
    "FormField",
    "Gap",
    "GapKind",
    "Guidance",
    "ImmediateAction",
    "NotifiedChange",
    "Partnership",
    "Policy",
    "Protects",
    "RiskLevel",
    "Role",
    "Scope",
    "Sector",
    "Side",
    "Source",
    "Stage",
    "Subject",
    "Timescale",
    "TimescaleDefaults",
    "Topic",
    "Track",
    "Trigger",
    "TriggerKind",
    "UrgencyRule",
    "WhereValue",
]
