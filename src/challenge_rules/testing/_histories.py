"""The strategies of histories, as-of moments and whole cases (see `challenge_rules.testing`).

Every history drawn is valid under its policy: it passes the history schema
and `evaluate`'s checks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Final, NamedTuple

from hypothesis import strategies as st

from challenge_rules.history import (
    Acknowledged,
    ActionPlanAgreed,
    ActionPlanReviewed,
    AnyEvent,
    CaseClosed,
    CaseHistory,
    ConcernRaised,
    ConcernStructured,
    ContactMade,
    DiscussionHeld,
    Escalated,
    EscalationIntended,
    FormSubmitted,
    LearningDisseminated,
    MeetingHeld,
    Nature,
    Outcome,
    OutcomeCommunicated,
    OutcomeConfirmed,
    PartnershipNotified,
    Party,
    RecordMade,
    Redirected,
    RiskAssessed,
    RoleHolderAbsent,
    RolesCombined,
    StepDone,
    TimescaleAgreed,
)
from challenge_rules.policy import (
    SUBJECTS_PROTECTED,
    EventMatch,
    Policy,
    Side,
    Stage,
    Subject,
)
from challenge_rules.testing._blocks import (
    _LONDON,
    _MEETINGS,
    _RECORDS,
    _SIDES,
    _TOLD,
    _TWO_SIDES,
    _chosen,
    _local_midnight,
    _maybe,
    _pick,
    _render,
    _some,
    moments,
)
from challenge_rules.testing._policies import policies

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from hypothesis.strategies import SearchStrategy


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
        self.steps = [(s.id, step.id) for s in ladder for step in s.steps]

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
        if kind == "acknowledged":
            return Acknowledged(by=side("by"), stage=self.stage(), **common)  # type: ignore[arg-type]
        if kind == "escalation_intended":
            return EscalationIntended(
                by=side("by"),
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind == "partnership_notified" and self.purposes:
            return PartnershipNotified(
                by=side("by"),
                purpose=value("purpose", self.purposes),
                stage=self.stage(),
                **common,  # type: ignore[arg-type]
            )
        if kind in _STRUCTURE_KINDS and (found := self.structural(kind, at, value, common)):
            return found
        if kind == "risk_assessed" and self.risks:
            return RiskAssessed(level=value("level", self.risks), **common)  # type: ignore[arg-type]
        return LearningDisseminated(stage=self.stage(), **common)  # type: ignore[arg-type]

    def structural(
        self,
        kind: str,
        at: datetime,
        value: Callable[[str, Sequence[str]], str],
        common: dict[str, object],
    ) -> AnyEvent | None:
        """A step done or an action plan's event (None: the policy has no steps to name)."""
        draw = self.draw
        if kind == "action_plan_agreed":
            follow_up = _render(draw, at + timedelta(days=draw(st.integers(1, 90))))
            return ActionPlanAgreed(follow_up=follow_up, stage=self.stage(), **common)  # type: ignore[arg-type]
        if kind == "action_plan_reviewed":
            return ActionPlanReviewed(stage=self.stage(), **common)  # type: ignore[arg-type]
        if kind == "step_done" and self.steps:
            step = value("step", [step for _, step in self.steps])
            stage = _pick(draw, [stage for stage, named in self.steps if named == step])
            return StepDone(stage=stage, step=step, **common)  # type: ignore[arg-type]
        return None


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


def _subjects(policy: Policy) -> list[Subject]:
    """Whom a concern under ``policy`` may be about: the people it protects."""
    return [s for s in Subject if SUBJECTS_PROTECTED[s] in policy.protects]


def _party(draw: st.DrawFn, policy: Policy) -> Party:
    sectors = [s.id for s in policy.sectors]
    return Party(
        role=_pick(draw, [r.id for r in policy.roles]),
        agency=_pick(draw, ("Children's Social Care", "Police", "Primary school", "GP practice")),
        sector=_maybe(draw, lambda: _pick(draw, sectors)) if sectors else None,
    )


_STRUCTURE_KINDS: Final = frozenset({"action_plan_agreed", "action_plan_reviewed", "step_done"})
"""The kinds `_Events.structural` draws."""

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
        subject=_maybe(draw, lambda: _pick(draw, _subjects(policy))),
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
    >>> events = [e.at for e in history.events]
    >>> min(events) <= moment <= max(events) + timedelta(days=1)
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
    return _cases(_policy_strategy(policy), max_events, irregular)


def _policy_strategy(policy: Policy | SearchStrategy[Policy] | None) -> SearchStrategy[Policy]:
    """``policy`` as a strategy: a fixed policy, a strategy as given, or `policies`."""
    if policy is None:
        return policies()
    if isinstance(policy, Policy):
        return st.just(policy)
    return policy


class Batch(NamedTuple):
    """A policy, several histories under it and one moment: `evaluate_many`'s arguments.

    ``evaluate_many(*batch)`` evaluates them.  The moment is drawn for one of
    the histories, so another may begin after it (which `evaluate` refuses).
    """

    policy: Policy
    histories: tuple[CaseHistory, ...]
    as_of: datetime


@st.composite
def _batches(
    draw: st.DrawFn, policy: SearchStrategy[Policy], max_cases: int, max_events: int
) -> Batch:
    chosen = draw(policy)
    drawn = draw(
        st.lists(
            st.booleans().flatmap(
                lambda irregular: histories(chosen, max_events=max_events, irregular=irregular)
            ),
            min_size=1,
            max_size=max_cases,
        )
    )
    found = tuple(drawn)
    return Batch(chosen, found, draw(as_of_moments(_pick(draw, found))))


def batches(
    policy: Policy | SearchStrategy[Policy] | None = None,
    *,
    max_cases: int = 6,
    max_events: int = 25,
) -> SearchStrategy[Batch]:
    """A policy, 1 to ``max_cases`` histories under it (regular and irregular) and a moment.

    ``policy`` is as for `cases`.

    >>> from hypothesis import given, settings
    >>> from challenge_rules import evaluate_many
    >>> @settings(max_examples=5, database=None)
    ... @given(batches(max_cases=3, max_events=5))
    ... def test_evaluates(batch):
    ...     assert len(evaluate_many(*batch, return_exceptions=True)) == len(batch.histories)
    >>> test_evaluates()
    """
    if max_cases < 1:
        raise ValueError("max_cases must be at least 1")
    return _batches(_policy_strategy(policy), max_cases, max_events)


__all__ = ["Batch", "Case", "as_of_moments", "batches", "cases", "histories"]
