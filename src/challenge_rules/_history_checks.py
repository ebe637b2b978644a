"""Checks a case history against itself and against the policy it is evaluated under.

Every problem is collected (not just the first) and raised together as one
`InvalidHistory`, each located by its JSON pointer (``/events/3/stage``, by
the event's position in the history as given) and the event's id.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from challenge_rules._references import FORM, PARTNERSHIP, RISK_LEVEL, ROLE, SECTOR, STAGE, TOPIC
from challenge_rules._text import suggest
from challenge_rules._vocabulary import vocabulary
from challenge_rules.errors import InvalidHistory, Problem, pointer_join
from challenge_rules.history import (
    EVENT_TYPES,
    AnyEvent,
    CaseHistory,
    ConcernRaised,
    ConcernStructured,
    ContactMade,
    Escalated,
    FormSubmitted,
    RiskAssessed,
    RoleHolderAbsent,
    RolesCombined,
    TimescaleAgreed,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from challenge_rules.policy import Policy

_RANK = {
    "concern_raised": 0,
    "role_holder_absent": 1,
    "roles_combined": 1,
    "risk_assessed": 1,
    "timescale_agreed": 1,
    "discussion_held": 2,
    "escalated": 3,
    "case_closed": 5,
    "redirected": 5,
}


def event_order(event: AnyEvent) -> tuple[datetime, int, str]:
    """The canonical order: by time; at one instant, the concern first, closure last."""
    return (event.at, _RANK.get(event.kind, 4), event.id)


def _choices(values: Iterable[str]) -> str:
    listed = sorted(set(values))
    return "one of: " + ", ".join(listed) if listed else "none (the policy defines none)"


class _Problems(list[Problem]):
    def __call__(  # noqa: PLR0913 - where, what, expected, which event, and a hint
        self,
        index: int,
        name: str,
        message: str,
        expected: str,
        event: AnyEvent,
        *,
        hint: str | None = None,
    ) -> None:
        parts = name.split("/") if name else []
        self.append(
            Problem(
                message=message,
                pointer=pointer_join("events", index, *parts),
                expected=expected,
                hint=hint,
                event=event.id,
            )
        )


@frozen
class _Vocabulary:
    """The names a policy defines, as sets, built once per policy."""

    ladders: dict[str | None, frozenset[str]]
    stages: frozenset[str]
    roles: frozenset[str]
    sectors: frozenset[str]
    topics: frozenset[str]
    areas: frozenset[str]
    risks: frozenset[str]
    purposes: frozenset[str]
    forms: frozenset[str]
    templates: frozenset[str]

    references: dict[str, tuple[tuple[str, frozenset[str] | None], ...]]
    """Per event kind, each field naming something of the policy's and the names allowed
    (None: a stage, checked against the concern's ladder)."""

    def ladder(self, nature: str | None) -> frozenset[str]:
        return self.ladders.get(nature, self.ladders[None])


def _references(
    roles: frozenset[str],
    risks: frozenset[str],
    purposes: frozenset[str],
    forms: frozenset[str],
    templates: frozenset[str],
) -> dict[str, tuple[tuple[str, frozenset[str] | None], ...]]:
    """What `_check_references` checks, as data, for `_clean`."""
    names: dict[str, frozenset[str]] = {
        "by_role": roles,
        "to_role": roles,
        "role": roles,
        "level": risks,
        "purpose": purposes,
        "form": forms,
        "template": templates,
    }
    references = {}
    for kind, cls in EVENT_TYPES.items():
        fields = {a.name for a in attrs.fields(cls)}
        found: list[tuple[str, frozenset[str] | None]] = [
            (name, None) for name in ("stage", "to_stage") if name in fields
        ]
        if kind != "concern_raised":  # its names are checked on their own
            found += [(name, allowed) for name, allowed in names.items() if name in fields]
        references[kind] = tuple(found)
    return references


@functools.lru_cache(maxsize=64)
def _vocabulary(policy: Policy) -> _Vocabulary:
    names = vocabulary(policy)
    ladders: dict[str | None, frozenset[str]] = {None: frozenset(s.id for s in policy.stages)}
    for track in policy.tracks:
        for nature in track.natures:
            ladders.setdefault(nature, frozenset(s.id for s in track.stages))
    roles, risks, forms = names.known(ROLE), names.known(RISK_LEVEL), names.known(FORM)
    # A history may also name the purposes urgency rules' actions are discharged by.
    purposes = policy.contact_purposes()
    templates = frozenset(g.id for g in policy.guidance if g.kind == "template")
    return _Vocabulary(
        references=_references(roles, risks, purposes, forms, templates),
        ladders=ladders,
        stages=names.known(STAGE),
        roles=roles,
        sectors=names.known(SECTOR),
        topics=names.known(TOPIC),
        areas=names.known(PARTNERSHIP),
        risks=risks,
        purposes=purposes,
        forms=forms,
        templates=templates,
    )


def check_history(policy: Policy, history: CaseHistory) -> ConcernRaised:
    """Return the history's concern, or raise `InvalidHistory` with every problem."""
    concern = _clean(_vocabulary(policy), history.events)
    if concern is not None:
        return concern
    return check_thoroughly(policy, history)


def check_thoroughly(policy: Policy, history: CaseHistory) -> ConcernRaised:
    """`check_history` without its shortcut for clean histories: locates every problem."""
    problems = problem = _Problems()
    concerns = [(i, e) for i, e in enumerate(history.events) if isinstance(e, ConcernRaised)]
    if not concerns:
        problems.append(
            Problem(
                message="the history has no concern_raised event",
                pointer="/events",
                expected="exactly one event of kind concern_raised",
                hint="every disagreement starts with the concern being raised",
            )
        )
    for index, extra in concerns[1:]:
        problem(
            index,
            "kind",
            "a second concern_raised event; one history is one disagreement",
            "exactly one concern_raised (record a new disagreement as a new case)",
            extra,
        )
    nature = concerns[0][1].nature if concerns else None
    names = _vocabulary(policy)
    ladder = names.ladder(nature)
    seen: dict[str, int] = {}
    for index, event in enumerate(history.events):
        _check_event(index, event, seen, problem)
        for name in ("stage", "to_stage"):
            stage = getattr(event, name, None)
            if stage is None or stage in ladder:
                continue
            where = "on the ladder for this concern" if stage in names.stages else "in the policy"
            message = f"no stage {stage!r} {where}"
            problem(index, name, message, _choices(ladder), event, hint=suggest(stage, ladder))
        _check_references(names, index, event, problem)
    if problems:
        raise InvalidHistory(kind="case history", problems=tuple(problems))
    return concerns[0][1]


def _clean(names: _Vocabulary, events: tuple[AnyEvent, ...]) -> ConcernRaised | None:
    """The concern if the history passes every check below, cheaply; else None.

    The common case is a clean history, and locating problems is slow; so this
    only answers yes or no, and `check_history` looks for the problems only
    when it says no. tests/test_history_checks.py proves the two agree.
    """
    concerns = [e for e in events if e.kind == "concern_raised"]
    if len(concerns) != 1 or len({e.id for e in events}) != len(events):
        return None
    concern: ConcernRaised = concerns[0]  # type: ignore[assignment]
    if not _clean_concern(names, concern):
        return None
    ladder = names.ladder(concern.nature)
    references = names.references
    for event in events:
        at, recorded = event.at, event.recorded_at
        if type(at.tzinfo) is not timezone or (
            recorded is not None and (type(recorded.tzinfo) is not timezone or recorded < at)
        ):
            return None  # possibly naive (or recorded before it happened)
        for name, allowed in references.get(event.kind, ()):
            value = getattr(event, name)
            if value is not None and value not in (ladder if allowed is None else allowed):
                return None
        if event.kind in _OWN_RULES and not _OWN_RULES[event.kind](names, event):
            return None
    return concern


def _clean_concern(names: _Vocabulary, concern: ConcernRaised) -> bool:
    roles, sectors = names.roles, names.sectors
    for party in (concern.raising, concern.receiving):
        sector = party.sector
        if party.role not in roles or (sectors and sector is not None and sector not in sectors):
            return False
    return all(t in names.topics for t in concern.topics) and (
        concern.area is None or concern.area in names.areas
    )


_OWN_RULES: dict[str, Callable[[_Vocabulary, Any], bool]] = {
    "role_holder_absent": lambda _, event: event.start <= event.end,
    "roles_combined": lambda names, event: all(r in names.roles for r in event.roles),
    "timescale_agreed": lambda _, event: (
        type(event.due.tzinfo) is timezone and event.due > event.at
    ),
}
"""Rules of an event kind's own, for `_clean` (as in `_check_references`)."""


def _check_event(index: int, event: AnyEvent, seen: dict[str, int], problem: _Problems) -> None:
    """Check what an event says of itself: a unique id, sound timestamps."""
    if event.id in seen:
        problem(
            index,
            "id",
            f"event id {event.id!r} is used again (first at /events/{seen[event.id]})",
            "a unique id for every event",
            event,
        )
    seen.setdefault(event.id, index)
    aware = True
    for name in ("at", "recorded_at", "due"):
        moment = getattr(event, name, None)
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            aware = False
            problem(
                index, name, "timestamp has no UTC offset", "e.g. 2026-06-08T09:30:00+01:00", event
            )
    if aware and event.recorded_at is not None and event.recorded_at < event.at:
        problem(
            index,
            "recorded_at",
            "the event is recorded before it happened",
            "recorded_at at or after at",
            event,
        )


def _check_references(  # noqa: C901, PLR0912 - one case per event kind reads best
    names: _Vocabulary, index: int, event: AnyEvent, problem: _Problems
) -> None:
    """Check the names an event uses against the policy's vocabularies."""
    roles = names.roles

    def known(name: str, value: str | None, allowed: frozenset[str], what: str) -> None:
        if value is not None and value not in allowed:
            message = f"unknown {what} {value!r}"
            problem(index, name, message, _choices(allowed), event, hint=suggest(value, allowed))

    match event:
        case ConcernRaised():
            for side in ("raising", "receiving"):
                party = getattr(event, side)
                known(f"{side}/role", party.role, roles, "role")
                if names.sectors:
                    known(f"{side}/sector", party.sector, names.sectors, "sector")
            for position, topic in enumerate(event.topics):
                known(f"topics/{position}", topic, names.topics, "topic")
            known("area", event.area, names.areas, "area")
        case RoleHolderAbsent():
            known("role", event.role, roles, "role")
            if event.end < event.start:
                problem(
                    index,
                    "end",
                    "the absence ends before it starts",
                    "end on or after start",
                    event,
                )
        case RolesCombined():
            for position, role in enumerate(event.roles):
                known(f"roles/{position}", role, roles, "role")
        case Escalated():
            known("by_role", event.by_role, roles, "role")
            known("to_role", event.to_role, roles, "role")
        case RiskAssessed():
            known("level", event.level, names.risks, "risk level")
        case ContactMade():
            known("purpose", event.purpose, names.purposes, "contact purpose")
        case FormSubmitted():
            known("form", event.form, names.forms, "form")
        case ConcernStructured():
            known("template", event.template, names.templates, "template")
        case TimescaleAgreed():
            aware = all(m.utcoffset() is not None for m in (event.at, event.due))
            if aware and event.due <= event.at:
                problem(
                    index,
                    "due",
                    "the agreed due time is not after the agreement",
                    "a later time",
                    event,
                )
        case _:
            pass
