"""The `policies` strategy: valid policies (see `challenge_rules.testing`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Final, NamedTuple

from hypothesis import strategies as st

from challenge_rules.calendar import Firmness, Unit
from challenge_rules.history import Nature
from challenge_rules.policy import (
    Actor,
    AgreedTimescales,
    Anchor,
    CalendarSpec,
    Clause,
    Contact,
    DueSoon,
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
    GapKind,
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
    TimescaleDefaults,
    Topic,
    Track,
    Trigger,
    TriggerKind,
    UrgencyRule,
    WhereValue,
)
from challenge_rules.testing._blocks import (
    _MEETINGS,
    _RECORDS,
    _SIDES,
    _SPAN_UNITS,
    _TOLD,
    _TWO_SIDES,
    _chosen,
    _maybe,
    _pick,
    _plain,
    _some,
    _timescale,
    _Words,
    _words,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hypothesis.strategies import SearchStrategy


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
        "acknowledged": {"by": sides},
        "escalation_intended": {"by": sides},
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
        anchor = _pick(draw, anchors)
        clock = _clock(draw, anchor, anchors)
        timescale = _maybe(draw, lambda: _timescale(draw))
        stages.append(
            Stage(
                id=stage_id,
                name=words.text(),
                clause=_pick(draw, clauses),
                action=words.text(),
                participants=tuple(participants),
                timescale=timescale,
                counts_from=clock.counts_from or anchor,
                timescale_clause=_maybe(draw, lambda: _pick(draw, clauses)),
                # Without a timescale, say how the source puts it (as policy authors must).
                timescale_note=words.text() if timescale is None else words.note(),
                optional=index > 0 and draw(st.booleans()),
                contacts=_some(draw, vocabulary.purposes, max_size=2),
                forms=_some(draw, vocabulary.forms, max_size=1),
                on_unresolved=on_unresolved,
                final_note=words.note() if last else None,
                counts_from_event=clock.counts_from_event,
                counts_from_fallback=clock.counts_from_fallback,
                due_soon=_due_soon(draw),
            )
        )
    return tuple(stages)


def _due_soon(draw: st.DrawFn) -> DueSoon | None:
    """Now and then (one in four) a due-soon window, of any plain unit."""
    if draw(st.integers(0, 3)) != 0:
        return None
    return DueSoon(_plain(draw, _SPAN_UNITS))


class _Clock(NamedTuple):
    """What an item's clock counts from, when not its usual start."""

    counts_from: Anchor | None = None
    counts_from_event: EventMatch | None = None
    counts_from_fallback: Anchor | None = None


_MOMENTS: Final = (
    Anchor.DECISION,
    Anchor.DECISION_RECEIVED,
    Anchor.IDENTIFIED,
    Anchor.INITIAL_DISCUSSION,
    Anchor.EVENT,
)
_MEETING: Final = EventMatch(kind="meeting_held")


def _clock(draw: st.DrawFn, usual: Anchor | None, fallbacks: tuple[Anchor, ...]) -> _Clock:
    """Now and then (one in four), a clock that counts from a moment a case may not give."""
    if draw(st.integers(0, 3)) != 0:
        return _Clock()
    anchor = _pick(draw, _MOMENTS)
    fallback = None
    if anchor is not Anchor.IDENTIFIED and draw(st.booleans()):
        fallback = _pick(draw, fallbacks) if fallbacks else usual
    return _Clock(anchor, _MEETING if anchor is Anchor.EVENT else None, fallback)


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
        clock = _clock(draw, Anchor.CONCERN, (Anchor.CONCERN,))
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
                counts_from=clock.counts_from,
                counts_from_event=clock.counts_from_event,
                counts_from_fallback=clock.counts_from_fallback,
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
    places = [f"/stages/{s.id}/timescale" for s in stages if s.timescale is None]
    places += [f"/stages/{s.id}" for s in stages]
    return tuple(
        Gap(
            id=f"gap-{n + 1}",
            kind=draw(st.sampled_from(GapKind)),
            about=about,
            text=words.text(),
        )
        for n, about in enumerate(_chosen(draw, places, max_size=2))
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
            due_soon=_due_soon(draw),
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
        timescale_defaults=TimescaleDefaults(
            firmness=_pick(draw, tuple(Firmness)),
            firmness_clause=_maybe(draw, lambda: _pick(draw, clause_ids)),
            immediately_means=_maybe(draw, lambda: _plain(draw, _SPAN_UNITS)),
            without_delay_expects=_maybe(draw, lambda: _plain(draw, _SPAN_UNITS)),
        ),
        due_soon=_due_soon(draw),
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
    concerns of some natures.  Policies, tracks and stages may set due-soon
    windows (of any plain unit, whether shorter than the stage's timescale or
    not).  Policies may have contacts per area, forms,
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


__all__ = ["policies"]
