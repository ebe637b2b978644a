"""Evaluations for people and for machines.

`render_text` writes the report a practitioner or manager reads: the status,
what is due next (who, what, by when, why), what is late, and the stage
timeline.  `to_json` and `from_json` convert an `Evaluation` to and from the
JSON that ``schemas/evaluation.schema.json`` describes, losslessly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from challenge_rules._messages import structure_problems
from challenge_rules.converter import default_converter
from challenge_rules.errors import InvalidEvaluation, Problem
from challenge_rules.evaluation import Evaluation, Severity, Status
from challenge_rules.schemas import validate_document

if TYPE_CHECKING:
    from datetime import datetime

    from cattrs import Converter

    from challenge_rules.calendar import Deadline, Lateness
    from challenge_rules.evaluation import Action, Addressee, Breach, Citation

SCHEMA_ID = "https://challenge-rules.readthedocs.io/schemas/evaluation.schema.json"


def to_json(evaluation: Evaluation, *, converter: Converter | None = None) -> dict[str, Any]:
    """The evaluation as JSON-ready data (see ``schemas/evaluation.schema.json``)."""
    data: dict[str, Any] = (converter or default_converter()).unstructure(evaluation)
    return data


def from_json(data: object, *, converter: Converter | None = None) -> Evaluation:
    """An evaluation back from `to_json`'s data.

    Raises `challenge_rules.errors.InvalidInput` (kind ``"evaluation"``) with
    every problem found, each located by JSON pointer, for data that
    ``schemas/evaluation.schema.json`` refuses or that makes no evaluation.
    """
    if isinstance(data, dict) and "error" in data and "status" not in data:
        raise InvalidEvaluation(problems=(_error_record(data["error"]),))
    problems = validate_document(data, "evaluation")
    if any(p.severity == "error" for p in problems):
        raise InvalidEvaluation(problems=problems)
    assert isinstance(data, dict)  # noqa: S101 - the schema guarantees it
    fields = {k: v for k, v in data.items() if k != "$schema"}
    try:
        return (converter or default_converter()).structure(fields, Evaluation)
    except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
        found = structure_problems(error, ()) or [Problem(message="this is not an evaluation")]
        raise InvalidEvaluation(problems=found) from None


def _error_record(record: object) -> Problem:
    # `evaluate --jsonl` writes {"error": {"source": ..., "problems": [...]}} for a
    # case it could not evaluate; the schema would only list an evaluation's
    # missing properties, so name what the document is instead.
    found = "the record of a case that could not be evaluated"
    if isinstance(record, dict):
        told = [record["source"]] if isinstance(record.get("source"), str) else []
        if isinstance(record.get("problems"), list):
            count = len(record["problems"])
            told.append(f"{count} problem{'s' if count != 1 else ''} recorded")
        found += f" ({', '.join(told)})" if told else ""
    return Problem(
        message=f"this is {found}, not an evaluation",
        path=("error",),
        expected="an evaluation, as `challenge-rules evaluate --format json` writes",
        hint="fix the case the error line names, evaluate it again and use that result",
    )


_STATUS_TEXT = {
    Status.OPEN: "open",
    Status.RESOLVED: "resolved",
    Status.WITHDRAWN: "withdrawn",
    Status.NOT_APPLICABLE: "not applicable: this procedure is not for this kind of matter",
    Status.REDIRECTED: "redirected to another procedure",
    Status.CLOSED: "closed",
    Status.CLOSED_WITHOUT_AGREEMENT: "closed without agreement",
}


def _moment(moment: datetime) -> str:
    offset = moment.isoformat()[-6:] if moment.utcoffset() else "UTC"
    return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M} ({offset})"


def _due(due: Deadline | None) -> str:
    # One style for every date in the report: "end of Wed 17 Jun 2026" for a day
    # deadline, "Wed 10 Jun 2026 10:00 (+01:00)" for an instant, as `_moment` writes.
    if due is None:
        return "no timescale in the procedure"
    return str(due) if due.day is not None else _moment(due.at)


def _late(late: Lateness) -> str:
    days = late.working_days
    if days == 0:
        hours = int(late.elapsed.total_seconds() // 3600)
        if hours == 0:  # "late by 0 hours" says nothing: say the minutes
            minutes = max(1, int(late.elapsed.total_seconds() // 60))
            return f"late by {minutes} minute{'s' if minutes != 1 else ''} (the same working day)"
        return f"late by {hours} hour{'s' if hours != 1 else ''} (the same working day)"
    return f"{days} working day{'s' if days != 1 else ''} late"


_DUE_SEVERITY: Final = {
    Severity.INDICATIVE: " (a guideline: the procedure's timescales are indicative)",
    Severity.DRIFT: " (the policy's expectation: the procedure says without delay)",
}
_LATE_SEVERITY: Final = {
    Severity.INDICATIVE: "overdue against a guideline",
    Severity.DRIFT: "drift past the policy's expectation, not a breach of the procedure",
}


def _action_due(action: Action) -> str:
    if action.due is None and action.severity is Severity.DRIFT:
        return "without delay (the procedure sets no fixed time)"
    if action.due is None:
        return _due(None)
    return _due(action.due) + _DUE_SEVERITY.get(action.severity, "")


def _who(who: tuple[Addressee, ...]) -> str:
    return "; ".join(str(a) for a in who) or "(no one named)"


def _why(why: Citation) -> str:
    text = f"{why} [{why.clause}]"
    if why.quote:
        text += f'\n        "{why.quote}"'
    return text


def _action_lines(number: int, action: Action) -> list[str]:
    flag = "[URGENT] " if action.urgent else ""
    if action.due_soon:
        flag += "[DUE SOON] "
    lines = [
        f"  {number}. {flag}{action.what}",
        f"     who: {_who(action.who)}",
        f"     due: {_action_due(action)}",
        f"     why: {_why(action.why)}",
    ]
    for contact in action.contacts:
        details = ", ".join(x for x in (contact.email, contact.phone, contact.hours) if x)
        lines.append(f"     contact: {contact.name}" + (f" ({details})" if details else ""))
    if action.forms:
        lines.append(f"     form: {', '.join(action.forms)}")
    return lines


def _breach_lines(number: int, breach: Breach) -> list[str]:
    state = "still outstanding" if breach.done_at is None else f"done {_moment(breach.done_at)}"
    kind = _LATE_SEVERITY.get(breach.severity)
    return [
        f"  {number}. {breach.what}" + (f" [{kind}]" if kind else ""),
        f"     was due: {_due(breach.due)}; {_late(breach.late)}, {state}",
        f"     who: {_who(breach.who)}",
        f"     why: {_why(breach.why)}",
    ]


def render_text(evaluation: Evaluation) -> str:
    """A plain-text report of ``evaluation``, for people."""
    e = evaluation
    current = next((r.name for r in e.timeline if r.stage == e.stage), None)
    lines = [
        f"Case {e.reference} under policy {e.policy} (version {e.policy_version})",
        *([f"Rules: {e.policy_digest}"] if e.policy_digest is not None else []),
        f"As of {_moment(e.as_of)}",
        f"Status: {_STATUS_TEXT[e.status]}" + (f"; current stage: {current}" if current else ""),
    ]
    if e.urgent:
        lines.append(f"URGENT: an urgency rule is in force (risk assessed: {e.risk})")
    if e.next_change_at is not None:
        # A deadline passing changes things the microsecond after it: "just after" it.
        close = "just after " if e.next_change_at.second or e.next_change_at.microsecond else ""
        when = close + _moment(e.next_change_at)
        lines.append(f"Next change, unless new events are recorded: {when}")
    lines += ["", "What is due next"]
    lines += (
        [line for i, a in enumerate(e.actions, 1) for line in _action_lines(i, a)]
        if e.actions
        else ["  nothing"]
    )
    lines += ["", "What is late"]
    lines += (
        [line for i, b in enumerate(e.breaches, 1) for line in _breach_lines(i, b)]
        if e.breaches
        else ["  nothing"]
    )
    if e.timeline:
        lines += ["", "Stages"]
        for record in e.timeline:
            concluded = (
                "open"
                if record.concluded_at is None
                else f"concluded {_moment(record.concluded_at)} ({record.outcome})"
            )
            lines.append(
                f"  {record.name}: entered {_moment(record.entered_at)}; "
                f"due {_due(record.due)}; {concluded}"
            )
    if e.warnings:
        lines += ["", "Warnings"]
        lines += [f"  - {w}" for w in e.warnings]
    return "\n".join(lines) + "\n"


__all__ = ["SCHEMA_ID", "from_json", "render_text", "to_json"]
