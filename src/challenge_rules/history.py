"""Case histories: what has happened in one professional disagreement.

A `CaseHistory` is an opaque case reference and a sequence of events.  No
event carries personal data: people are identified by their role and agency,
never by name, and the case by a reference the case system chooses.

Every event has an ``id`` (unique within the history) and an ``at`` timestamp
with a UTC offset.  The events' kinds form a closed vocabulary (`EVENT_TYPES`),
each with its own fields, documented in ``docs/history.md``.
"""

from __future__ import annotations

import enum
import functools
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

import attrs
from attrs import Attribute, field, frozen

from challenge_rules._ids import EVENT_ID_MAX_LENGTH, EVENT_ID_RE, ID_MAX_LENGTH, ID_RE
from challenge_rules.policy import Side, Subject

if TYPE_CHECKING:
    from collections.abc import Iterable


# The ids' rules are the schemas' own (see `_ids`), so values built in Python and
# documents checked by the schema are held to one standard.
_ANSWER = re.compile(r"[A-Za-z0-9._-]+")
_MAX_ANSWER = 100  # as history.schema.json says of a template answer


def _fail(attribute: Attribute[Any], value: object, expected: str) -> ValueError:
    return ValueError(f"{attribute.name}: {str(value)[:60]!r} is not {expected}")


@functools.lru_cache(maxsize=4096)
def _is_policy_id(value: str) -> bool:
    # Cached: the same few names (stages, roles, sectors) recur in every history.
    return len(value) <= ID_MAX_LENGTH and ID_RE.fullmatch(value) is not None


def _policy_id(_: object, attribute: Attribute[Any], value: object) -> None:
    if not (isinstance(value, str) and _is_policy_id(value)):
        raise _fail(attribute, value, "an id of lower-case letters, digits, '-' and '_'")


def _optional_policy_id(instance: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        _policy_id(instance, attribute, value)


def _event_id(_: object, attribute: Attribute[Any], value: object) -> None:
    if not (
        isinstance(value, str)
        and len(value) <= EVENT_ID_MAX_LENGTH
        and EVENT_ID_RE.fullmatch(value)
    ):
        raise _fail(attribute, value, "an event id of letters, digits, '.', '_', ':' and '-'")


def _text(maximum: int) -> Any:  # noqa: ANN401 - an attrs validator
    def check(_: object, attribute: Attribute[Any], value: object) -> None:
        if not (isinstance(value, str) and 0 < len(value) <= maximum and not value.isspace()):
            raise _fail(attribute, value, f"a non-blank text of at most {maximum} characters")

    return check


def _unique(item: Any, minimum: int = 0, maximum: int = 1000) -> Any:  # noqa: ANN401
    def check(instance: object, attribute: Attribute[Any], value: tuple[object, ...]) -> None:
        if not minimum <= len(value) <= maximum or len(set(value)) != len(value):
            raise _fail(attribute, value, f"{minimum} to {maximum} different values")
        for entry in value:
            item(instance, attribute, entry)

    return check


def _answer(_: object, attribute: Attribute[Any], value: object) -> None:
    if not (isinstance(value, str) and len(value) <= _MAX_ANSWER and _ANSWER.fullmatch(value)):
        raise _fail(attribute, value, "a template item's number or id")


class Outcome(enum.StrEnum):
    """How a stage's discussion ended."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    WITHDRAWN = "withdrawn"
    CLOSED_WITHOUT_AGREEMENT = "closed_without_agreement"
    """The parties closed the matter without agreeing, where the stage allows it
    (`challenge_rules.policy.Stage.may_close_without_agreement`)."""


class Nature(enum.StrEnum):
    """What kind of matter a concern is; scope rules key on this."""

    CASE = "case"
    """A decision, action or practice in an individual child's or adult's case."""
    SYSTEMIC = "systemic"
    """An issue with a system or service rather than one case."""
    COMPLAINT = "complaint"
    """A complaint about an agency or a person."""
    CHILD_PROTECTION_CONFERENCE = "child_protection_conference"
    """Dissent from a child protection conference decision."""
    WHISTLEBLOWING = "whistleblowing"
    SINGLE_AGENCY = "single_agency"
    """A disagreement between practitioners within one agency (its own procedure)."""
    ALLEGATION_AGAINST_PROFESSIONAL = "allegation_against_professional"
    """A concern about a professional's behaviour or conduct towards a child or adult
    (the LADO or people-in-a-position-of-trust procedure)."""
    IRO_DISPUTE = "iro_dispute"
    """An Independent Reviewing Officer's practice alert or dispute about a child in care
    (the IRO dispute resolution process)."""


@frozen(weakref_slot=False)  # built by _construct.constructor
class Party:
    """One side of the disagreement: a role in an agency, never a named person."""

    role: str = field(validator=_policy_id)
    agency: str = field(validator=_text(400))
    sector: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class Event:
    """What every event has."""

    kind: ClassVar[str]
    id: str = field(validator=_event_id)
    at: datetime
    recorded_at: datetime | None = None
    """When the event was entered, if later than it happened (a late entry)."""


@frozen(kw_only=True)
class ConcernRaised(Event):
    """A practitioner's concern about another agency's decision or practice."""

    kind: ClassVar[str] = "concern_raised"
    raising: Party
    receiving: Party
    disputed: Literal["decision", "practice", "inaction", "delay", "service"] = "decision"
    nature: Nature = Nature.CASE
    topics: tuple[str, ...] = field(default=(), validator=_unique(_policy_id))
    """The policy's topics (areas of disagreement) the concern falls under."""
    area: str | None = field(default=None, validator=_optional_policy_id)
    """The `Partnership.id` of the area the case is in (picks contacts)."""
    decision_at: datetime | None = None
    """When the disputed decision was made (a conference meeting, a referral outcome)."""
    decision_received_at: datetime | None = None
    """When the raising side received the disputed decision."""
    identified_at: datetime | None = None
    """When the concern was identified, if before it was raised."""
    subject: Subject | None = None
    """Whom the concern is about (picks contacts and duties); None: not said."""


@frozen(kw_only=True)
class ConcernStructured(Event):
    """The concern written up with a template (e.g. the HIPS template)."""

    kind: ClassVar[str] = "concern_structured"
    template: str = field(validator=_policy_id)
    answered: tuple[str, ...] = field(default=(), validator=_unique(_answer))
    """Which of the template's items were answered (their 1-based numbers or ids)."""


@frozen(kw_only=True)
class DiscussionHeld(Event):
    """A stage's discussion took place, with its outcome."""

    kind: ClassVar[str] = "discussion_held"
    stage: str = field(validator=_policy_id)
    outcome: Outcome


@frozen(kw_only=True)
class Escalated(Event):
    """The concern was escalated to a stage."""

    kind: ClassVar[str] = "escalated"
    to_stage: str = field(validator=_policy_id)
    by: Side = Side.RAISING
    by_role: str | None = field(default=None, validator=_optional_policy_id)
    to_role: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class RoleHolderAbsent(Event):
    """The holder of a role on one side is away from ``start`` to ``end`` (inclusive)."""

    kind: ClassVar[str] = "role_holder_absent"
    side: Side
    role: str = field(validator=_policy_id)
    start: date
    end: date


@frozen(kw_only=True)
class RolesCombined(Event):
    """One person on a side holds several roles (e.g. line manager and DSL)."""

    kind: ClassVar[str] = "roles_combined"
    side: Side
    roles: tuple[str, ...] = field(validator=_unique(_policy_id, minimum=2))


@frozen(kw_only=True)
class RiskAssessed(Event):
    """The risk to the child or adult was assessed at a level of the policy's."""

    kind: ClassVar[str] = "risk_assessed"
    level: str = field(validator=_policy_id)


@frozen(kw_only=True)
class ContactMade(Event):
    """A contact of the policy's was contacted (e.g. the front door)."""

    kind: ClassVar[str] = "contact_made"
    purpose: str = field(validator=_policy_id)
    by: Side = Side.RAISING


@frozen(kw_only=True)
class RecordMade(Event):
    """A record was made (on the child's record, the partnership's log, ...)."""

    kind: ClassVar[str] = "record_made"
    record: Literal["childs_record", "agency_record", "partnership_record", "adults_record"]
    side: Side = Side.RAISING
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class OutcomeConfirmed(Event):
    """The agreed outcome was confirmed to the counterpart."""

    kind: ClassVar[str] = "outcome_confirmed"
    in_writing: bool = True
    by: Side = Side.RECEIVING
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class OutcomeCommunicated(Event):
    """The outcome was communicated to people involved."""

    kind: ClassVar[str] = "outcome_communicated"
    to: Literal["workers", "line_managers", "earlier_parties", "all_parties", "raiser"]
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class FormSubmitted(Event):
    """A form of the policy's was submitted."""

    kind: ClassVar[str] = "form_submitted"
    form: str = field(validator=_policy_id)
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class MeetingHeld(Event):
    """A meeting took place (a resolution meeting, an inter-agency meeting, ...)."""

    kind: ClassVar[str] = "meeting_held"
    meeting: Literal["resolution", "inter_agency", "professionals", "strategy"]
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class LearningDisseminated(Event):
    """The learning from a resolution meeting or review was shared."""

    kind: ClassVar[str] = "learning_disseminated"
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class TimescaleAgreed(Event):
    """A timescale was agreed for a stage of this case, to protect the child."""

    kind: ClassVar[str] = "timescale_agreed"
    stage: str = field(validator=_policy_id)
    due: datetime


@frozen(kw_only=True)
class CaseClosed(Event):
    """The case system closed the disagreement."""

    kind: ClassVar[str] = "case_closed"
    reason: Literal["resolved", "withdrawn", "other"] = "other"


@frozen(kw_only=True)
class Redirected(Event):
    """The matter was taken to another procedure (complaints, ...)."""

    kind: ClassVar[str] = "redirected"
    to: str = field(validator=_policy_id)


@frozen(kw_only=True)
class Acknowledged(Event):
    """Receipt of the concern (or of an escalation) was acknowledged to the other side."""

    kind: ClassVar[str] = "acknowledged"
    by: Side = Side.RECEIVING
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class EscalationIntended(Event):
    """One side advised the other that it intends to escalate (before escalating)."""

    kind: ClassVar[str] = "escalation_intended"
    by: Side = Side.RAISING
    to_stage: str | None = field(default=None, validator=_optional_policy_id)
    """The stage it means to escalate to (None: the next one)."""
    stage: str | None = field(default=None, validator=_optional_policy_id)
    """The stage the case was at when the intention was advised."""


@frozen(kw_only=True)
class PartnershipNotified(Event):
    """The partnership (or board) was notified of the disagreement, or copied in."""

    kind: ClassVar[str] = "partnership_notified"
    by: Side = Side.RAISING
    purpose: str | None = field(default=None, validator=_optional_policy_id)
    """The contact purpose told (a business manager, a board's chair); None: not said."""
    copied_in: bool = False
    """True where the partnership was copied in on correspondence rather than told."""
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class StepDone(Event):
    """One timed step inside a stage was done (see `challenge_rules.policy.Step`)."""

    kind: ClassVar[str] = "step_done"
    stage: str = field(validator=_policy_id)
    step: str = field(validator=_policy_id)
    """The step's id, as the stage's ``steps`` name it."""


@frozen(kw_only=True)
class ActionPlanAgreed(Event):
    """An action plan was agreed at resolution, to be reviewed by ``follow_up``."""

    kind: ClassVar[str] = "action_plan_agreed"
    follow_up: datetime
    """When the plan is to be reviewed: the review action is due then."""
    items: tuple[str, ...] = field(default=(), validator=_unique(_event_id, maximum=100))
    """The ids the case system gives the plan's actions (opaque: no personal data)."""
    stage: str | None = field(default=None, validator=_optional_policy_id)


@frozen(kw_only=True)
class ActionPlanReviewed(Event):
    """The action plan agreed for the case was reviewed."""

    kind: ClassVar[str] = "action_plan_reviewed"
    stage: str | None = field(default=None, validator=_optional_policy_id)


AnyEvent = (
    ConcernRaised
    | ConcernStructured
    | DiscussionHeld
    | Escalated
    | RoleHolderAbsent
    | RolesCombined
    | RiskAssessed
    | ContactMade
    | RecordMade
    | OutcomeConfirmed
    | OutcomeCommunicated
    | FormSubmitted
    | MeetingHeld
    | LearningDisseminated
    | TimescaleAgreed
    | CaseClosed
    | Redirected
    | Acknowledged
    | EscalationIntended
    | PartnershipNotified
    | StepDone
    | ActionPlanAgreed
    | ActionPlanReviewed
)

EVENT_TYPES: dict[str, type[AnyEvent]] = {cls.kind: cls for cls in get_args(AnyEvent)}
"""Every event kind, by the ``kind`` string used in JSON."""


@functools.cache
def moment_fields(kind: str) -> tuple[str, ...]:
    """The fields of an event kind that hold a moment (``at``, ``recorded_at``, ``due``, ...).

    Read from the event class's own annotations, so a moment field added to an
    event is found by every check of moments (the loaders' range check, the
    history rules) without being listed anywhere.
    """
    cls = EVENT_TYPES[kind]
    attrs.resolve_types(cls)
    return tuple(
        f.name for f in attrs.fields(cls) if f.type is datetime or datetime in get_args(f.type)
    )


def _events(value: Iterable[AnyEvent]) -> tuple[AnyEvent, ...]:
    return tuple(value)


MAX_EVENTS = 10_000


def _max_events(_: object, attribute: Attribute[Any], value: tuple[object, ...]) -> None:
    if len(value) > MAX_EVENTS:
        raise _fail(attribute, f"{len(value)} events", f"at most {MAX_EVENTS} events")


@frozen(weakref_slot=False)  # built by _construct.constructor
class CaseHistory:
    """One disagreement's events, in the order the case system gave them."""

    reference: str = field(validator=_text(200))
    """An opaque case reference: never a name, never an address."""
    events: tuple[AnyEvent, ...] = field(converter=_events, validator=_max_events)
    policy: str | None = field(default=None, validator=_optional_policy_id)
    """The id of the policy the case system believes applies."""


__all__ = [
    "EVENT_TYPES",
    "Acknowledged",
    "ActionPlanAgreed",
    "ActionPlanReviewed",
    "AnyEvent",
    "CaseClosed",
    "CaseHistory",
    "ConcernRaised",
    "ConcernStructured",
    "ContactMade",
    "DiscussionHeld",
    "Escalated",
    "EscalationIntended",
    "Event",
    "FormSubmitted",
    "LearningDisseminated",
    "MeetingHeld",
    "Nature",
    "Outcome",
    "OutcomeCommunicated",
    "OutcomeConfirmed",
    "PartnershipNotified",
    "Party",
    "RecordMade",
    "Redirected",
    "RiskAssessed",
    "RoleHolderAbsent",
    "RolesCombined",
    "StepDone",
    "TimescaleAgreed",
    "moment_fields",
]
