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
from datetime import date, datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from attrs import field, frozen

from challenge_rules.policy import Side

if TYPE_CHECKING:
    from collections.abc import Iterable


class Outcome(enum.StrEnum):
    """How a stage's discussion ended."""

    RESOLVED = "resolved"
    UNRESOLVED = "unresolved"
    WITHDRAWN = "withdrawn"


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


@frozen
class Party:
    """One side of the disagreement: a role in an agency, never a named person."""

    role: str
    agency: str
    sector: str | None = None


@frozen(kw_only=True)
class Event:
    """What every event has."""

    kind: ClassVar[str]
    id: str
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
    topics: tuple[str, ...] = ()
    """The policy's topics (areas of disagreement) the concern falls under."""
    area: str | None = None
    """The `Partnership.id` of the area the case is in (picks contacts)."""


@frozen(kw_only=True)
class ConcernStructured(Event):
    """The concern written up with a template (e.g. the HIPS template)."""

    kind: ClassVar[str] = "concern_structured"
    template: str
    answered: tuple[str, ...] = ()
    """Which of the template's items were answered (their 1-based numbers or ids)."""


@frozen(kw_only=True)
class DiscussionHeld(Event):
    """A stage's discussion took place, with its outcome."""

    kind: ClassVar[str] = "discussion_held"
    stage: str
    outcome: Outcome


@frozen(kw_only=True)
class Escalated(Event):
    """The concern was escalated to a stage."""

    kind: ClassVar[str] = "escalated"
    to_stage: str
    by: Side = Side.RAISING
    by_role: str | None = None
    to_role: str | None = None


@frozen(kw_only=True)
class RoleHolderAbsent(Event):
    """The holder of a role on one side is away from ``start`` to ``end`` (inclusive)."""

    kind: ClassVar[str] = "role_holder_absent"
    side: Side
    role: str
    start: date
    end: date


@frozen(kw_only=True)
class RolesCombined(Event):
    """One person on a side holds several roles (e.g. line manager and DSL)."""

    kind: ClassVar[str] = "roles_combined"
    side: Side
    roles: tuple[str, ...]


@frozen(kw_only=True)
class RiskAssessed(Event):
    """The risk to the child or adult was assessed at a level of the policy's."""

    kind: ClassVar[str] = "risk_assessed"
    level: str


@frozen(kw_only=True)
class ContactMade(Event):
    """A contact of the policy's was contacted (e.g. the front door)."""

    kind: ClassVar[str] = "contact_made"
    purpose: str
    by: Side = Side.RAISING


@frozen(kw_only=True)
class RecordMade(Event):
    """A record was made (on the child's record, the partnership's log, ...)."""

    kind: ClassVar[str] = "record_made"
    record: Literal["childs_record", "agency_record", "partnership_record"]
    side: Side = Side.RAISING
    stage: str | None = None


@frozen(kw_only=True)
class OutcomeConfirmed(Event):
    """The agreed outcome was confirmed to the counterpart."""

    kind: ClassVar[str] = "outcome_confirmed"
    in_writing: bool = True
    by: Side = Side.RECEIVING
    stage: str | None = None


@frozen(kw_only=True)
class OutcomeCommunicated(Event):
    """The outcome was communicated to people involved."""

    kind: ClassVar[str] = "outcome_communicated"
    to: Literal["workers", "line_managers", "earlier_parties", "all_parties", "raiser"]
    stage: str | None = None


@frozen(kw_only=True)
class FormSubmitted(Event):
    """A form of the policy's was submitted."""

    kind: ClassVar[str] = "form_submitted"
    form: str
    stage: str | None = None


@frozen(kw_only=True)
class MeetingHeld(Event):
    """A meeting took place (a resolution meeting, an inter-agency meeting, ...)."""

    kind: ClassVar[str] = "meeting_held"
    meeting: Literal["resolution", "inter_agency", "professionals", "strategy"]
    stage: str | None = None


@frozen(kw_only=True)
class LearningDisseminated(Event):
    """The learning from a resolution meeting or review was shared."""

    kind: ClassVar[str] = "learning_disseminated"
    stage: str | None = None


@frozen(kw_only=True)
class TimescaleAgreed(Event):
    """A timescale was agreed for a stage of this case, to protect the child."""

    kind: ClassVar[str] = "timescale_agreed"
    stage: str
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
    to: str


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
)

EVENT_TYPES: dict[str, type[AnyEvent]] = {
    cls.kind: cls
    for cls in (
        ConcernRaised,
        ConcernStructured,
        DiscussionHeld,
        Escalated,
        RoleHolderAbsent,
        RolesCombined,
        RiskAssessed,
        ContactMade,
        RecordMade,
        OutcomeConfirmed,
        OutcomeCommunicated,
        FormSubmitted,
        MeetingHeld,
        LearningDisseminated,
        TimescaleAgreed,
        CaseClosed,
        Redirected,
    )
}
"""Every event kind, by the ``kind`` string used in JSON."""


def _events(value: Iterable[AnyEvent]) -> tuple[AnyEvent, ...]:
    return tuple(value)


@frozen
class CaseHistory:
    """One disagreement's events, in the order the case system gave them."""

    reference: str
    """An opaque case reference: never a name, never an address."""
    events: tuple[AnyEvent, ...] = field(converter=_events)
    policy: str | None = None
    """The id of the policy the case system believes applies."""


__all__ = [
    "EVENT_TYPES",
    "AnyEvent",
    "CaseClosed",
    "CaseHistory",
    "ConcernRaised",
    "ConcernStructured",
    "ContactMade",
    "DiscussionHeld",
    "Escalated",
    "Event",
    "FormSubmitted",
    "LearningDisseminated",
    "MeetingHeld",
    "Nature",
    "Outcome",
    "OutcomeCommunicated",
    "OutcomeConfirmed",
    "Party",
    "RecordMade",
    "Redirected",
    "RiskAssessed",
    "RoleHolderAbsent",
    "RolesCombined",
    "TimescaleAgreed",
]
