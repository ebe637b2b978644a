"""The rules of a policy that its JSON Schema cannot express, as a table of rule functions.

`check_policy_semantics` takes a `Policy` that passed the schema and returns
every problem found, each located by a JSON pointer into the policy document:
ids that are not unique, references that do not resolve, ladders that do not
end or cannot be climbed, fallbacks that go round in circles, and calendars
that cannot be built. Warnings (``severity="warning"``) name what a reader
should know but that does not make the policy wrong: stages without a
timescale, and the gaps the policy lists.

Each rule is one function ``rule(policy, names) -> Iterable[Problem]`` taking
the policy and its `Vocabulary` (the names it defines, the references it makes,
its ladders; see `challenge_rules._vocabulary`), registered in `RULES` by the
`rule` decorator, in the order its problems are reported.  Rules share no
state: what two rules both need is a pure function both call.  To add one,
write the function below the others and decorate it with ``@rule``.
"""

from __future__ import annotations

import enum
import functools
import typing
from datetime import date, datetime
from typing import TYPE_CHECKING, Final, Literal, get_args, get_origin

import attrs

from challenge_rules._gaps import id_path, locate
from challenge_rules._references import PURPOSE, STAGE, TARGETS
from challenge_rules._text import listing, short, suggest, whole_number
from challenge_rules._vocabulary import Ladder, Path, Vocabulary, due_soon_windows, vocabulary
from challenge_rules._zones import depends_on_host
from challenge_rules.calendar import HOLIDAY_CALENDARS, Timescale, Unit, working_calendar
from challenge_rules.errors import CalendarError, Problem, pointer_join, pointer_parts
from challenge_rules.history import EVENT_TYPES
from challenge_rules.policy import (
    MAY_BE_MISSING,
    STAGE_ANCHORS,
    SUBJECTS_PROTECTED,
    Anchor,
    GapKind,
    Lapse,
    Stage,
    Subject,
    TriggerKind,
    WhereValue,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

    from challenge_rules._vocabulary import Window
    from challenge_rules.policy import EventMatch, Fallback, Gap, Policy

MAX_AMOUNT: Final = 10_000
MAX_AMOUNTS: Final = {Unit.MONTHS: 1_200}
"""Units with a lower bound than `MAX_AMOUNT`: a century of months. A history's moments
are at most 2099 and the calendar runs to 2199, so a validated timescale always gives a
deadline the calendar can place (10,000 of any other unit is under 40 years)."""
EARLIEST: Final = date(1990, 1, 1)
LATEST: Final = date(2100, 12, 31)

Rule = typing.Callable[["Policy", Vocabulary], "Iterable[Problem]"]
"""A rule: the problems it finds in a policy, given the policy's vocabulary."""

RULES: list[Rule] = []
"""Every rule, in the order their problems are reported (see `rule`)."""


def rule(function: Rule) -> Rule:
    """Register ``function`` as a rule, after those already registered."""
    RULES.append(function)
    return function


def check_policy_semantics(policy: Policy) -> tuple[Problem, ...]:
    """Every semantic problem of a policy (errors and warnings), in a stable order."""
    names = vocabulary(policy)
    return tuple(problem for each in RULES for problem in each(policy, names))


def _error(
    message: str, path: Path, expected: str | None = None, hint: str | None = None
) -> Problem:
    return Problem(message=message, path=path, expected=expected, hint=hint)


def _warning(message: str, path: Path, hint: str | None = None) -> Problem:
    return Problem(message=message, path=path, hint=hint, severity="warning")


def resolves(document: object, pointer: str) -> bool:
    """Tell whether ``pointer`` names a place that exists in ``document``."""
    node = document
    for part in pointer_parts(pointer):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and (index := whole_number(part)) is not None:
            if index >= len(node):
                return False
            node = node[index]
        else:
            return False
    return True


# --- ids ---------------------------------------------------------------------------------

_COLLECTIONS: Final = (
    ("track", "tracks"),
    ("role", "roles"),
    ("clause", "clauses"),
    ("source", "sources"),
    ("duty", "duties"),
    ("fallback", "fallbacks"),
    ("urgency rule", "urgency"),
    ("contact", "contacts"),
    ("form", "forms"),
    ("partnership", "partnerships"),
    ("sector", "sectors"),
    ("risk level", "risk_levels"),
    ("topic", "topics"),
    ("guidance", "guidance"),
)
"""The policy's collections whose members each need their own id: (noun, field)."""


def _duplicates(what: str, entries: Iterable[tuple[str, Path]]) -> Iterator[Problem]:
    first: dict[str, Path] = {}
    for ident, path in entries:
        if ident in first:
            yield _error(
                f'duplicate {what} id "{ident}"',
                (*path, "id"),
                expected=f"a different id for each {what}",
                hint=f"the first {what} with this id is at {pointer_join(*first[ident])}",
            )
        else:
            first[ident] = path


@rule
def unique_ids(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """Stages (on every ladder), each collection, exclusions, immediate actions, form fields."""
    yield from _duplicates(
        "stage",
        (
            (s.id, (*ladder.path, i))
            for ladder in names.ladders
            for i, s in enumerate(ladder.stages)
        ),
    )
    for what, name in _COLLECTIONS:
        items: Sequence[object] = getattr(policy, name)
        yield from _duplicates(
            what, ((getattr(x, "id", ""), (name, i)) for i, x in enumerate(items))
        )
    yield from _duplicates(
        "exclusion",
        ((x.id, ("scope", "exclusions", i)) for i, x in enumerate(policy.scope.exclusions)),
    )
    yield from _duplicates(
        "immediate action",
        (
            (a.id, ("urgency", u, "immediate_actions", i))
            for u, urgency in enumerate(policy.urgency)
            for i, a in enumerate(urgency.immediate_actions)
        ),
    )
    for f, form in enumerate(policy.forms):
        yield from _duplicates(
            "form field", ((x.id, ("forms", f, "fields", i)) for i, x in enumerate(form.fields))
        )


# --- references ------------------------------------------------------------------------------

_ORDER: Final = {target: position for position, target in enumerate(TARGETS)}


@rule
def references(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """Every reference the model declares names something the policy defines."""
    for found in sorted(names.references, key=lambda r: _ORDER[r.target]):
        known = names.known(found.target)
        if found.value in known:
            continue
        target, value = found.target, found.value
        if target is PURPOSE:
            yield _error(
                f'no contact has the purpose "{short(value)}"',
                found.path,
                expected=f"the purpose of one of the contacts: {listing(sorted(known))}",
                hint=suggest(value, known)
                or f'add a contact with "purpose": "{short(value)}", or correct the spelling',
            )
            continue
        yield _error(
            f'unknown {target.what} "{short(value)}"',
            found.path,
            expected=f"the id of one of the {target.collection}: {listing(sorted(known))}",
            hint=suggest(value, known)
            or f'add it to "{target.collection}", or correct the spelling',
        )


@rule
def participants(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """Every stage has someone to take part in it."""
    for ladder in names.ladders:
        for i, stage in enumerate(ladder.stages):
            if not stage.participants:
                yield _error(
                    f'stage "{stage.id}" has no participants',
                    (*ladder.path, i, "participants"),
                    expected="at least one participant",
                )


@rule
def stage_steps(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A stage's steps have their own ids, and each follows an earlier step of its stage."""
    for ladder in names.ladders:
        for i, stage in enumerate(ladder.stages):
            at = (*ladder.path, i, "steps")
            yield from _duplicates("step", ((s.id, (*at, n)) for n, s in enumerate(stage.steps)))
            earlier: list[str] = []
            for n, step in enumerate(stage.steps):
                if step.after is not None and step.after not in earlier:
                    where = (
                        "a later step" if step.after in {s.id for s in stage.steps} else "no step"
                    )
                    yield _error(
                        f'step "{step.id}" follows "{step.after}", {where} of stage "{stage.id}"',
                        (*at, n, "after"),
                        expected=(
                            f"one of the steps before it: {listing(earlier)}"
                            if earlier
                            else "no after: the first step follows the stage's entry"
                        ),
                        hint=suggest(step.after, earlier) if earlier else 'remove "after"',
                    )
                earlier.append(step.id)


@rule
def stage_routes(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A stage's routes have their own ids and end with one default route (no "when")."""
    for ladder in names.ladders:
        for i, stage in enumerate(ladder.stages):
            if not stage.routes:
                continue
            at = (*ladder.path, i, "routes")
            yield from _duplicates("route", ((r.id, (*at, n)) for n, r in enumerate(stage.routes)))
            defaults = [n for n, r in enumerate(stage.routes) if r.when is None]
            if not defaults:
                yield _error(
                    f'stage "{stage.id}" has routes but no default route',
                    at,
                    expected='a last route with no "when", for every other case ("otherwise")',
                    hint='add {"id": "otherwise", "clause": ...} as the last route',
                )
            elif defaults[0] != len(stage.routes) - 1:
                later = [r.id for r in stage.routes[defaults[0] + 1 :]]
                yield _error(
                    f'route "{stage.routes[defaults[0]].id}" is the default, so the routes '
                    f"after it never apply: {listing(later)}",
                    (*at, defaults[0], "when"),
                    expected="the default route last, and only one",
                    hint='move the route with no "when" to the end, or give it a "when"',
                )


# --- event matches and triggers ----------------------------------------------------------


def _event_matches(policy: Policy) -> Iterator[tuple[EventMatch, Path]]:
    for i, duty in enumerate(policy.duties):
        if duty.trigger.event is not None:
            yield duty.trigger.event, ("duties", i, "trigger", "event")
        yield duty.discharged_by, ("duties", i, "discharged_by")
    for u, urgency in enumerate(policy.urgency):
        for i, action in enumerate(urgency.immediate_actions):
            yield action.discharged_by, ("urgency", u, "immediate_actions", i, "discharged_by")
    for clock, at in _clocks(policy, vocabulary(policy)):
        if clock.counts_from_event is not None:
            yield clock.counts_from_event, (*at, "counts_from_event")
    yield from _step_matches(policy)


def _step_matches(policy: Policy) -> Iterator[tuple[EventMatch, Path]]:
    for ladder in vocabulary(policy).ladders:
        for i, stage in enumerate(ladder.stages):
            for n, step in enumerate(stage.steps):
                if step.done_by is not None:
                    yield step.done_by, (*ladder.path, i, "steps", n, "done_by")


@rule
def event_matches(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """An event match names a known event kind, and fields of it with possible values."""
    for match, at in _event_matches(policy):
        if match.kind not in EVENT_TYPES:
            yield _error(
                f'unknown event kind "{short(match.kind)}"',
                (*at, "kind"),
                expected=f"one of: {', '.join(EVENT_TYPES)}",
                hint=suggest(match.kind, EVENT_TYPES),
            )
            continue
        fields = _matchable_fields(match.kind)
        for key, value in match.where.items():
            where = (*at, "where", key)
            if key not in fields:
                yield _error(
                    f'a "{match.kind}" event has no field "{short(key)}" to match',
                    where,
                    expected=f"one of its fields: {', '.join(fields) or '(none)'}",
                    hint=suggest(key, fields) or "remove it, or match a different event kind",
                )
            else:
                yield from _where_value(fields[key], value, where, key)


def _where_value(
    allowed: tuple[str, ...] | type | None, value: WhereValue, at: Path, key: str
) -> Iterator[Problem]:
    if isinstance(value, tuple):  # any one of several texts
        if allowed is bool:
            yield _error(
                f'field "{key}" is true or false, but it is matched with a list',
                at,
                expected="true or false",
            )
            return
        for position, choice in enumerate(value):
            yield from _where_value(allowed, choice, (*at, position), key)
        return
    if allowed is bool:
        if not isinstance(value, bool):
            yield _error(
                f'field "{key}" is true or false, but it is matched with text',
                at,
                expected="true or false",
            )
    elif allowed is None:
        yield _error(
            f'field "{key}" cannot be matched with "where"',
            at,
            expected="a text, choice or true/false field",
            hint="remove it",
        )
    elif isinstance(value, bool):
        yield _error(
            f'field "{key}" is text, but it is matched with {str(value).lower()}',
            at,
            expected="text",
        )
    elif isinstance(allowed, tuple) and value not in allowed:
        yield _error(
            f'"{short(value)}" is not a possible value of field "{key}"',
            at,
            expected=f"one of: {', '.join(allowed)}",
            hint=suggest(value, allowed),
        )


@rule
def triggers(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A trigger "on": "event" names its event; what a trigger ignores is pointed out."""
    for i, duty in enumerate(policy.duties):
        trigger, at = duty.trigger, ("duties", i, "trigger")
        if trigger.on is TriggerKind.EVENT and trigger.event is None:
            yield _error(
                'a trigger "on": "event" does not say which event',
                at,
                expected='an "event" such as {"kind": "meeting_held"}',
                hint='add "event", or choose another "on"',
            )
        if trigger.on is not TriggerKind.EVENT and trigger.event is not None:
            yield _warning(
                f'"event" is ignored: the trigger is "on": "{trigger.on.value}"',
                (*at, "event"),
                hint='remove "event", or write "on": "event"',
            )
        if trigger.stages and trigger.on in {TriggerKind.CONCERN_RAISED, TriggerKind.EVENT}:
            yield _warning(
                f'"stages" is ignored: the trigger is "on": "{trigger.on.value}"',
                (*at, "stages"),
                hint='"stages" applies to the stage_... triggers only',
            )


_AT_CONCLUSION: Final = frozenset(
    {TriggerKind.STAGE_CONCLUDED, TriggerKind.STAGE_RESOLVED, TriggerKind.STAGE_UNRESOLVED}
)
"""The triggers that fire as a stage concludes: a duty they make due cannot lapse with it."""


@rule
def lapsing_duties(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A duty that lapses with its stage is made due while the stage is open."""
    for i, duty in enumerate(policy.duties):
        if duty.lapses is Lapse.STAGE_CONCLUDED and duty.trigger.on in _AT_CONCLUSION:
            yield _error(
                f'duty "{duty.id}" lapses when its stage concludes, and only becomes due then',
                ("duties", i, "lapses"),
                expected="a trigger while the stage is open (stage_entered, concern_raised, event)",
                hint='remove "lapses", or trigger the duty "on": "stage_entered"',
            )


# --- fallbacks ---------------------------------------------------------------------------


@rule
def fallbacks_apply(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A fallback has a condition that can hold and someone to turn to."""
    for i, fallback in enumerate(policy.fallbacks):
        if not fallback.when.absent and fallback.when.also_holds is None:
            yield _error(
                f'fallback "{fallback.id}" never applies',
                ("fallbacks", i, "when"),
                expected='"absent": true, or the other role in "also_holds"',
            )
        if not fallback.then.substitutes and not fallback.then.seek_support_from:
            yield _error(
                f'fallback "{fallback.id}" names nobody to turn to',
                ("fallbacks", i, "then"),
                expected='roles in "substitutes" or "seek_support_from"',
            )


@rule
def fallback_cycles(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """No chain of substitutes that can all apply at once goes round in a circle."""
    for cycle in _fallback_cycles(policy.fallbacks):
        first = cycle[0]
        roles = [f.role for f in cycle] + [first.role]
        listed = ", ".join(f'"{f.id}"' for f in cycle)
        yield _error(
            f"fallbacks go round in a circle: {' -> '.join(roles)} (fallbacks {listed})",
            ("fallbacks", policy.fallbacks.index(first), "then", "substitutes"),
            expected="each chain of substitutes to end with a role that has no fallback",
            hint="substitute a different role, or limit the fallbacks to different sides, "
            "stages or sectors",
        )


# --- timescales and ladders --------------------------------------------------------------


def _timescales(policy: Policy, names: Vocabulary) -> Iterator[tuple[Timescale | None, Path]]:
    for ladder in names.ladders:
        for i, stage in enumerate(ladder.stages):
            yield stage.timescale, (*ladder.path, i, "timescale")
            if stage.on_unresolved is not None:
                yield stage.on_unresolved.timescale, (*ladder.path, i, "on_unresolved", "timescale")
            for n, step in enumerate(stage.steps):
                yield step.timescale, (*ladder.path, i, "steps", n, "timescale")
            for n, taken in enumerate(stage.routes):
                yield taken.timescale, (*ladder.path, i, "routes", n, "timescale")
    for i, duty in enumerate(policy.duties):
        yield duty.timescale, ("duties", i, "timescale")
    for i, urgency in enumerate(policy.urgency):
        yield urgency.timescale, ("urgency", i, "timescale")


def _spans(timescale: Timescale | None, at: Path) -> Iterator[tuple[Timescale, Path]]:
    """A timescale and the plain timescales inside it, each with where it is."""
    if timescale is None:
        return
    yield timescale, at
    for name in ("alternative", "tolerance", "expect_within"):
        inner = getattr(timescale, name)
        if inner is not None:
            yield inner, (*at, name)


@rule
def timescale_lengths(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """No timescale is longer than its unit's bound (`MAX_AMOUNTS`, else `MAX_AMOUNT`)."""
    defaults = policy.timescale_defaults
    found = [*_timescales(policy, names)]
    found += [(w.due_soon.before, (*w.path, "before")) for w in _windows_set(policy)]
    found += [
        (defaults.immediately_means, ("timescale_defaults", "immediately_means")),
        (defaults.without_delay_expects, ("timescale_defaults", "without_delay_expects")),
    ]
    for outer, place in found:
        for timescale, at in _spans(outer, place):
            most = MAX_AMOUNTS.get(timescale.unit, MAX_AMOUNT)
            if timescale.amount > most:
                yield _error(
                    f"the timescale is too long ({timescale.amount} {timescale.unit.value})",
                    (*at, "amount"),
                    expected=f"at most {most} {timescale.unit.value}",
                )


def _windows_set(policy: Policy) -> Iterator[Window]:
    """Each due-soon window the policy writes, once, where it is written."""
    seen: set[Path] = set()
    for window in due_soon_windows(policy):
        if window.path not in seen:
            seen.add(window.path)
            yield window


_ROUGH_HOURS: Final = {
    Unit.WORKING_DAYS: 24 * 7 / 5,
    Unit.CALENDAR_DAYS: 24,
    Unit.HOURS: 1,
    Unit.MONTHS: 24 * 30,
}
"""About how many hours an amount of each unit lasts: enough to compare two timescales."""


def _rough_hours(timescale: Timescale) -> float | None:
    if timescale.unit is Unit.SAME_DAY:
        return 24.0
    per = _ROUGH_HOURS.get(timescale.unit)
    return None if per is None else per * timescale.amount


@rule
def line_managers(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """No role is its own line manager; telling line managers needs a role that has one."""
    for i, role in enumerate(policy.roles):
        if role.line_manager == role.id:
            yield _error(
                f'the role "{role.id}" is its own line manager',
                ("roles", i, "line_manager"),
                expected="the id of another role",
                hint="name the role that manages this one, or leave line_manager out",
            )
    if policy.tell_line_managers and not any(r.line_manager for r in policy.roles):
        yield _warning(
            "tell_line_managers has no effect: no role names its line_manager",
            ("tell_line_managers",),
            hint='give the roles whose managers are told a "line_manager"',
        )


@rule
def due_soon_windows_fit(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A due-soon window is shorter than the timescale of each stage it applies to."""
    for window in due_soon_windows(policy):
        timescale = window.stage.timescale
        if timescale is None:
            continue
        allowed = _rough_hours(timescale)
        before = _rough_hours(window.due_soon.before)
        if allowed is not None and before is not None and before >= allowed:
            yield _warning(
                f"the due-soon window ({window.due_soon.before}) is as long as the timescale of "
                f"{window.stage.name} ({timescale}) or longer: its action "
                "is due soon from the start",
                (*window.path, "before"),
                hint=(
                    "shorten the window"
                    if window.due_soon is window.stage.due_soon  # already the stage's own
                    else "shorten the window, or give the stage a due_soon of its own"
                ),
            )


class _Clocked(typing.Protocol):
    """A stage, duty or escalation: what has a clock and says what it counts from."""

    @property
    def counts_from(self) -> Anchor | None: ...
    @property
    def counts_from_event(self) -> EventMatch | None: ...
    @property
    def counts_from_fallback(self) -> Anchor | None: ...


def _clocks(policy: Policy, names: Vocabulary) -> Iterator[tuple[_Clocked, Path]]:
    """Every stage, escalation and duty, with where it is."""
    for ladder in names.ladders:
        for i, stage in enumerate(ladder.stages):
            yield stage, (*ladder.path, i)
            if stage.on_unresolved is not None:
                yield stage.on_unresolved, (*ladder.path, i, "on_unresolved")
    for i, duty in enumerate(policy.duties):
        yield duty, ("duties", i)


@rule
def clock_anchors(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """Each clock counts from a moment that exists for it, and its fallback applies."""
    for item, at in _clocks(policy, names):
        anchor, fallback = item.counts_from, item.counts_from_fallback
        is_stage = isinstance(item, Stage)
        what = "a stage" if is_stage else "a duty or an escalation"
        if not is_stage and anchor in STAGE_ANCHORS:
            yield _error(
                f'{what} cannot count from "{anchor}": only a stage has a start of its own',
                (*at, "counts_from"),
                expected="one of: " + ", ".join(a for a in Anchor if a not in STAGE_ANCHORS),
                hint="count from the concern, the decision, the initial discussion or an event; "
                "leave it out for the trigger (a duty) or the stage concluding (an escalation)",
            )
        if anchor is Anchor.EVENT and item.counts_from_event is None:
            yield _error(
                'counts_from "event" names no event',
                at,
                expected='a "counts_from_event" saying which event starts the clock',
                hint='add e.g. "counts_from_event": {"kind": "meeting_held"}',
            )
        if anchor is not Anchor.EVENT and item.counts_from_event is not None:
            yield _error(
                '"counts_from_event" is given, but the clock does not count from an event',
                (*at, "counts_from_event"),
                expected='counts_from "event", or no counts_from_event',
                hint='set "counts_from": "event", or leave counts_from_event out',
            )
        if fallback is None:
            continue
        allowed = {Anchor.CONCERN, *STAGE_ANCHORS} if is_stage else {Anchor.CONCERN}
        if fallback not in allowed:
            yield _error(
                f'{what} cannot fall back to "{fallback}"',
                (*at, "counts_from_fallback"),
                expected="one of: " + ", ".join(a for a in Anchor if a in allowed),
                hint="fall back to a moment every case has",
            )
        elif anchor not in MAY_BE_MISSING:
            yield _error(
                f'"counts_from_fallback" never applies: the clock counts from "{anchor}", '
                "which every case has",
                (*at, "counts_from_fallback"),
                expected="a fallback only for decision, decision_received, initial_discussion "
                "or event",
                hint="leave counts_from_fallback out",
            )


@rule
def urgency_shortens(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """An urgency rule's timescale has a deadline, or it could never shorten one."""
    for i, urgency in enumerate(policy.urgency):
        timescale = urgency.timescale
        if (
            timescale is not None
            and timescale.unit is Unit.WITHOUT_DELAY
            and timescale.expect_within is None
            and policy.timescale_defaults.without_delay_expects is None
        ):
            yield _error(
                "an urgency rule's timescale without delay has no deadline, so it shortens none",
                ("urgency", i, "timescale"),
                expected="a timescale with a deadline",
                hint='give it "expect_within", or a unit with a fixed end such as same_day',
            )


def _untimed_stages(policy: Policy, names: Vocabulary) -> Iterator[tuple[Stage, Path, Gap | None]]:
    """Each stage without a timescale, where it is, and the gap about that timescale (if any).

    Only a gap about the stage's ``timescale`` explains it: a gap about the stage
    itself may concern anything else of the stage.
    """
    gaps: dict[Path, Gap] = {}
    for gap in policy.gaps:
        at = locate(policy, gap)
        if at is not None:
            gaps.setdefault(at, gap)
    for ladder in names.ladders:
        for i, stage in enumerate(ladder.stages):
            if stage.timescale is None:
                yield stage, (*ladder.path, i), gaps.get((*ladder.path, i, "timescale"))


@rule
def untimed_stages(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """Warn of each stage without a timescale, and of one without a note saying why."""
    for stage, at, gap in _untimed_stages(policy, names):
        reason = gap.text if gap is not None else "the source gives none"
        yield _warning(
            f'stage "{stage.id}" has no timescale, so its action has no due date: {reason}',
            (*at, "timescale"),
        )
        if stage.timescale_note is None:
            yield _warning(
                f'stage "{stage.id}" has no timescale and no "timescale_note"',
                at,
                hint='add a "timescale_note" saying how the source describes the timing '
                '(e.g. "as soon as possible")',
            )


@rule
def ladder_starts(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """The first stage of a ladder does not count from a previous stage."""
    for ladder in names.ladders:
        if ladder.stages and ladder.stages[0].counts_from is Anchor.PREVIOUS_STAGE_CONCLUDED:
            yield _error(
                f'the first stage of {ladder.label} cannot count from "previous_stage_concluded": '
                "there is no previous stage",
                (*ladder.path, 0, "counts_from"),
                expected="concern or stage_entered",
            )


def _positions(ladder: Ladder) -> dict[str, int]:
    """Each stage id's place on the ladder (the last, where an id is repeated)."""
    return {stage.id: index for index, stage in enumerate(ladder.stages)}


def _escalation(  # noqa: PLR0911 - one return per way a stage escalates
    ladder: Ladder, index: int, positions: dict[str, int], stage_ids: frozenset[str]
) -> tuple[int | None, Problem | None]:
    """Where stage ``index`` of ``ladder`` escalates to (its index), and what is wrong with it."""
    stage, at = ladder.stages[index], (*ladder.path, index)
    last = index == len(ladder.stages) - 1
    escalation = stage.on_unresolved
    if escalation is None:
        if last:
            return None, None
        # Already reported: the next stage is taken as reached, so it is not also unreachable.
        return index + 1, _error(
            f'stage "{stage.id}" is not the last stage, but says nothing about escalating',
            at,
            expected='"on_unresolved": what happens when it ends unresolved',
            hint='add "on_unresolved", or move the stage to the end of the ladder',
        )
    if escalation.to is None:
        return (None if last else index + 1), None
    position = positions.get(escalation.to)
    if position is None:
        if escalation.to not in stage_ids:
            return None, None  # an unknown stage: `references` reports it
        return None, _error(
            f'stage "{stage.id}" escalates to "{escalation.to}", which is not on {ladder.label}',
            (*at, "on_unresolved", "to"),
            expected=f"a later stage of {ladder.label}",
        )
    if position <= index:
        what = "itself" if position == index else f'"{escalation.to}", an earlier stage'
        return None, _error(
            f'stage "{stage.id}" escalates backwards, to {what}',
            (*at, "on_unresolved", "to"),
            expected="a later stage (or null for the next one)",
            hint="escalation always moves up the ladder",
        )
    return position, None


@rule
def escalations(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """Each stage but the last says how it escalates, and to a later stage of its ladder."""
    stage_ids = names.known(STAGE)
    for ladder in names.ladders:
        positions = _positions(ladder)
        for index in range(len(ladder.stages)):
            problem = _escalation(ladder, index, positions, stage_ids)[1]
            if problem is not None:
                yield problem


@rule
def reachable_stages(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """Every stage after the first is reached by escalation or by an urgency rule's skip."""
    skips = {urgency.skip_to for urgency in policy.urgency if urgency.skip_to is not None}
    stage_ids = names.known(STAGE)
    for ladder in names.ladders:
        edges = {}
        positions = _positions(ladder)
        for index in range(len(ladder.stages)):
            target = _escalation(ladder, index, positions, stage_ids)[0]
            if target is not None:
                edges[index] = target
        reachable = {0} | {positions[s] for s in skips if s in positions}
        frontier = list(reachable)
        while frontier:
            following = edges.get(frontier.pop())
            if following is not None and following not in reachable:
                reachable.add(following)
                frontier.append(following)
        for index, stage in enumerate(ladder.stages[1:], start=1):
            if index not in reachable:
                yield _error(
                    f'stage "{stage.id}" can never be reached',
                    (*ladder.path, index),
                    expected="an earlier stage that escalates to it",
                    hint='escalate to it from an earlier stage (its "on_unresolved"), or remove it',
                )


@rule
def ladder_ends(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """The last stage of a ladder does not escalate to a next stage that is not there."""
    for ladder in names.ladders:
        if not ladder.stages:
            continue
        last = ladder.stages[-1].on_unresolved
        if last is not None and last.to is None:
            yield _error(
                f"the last stage of {ladder.label} escalates, but there is no stage after it",
                (*ladder.path, len(ladder.stages) - 1, "on_unresolved"),
                expected="null: the ladder ends at its last stage",
                hint='set "on_unresolved" to null, or add the stage it escalates to',
            )


@rule
def track_natures(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """Each nature of concern is on one track at most."""
    claimed: dict[str, str] = {}
    for t, track in enumerate(policy.tracks):
        for n, nature in enumerate(track.natures):
            if nature in claimed:
                yield _error(
                    f'the nature "{nature}" is on more than one track',
                    ("tracks", t, "natures", n),
                    expected="each nature on one track at most",
                    hint=f'track "{claimed[nature]}" already takes it',
                )
            else:
                claimed[nature] = track.id


# --- dates, calendar, gaps ---------------------------------------------------------------


@rule
def effective_date(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """The policy takes effect on a plausible date, and its last day is not before it."""
    effective = policy.effective_from
    if not EARLIEST <= effective <= LATEST:
        yield _error(
            f"effective_from {effective.isoformat()} is not a plausible date for this policy",
            ("effective_from",),
            expected=f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}",
            hint="check the year",
        )
    until = policy.effective_until
    if until is not None and until < effective:
        yield _error(
            f"effective_until {until.isoformat()} is before effective_from {effective.isoformat()}",
            ("effective_until",),
            expected=f"a date on or after {effective.isoformat()}",
            hint="effective_until is the last day this version is in force",
        )


@rule
def time_zone(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """The calendar's time zone is one a calendar can be built in."""
    zone = policy.calendar.time_zone
    try:
        working_calendar(zone, "none")
    except CalendarError as error:
        hint = suggest(zone, _zone_names())
        yield _error(
            f'{error.message} "{short(str(zone))}"',
            ("calendar", "time_zone"),
            expected=error.expected,
            hint=hint or error.hint,
        )


@rule
def holidays(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """The calendar's holidays are a calendar this library knows."""
    chosen = policy.calendar.holidays
    if chosen not in HOLIDAY_CALENDARS:
        yield _error(
            f'unknown holiday calendar "{short(str(chosen))}"',
            ("calendar", "holidays"),
            expected=f"one of: {', '.join(HOLIDAY_CALENDARS)}",
            hint=suggest(str(chosen), HOLIDAY_CALENDARS),
        )


@rule
def extra_closures(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """Each extra closure day is one a calendar accepts."""
    for i, day in enumerate(policy.calendar.extra_closures):
        try:
            working_calendar("UTC", "none", (day,))
        except CalendarError as error:
            yield _error(
                f"{error.message}: {short(error.value)}",
                ("calendar", "extra_closures", i),
                expected=error.expected,
                hint=error.hint,
            )


@rule
def gaps(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """Each gap has its own id and names a part of the policy; each is warned of.

    A gap explaining an untimed stage is quoted by that stage's warning instead;
    a gap in the older ``pointer`` form is warned of with the id path to write.
    """
    if not policy.gaps:
        return
    explained = {id(gap) for _, _, gap in _untimed_stages(policy, names) if gap is not None}
    yield from _duplicates(
        "gap", ((g.id, ("gaps", i)) for i, g in enumerate(policy.gaps) if g.id is not None)
    )
    for i, gap in enumerate(policy.gaps):
        at = locate(policy, gap)
        if gap.about is None:
            pointer = gap.pointer or ""
            if at is None:
                yield _error(
                    f'the gap\'s pointer "{short(pointer)}" points to nothing in this policy',
                    ("gaps", i, "pointer"),
                    expected="a JSON pointer to a part of this policy, such as /stages/2/timescale",
                )
                continue
            yield _warning(
                'the gap is in the older form, a "pointer" by index, which moves when an item '
                "is added before it",
                ("gaps", i, "pointer"),
                hint=f'write "about": "{short(id_path(policy, pointer) or "")}" with an "id" and '
                'a "kind" ("source_silent" or "format_cannot_say") instead of "pointer"',
            )
        elif at is None:
            by_index = id_path(policy, gap.about)
            yield _error(
                f'the gap\'s "about" "{short(gap.about)}" names nothing in this policy',
                ("gaps", i, "about"),
                expected="an id path to a part of this policy, such as /stages/step-2/timescale",
                hint=f'did you mean "{short(by_index)}"? A step into a list is the item\'s id'
                if by_index is not None and by_index != gap.about
                else None,
            )
            continue
        if id(gap) not in explained:
            where = "the format" if gap.kind is GapKind.FORMAT_CANNOT_SAY else "the source"
            yield Problem(message=f"gap in {where}: {gap.text}", path=at, severity="warning")


@rule
def subjects(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """Each contact's and duty's ``subjects`` are people the policy protects."""
    protected = set(policy.protects)
    found = [(("contacts", i), c.subjects) for i, c in enumerate(policy.contacts)]
    found += [(("duties", i), d.subjects) for i, d in enumerate(policy.duties)]
    for (name, i), given in found:
        for j, subject in enumerate(given):
            if SUBJECTS_PROTECTED[subject] not in protected:
                yield _error(
                    f'"{subject.value}" is not someone this policy protects '
                    f"(it protects {listing(sorted(protected))})",
                    (name, i, "subjects", j),
                    expected="a subject the policy protects: "
                    + listing([s.value for s in Subject if SUBJECTS_PROTECTED[s] in protected]),
                    hint='add it to "protects", or remove it',
                )


@rule
def form_fields(policy: Policy, names: Vocabulary) -> Iterator[Problem]:  # noqa: ARG001
    """A form lists its fields unless it says the source does not (``fields_known``)."""
    for i, form in enumerate(policy.forms):
        if not form.fields and form.fields_known:
            yield _error(
                f'the form "{form.id}" lists no fields',
                ("forms", i, "fields"),
                expected="at least one field",
                hint='where the source does not list the fields, write "fields_known": false '
                "(and a source_silent gap about the form)",
            )


@rule
def immediately_read(policy: Policy, names: Vocabulary) -> Iterator[Problem]:
    """Warn where "immediately" is read as the very moment (the policy says nothing else)."""
    if policy.timescale_defaults.immediately_means is not None:
        return
    for outer, at in _timescales(policy, names):
        if outer is not None and outer.unit is Unit.IMMEDIATELY and outer.tolerance is None:
            yield _warning(
                '"immediately" is read as the very moment: an action recorded a minute later '
                "is late",
                (*at, "unit"),
                hint='say what it tolerates: "timescale_defaults": {"immediately_means": '
                '{"unit": "same_day"}}, or a "tolerance" on this timescale',
            )


# --- helpers -----------------------------------------------------------------------------


@attrs.frozen
class _Scope:
    """Where a fallback applies: a side, stages and sectors (None: all of them)."""

    side: str | None
    stages: frozenset[str] | None
    sectors: frozenset[str] | None

    @classmethod
    def of(cls, fallback: Fallback) -> _Scope:
        return cls(
            fallback.side.value if fallback.side is not None else None,
            frozenset(fallback.stages) or None,
            frozenset(fallback.when.sectors) or None,
        )

    def meet(self, other: _Scope | None) -> _Scope | None:
        """Where both apply, or None if nowhere."""
        if other is None:
            return None
        if None not in (self.side, other.side) and self.side != other.side:
            return None
        stages = _both(self.stages, other.stages)
        sectors = _both(self.sectors, other.sectors)
        if stages == frozenset() or sectors == frozenset():
            return None
        return _Scope(self.side or other.side, stages, sectors)


def _both(first: frozenset[str] | None, second: frozenset[str] | None) -> frozenset[str] | None:
    if first is None or second is None:
        return second if first is None else first
    return first & second


_MAX_CYCLE_STARTS: Final = 50


def _fallback_cycles(fallbacks: Sequence[Fallback]) -> Iterator[list[Fallback]]:
    """Cycles of substitution among fallbacks that can all apply at once, one per group.

    Fallback f leads to g when g's role is one of f's substitutes and the two can
    apply together. Each strongly connected group of fallbacks holds cycles; the
    shortest cycle through some member whose fallbacks share a side, stage and
    sector is reported. Everything is iterative and polynomial, so a policy
    with a thousand fallbacks is checked as quickly as one with three.
    """
    scopes = [_Scope.of(f) for f in fallbacks]
    by_role: dict[str, list[int]] = {}
    for index, fallback in enumerate(fallbacks):
        by_role.setdefault(fallback.role, []).append(index)
    edges = [
        sorted(
            {
                j
                for role in fallback.then.substitutes
                for j in by_role.get(role, ())
                if scopes[i].meet(scopes[j]) is not None
            }
        )
        for i, fallback in enumerate(fallbacks)
    ]
    for group in _strongly_connected(edges):
        members = set(group)
        if len(group) == 1 and group[0] not in edges[group[0]]:
            continue
        for start in sorted(members)[:_MAX_CYCLE_STARTS]:
            cycle = _shortest_cycle(start, edges, members)
            common: _Scope | None = scopes[cycle[0]]
            for index in cycle[1:]:
                common = scopes[index].meet(common)
            if common is not None:
                yield [fallbacks[i] for i in cycle]
                break


def _finishing_order(edges: Sequence[Sequence[int]]) -> list[int]:
    """Nodes in the order a depth-first search finishes them (iteratively)."""
    order: list[int] = []
    seen: set[int] = set()
    for root in range(len(edges)):
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(edges[root]))]
        while stack:
            node, following = stack[-1]
            step = next((n for n in following if n not in seen), None)
            if step is None:
                stack.pop()
                order.append(node)
            else:
                seen.add(step)
                stack.append((step, iter(edges[step])))
    return order


def _strongly_connected(edges: Sequence[Sequence[int]]) -> list[list[int]]:
    """Kosaraju's algorithm: the strongly connected groups of a graph."""
    reverse: list[list[int]] = [[] for _ in edges]
    for node, targets in enumerate(edges):
        for target in targets:
            reverse[target].append(node)
    groups: list[list[int]] = []
    assigned: set[int] = set()
    for root in reversed(_finishing_order(edges)):
        if root in assigned:
            continue
        group, pending = [], [root]
        assigned.add(root)
        while pending:
            node = pending.pop()
            group.append(node)
            fresh = [source for source in reverse[node] if source not in assigned]
            assigned.update(fresh)
            pending.extend(fresh)
        groups.append(sorted(group))
    return groups


def _shortest_cycle(start: int, edges: Sequence[Sequence[int]], members: set[int]) -> list[int]:
    """The shortest cycle from ``start`` back to itself, within ``members`` (breadth first)."""
    previous: dict[int, int] = {}
    frontier = [start]
    while frontier:
        following: list[int] = []
        for node in frontier:
            for target in edges[node]:
                if target not in members:
                    continue
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return path[::-1]
                if target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    return [start]  # unreachable for a member of a cyclic group


def _choices(hint: object) -> tuple[str, ...] | type | None:
    """What ``where`` may match a field of this type with: values, bool, str, or None."""
    if get_origin(hint) is typing.Union or type(hint).__name__ == "UnionType":
        options = [a for a in get_args(hint) if a is not type(None)]
        return _choices(options[0]) if len(options) == 1 else None
    if get_origin(hint) is Literal:
        return tuple(str(a) for a in get_args(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return tuple(str(member.value) for member in hint)
    if hint is bool or hint is str:
        return hint
    if hint in {date, datetime}:
        return None
    return None


@functools.cache
def _matchable_fields(kind: str) -> dict[str, tuple[str, ...] | type | None]:
    cls = EVENT_TYPES[kind]
    hints = typing.get_type_hints(cls)
    return {f.name: _choices(hints[f.name]) for f in attrs.fields(cls)}


def _zone_names() -> set[str]:
    import zoneinfo  # noqa: PLC0415 - only needed to suggest a name for a wrong one

    return {name for name in zoneinfo.available_timezones() if not depends_on_host(name)}
