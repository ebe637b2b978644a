"""What an evaluation returns: the status, the stages reached, actions, breaches, notices.

These are the result values of `challenge_rules.evaluate`: frozen attrs
classes, built once and never changed.  This module only defines them; the
engine that builds them (`challenge_rules._engine`) imports it, never the
other way round.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Literal

from attrs import frozen

from challenge_rules._construct import constructor
from challenge_rules.calendar import Deadline, Lateness
from challenge_rules.errors import NotFound
from challenge_rules.history import ConcernRaised, Nature, Outcome
from challenge_rules.policy import Side, Subject


class Status(enum.StrEnum):
    """Where a disagreement stands."""

    OPEN = "open"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"
    NOT_APPLICABLE = "not_applicable"
    """The procedure must not be used for this kind of matter (see the actions)."""
    REDIRECTED = "redirected"
    """The matter was taken to another procedure."""
    CLOSED = "closed"
    """The case system closed it for another reason."""
    CLOSED_WITHOUT_AGREEMENT = "closed_without_agreement"
    """The parties closed it without agreeing, at a stage where the policy allows that
    (a discretionary top stage not taken)."""


class Severity(enum.StrEnum):
    """What being late against a due date means."""

    FIRM = "firm"
    """A breach of a deadline the source sets."""
    INDICATIVE = "indicative"
    """Overdue against a guideline: the source calls its timescale indicative."""
    DRIFT = "drift"
    """Past the deadline the policy set for what the source wants done without delay:
    drift, not a breach of the source's rule."""


@frozen
class Citation:
    """The clause of the source document that demands an action."""

    clause: str
    source: str
    """The source document's title."""
    section: str
    quote: str | None = None
    document: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.source}, {self.section}"


@frozen
class Addressee:
    """Who must act: a role on one side, after role fallbacks are applied."""

    role: str
    role_name: str
    side: Side
    agency: str | None = None
    instead_of: str | None = None
    """The role this one stands in for, when a fallback applied."""
    fallback: str | None = None
    """The id of the fallback rule that applied."""
    available: bool = True
    """``False`` only when everyone the policy names is absent: someone must decide."""

    def __str__(self) -> str:
        text = self.role_name
        if self.agency:
            text += f" ({self.agency})"
        if self.instead_of is not None:
            text += f", standing in for the {self.instead_of}"
        if not self.available:
            text += " [absent: no one else is named]"
        return text


@frozen
class ContactDetails:
    """A contact to use for an action, for the case's area."""

    id: str
    name: str
    purpose: str
    area: str | None = None
    email: str | None = None
    phone: str | None = None
    hours: str | None = None


ActionKind = Literal[
    "stage", "step", "escalation", "duty", "urgent", "support", "review", "redirect"
]


@frozen(weakref_slot=False)  # built by _construct.constructor
class Action:
    """Something that must be done next."""

    id: str
    """Stable across evaluations of the same case: ``stage:step-1``, ``duty:record@step-1``."""
    kind: ActionKind
    what: str
    who: tuple[Addressee, ...]
    why: Citation
    due: Deadline | None = None
    """``None`` where the policy gives no timescale: required, but never a breach."""
    urgent: bool = False
    stage: str | None = None
    contacts: tuple[ContactDetails, ...] = ()
    forms: tuple[str, ...] = ()
    severity: Severity = Severity.FIRM
    """What missing ``due`` would be: a firm breach, overdue against a guideline, or drift."""
    due_soon_from: datetime | None = None
    """From when it counts as due soon: the policy's due-soon window before ``due``
    (``None``: no due date, or the policy sets no window for it)."""
    due_soon: bool = False
    """Whether it is due soon at ``as_of``: at or after ``due_soon_from`` and not yet late."""
    started_by: str | None = None
    """The id of the event that made it due: the concern, the event that entered its
    stage or left the previous one unresolved, the one that triggered a duty, the risk
    assessment that brought an urgency rule into force (None: none, e.g. support)."""
    ended_by: str | None = None
    """The id of the event that ended its clock: done, or no longer needed (None: still
    running; always None for a required action)."""


@frozen(weakref_slot=False)  # built by _construct.constructor
class Breach:
    """Something that was due and was not done in time."""

    id: str
    """The id of the action that was late (see `Action.id`)."""
    kind: ActionKind
    what: str
    who: tuple[Addressee, ...]
    why: Citation
    due: Deadline
    late: Lateness
    """How late: until it was done, or until ``as_of`` if it still is not."""
    done_at: datetime | None = None
    """When it was eventually done (``None``: still outstanding)."""
    stage: str | None = None
    severity: Severity = Severity.FIRM
    """Firm (a deadline the source sets), indicative (a guideline) or drift (past the
    policy's own deadline for what the source wants without delay)."""
    started_by: str | None = None
    """The id of the event that made it due (see `Action.started_by`)."""
    ended_by: str | None = None
    """The id of the event that did it, or made it no longer needed (None: still outstanding)."""


@frozen(weakref_slot=False)  # built by _construct.constructor
class StageRecord:
    """One stage the case reached, in the order it reached them."""

    stage: str
    name: str
    entered_at: datetime
    due: Deadline | None = None
    concluded_at: datetime | None = None
    outcome: Outcome | None = None
    started_by: str | None = None
    """The id of the event that entered the stage (the concern, for the first)."""
    ended_by: str | None = None
    """The id of the event that concluded it (None: still open)."""


WarningCode = Literal[
    "stage_skipped",
    "out_of_order",
    "after_closure",
    "after_as_of",
    "before_concern",
    "duplicate_outcome",
    "policy_mismatch",
    "ladder_ended",
    "no_one_available",
    "clock_fallback",
    "action_plan_not_tracked",
]


@frozen(weakref_slot=False)  # built by _construct.constructor
class Notice:
    """An irregularity in the history, said rather than silently absorbed."""

    code: WarningCode
    message: str
    event: str | None = None

    def __str__(self) -> str:
        where = f"event {self.event!r}: " if self.event is not None else ""
        return f"{where}{self.message}"


@frozen(weakref_slot=False)  # built by _construct.constructor
class ConcernSummary:
    """What the concern is about, to group results by without the history: no personal data.

    Agencies are named as the history names them (an organisation, never a
    person); sectors, the area and the topics are the policy's ids.
    """

    raising_agency: str
    receiving_agency: str
    raised_at: datetime
    """When the concern was raised (its ``concern_raised`` event)."""
    raising_sector: str | None = None
    receiving_sector: str | None = None
    area: str | None = None
    """The `Partnership.id` of the case's area (``None``: not said)."""
    topics: tuple[str, ...] = ()
    nature: Nature = Nature.CASE
    subject: Subject | None = None
    """Whom the concern is about: a child, an adult or an adult at risk (``None``: not said)."""

    @classmethod
    def of(cls, concern: ConcernRaised) -> ConcernSummary:
        """The summary of ``concern``."""
        return constructor(cls)(
            raising_agency=concern.raising.agency,
            receiving_agency=concern.receiving.agency,
            raised_at=concern.at,
            raising_sector=concern.raising.sector,
            receiving_sector=concern.receiving.sector,
            area=concern.area,
            topics=concern.topics,
            nature=concern.nature,
            subject=concern.subject,
        )


@frozen(weakref_slot=False)  # built by _construct.constructor
class Evaluation:
    """What a policy demands of a case at one moment."""

    reference: str
    policy: str
    policy_version: str
    as_of: datetime
    status: Status
    stage: str | None
    """The current stage (``None`` when the procedure does not apply)."""
    timeline: tuple[StageRecord, ...]
    actions: tuple[Action, ...]
    breaches: tuple[Breach, ...]
    warnings: tuple[Notice, ...]
    risk: str | None = None
    """The risk level last assessed, if any."""
    urgent: bool = False
    """Whether an urgency rule is in force."""
    concern: ConcernSummary | None = None
    """What the concern is about (agencies, sectors, area, topics, nature, subject).

    Every evaluation `challenge_rules.evaluate` returns has one; ``None`` only
    in an evaluation read back from JSON written before it was added.
    """
    next_change_at: datetime | None = None
    """The earliest instant after ``as_of`` at which, with no new events, this evaluation
    would change (an action falling late or due soon, an absence starting or ending, an
    event dated after ``as_of`` taking effect); ``None``: nothing here changes with time."""
    policy_digest: str | None = None
    """The digest of the policy's canonical form (``sha256:`` and 64 hex digits), which
    says exactly which rules produced this result (see `challenge_rules.policy_digest`).

    Every evaluation `challenge_rules.evaluate` returns has one; ``None`` only in an
    evaluation read back from JSON written before it was added.
    """

    def action(self, action_id: str) -> Action:
        """The required action with this id."""
        for action in self.actions:
            if action.id == action_id:
                return action
        raise NotFound(kind="action", key=action_id, available=tuple(a.id for a in self.actions))


__all__ = [
    "Action",
    "ActionKind",
    "Addressee",
    "Breach",
    "Citation",
    "ConcernSummary",
    "ContactDetails",
    "Evaluation",
    "Notice",
    "Severity",
    "StageRecord",
    "Status",
    "WarningCode",
]
