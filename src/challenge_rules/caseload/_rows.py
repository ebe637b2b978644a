"""One case, as the caseload report sees it: a row of plain values.

`summarise` turns an evaluation into a `CaseRow`, keeping only what the report
counts: the case's opaque reference, statuses, stages, policy ids (sectors,
areas, topics), agencies, dates and working-day counts. Nothing else of the
history is kept, so nothing else can reach a report.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from attrs import frozen

from challenge_rules.evaluation import Status
from challenge_rules.history import CaseClosed, ConcernRaised, Outcome, RecordMade, Redirected

if TYPE_CHECKING:
    from challenge_rules.calendar import WorkingCalendar
    from challenge_rules.evaluation import Breach, Evaluation
    from challenge_rules.history import CaseHistory
    from challenge_rules.policy import Policy

PARTNERSHIP_RECORD = "partnership_record"
# The breaches an escalation log can show: a stage's own timescale, and escalating in time.
_STAGE_KINDS = frozenset({"stage", "escalation"})


@frozen
class BreachRow:
    """One breach of one case."""

    reference: str
    breach: str
    """The id of the late action (``stage:step-1``, ``duty:record@step-1``)."""
    kind: str
    stage: str | None
    responsible: str
    """The agency of whoever had to act, or their side (``partnership``) if it has none."""
    due: date
    """The last local day that was on time (for hour timescales, the deadline's date)."""
    done: date | None
    late_working_days: int


@frozen
class StageSpell:
    """The working days a case spent in one stage it has left."""

    stage: str
    working_days: int
    outcome: str | None


@frozen
class CaseRow:
    """What the caseload report counts about one case."""

    reference: str
    status: Status
    stage: str | None
    """The current stage (``None`` if the procedure does not apply)."""
    reached: tuple[str, ...]
    """The stages the case reached, in order."""
    highest: str | None
    """The furthest stage reached."""
    raised: date
    closed: date | None
    """The local date it was resolved, withdrawn, redirected or closed."""
    raising_agency: str
    raising_sector: str | None
    receiving_agency: str
    receiving_sector: str | None
    area: str | None
    nature: str
    topics: tuple[str, ...]
    subject: str | None
    """Whom the concern is about (``child``, ``adult``, ``adult_at_risk``; None: not said)."""
    working_days_to_resolution: int | None
    """Working days from raising to resolution, for resolved cases only."""
    spells: tuple[StageSpell, ...]
    breaches: tuple[BreachRow, ...]
    last_event: date
    idle_working_days: int
    """Working days from the last event to ``as_of``."""
    past_ladder_end: bool
    step_overdue: bool
    """Whether the current stage's own timescale has passed (open cases only)."""
    partnership_step: date | None
    """When the case reached the step at which the partnership records escalations."""
    partnership_recorded: bool | None
    """Whether the partnership's record was made (None: the source does not say)."""


def partnership_steps(policy: Policy) -> frozenset[str]:
    """The stages whose entry the policy says the partnership records (its duties)."""
    steps: set[str] = set()
    for duty in policy.duties:
        match = duty.discharged_by
        if (
            match.kind == RecordMade.kind
            and match.where.get("record") == PARTNERSHIP_RECORD
            and duty.trigger.on.value == "stage_entered"
        ):
            steps.update(duty.trigger.stages)
    return frozenset(steps)


def _breach_row(reference: str, breach: Breach, calendar: WorkingCalendar) -> BreachRow:
    who = breach.who[0] if breach.who else None
    responsible = (who.agency or who.side.value) if who is not None else "unknown"
    due = breach.due.day or calendar.local_date(breach.due.at)
    done = calendar.local_date(breach.done_at) if breach.done_at is not None else None
    return BreachRow(
        reference=reference,
        breach=breach.id,
        kind=breach.kind,
        stage=breach.stage,
        responsible=responsible,
        due=due,
        done=done,
        late_working_days=breach.late.working_days,
    )


def _closed(evaluation: Evaluation, history: CaseHistory) -> datetime | None:
    if evaluation.status is Status.OPEN or evaluation.status is Status.NOT_APPLICABLE:
        return None
    last = evaluation.timeline[-1] if evaluation.timeline else None
    if last is not None and last.outcome in {Outcome.RESOLVED, Outcome.WITHDRAWN}:
        return last.concluded_at
    closings = [
        e.at
        for e in history.events
        if isinstance(e, CaseClosed | Redirected) and e.at <= evaluation.as_of
    ]
    return min(closings) if closings else None


def summarise(  # noqa: PLR0913 - the inputs of one row, all keyword-only
    *,
    policy: Policy,
    calendar: WorkingCalendar,
    history: CaseHistory,
    evaluation: Evaluation,
    steps: frozenset[str],
    duties_recorded: bool = True,
) -> CaseRow:
    """The row for one evaluated case.

    ``duties_recorded=False`` says the history's source (an escalation log)
    records stages and outcomes but not the duties around them (records,
    confirmations): breaches of duties are then left out, and whether the
    partnership recorded the case is not known.
    """
    concern = next(e for e in history.events if isinstance(e, ConcernRaised))
    as_of = evaluation.as_of
    today = calendar.local_date(as_of)
    happened = [e.at for e in history.events if e.at <= as_of]
    last_event = calendar.local_date(max(happened)) if happened else today
    raised = calendar.local_date(concern.at)
    closed_at = _closed(evaluation, history)
    closed = calendar.local_date(closed_at) if closed_at is not None else None
    ladder = [stage.id for stage in policy.ladder(concern.nature.value)]
    reached = tuple(dict.fromkeys(record.stage for record in evaluation.timeline))
    highest = max(reached, key=ladder.index) if reached else None
    spells = tuple(
        StageSpell(
            stage=record.stage,
            working_days=calendar.working_days_between(
                calendar.local_date(record.entered_at), calendar.local_date(record.concluded_at)
            ),
            outcome=record.outcome.value if record.outcome is not None else None,
        )
        for record in evaluation.timeline
        if record.concluded_at is not None
    )
    breaches = tuple(
        _breach_row(history.reference, breach, calendar)
        for breach in evaluation.breaches
        if duties_recorded or breach.kind in _STAGE_KINDS
    )
    entered_step = [
        calendar.local_date(record.entered_at)
        for record in evaluation.timeline
        if record.stage in steps
    ]
    is_open = evaluation.status is Status.OPEN
    return CaseRow(
        reference=history.reference,
        status=evaluation.status,
        stage=evaluation.stage,
        reached=reached,
        highest=highest,
        raised=raised,
        closed=closed,
        raising_agency=concern.raising.agency,
        raising_sector=concern.raising.sector,
        receiving_agency=concern.receiving.agency,
        receiving_sector=concern.receiving.sector,
        area=concern.area,
        nature=concern.nature.value,
        topics=concern.topics,
        subject=concern.subject.value if concern.subject is not None else None,
        working_days_to_resolution=(
            calendar.working_days_between(raised, closed)
            if evaluation.status is Status.RESOLVED and closed is not None
            else None
        ),
        spells=spells,
        breaches=breaches,
        last_event=last_event,
        idle_working_days=calendar.working_days_between(last_event, today),
        past_ladder_end=is_open and any(w.code == "ladder_ended" for w in evaluation.warnings),
        step_overdue=is_open
        and any(
            b.kind == "stage" and b.stage == evaluation.stage and b.done_at is None
            for b in evaluation.breaches
        ),
        partnership_step=min(entered_step) if entered_step else None,
        partnership_recorded=(
            any(
                isinstance(e, RecordMade) and e.record == PARTNERSHIP_RECORD and e.at <= as_of
                for e in history.events
            )
            if duties_recorded
            else None
        ),
    )


__all__ = ["BreachRow", "CaseRow", "StageSpell", "partnership_steps", "summarise"]
