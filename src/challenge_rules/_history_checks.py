"""Checks a case history against itself and against the policy it is evaluated under.

The checks are a table of small rule functions (`HISTORY_RULES` for the
history as a whole, `EVENT_RULES` for each event), driven in two modes: stop
at the first finding (`check_history`'s cheap yes for the common, clean
history) and collect every finding (`history_findings`), raised together as
one `InvalidHistory`, each located by its JSON pointer (``/events/3/stage``,
by the event's position in the history as given) and the event's id.  To add
a check, write a function below the others and decorate it with
``@event_rule`` (or ``@history_rule``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs
from attrs import frozen

from challenge_rules._convert import (
    FIRST_MOMENT_DAY,
    LAST_MOMENT_DAY,
    MOMENT_RANGE,
    in_moment_range,
)
from challenge_rules._references import FORM, PARTNERSHIP, RISK_LEVEL, ROLE, SECTOR, STAGE, TOPIC
from challenge_rules._text import suggest
from challenge_rules._vocabulary import vocabulary
from challenge_rules.errors import InvalidHistory, Problem
from challenge_rules.history import (
    EVENT_TYPES,
    ActionPlanAgreed,
    AnyEvent,
    CaseHistory,
    ConcernRaised,
    DiscussionHeld,
    Outcome,
    RoleHolderAbsent,
    RolesCombined,
    StepDone,
    TimescaleAgreed,
    moment_fields,
)
from challenge_rules.policy import SUBJECTS_PROTECTED, Subject

if TYPE_CHECKING:
    from collections.abc import Iterable

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


@frozen
class Finding:
    """One problem a rule found, located in the history by path parts."""

    path: tuple[str | int, ...]
    message: str
    expected: str
    hint: str | None = None
    event: str | None = None

    def problem(self) -> Problem:
        return Problem(
            message=self.message,
            path=("events", *self.path),
            expected=self.expected,
            hint=self.hint,
            event=self.event,
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

    protects: frozenset[str] = frozenset()
    """Whom the policy protects (``children``, ``adults``)."""
    steps: dict[str, frozenset[str]] = attrs.field(factory=dict)
    """Each stage's step ids (empty for a stage without steps)."""
    closable: frozenset[str] = frozenset()
    """The stages the parties may close without agreement."""
    screens: dict[str | None, dict[str, _Screen]] = attrs.field(factory=dict)
    """Per concern nature (None: any other), what `clean_concern` checks of each event
    kind."""

    def ladder(self, nature: str | None) -> frozenset[str]:
        return self.ladders.get(nature, self.ladders[None])


def _references(
    roles: frozenset[str],
    risks: frozenset[str],
    purposes: frozenset[str],
    forms: frozenset[str],
    templates: frozenset[str],
) -> dict[str, tuple[tuple[str, frozenset[str] | None], ...]]:
    """What `_known_names` checks, by event kind, as data."""
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
    references = _references(roles, risks, purposes, forms, templates)
    return _Vocabulary(
        references=references,
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
        protects=frozenset(policy.protects),
        steps={s.id: frozenset(step.id for step in s.steps) for s in policy.all_stages()},
        closable=frozenset(s.id for s in policy.all_stages() if s.may_close_without_agreement),
        screens={nature: _screens(references, ladder) for nature, ladder in ladders.items()},
    )


@attrs.define
class _Pass:
    """What the rules of one pass over a history share: the names, the concerns, ids seen."""

    names: _Vocabulary
    concerns: list[tuple[int, ConcernRaised]]
    """Each concern_raised event, with its index (a valid history has one)."""
    ladder: frozenset[str]
    """The stages of the ladder for the (first) concern's nature."""
    seen: dict[str, int] = attrs.field(factory=dict)
    """The index of the first event with each id, as the pass goes (a pass is never shared)."""


_NONE: tuple[Finding, ...] = ()

HistoryRule = Callable[[_Pass, "tuple[AnyEvent, ...]"], "Sequence[Finding]"]
"""A rule on the history as a whole, given what the pass shares; ``()`` if it passes."""
EventRule = Callable[[_Pass, int, Any], "Sequence[Finding]"]
"""A rule on one event (at its index), given what the pass shares; ``()`` if it passes."""

HISTORY_RULES: list[HistoryRule] = []
"""The rules on the whole history, in the order their findings are reported."""
EVENT_RULES: list[EventRule] = []
"""The rules every event is checked by, in the order their findings are reported."""
KIND_RULES: dict[str, list[EventRule]] = {}
"""The rules of an event kind's own, checked after `EVENT_RULES`."""


def history_rule(function: HistoryRule) -> HistoryRule:
    """Register ``function`` as a rule on the whole history."""
    HISTORY_RULES.append(function)
    return function


def event_rule(*kinds: str) -> Callable[[EventRule], EventRule]:
    """Register a rule for the events of ``kinds`` (every event, if none is named)."""

    def register(function: EventRule) -> EventRule:
        if not kinds:
            EVENT_RULES.append(function)
        for kind in kinds:
            KIND_RULES.setdefault(kind, []).append(function)
        return function

    return register


def _find(  # noqa: PLR0913, PLR0917 - where, what, expected, which event, and a hint
    index: int,
    event: AnyEvent,
    path: tuple[str | int, ...],
    message: str,
    expected: str,
    hint: str | None = None,
) -> tuple[Finding, ...]:
    return (Finding((index, *path), message, expected, hint, event.id),)


def _pass(names: _Vocabulary, events: tuple[AnyEvent, ...]) -> _Pass:
    concerns = [(i, e) for i, e in enumerate(events) if type(e) is ConcernRaised]
    ladder = names.ladder(concerns[0][1].nature if concerns else None)
    return _Pass(names, concerns, ladder)


def _rules_for(kind: str) -> tuple[EventRule, ...]:
    return (*EVENT_RULES, *KIND_RULES.get(kind, ()))


def _findings(shared: _Pass, events: tuple[AnyEvent, ...], *, first: bool) -> list[Finding]:
    """Drive the rules over ``events``: stop at the first finding, or collect them all."""
    found: list[Finding] = []
    for history_check in HISTORY_RULES:
        found += history_check(shared, events)
        if found and first:
            return found
    by_kind = _BY_KIND
    for index, event in enumerate(events):
        for each in by_kind.get(event.kind) or _rules_for(event.kind):
            findings = each(shared, index, event)
            if findings:
                found += findings
                if first:
                    return found
    return found


def findings(policy: Policy, history: CaseHistory, *, first: bool = False) -> list[Finding]:
    """What the rules find in ``history`` under ``policy``: the first finding, or all."""
    return _findings(_pass(_vocabulary(policy), history.events), history.events, first=first)


def check_history(policy: Policy, history: CaseHistory) -> ConcernRaised:
    """Return the history's concern, or raise `InvalidHistory` with every problem.

    The policy's compiled screen (`clean_concern`) takes the common clean
    history in one pass; only a history it refuses is checked by the rules,
    collecting every finding.
    """
    concern = clean_concern(policy, history.events)
    if concern is not None:
        return concern
    return check_thoroughly(policy, history)


def check_thoroughly(policy: Policy, history: CaseHistory) -> ConcernRaised:
    """`check_history` in the collect-all mode only: locates every problem."""
    shared = _pass(_vocabulary(policy), history.events)
    found = _findings(shared, history.events, first=False)
    if found:
        raise InvalidHistory(problems=tuple(f.problem() for f in found))
    return shared.concerns[0][1]


# --- the rules -------------------------------------------------------------------------


@history_rule
def _one_concern(shared: _Pass, _: tuple[AnyEvent, ...]) -> Sequence[Finding]:
    concerns = shared.concerns
    if len(concerns) == 1:
        return _NONE
    if not concerns:
        return (
            Finding(
                (),
                "the history has no concern_raised event",
                "exactly one event of kind concern_raised",
                "every disagreement starts with the concern being raised",
            ),
        )
    return tuple(
        _find(
            index,
            extra,
            ("kind",),
            "a second concern_raised event; one history is one disagreement",
            "exactly one concern_raised (record a new disagreement as a new case)",
        )[0]
        for index, extra in concerns[1:]
    )


@event_rule()
def _unique_id(shared: _Pass, index: int, event: AnyEvent) -> Sequence[Finding]:
    first = shared.seen.setdefault(event.id, index)
    if first == index:
        return _NONE
    return _find(
        index,
        event,
        ("id",),
        f"event id {event.id!r} is used again (first at /events/{first})",
        "a unique id for every event",
    )


def _is_aware(moment: datetime) -> bool:
    # A timezone tzinfo always has an offset: most moments need no call.
    return type(moment.tzinfo) is timezone or moment.utcoffset() is not None


_AT_AND_RECORDED: Final = 2


def _usual_moments(at: datetime, recorded: datetime | None) -> bool:
    """Whether ``at`` and ``recorded_at`` are as nearly every event has them: sound.

    That is fixed offsets, recorded no earlier, and `in_moment_range` (here inline: this
    is asked of every event).
    """
    return (
        type(at.tzinfo) is timezone
        and FIRST_MOMENT_DAY <= at.date() <= LAST_MOMENT_DAY
        and (
            recorded is None
            or (
                type(recorded.tzinfo) is timezone
                and recorded >= at
                and FIRST_MOMENT_DAY <= recorded.date() <= LAST_MOMENT_DAY
            )
        )
    )


@event_rule()
def _sound_timestamps(_: _Pass, index: int, event: AnyEvent) -> Sequence[Finding]:
    at, recorded = event.at, event.recorded_at
    names = moment_fields(event.kind)
    if len(names) == _AT_AND_RECORDED and _usual_moments(at, recorded):
        return _NONE  # the common case, in one test (no other moment to look at)
    found: tuple[Finding, ...] = ()
    for name in names:
        moment = getattr(event, name)
        if moment is None:
            continue
        if not _is_aware(moment):
            found += _find(
                index,
                event,
                (name,),
                "timestamp has no UTC offset",
                "e.g. 2026-06-08T09:30:00+01:00",
            )
        elif not in_moment_range(moment):
            found += _find(index, event, (name,), "timestamp is out of range", MOMENT_RANGE)
    if not found and recorded is not None and recorded < at:
        found += _find(
            index,
            event,
            ("recorded_at",),
            "the event is recorded before it happened",
            "recorded_at at or after at",
        )
    return found


_WHAT: Final = {
    "by_role": "role",
    "to_role": "role",
    "role": "role",
    "level": "risk level",
    "purpose": "contact purpose",
    "form": "form",
    "template": "template",
}


@event_rule()
def _known_names(shared: _Pass, index: int, event: AnyEvent) -> Sequence[Finding]:
    """The stages and other names an event's fields give exist in the policy."""
    found: tuple[Finding, ...] = ()
    names, ladder = shared.names, shared.ladder
    for name, allowed in names.references.get(event.kind, ()):
        value = getattr(event, name)
        if value is None or value in (ladder if allowed is None else allowed):
            continue
        if allowed is None:
            where = "on the ladder for this concern" if value in names.stages else "in the policy"
            message = f"no stage {value!r} {where}"
            found += _find(index, event, (name,), message, _choices(ladder), suggest(value, ladder))
        else:
            found += _unknown(index, event, (name,), value, allowed, _WHAT[name])
    return found


def _unknown(  # noqa: PLR0913, PLR0917 - where, the value, what is allowed, what it names
    index: int,
    event: AnyEvent,
    path: tuple[str | int, ...],
    value: str | None,
    allowed: frozenset[str],
    what: str,
) -> tuple[Finding, ...]:
    if value is None or value in allowed:
        return _NONE
    message = f"unknown {what} {value!r}"
    return _find(index, event, path, message, _choices(allowed), suggest(value, allowed))


@event_rule("concern_raised")
def _concern_names(shared: _Pass, index: int, event: ConcernRaised) -> Sequence[Finding]:
    names = shared.names
    found: tuple[Finding, ...] = ()
    for side in ("raising", "receiving"):
        party = getattr(event, side)
        found += _unknown(index, event, (side, "role"), party.role, names.roles, "role")
        if names.sectors:
            found += _unknown(index, event, (side, "sector"), party.sector, names.sectors, "sector")
    for position, topic in enumerate(event.topics):
        found += _unknown(index, event, ("topics", position), topic, names.topics, "topic")
    found += _unknown(index, event, ("area",), event.area, names.areas, "area")
    return found


@event_rule("role_holder_absent")
def _absence_in_order(_: _Pass, index: int, event: RoleHolderAbsent) -> Sequence[Finding]:
    if event.start <= event.end:
        return _NONE
    return _find(
        index, event, ("end",), "the absence ends before it starts", "end on or after start"
    )


@event_rule("roles_combined")
def _combined_roles(shared: _Pass, index: int, event: RolesCombined) -> Sequence[Finding]:
    roles = shared.names.roles
    found: tuple[Finding, ...] = ()
    for position, role in enumerate(event.roles):
        found += _unknown(index, event, ("roles", position), role, roles, "role")
    return found


def _later(
    index: int, event: TimescaleAgreed | ActionPlanAgreed, name: str, message: str
) -> Sequence[Finding]:
    """A moment the event agrees (its ``name`` field) lies after the event itself."""
    moment: datetime = getattr(event, name)
    if not all(_is_aware(m) for m in (event.at, moment)) or moment > event.at:
        return _NONE  # a naive time is `_sound_timestamps`' finding
    return _find(index, event, (name,), message, "a later time")


@event_rule("timescale_agreed")
def _due_after_agreement(_: _Pass, index: int, event: TimescaleAgreed) -> Sequence[Finding]:
    return _later(index, event, "due", "the agreed due time is not after the agreement")


_CLOSED_WITHOUT_AGREEMENT: Final = Outcome.CLOSED_WITHOUT_AGREEMENT
"""Bound once: reading an enum member through its class is slow on Python 3.11."""


@event_rule("discussion_held")
def _closed_without_agreement(
    shared: _Pass, index: int, event: DiscussionHeld
) -> Sequence[Finding]:
    """Only a stage that allows it may be closed without agreement."""
    if event.outcome is not _CLOSED_WITHOUT_AGREEMENT:
        return _NONE
    closable = shared.names.closable
    if event.stage in closable or event.stage not in shared.names.stages:
        return _NONE
    return _find(
        index,
        event,
        ("outcome",),
        f"the policy does not let the parties close stage {event.stage!r} without agreement",
        "resolved, unresolved or withdrawn"
        + (
            f" (closed_without_agreement only at {', '.join(sorted(closable))})" if closable else ""
        ),
        hint='record "unresolved" and escalate, or "withdrawn"',
    )


@event_rule("action_plan_agreed")
def _follow_up_after_agreement(_: _Pass, index: int, event: ActionPlanAgreed) -> Sequence[Finding]:
    return _later(index, event, "follow_up", "the follow-up is not after the plan was agreed")


@event_rule("step_done")
def _known_step(shared: _Pass, index: int, event: StepDone) -> Sequence[Finding]:
    """A step done is one of its stage's steps."""
    steps = shared.names.steps.get(event.stage)
    if steps is None:  # not a stage: `_known_names`' finding
        return _NONE
    if not steps:
        return _find(
            index,
            event,
            ("step",),
            f"stage {event.stage!r} has no steps",
            "a stage with steps",
            hint="record a discussion_held for a stage without steps",
        )
    return _unknown(index, event, ("step",), event.step, steps, f"step of {event.stage!r}")


_BEFORE_CONCERN: Final = ("decision_at", "decision_received_at", "identified_at")
"""The moments a concern may give that precede it (clocks may count from them)."""


@event_rule("concern_raised")
def _moments_before_concern(_: _Pass, index: int, event: ConcernRaised) -> Sequence[Finding]:
    found: tuple[Finding, ...] = ()
    for name in _BEFORE_CONCERN:
        moment = getattr(event, name)
        if moment is None:
            continue
        if not _is_aware(moment):
            found += _find(
                index, event, (name,), "timestamp has no UTC offset", "a timestamp with an offset"
            )
        elif _is_aware(event.at) and moment > event.at:
            found += _find(
                index,
                event,
                (name,),
                f"{name} is after the concern was raised",
                f"a moment at or before the concern ({event.at.isoformat()})",
                hint="check the date, or leave it out if it is not known",
            )
    decided, received = event.decision_at, event.decision_received_at
    if (
        decided is not None
        and received is not None
        and _is_aware(decided)
        and _is_aware(received)
        and received < decided
    ):
        found += _find(
            index,
            event,
            ("decision_received_at",),
            "the decision is received before it was made",
            f"a moment at or after decision_at ({decided.isoformat()})",
        )
    return found


@event_rule("concern_raised")
def _concern_subject(shared: _Pass, index: int, event: ConcernRaised) -> Sequence[Finding]:
    """The concern is about someone the policy protects (a child, an adult)."""
    subject = event.subject
    if subject is None or SUBJECTS_PROTECTED[subject] in shared.names.protects:
        return _NONE
    allowed = [s.value for s in Subject if SUBJECTS_PROTECTED[s] in shared.names.protects]
    return _find(
        index,
        event,
        ("subject",),
        f"the concern is about {subject.value!r}, whom this policy does not protect "
        f"(it protects {', '.join(sorted(shared.names.protects))})",
        _choices(allowed),
        "check the policy: another procedure may cover this concern",
    )


_BY_KIND: Final = {kind: _rules_for(kind) for kind in EVENT_TYPES}
"""The rules for each event kind, in order (built once every rule above is registered)."""


# --- the compiled screen: every rule above in one pass, for the common clean history ---


class _Screen(NamedTuple):
    """What `clean_concern` checks of one event kind, under one ladder."""

    names: tuple[tuple[str, frozenset[str]], ...]
    """Each field naming something of the policy's, with the names allowed (for a stage
    field, the ladder's stages): `_known_names` as data."""
    two_moments: bool
    """Whether ``at`` and ``recorded_at`` are its only moments (then `_usual_moments` is
    `_sound_timestamps`' whole verdict for them)."""
    rules: tuple[EventRule, ...]
    """The other rules for the kind (its own, and any rule on every event not screened)."""


def _screens(
    references: dict[str, tuple[tuple[str, frozenset[str] | None], ...]],
    ladder: frozenset[str],
) -> dict[str, _Screen]:
    """Each event kind's `_Screen` for a concern on ``ladder`` (built once per policy)."""
    screened = {_unique_id, _sound_timestamps, _known_names}
    return {
        kind: _Screen(
            names=tuple(
                (name, ladder if allowed is None else allowed)
                for name, allowed in references.get(kind, ())
            ),
            two_moments=len(moment_fields(kind)) == _AT_AND_RECORDED,
            rules=tuple(rule for rule in _rules_for(kind) if rule not in screened),
        )
        for kind in EVENT_TYPES
    }


def clean_concern(policy: Policy, events: tuple[AnyEvent, ...]) -> ConcernRaised | None:
    """The concern of a history in which no rule finds a problem (None: some rule does).

    The verdict of running every rule (`findings` is empty), in one pass: the
    names are looked up in sets compiled per ladder, ids in one set, the usual
    timestamps in one test; the rules themselves are called only for the
    kinds' own checks (and for unusual timestamps).
    """
    names = _vocabulary(policy)
    concerns = [(i, e) for i, e in enumerate(events) if type(e) is ConcernRaised]
    if len(concerns) != 1:
        return None
    concern = concerns[0][1]
    shared = _Pass(names, concerns, names.ladder(concern.nature))
    if any(rule(shared, events) for rule in HISTORY_RULES):
        return None
    screens = names.screens.get(concern.nature, names.screens[None])
    return concern if _events_clean(shared, screens, events) else None


def _events_clean(shared: _Pass, screens: dict[str, _Screen], events: tuple[AnyEvent, ...]) -> bool:
    ids: set[str] = set()
    for index, event in enumerate(events):
        screen = screens.get(event.kind)
        ids.add(event.id)
        if screen is None or len(ids) <= index:  # an unknown kind, or an id used again
            return False
        if not (screen.two_moments and _usual_moments(event.at, event.recorded_at)) and (
            _sound_timestamps(shared, index, event)
        ):
            return False
        for name, allowed in screen.names:
            value = getattr(event, name)
            if value is not None and value not in allowed:
                return False
        for rule in screen.rules:
            if rule(shared, index, event):
                return False
    return True
