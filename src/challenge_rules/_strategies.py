"""The Hypothesis strategies `challenge_rules.testing` re-exports (see there).

Every strategy draws *valid* data: a drawn policy passes the schema and the
semantic checks; a drawn history passes `evaluate`'s checks under its policy.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Final, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from challenge_rules.calendar import Timescale, Unit
from challenge_rules.history import (
    AnyEvent,
    CaseClosed,
    CaseHistory,
    ConcernRaised,
    ConcernStructured,
    ContactMade,
    DiscussionHeld,
    Escalated,
    FormSubmitted,
    LearningDisseminated,
    MeetingHeld,
    Nature,
    Outcome,
    OutcomeCommunicated,
    OutcomeConfirmed,
    Party,
    RecordMade,
    Redirected,
    RiskAssessed,
    RoleHolderAbsent,
    RolesCombined,
    TimescaleAgreed,
)
from challenge_rules.policy import (
    Actor,
    AgreedTimescales,
    Anchor,
    CalendarSpec,
    Clause,
    Contact,
    Duty,
    Escalation,
    EventMatch,
    Exclusion,
    Fallback,
    FallbackThen,
    FallbackWhen,
    Form,
    FormField,
    Gap,
    Guidance,
    ImmediateAction,
    Partnership,
    Policy,
    RiskLevel,
    Role,
    Scope,
    Sector,
    Side,
    Source,
    Stage,
    Topic,
    Track,
    Trigger,
    TriggerKind,
    UrgencyRule,
    WhereValue,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from hypothesis.strategies import SearchStrategy


_T = TypeVar("_T")

_LONDON: Final = ZoneInfo("Europe/London")
_FIRST_DAY: Final = date(2023, 1, 1)
_LAST_DAY: Final = date(2028, 12, 31)

# -- small building blocks -------------------------------------------------
#
# The strategies draw with a handful of cached primitives (integers, booleans,
# one text strategy) rather than building new strategies for every choice:
# Hypothesis validates each new strategy object, and a policy makes hundreds
# of choices.

_PHRASES: Final = (
    "Discuss the concern with the other practitioner",
    "Notify your line manager",
    "Escalate to the designated safeguarding lead",
    "Arrange a resolution meeting",
    "Record the disagreement and the outcome on the child's record",
    "Confirm the agreed outcome in writing",
    "Refer to the delegated safeguarding partners using Appendix A",
    "Tell the workers involved of the outcome",
    "Share the learning with the partnership",
    "Contact the front door",
    "Step 1",
    "Stage 2: line managers",
    "Head of service",
    "Within 48 hours (Day 1-2)",
    "Réunion de résolution",
    "Professional challenge and escalation procedure",
)
_LETTERS: Final = string.ascii_letters + "éèâôüçñ'\u2019-"  # \u2019: a typographic apostrophe


class _Words:
    """Names, titles and notes, from a seed drawn once per policy.

    The wording never changes what the evaluator does, so it is made from a
    seed (one choice, shrinking to seed 0) rather than from hundreds of
    choices: Hypothesis then spends its effort on the policy's structure.
    """

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)  # noqa: S311 - test data, not cryptography

    def text(self) -> str:
        """A stock phrase or, now and then, random words (with some accents)."""
        rng = self._random
        if rng.random() < 0.8:
            return rng.choice(_PHRASES)
        words = (
            "".join(rng.choice(_LETTERS) for _ in range(rng.randint(1, 10)))
            for _ in range(rng.randint(1, 6))
        )
        return " ".join(words)

    def note(self) -> str | None:
        """``None`` or a text."""
        return self.text() if self._random.random() < 0.5 else None


def _words(draw: st.DrawFn) -> _Words:
    return _Words(draw(st.integers(0, 2**32 - 1)))


def _pick(draw: st.DrawFn, values: Sequence[_T]) -> _T:
    """One of ``values`` (shrinking towards the first)."""
    return values[draw(st.integers(0, len(values) - 1))]


def _maybe(draw: st.DrawFn, make: Callable[[], _T]) -> _T | None:
    """``None`` or a value from ``make`` (shrinking towards ``None``)."""
    return make() if draw(st.booleans()) else None


def _chosen(
    draw: st.DrawFn, values: Sequence[_T], *, min_size: int = 0, max_size: int | None = None
) -> list[_T]:
    """Distinct values of ``values`` (by position), in a drawn order."""
    high = len(values) if max_size is None else min(max_size, len(values))
    remaining = list(range(len(values)))
    picked = [
        remaining.pop(draw(st.integers(0, len(remaining) - 1)))
        for _ in range(draw(st.integers(min(min_size, high), high)))
    ]
    return [values[i] for i in picked]


def _some(
    draw: st.DrawFn, values: Sequence[_T], *, min_size: int = 0, max_size: int | None = None
) -> tuple[_T, ...]:
    """Distinct values of ``values``, in their given order (a sub-sequence)."""
    picked = _chosen(draw, range(len(values)), min_size=min_size, max_size=max_size)
    return tuple(values[i] for i in sorted(picked))


_SIDES: Final = (Side.RAISING, Side.RECEIVING, Side.EACH, Side.PARTNERSHIP)
_TWO_SIDES: Final = (Side.RAISING, Side.RECEIVING)
_RANGES: Final = {
    Unit.WORKING_DAYS: (1, 20),
    Unit.CALENDAR_DAYS: (1, 60),
    Unit.HOURS: (1, 168),
    Unit.MONTHS: (1, 3),
}


def _timescale(draw: st.DrawFn, units: Sequence[Unit] = tuple(Unit)) -> Timescale:
    unit = _pick(draw, units)
    if unit not in _RANGES:
        return Timescale(unit)
    low, high = _RANGES[unit]
    return Timescale(unit, draw(st.integers(low, high)))


@st.composite
def _timescales(draw: st.DrawFn, units: tuple[Unit, ...]) -> Timescale:
    return _timescale(draw, units)


def timescales(units: Iterable[Unit | str] | None = None) -> SearchStrategy[Timescale]:
    """Valid timescales in ``units`` (default: every unit).

    Working days 1-20, calendar days 1-60, hours 1-168, months 1-3; ``same_day``
    and ``immediately`` take no amount.

    >>> from hypothesis import find
    >>> find(timescales(["hours"]), lambda t: t.amount > 47)
    Timescale(unit=<Unit.HOURS: 'hours'>, amount=48)
    """
    chosen = tuple(Unit) if units is None else tuple(Unit(u) for u in units)
    if not chosen:
        raise ValueError("units must name at least one unit")
    return _timescales(chosen)


# -- moments ----------------------------------------------------------------

_OTHER_OFFSETS: Final = tuple(
    timedelta(minutes=m) for m in (-720, -300, -210, 0, 60, 120, 330, 345, 840)
)


def _clock_changes(year: int) -> tuple[datetime, ...]:
    """The UK's clock changes in ``year``: 01:00 UTC on the last Sundays of March and October."""
    changes = []
    for month in (3, 10):
        last = date(year, month, 31)
        sunday = last - timedelta(days=(last.weekday() + 1) % 7)
        changes.append(datetime.combine(sunday, time(1), tzinfo=UTC))
    return tuple(changes)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=_LONDON).astimezone(UTC)


def _instant(draw: st.DrawFn, first: date, last: date) -> datetime:
    """A UTC instant on a London date in [first, last], often where off-by-one bugs live."""
    how = _pick(draw, ("any", "midnight", "clock-change", "office-hours", "any"))
    if how == "clock-change":
        change = _pick(draw, _clock_changes(draw(st.integers(first.year, last.year))))
        moment = change + timedelta(minutes=draw(st.integers(-180, 180)))
    else:
        day = first + timedelta(days=draw(st.integers(0, (last - first).days)))
        if how == "midnight":
            near = draw(st.integers(-1, 1)) if draw(st.booleans()) else 0
            seconds = near if near or draw(st.booleans()) else draw(st.integers(-5400, 5400))
            moment = _local_midnight(day) + timedelta(seconds=seconds)
        elif how == "office-hours":
            local = datetime.combine(day, time(9), tzinfo=_LONDON)
            moment = local.astimezone(UTC) + timedelta(minutes=draw(st.integers(0, 8 * 60)))
        else:
            moment = _local_midnight(day) + timedelta(seconds=draw(st.integers(0, 86_399)))
    low = _local_midnight(first)
    high = _local_midnight(last + timedelta(days=1)) - timedelta(seconds=1)
    return min(max(moment, low), high)


def _render(draw: st.DrawFn, instant: datetime) -> datetime:
    """``instant`` with a UTC offset, as a case system might write it."""
    how = _pick(draw, ("london", "utc", "other", "london"))
    if how == "utc":
        return instant.astimezone(UTC)
    if how == "london":
        offset = instant.astimezone(_LONDON).utcoffset() or timedelta()
    else:
        offset = _pick(draw, _OTHER_OFFSETS)
    return instant.astimezone(timezone(offset))


@st.composite
def _moments(draw: st.DrawFn, first: date, last: date) -> datetime:
    return _render(draw, _instant(draw, first, last))


def moments(min_value: date = _FIRST_DAY, max_value: date = _LAST_DAY) -> SearchStrategy[datetime]:
    """Aware timestamps whose London date is from ``min_value`` to ``max_value``.

    Biased towards the moments where date arithmetic goes wrong: around local
    midnight (to the second), around the UK clock changes, in office hours.
    Offsets are mostly the London offset in force (``+00:00`` or ``+01:00``),
    sometimes UTC and sometimes offsets far from London (``-12:00``, ``+05:45``,
    ``+14:00``), always in whole minutes, as ISO 8601 writes them.

    >>> from datetime import date
    >>> from hypothesis import Phase, find, settings
    >>> first_found = settings(phases=[Phase.generate], database=None)  # no shrinking
    >>> moment = find(moments(date(2026, 3, 29), date(2026, 3, 29)), bool, settings=first_found)
    >>> moment.utcoffset() is not None
    True
    """
    if max_value < min_value:
        raise ValueError("max_value is before min_value")
    return _moments(min_value, max_value)


# -- policies ---------------------------------------------------------------

_ROLE_POOL: Final = (
    "practitioner",
    "line-manager",
    "dsl",
    "named-practitioner",
    "head-of-service",
    "senior-manager",
    "safeguarding-partner",
    "business-unit",
)
_SECTOR_POOL: Final = ("school", "general-practice", "health", "police", "early-years")
_RISK_POOL: Final = ("low", "medium", "high", "immediate-harm")
_PURPOSE_POOL: Final = ("front-door", "step-3-referral", "business-unit", "lado", "out-of-hours")
_TOPIC_POOL: Final = ("thresholds", "assessment", "case-closure", "consent", "cp-plan")
_TRACK_NATURES: Final = (Nature.CHILD_PROTECTION_CONFERENCE.value, Nature.WHISTLEBLOWING.value)
_EXCLUDABLE: Final = (
    Nature.SYSTEMIC.value,
    Nature.COMPLAINT.value,
    Nature.WHISTLEBLOWING.value,
    Nature.CHILD_PROTECTION_CONFERENCE.value,
)
_MEETINGS: Final = ("resolution", "inter_agency", "professionals", "strategy")
_RECORDS: Final = ("childs_record", "agency_record", "partnership_record")
_TOLD: Final = ("workers", "line_managers", "earlier_parties", "all_parties", "raiser")
_GUIDANCE_KINDS: Final = ("pledge", "template", "prompts", "principles", "barriers", "expectations")
_SOURCE_KINDS: Final = ("procedure", "seed-extract", "public-page", "guidance")


class _Vocabulary(NamedTuple):
    """What a policy under construction has defined so far."""

    clauses: tuple[str, ...]
    roles: tuple[str, ...]
    sectors: tuple[str, ...]
    risks: tuple[str, ...]
    purposes: tuple[str, ...]
    forms: tuple[str, ...]
    templates: tuple[str, ...]
    words: _Words
    stages: tuple[str, ...] = ()


def _actor(draw: st.DrawFn, vocabulary: _Vocabulary, sides: Sequence[Side] = _SIDES) -> Actor:
    return Actor(_pick(draw, vocabulary.roles), _pick(draw, sides))


def _match_fields(
    vocabulary: _Vocabulary, purposes: Sequence[str]
) -> dict[str, dict[str, Sequence[str | bool]]]:
    """Event kind -> field -> the values a valid history can give it (identifying field first)."""
    sides = [s.value for s in _SIDES]
    fields: dict[str, dict[str, Sequence[str | bool]]] = {
        "meeting_held": {"meeting": _MEETINGS},
        "record_made": {"record": _RECORDS, "side": sides},
        "outcome_confirmed": {"in_writing": (True, False), "by": sides},
        "outcome_communicated": {"to": _TOLD},
        "learning_disseminated": {},
    }
    if purposes:
        fields["contact_made"] = {"purpose": purposes, "by": sides}
    if vocabulary.forms:
        fields["form_submitted"] = {"form": vocabulary.forms}
    if vocabulary.templates:
        fields["concern_structured"] = {"template": vocabulary.templates}
    if vocabulary.risks:
        fields["risk_assessed"] = {"level": vocabulary.risks}
    return fields


def _event_match(
    draw: st.DrawFn, vocabulary: _Vocabulary, purposes: Sequence[str] | None = None
) -> EventMatch:
    """An event match that a valid history under this vocabulary can satisfy."""
    fields = _match_fields(vocabulary, vocabulary.purposes if purposes is None else purposes)
    kind = _pick(draw, sorted(fields))
    where: dict[str, WhereValue] = {}
    for position, (name, values) in enumerate(fields[kind].items()):
        # The identifying field is usually given, the others seldom.
        if draw(st.integers(0, 3)) >= (3 if position == 0 else 1):
            continue
        if isinstance(values[0], str) and len(values) > 1 and draw(st.integers(0, 3)) == 0:
            # Any one of several values (the front door or the out-of-hours team).
            where[name] = tuple(str(v) for v in _some(draw, values, min_size=2, max_size=3))
        else:
            where[name] = _pick(draw, values)
    return EventMatch(kind=kind, where=where)


def _ladder(
    draw: st.DrawFn, ids: Sequence[str], vocabulary: _Vocabulary, skips: set[str]
) -> tuple[Stage, ...]:
    """Stages with these ids, every one reachable.

    A stage escalates to the next (``to`` left out or named), or jumps
    further only over stages reached some other way: by an earlier jump or as
    an urgency rule's ``skip_to`` (``skips``).
    """
    words = vocabulary.words
    stages: list[Stage] = []
    clauses = vocabulary.clauses
    reached = {0} | {i for i, stage_id in enumerate(ids) if stage_id in skips}
    for index, stage_id in enumerate(ids):
        last = index == len(ids) - 1
        on_unresolved = None
        if not last:
            jumps = [None, ids[index + 1]]
            for target in range(index + 2, len(ids)):
                if target - 1 not in reached:
                    break
                jumps.append(ids[target])
            to = _pick(draw, jumps)
            reached.add(index + 1 if to is None else ids.index(to))
            on_unresolved = Escalation(
                clause=_pick(draw, clauses),
                action=words.text(),
                by=_actor(draw, vocabulary, _TWO_SIDES),
                to=to,
                timescale=_maybe(draw, lambda: _timescale(draw)),
                contacts=_some(draw, vocabulary.purposes, max_size=1),
                forms=_some(draw, vocabulary.forms, max_size=1),
            )
        participants: list[Actor] = []
        for _ in range(draw(st.integers(1, 3))):
            actor = _actor(draw, vocabulary)
            if actor not in participants:
                participants.append(actor)
        # The first stage has no previous stage to count from.
        anchors: tuple[Anchor, ...] = (Anchor.STAGE_ENTERED, Anchor.CONCERN, Anchor.ESCALATED)
        if index > 0:
            anchors += (Anchor.PREVIOUS_STAGE_CONCLUDED,)
        timescale = _maybe(draw, lambda: _timescale(draw))
        stages.append(
            Stage(
                id=stage_id,
                name=words.text(),
                clause=_pick(draw, clauses),
                action=words.text(),
                participants=tuple(participants),
                timescale=timescale,
                counts_from=_pick(draw, anchors),
                timescale_clause=_maybe(draw, lambda: _pick(draw, clauses)),
                # Without a timescale, say how the source puts it (as policy authors must).
                timescale_note=words.text() if timescale is None else words.note(),
                optional=index > 0 and draw(st.booleans()),
                contacts=_some(draw, vocabulary.purposes, max_size=2),
                forms=_some(draw, vocabulary.forms, max_size=1),
                on_unresolved=on_unresolved,
                final_note=words.note() if last else None,
            )
        )
    return tuple(stages)


def _stage_ids(draw: st.DrawFn, prefix: str, count: int) -> list[str]:
    style = _pick(draw, ("step-", "stage-", "level-"))
    return [f"{prefix}{style}{i + 1}" for i in range(count)]


def _sources_and_clauses(
    draw: st.DrawFn, words: _Words
) -> tuple[tuple[Source, ...], tuple[Clause, ...]]:
    sources = tuple(
        Source(
            id=f"src-{i + 1}",
            title=words.text(),
            kind=_pick(draw, _SOURCE_KINDS),
            document=_maybe(draw, lambda i=i: f"00{i}_extract.txt"),  # type: ignore[misc]
            url=_maybe(draw, lambda i=i: f"https://example.org/procedure/{i + 1}"),  # type: ignore[misc]
            publisher=words.note(),
            published=_maybe(draw, lambda: _pick(draw, ("2024", "March 2025", "2025-12-01"))),
            retrieved=_maybe(draw, lambda: date(2026, 1, 1) + timedelta(draw(st.integers(0, 300)))),
        )
        for i in range(draw(st.integers(1, 2)))
    )
    clauses = tuple(
        Clause(
            id=f"cl-{i + 1}",
            source=_pick(draw, [s.id for s in sources]),
            section=words.text(),
            quote=words.note(),
        )
        for i in range(draw(st.integers(1, 8)))
    )
    return sources, clauses


def _contacts(
    draw: st.DrawFn, words: _Words, clauses: Sequence[str], areas: Sequence[str]
) -> tuple[Contact, ...]:
    return tuple(
        Contact(
            id=f"contact-{i + 1}",
            name=words.text(),
            purpose=_pick(draw, _PURPOSE_POOL),
            clause=_pick(draw, clauses),
            area=_maybe(draw, lambda: _pick(draw, areas)),
            email=f"team{i + 1}@example.org" if draw(st.booleans()) else None,
            phone=f"0100 000 00{i:02d}" if draw(st.booleans()) else None,
            hours="Mon-Fri 9:00-17:00" if draw(st.booleans()) else None,
        )
        for i in range(draw(st.integers(0, 4)))
    )


def _forms(
    draw: st.DrawFn, words: _Words, clauses: Sequence[str], purposes: Sequence[str]
) -> tuple[Form, ...]:
    return tuple(
        Form(
            id=f"form-{i + 1}",
            title=words.text(),
            clause=_pick(draw, clauses),
            fields=tuple(
                FormField(id=f"field-{j + 1}", label=words.text(), personal=draw(st.booleans()))
                for j in range(draw(st.integers(1, 3)))
            ),
            submit_to=_maybe(draw, lambda: _pick(draw, purposes)) if purposes else None,
        )
        for i in range(draw(st.integers(0, 2)))
    )


def _guidance(draw: st.DrawFn, words: _Words, clauses: Sequence[str]) -> tuple[Guidance, ...]:
    return tuple(
        Guidance(
            id=f"guide-{i + 1}",
            kind=_pick(draw, _GUIDANCE_KINDS),
            title=words.text(),
            clause=_pick(draw, clauses),
            items=tuple(words.text() for _ in range(draw(st.integers(1, 4)))),
            use=words.note(),
        )
        for i in range(draw(st.integers(0, 2)))
    )


def _duties(draw: st.DrawFn, vocabulary: _Vocabulary) -> tuple[Duty, ...]:
    words = vocabulary.words
    duties = []
    for i in range(draw(st.integers(0, 4))):
        on = _pick(draw, tuple(TriggerKind))
        on_stages = on not in (TriggerKind.CONCERN_RAISED, TriggerKind.EVENT)
        trigger = Trigger(
            on=on,
            stages=_some(draw, vocabulary.stages, max_size=2) if on_stages else (),
            event=_event_match(draw, vocabulary) if on is TriggerKind.EVENT else None,
        )
        duties.append(
            Duty(
                id=f"duty-{i + 1}",
                clause=_pick(draw, vocabulary.clauses),
                action=words.text(),
                who=_actor(draw, vocabulary),
                trigger=trigger,
                discharged_by=_event_match(draw, vocabulary),
                timescale=_maybe(draw, lambda: _timescale(draw)),
                contacts=_some(draw, vocabulary.purposes, max_size=1),
                forms=_some(draw, vocabulary.forms, max_size=1),
            )
        )
    return tuple(duties)


def _fallbacks(draw: st.DrawFn, vocabulary: _Vocabulary) -> tuple[Fallback, ...]:
    roles, clauses = vocabulary.roles, vocabulary.clauses
    fallbacks: list[Fallback] = []
    # Substitutes only ever come later in this order, so chains cannot loop.
    order = _chosen(draw, roles, min_size=len(roles))
    for position, role in enumerate(order[:-1]):
        if not draw(st.booleans()):
            continue
        fallbacks.append(
            Fallback(
                id=f"absence-{len(fallbacks) + 1}",
                clause=_pick(draw, clauses),
                role=role,
                when=FallbackWhen(absent=True, sectors=_some(draw, vocabulary.sectors, max_size=2)),
                then=FallbackThen(
                    substitutes=tuple(_chosen(draw, order[position + 1 :], min_size=1, max_size=3))
                ),
                side=_maybe(draw, lambda: _pick(draw, _TWO_SIDES)),
                stages=_some(draw, vocabulary.stages, max_size=2),
            )
        )
    if len(roles) >= 3:
        for _ in range(draw(st.integers(0, 2))):
            role, also = _chosen(draw, roles, min_size=2, max_size=2)
            others = [r for r in roles if r not in (role, also)]
            fallbacks.append(
                Fallback(
                    id=f"combined-{len(fallbacks) + 1}",
                    clause=_pick(draw, clauses),
                    role=role,
                    when=FallbackWhen(
                        also_holds=also, sectors=_some(draw, vocabulary.sectors, max_size=2)
                    ),
                    then=FallbackThen(seek_support_from=_some(draw, others, min_size=1)),
                    side=_maybe(draw, lambda: _pick(draw, _TWO_SIDES)),
                    stages=_some(draw, vocabulary.stages, max_size=2),
                )
            )
    return tuple(fallbacks)


_URGENT_UNITS: Final = (Unit.HOURS, Unit.SAME_DAY, Unit.IMMEDIATELY, Unit.WORKING_DAYS)


def _urgency(
    draw: st.DrawFn, vocabulary: _Vocabulary, skip_targets: Sequence[str]
) -> tuple[UrgencyRule, ...]:
    purposes = vocabulary.purposes or ("front-door",)
    words = vocabulary.words
    return tuple(
        UrgencyRule(
            id=f"urgency-{i + 1}",
            clause=_pick(draw, vocabulary.clauses),
            risks=_some(draw, vocabulary.risks, min_size=1),
            immediate_actions=tuple(
                ImmediateAction(
                    id=f"now-{i + 1}-{j + 1}",
                    action=words.text(),
                    who=_actor(draw, vocabulary, _TWO_SIDES),
                    discharged_by=_event_match(draw, vocabulary, purposes),
                    contacts=_some(draw, vocabulary.purposes, max_size=1),
                )
                for j in range(draw(st.integers(0, 2)))
            ),
            timescale=_maybe(draw, lambda: _timescale(draw, _URGENT_UNITS)),
            stages=_some(draw, vocabulary.stages, max_size=2),
            skip_to=_maybe(draw, lambda: _pick(draw, skip_targets)) if skip_targets else None,
            note=words.note(),
        )
        for i in range(draw(st.integers(0, 3)))
    )


def _gaps(draw: st.DrawFn, words: _Words, stages: Sequence[Stage]) -> tuple[Gap, ...]:
    """What the source leaves out: mostly the timescales it does not give."""
    pointers = [f"/stages/{i}/timescale" for i, s in enumerate(stages) if s.timescale is None]
    pointers += [f"/stages/{i}" for i in range(len(stages))]
    return tuple(
        Gap(pointer=pointer, text=words.text()) for pointer in _chosen(draw, pointers, max_size=2)
    )


@st.composite
def _policies(  # noqa: PLR0913, PLR0917 - the flags of `policies`
    draw: st.DrawFn,
    max_stages: int,
    with_fallbacks: bool,
    with_urgency: bool,
    with_duties: bool,
    with_tracks: bool,
) -> Policy:
    words = _words(draw)
    sources, clauses = _sources_and_clauses(draw, words)
    clause_ids = tuple(c.id for c in clauses)
    partnerships = tuple(
        Partnership(id=f"area-{i + 1}", name=words.text(), area=words.text())
        for i in range(draw(st.integers(1, 3)))
    )
    role_ids = _chosen(draw, _ROLE_POOL, min_size=2, max_size=6)
    roles = tuple(Role(id=r, name=words.text(), description=words.note()) for r in role_ids)
    sectors = tuple(
        Sector(id=s, name=words.text()) for s in _chosen(draw, _SECTOR_POOL, max_size=3)
    )
    risk_ids = _chosen(draw, _RISK_POOL, min_size=1 if with_urgency else 0)
    contacts = _contacts(draw, words, clause_ids, [p.id for p in partnerships])
    purposes = tuple(sorted({c.purpose for c in contacts}))
    forms = _forms(draw, words, clause_ids, purposes)
    guidance = _guidance(draw, words, clause_ids)
    vocabulary = _Vocabulary(
        clauses=clause_ids,
        roles=tuple(role_ids),
        sectors=tuple(s.id for s in sectors),
        risks=tuple(risk_ids),
        purposes=purposes,
        forms=tuple(f.id for f in forms),
        templates=tuple(g.id for g in guidance if g.kind == "template"),
        words=words,
    )

    # Often a long ladder: escalation bugs live in the later stages.
    fewest = _pick(draw, (1, max(1, max_stages // 2)))
    stage_ids = _stage_ids(draw, "", draw(st.integers(fewest, max_stages)))
    track_ids = [
        (nature, _stage_ids(draw, f"t{t + 1}-", draw(st.integers(1, min(3, max_stages)))))
        for t, nature in enumerate(_chosen(draw, _TRACK_NATURES) if with_tracks else ())
    ]
    vocabulary = vocabulary._replace(
        stages=tuple(stage_ids) + tuple(i for _, ids in track_ids for i in ids)
    )
    urgency = _urgency(draw, vocabulary, stage_ids[1:]) if with_urgency else ()
    skips = {rule.skip_to for rule in urgency if rule.skip_to is not None}
    stages = _ladder(draw, stage_ids, vocabulary, skips)
    tracks = tuple(
        Track(
            id=f"track-{t + 1}",
            name=words.text(),
            clause=_pick(draw, clause_ids),
            natures=(nature,),
            stages=_ladder(draw, ids, vocabulary, set()),
        )
        for t, (nature, ids) in enumerate(track_ids)
    )
    tracked = {n for t in tracks for n in t.natures}
    excludable = [n for n in _EXCLUDABLE if n not in tracked]
    exclusions = tuple(
        Exclusion(
            id=f"exclusion-{i + 1}",
            clause=_pick(draw, clause_ids),
            natures=(nature,),
            instead=words.text(),
            redirect_to=_maybe(draw, lambda: _pick(draw, ("complaints", "whistleblowing"))),
        )
        for i, nature in enumerate(_chosen(draw, excludable, max_size=2))
    )
    closures = sorted(
        {
            date(2024, 1, 1) + timedelta(draw(st.integers(0, 4 * 365)))
            for _ in range(draw(st.integers(0, 4)))
        }
    )
    return Policy(
        id=f"generated-{draw(st.integers(1, 999))}",
        title=words.text(),
        version=_pick(draw, ("1", "1.0", "2025-12", "2.3.1")),
        effective_from=date(2019, 1, 1) + timedelta(draw(st.integers(0, 8 * 365))),
        protects=_some(draw, ("children", "adults"), min_size=1),
        partnerships=partnerships,
        sources=sources,
        clauses=clauses,
        roles=roles,
        stages=stages,
        calendar=CalendarSpec(
            time_zone="Europe/London", holidays="england-and-wales", extra_closures=tuple(closures)
        ),
        summary=words.note(),
        scope=Scope(
            applies_when=tuple(words.text() for _ in range(draw(st.integers(0, 2)))),
            applies_clause=_maybe(draw, lambda: _pick(draw, clause_ids)),
            exclusions=exclusions,
        ),
        sectors=sectors,
        risk_levels=tuple(RiskLevel(id=r, name=words.text()) for r in risk_ids),
        tracks=tracks,
        duties=_duties(draw, vocabulary) if with_duties else (),
        fallbacks=_fallbacks(draw, vocabulary) if with_fallbacks else (),
        urgency=urgency,
        agreed_timescales=_pick(draw, tuple(AgreedTimescales)),
        contacts=contacts,
        forms=forms,
        topics=tuple(
            Topic(id=t, label=words.text(), clause=_pick(draw, clause_ids))
            for t in _chosen(draw, _TOPIC_POOL, max_size=3)
        ),
        guidance=guidance,
        gaps=_gaps(draw, words, stages),
    )


def policies(
    *,
    max_stages: int = 6,
    with_fallbacks: bool = True,
    with_urgency: bool = True,
    with_duties: bool = True,
    with_tracks: bool = False,
) -> SearchStrategy[Policy]:
    """Valid policies: escalation ladders of 1 to ``max_stages`` stages.

    Every policy drawn passes the schema and the semantic checks: ids are
    unique, every reference (clause, source, role, stage, sector, risk level,
    contact purpose, form) resolves, the last stage of each ladder ends it and
    every other stage escalates forward, the first stage never counts from a
    previous stage, and substitute chains of absence fallbacks never loop.

    Stages have timescales in every unit (or none), any clock anchor, and may
    be optional.  With the flags set, policies also have duties (triggered by
    stage events, by the concern or by events such as ``meeting_held``, and
    discharged by events such as ``record_made``), fallbacks for absence
    (substitute chains) and for one person holding two roles (seek support,
    per sector), urgency rules (risk levels, immediate actions, shorter
    timescales, ``skip_to``), and with ``with_tracks`` separate ladders for
    concerns of some natures.  Policies may have contacts per area, forms,
    topics, guidance and scope exclusions, and count working days in
    Europe/London on the England and Wales bank holidays, plus up to four
    extra closure days.

    >>> from hypothesis import Phase, find, settings
    >>> first_found = settings(phases=[Phase.generate], database=None)  # no shrinking
    >>> policy = find(policies(max_stages=3), lambda p: len(p.stages) == 3, settings=first_found)
    >>> len(policy.stages), policy.stages[-1].on_unresolved
    (3, None)
    """
    if max_stages < 1:
        raise ValueError("max_stages must be at least 1")
    return _policies(max_stages, with_fallbacks, with_urgency, with_duties, with_tracks)


# -- histories --------------------------------------------------------------


class _Flow:
    """The generator's picture of the case, following the evaluator's rules.

    Regular histories take only the steps this picture calls regular; it
    follows the evaluator's rules, so it stays right after irregular steps.
    """

    def __init__(self, policy: Policy, ladder: Sequence[Stage], *, not_applicable: bool) -> None:
        self.policy = policy
        self.ladder = ladder
        self.index = 0
        self.concluded = False
        self.escalated = False
        self.closed = not_applicable
        self.not_applicable = not_applicable
        self.redirected = False
        self.active: set[str] = set()

    def discussion(self, target: int, outcome: Outcome) -> None:
        if self.closed or target < self.index or (target == self.index and self.concluded):
            return
        if target > self.index:
            self._enter(target)
        self.concluded = True
        if outcome is not Outcome.UNRESOLVED:
            self.closed = True
            return
        escalation = self.ladder[self.index].on_unresolved
        if escalation is not None:
            ids = [s.id for s in self.ladder]
            self._enter(self.index + 1 if escalation.to is None else ids.index(escalation.to))

    def escalation(self, target: int) -> None:
        if self.closed or target < self.index or (target == self.index and self.escalated):
            return
        if target > self.index:
            self._enter(target)
        self.escalated = True

    def _enter(self, target: int) -> None:
        self.index = target
        self.concluded = False
        self.escalated = False

    def risk(self, level: str) -> None:
        rules = {rule.id: rule for rule in self.policy.urgency}
        self.active = {r for r in self.active if level in rules[r].risks}
        self.active |= {rule.id for rule in self.policy.urgency if level in rule.risks}

    def regular_targets(self) -> list[int]:
        """Stages an escalation may go to now without any irregularity."""
        if self.closed or self.concluded:
            return []
        skip_to = {r.skip_to for r in self.policy.urgency if r.id in self.active}
        # A stage only entered (an earlier one ended unresolved) is skipped too.
        first = self.index if self.index > 0 and not self.escalated else self.index + 1
        return [
            target
            for target in range(self.index + 1, len(self.ladder))
            if all(s.optional for s in self.ladder[first:target])
            or self.ladder[target].id in skip_to
        ]


def _gap(draw: st.DrawFn, now: datetime) -> timedelta:
    """How long until the next event: never zero, so stage events keep their order."""
    how = _pick(draw, ("days", "hours", "minutes", "seconds", "midnight", "days"))
    if how == "seconds":
        return timedelta(seconds=draw(st.integers(1, 59)))
    if how == "minutes":
        return timedelta(minutes=draw(st.integers(1, 600)))
    if how == "hours":
        return timedelta(hours=draw(st.integers(1, 72)))
    if how == "days":
        return timedelta(days=draw(st.integers(1, 12)), seconds=draw(st.integers(0, 86_399)))
    # To just before or just after the next local midnight.
    tomorrow = now.astimezone(_LONDON).date() + timedelta(days=1)
    target = _local_midnight(tomorrow) + timedelta(seconds=draw(st.integers(-2, 2)))
    return max(target - now, timedelta(seconds=1))


class _Events:
    """Draws the events of one history: ids, timestamps and the fields from the policy."""

    def __init__(self, draw: st.DrawFn, policy: Policy, ladder: Sequence[Stage]) -> None:
        self.draw = draw
        self.policy = policy
        self.ladder = [s.id for s in ladder]
        self.prefix = _pick(draw, ("e", "ev-", "evt_", "event-"))
        self.count = 0
        self.roles = [r.id for r in policy.roles]
        self.purposes = sorted(policy.contact_purposes())
        self.templates = [g.id for g in policy.guidance if g.kind == "template"]
        self.forms = [f.id for f in policy.forms]
        self.risks = [r.id for r in policy.risk_levels]

    def common(self, at: datetime) -> dict[str, object]:
        """The fields every event has: a new id, ``at``, maybe a late ``recorded_at``."""
        draw = self.draw
        self.count += 1
        recorded = None
        if draw(st.integers(0, 4)) == 4:  # a late entry
            recorded = _render(draw, at + _gap(draw, at))
        return {
            "id": f"{self.prefix}{self.count}",
            "at": _render(draw, at),
            "recorded_at": recorded,
        }

    def stage(self) -> str | None:
        return _maybe(self.draw, lambda: _pick(self.draw, self.ladder))

    def matching(self, match: EventMatch, at: datetime) -> AnyEvent:  # noqa: C901, PLR0911
        """An event that ``match`` matches (its other fields drawn)."""
        draw, where = self.draw, match.where
        common = self.common(at)

        def value(name: str, values: Sequence[str]) -> str:
            given = where.get(name)
            if isinstance(given, tuple):  # any one of several
                return _pick(draw, given)
            return str(given) if given is not None else _pick(draw, values)

        def side(name: str) -> Side:
            return Side(value(name, [s.value for s in _SIDES]))

        kind = match.kind
        if kind == "meeting_held":
            return MeetingHeld(
                meeting=value("meeting", _MEETINGS),  # type: ignore[arg-type]
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind == "record_made":
            return RecordMade(
                record=value("record", _RECORDS),  # type: ignore[arg-type]
                side=side("side"),
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind == "outcome_confirmed":
            in_writing = where.get("in_writing")
            return OutcomeConfirmed(
                in_writing=draw(st.booleans()) if in_writing is None else bool(in_writing),
                by=side("by"),
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind == "outcome_communicated":
            return OutcomeCommunicated(
                to=value("to", _TOLD),  # type: ignore[arg-type]
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind == "contact_made" and self.purposes:
            return ContactMade(
                purpose=value("purpose", self.purposes),
                by=side("by"),
                **common,  # type: ignore[arg-type]
            )
        if kind == "form_submitted" and self.forms:
            return FormSubmitted(
                form=value("form", self.forms),
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind == "concern_structured" and self.templates:
            answered = _some(draw, ("1", "2", "3", "4", "5"))
            return ConcernStructured(
                template=value("template", self.templates),
                answered=answered,
                **common,  # type: ignore[arg-type]
            )
        if kind == "risk_assessed" and self.risks:
            return RiskAssessed(level=value("level", self.risks), **common)  # type: ignore[arg-type]
        return LearningDisseminated(stage=self.stage(), **common)  # type: ignore[arg-type]


def _matches_in(policy: Policy) -> list[EventMatch]:
    """Every event match a history can satisfy: discharges and event triggers."""
    found = [d.discharged_by for d in policy.duties]
    found += [d.trigger.event for d in policy.duties if d.trigger.event is not None]
    found += [a.discharged_by for r in policy.urgency for a in r.immediate_actions]
    return found


def _nature(draw: st.DrawFn, policy: Policy) -> Nature:
    natures = [Nature.CASE.value] * 8
    natures += [n for t in policy.tracks for n in t.natures] * 2
    natures += [n for e in policy.scope.exclusions for n in e.natures]
    natures += [n.value for n in Nature]
    return Nature(_pick(draw, natures))


def _party(draw: st.DrawFn, policy: Policy) -> Party:
    sectors = [s.id for s in policy.sectors]
    return Party(
        role=_pick(draw, [r.id for r in policy.roles]),
        agency=_pick(draw, ("Children's Social Care", "Police", "Primary school", "GP practice")),
        sector=_maybe(draw, lambda: _pick(draw, sectors)) if sectors else None,
    )


_PLAIN_KINDS: Final = {
    "record": "record_made",
    "confirmed": "outcome_confirmed",
    "communicated": "outcome_communicated",
    "meeting": "meeting_held",
    "learning": "learning_disseminated",
    "form": "form_submitted",
    "structured": "concern_structured",
    "contact": "contact_made",
    "risk": "risk_assessed",
}


def _moves(flow: _Flow, events: _Events, *, matches: bool, irregular: bool) -> list[str]:
    """The kinds of step a history can take next (repeated for weight)."""
    moves = ["absence", "combined", "agreed", "record", "confirmed", "communicated", "meeting"]
    moves += ["learning"]
    moves += ["match"] * 3 if matches else []
    moves += ["contact"] if events.purposes else []
    moves += ["form"] if events.forms else []
    moves += ["structured"] if events.templates else []
    moves += ["risk"] * 2 if events.risks else []
    if not flow.closed:
        moves += ["close"]
        if not flow.concluded:
            moves += ["discuss"] * 20
            if flow.index > 0 and not flow.escalated:
                moves += ["escalate-current"] * 3
            if flow.regular_targets():
                moves += ["escalate-forward"] * 3
    if not flow.redirected and (flow.not_applicable or not flow.closed):
        moves += ["redirect"]
    if irregular:
        moves += ["discuss-any", "escalate-any"] * 6
    return moves


_OUTCOMES: Final = (Outcome.UNRESOLVED,) * 6 + (Outcome.RESOLVED, Outcome.WITHDRAWN)


def _near(draw: st.DrawFn, flow: _Flow) -> int:
    """A stage for an irregular step.

    The one before the current stage, the current one, one past the next stage
    that may not be skipped, or any stage.
    """
    index, length = flow.index, len(flow.ladder)
    how = draw(st.integers(0, 4))
    if how == 4:
        return draw(st.integers(0, length - 1))
    if how >= 2:
        required = [i for i in range(index + 1, length) if not flow.ladder[i].optional]
        return min(required[0] + 1 if required else index + 2, length - 1)
    return max(index - 1 + how, 0)


def _step(  # noqa: C901, PLR0911 - one branch per kind of step
    draw: st.DrawFn, move: str, flow: _Flow, events: _Events, now: datetime
) -> AnyEvent:
    ladder = events.ladder
    if move in ("discuss", "discuss-any"):
        target = flow.index if move == "discuss" else _near(draw, flow)
        outcome = _pick(draw, _OUTCOMES)
        flow.discussion(target, outcome)
        return DiscussionHeld(stage=ladder[target], outcome=outcome, **events.common(now))  # type: ignore[arg-type]
    if move.startswith("escalate"):
        if move == "escalate-current":
            target = flow.index
        elif move == "escalate-forward":
            target = _pick(draw, flow.regular_targets())
        else:
            target = _near(draw, flow)
        flow.escalation(target)
        return Escalated(
            to_stage=ladder[target],
            by=_pick(draw, _TWO_SIDES),
            by_role=_maybe(draw, lambda: _pick(draw, events.roles)),
            to_role=_maybe(draw, lambda: _pick(draw, events.roles)),
            **events.common(now),  # type: ignore[arg-type]
        )
    if move == "close":
        flow.closed = True
        reason = _pick(draw, ("other", "resolved", "withdrawn"))
        return CaseClosed(reason=reason, **events.common(now))  # type: ignore[arg-type]
    if move == "redirect":
        flow.closed = flow.redirected = True
        return Redirected(to=_pick(draw, ("complaints", "lado")), **events.common(now))  # type: ignore[arg-type]
    if move == "absence":
        first = now.astimezone(_LONDON).date() + timedelta(days=draw(st.integers(-3, 10)))
        return RoleHolderAbsent(
            side=_pick(draw, _SIDES),
            role=_pick(draw, events.roles),
            start=first,
            end=first + timedelta(days=draw(st.integers(0, 15))),
            **events.common(now),  # type: ignore[arg-type]
        )
    if move == "combined":
        return RolesCombined(
            side=_pick(draw, _SIDES),
            roles=_some(draw, events.roles, min_size=2, max_size=3),
            **events.common(now),  # type: ignore[arg-type]
        )
    if move == "agreed":
        return TimescaleAgreed(
            stage=_pick(draw, ladder),
            due=_render(draw, now + _gap(draw, now)),
            **events.common(now),  # type: ignore[arg-type]
        )
    if move == "match":
        return events.matching(_pick(draw, _matches_in(events.policy)), now)
    return events.matching(EventMatch(kind=_PLAIN_KINDS[move]), now)


@st.composite
def _histories(
    draw: st.DrawFn,
    policy: Policy,
    max_events: int,
    start: SearchStrategy[datetime],
    irregular: bool,
) -> CaseHistory:
    now = draw(start).astimezone(UTC)
    nature = _nature(draw, policy)
    ladder = policy.ladder(nature)
    tracked = any(nature in t.natures for t in policy.tracks)
    excluded = not tracked and any(nature in e.natures for e in policy.scope.exclusions)
    events = _Events(draw, policy, ladder)
    concern = ConcernRaised(
        raising=_party(draw, policy),
        receiving=_party(draw, policy),
        disputed=_pick(draw, ("decision", "practice", "inaction", "delay", "service")),
        nature=nature,
        topics=_some(draw, [t.id for t in policy.topics], max_size=2),
        area=_maybe(draw, lambda: _pick(draw, [p.id for p in policy.partnerships])),
        **events.common(now),  # type: ignore[arg-type]
    )
    history: list[AnyEvent] = [concern]
    flow = _Flow(policy, ladder, not_applicable=excluded)
    matches = bool(_matches_in(policy))
    # Often a long history: a case that has climbed the ladder.
    fewest = _pick(draw, (0, max_events // 2))
    for _ in range(draw(st.integers(fewest, max_events - 1))):
        now += _gap(draw, now)
        move = _pick(draw, _moves(flow, events, matches=matches, irregular=irregular))
        event = _step(draw, move, flow, events, now)
        if isinstance(event, RiskAssessed):
            flow.risk(event.level)
        history.append(event)
    if draw(st.booleans()):  # the file order: as it happened, or any other
        history = _chosen(draw, history, min_size=len(history))
    names: tuple[str | None, ...] = (None, policy.id)
    return CaseHistory(
        reference=_pick(draw, ("CASE-", "ref-", "2026/")) + str(draw(st.integers(1, 99_999))),
        events=tuple(history),
        policy=_pick(draw, (*names, "another-policy") if irregular else names),
    )


def histories(
    policy: Policy,
    *,
    max_events: int = 25,
    start: datetime | SearchStrategy[datetime] | None = None,
    irregular: bool = False,
) -> SearchStrategy[CaseHistory]:
    """Valid case histories of one disagreement under ``policy``.

    Each history has exactly one ``concern_raised`` event, first in time, and
    at most ``max_events`` events in all, with unique ids.  Every stage, role,
    risk level, sector, topic, area, form, template and contact purpose an
    event names is the policy's.  Timestamps carry UTC offsets (the London
    offset in force, UTC, or offsets far from London) and often fall around
    local midnight and the clock changes; some events are late entries (a
    ``recorded_at`` after ``at``).  Besides stage discussions (resolved,
    unresolved or withdrawn) and explicit escalations, histories hold
    absences, roles held together, risk assessments, agreed timescales,
    closures and redirections, and the events that discharge the policy's
    duties and urgent actions.  The events are in time order or shuffled.

    ``start`` is the moment of the concern: a datetime, or a strategy of them
    (default: `moments` from 2024 to 2027).

    A regular history (``irregular=False``) escalates only forward, skipping
    only optional stages (or going to an urgency rule's ``skip_to`` stage
    while the rule is in force), and records no stage event after the case is
    closed, so evaluating it gives no ``stage_skipped``, ``out_of_order``,
    ``after_closure`` or ``duplicate_outcome`` warning.  With
    ``irregular=True`` a history may also record outcomes and escalations for
    any stage at any time (skipping stages, after closure, twice, backwards)
    and name another policy: valid input still, which the evaluator reports
    in warnings.

    >>> from hypothesis import Phase, find, settings
    >>> first_found = settings(phases=[Phase.generate], database=None)  # no shrinking
    >>> policy = find(policies(max_stages=2), lambda p: True, settings=first_found)
    >>> history = find(histories(policy), lambda h: len(h.events) > 3, settings=first_found)
    >>> [e.kind for e in history.events].count("concern_raised")
    1
    """
    if max_events < 1:
        raise ValueError("max_events must be at least 1")
    if start is None:
        first: SearchStrategy[datetime] = moments(date(2024, 1, 1), date(2027, 10, 31))
    elif isinstance(start, datetime):
        if start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        first = st.just(start)
    else:
        first = start
    return _histories(policy, max_events, first, irregular)


def _concern(history: CaseHistory) -> ConcernRaised:
    for event in history.events:
        if isinstance(event, ConcernRaised):
            return event
    raise ValueError("the history has no concern_raised event")


@st.composite
def _as_of(draw: st.DrawFn, history: CaseHistory, after: timedelta) -> datetime:
    first = _concern(history).at.astimezone(UTC)
    last = max(e.at.astimezone(UTC) for e in history.events) + after
    how = _pick(draw, ("any", "event", "midnight", "late"))
    if how == "event":
        event = _pick(draw, history.events)
        moment = event.at + timedelta(seconds=_pick(draw, (0, -1, 1, 3600)))
    elif how == "midnight":
        span = (last - first).days
        day = first.astimezone(_LONDON).date() + timedelta(days=draw(st.integers(0, span + 1)))
        moment = _local_midnight(day) + timedelta(seconds=draw(st.integers(-1, 1)))
    elif how == "late":
        moment = last - timedelta(seconds=draw(st.integers(0, int(after.total_seconds()))))
    else:
        moment = first + timedelta(
            seconds=draw(st.integers(0, int((last - first).total_seconds())))
        )
    return _render(draw, min(max(moment.astimezone(UTC), first), last))


def as_of_moments(
    history: CaseHistory, *, after: timedelta = timedelta(weeks=6)
) -> SearchStrategy[datetime]:
    """Aware moments at which to evaluate ``history``.

    From the concern to ``after`` (default six weeks) past the history's last
    event: often exactly at an event, a second either side of one, or around
    a local midnight; with assorted UTC offsets.  Never before the concern
    (`evaluate` rejects that).

    >>> from hypothesis import Phase, find, settings
    >>> first_found = settings(phases=[Phase.generate], database=None)  # no shrinking
    >>> policy = find(policies(max_stages=2), bool, settings=first_found)
    >>> history = find(histories(policy), bool, settings=first_found)
    >>> moment = find(as_of_moments(history, after=timedelta(days=1)), bool, settings=first_found)
    >>> _concern(history).at <= moment <= max(e.at for e in history.events) + timedelta(days=1)
    True
    """
    _concern(history)
    if after < timedelta():
        raise ValueError("after must not be negative")
    return _as_of(history, after)


class Case(NamedTuple):
    """A policy, a history under it and a moment: `evaluate`'s three arguments.

    ``evaluate(*case)`` evaluates it.
    """

    policy: Policy
    history: CaseHistory
    as_of: datetime


@st.composite
def _cases(
    draw: st.DrawFn, policy: SearchStrategy[Policy], max_events: int, irregular: bool
) -> Case:
    chosen = draw(policy)
    history = draw(histories(chosen, max_events=max_events, irregular=irregular))
    return Case(chosen, history, draw(as_of_moments(history)))


def cases(
    policy: Policy | SearchStrategy[Policy] | None = None,
    *,
    max_events: int = 25,
    irregular: bool = False,
) -> SearchStrategy[Case]:
    """A policy, a history under it and an as-of moment, drawn together.

    ``policy`` is a fixed policy (such as ``shipped_policy("hips")``), a strategy
    of policies, or ``None`` for `policies` with its defaults.  See
    `histories` for ``max_events`` and ``irregular``.

    >>> from hypothesis import given, settings
    >>> from challenge_rules import evaluate
    >>> @settings(max_examples=5, database=None)
    ... @given(cases(max_events=5))
    ... def test_evaluates(case):
    ...     assert evaluate(*case).reference == case.history.reference
    >>> test_evaluates()
    """
    if policy is None:
        strategy = policies()
    elif isinstance(policy, Policy):
        strategy = st.just(policy)
    else:
        strategy = policy
    return _cases(strategy, max_events, irregular)


__all__ = [
    "Case",
    "as_of_moments",
    "cases",
    "histories",
    "moments",
    "policies",
    "timescales",
]
