"""The rules of a policy that its JSON Schema cannot express.

`check_policy_semantics` takes a `Policy` that passed the schema and returns
every problem found, each located by a JSON pointer into the policy document:
ids that are not unique, references that do not resolve, ladders that do not
end or cannot be climbed, fallbacks that go round in circles, and calendars
that cannot be built. Warnings (``severity="warning"``) name what a reader
should know but that does not make the policy wrong: stages without a
timescale, and the gaps the policy lists.
"""

from __future__ import annotations

import difflib
import enum
import functools
import typing
from datetime import date, datetime
from typing import TYPE_CHECKING, Final, Literal, get_args, get_origin

import attrs

from challenge_rules._convert import default_converter
from challenge_rules._zones import depends_on_host
from challenge_rules.calendar import HOLIDAY_CALENDARS, Timescale, Unit, working_calendar
from challenge_rules.errors import CalendarError, Problem, pointer_join, pointer_parts
from challenge_rules.history import EVENT_TYPES
from challenge_rules.policy import Anchor, Stage, TriggerKind, WhereValue

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator, Sequence

    from challenge_rules.policy import EventMatch, Fallback, Policy

MAX_AMOUNT: Final = 10_000
MAX_AMOUNTS: Final = {Unit.MONTHS: 1_200}
"""Units with a lower bound than `MAX_AMOUNT`: a century of months. A history's moments
are at most 2099 and the calendar runs to 2199, so a validated timescale always gives a
deadline the calendar can place (10,000 of any other unit is under 40 years)."""
EARLIEST: Final = date(1990, 1, 1)
LATEST: Final = date(2100, 12, 31)
_LISTED: Final = 12


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(names: Iterable[str]) -> str:
    shown = list(dict.fromkeys(names))
    if not shown:
        return "(none are defined)"
    more = len(shown) - _LISTED
    text = ", ".join(shown[:_LISTED])
    return f"{text}, and {more} more" if more > 0 else text


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None


def resolves(document: object, pointer: str) -> bool:
    """Tell whether ``pointer`` names a place that exists in ``document``."""
    node = document
    for part in pointer_parts(pointer):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


@attrs.frozen
class _Located:
    """A stage and where it is: its pointer, its ladder and its place on it."""

    stage: Stage
    pointer: str
    ladder: str
    index: int


class _Checker:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.problems: list[Problem] = []
        self.located: list[_Located] = [
            _Located(stage, pointer_join("stages", i), "the main ladder", i)
            for i, stage in enumerate(policy.stages)
        ]
        for t, track in enumerate(policy.tracks):
            self.located += [
                _Located(stage, pointer_join("tracks", t, "stages", i), f'track "{track.id}"', i)
                for i, stage in enumerate(track.stages)
            ]
        self.stage_ids = {entry.stage.id for entry in self.located}
        self.roles = {role.id for role in policy.roles}
        self.clauses = {clause.id for clause in policy.clauses}
        self.purposes = {contact.purpose for contact in policy.contacts}
        self.forms = {form.id for form in policy.forms}
        self.covered_gaps: set[str] = set()

    def error(
        self,
        message: str,
        pointer: str,
        expected: str | None = None,
        hint: str | None = None,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        self.problems.append(
            Problem(
                message=message, pointer=pointer, expected=expected, hint=hint, severity=severity
            )
        )

    def warn(self, message: str, pointer: str, hint: str | None = None) -> None:
        self.error(message, pointer, hint=hint, severity="warning")

    def run(self) -> list[Problem]:
        self.check_unique_ids()
        self.check_clauses()
        self.check_participants()
        self.check_references()
        self.check_event_matches()
        self.check_triggers()
        self.check_fallbacks()
        self.check_timescales()
        self.check_ladders()
        self.check_tracks()
        self.check_dates()
        self.check_calendar()
        self.check_gaps()
        return self.problems

    # --- ids ---------------------------------------------------------------------

    def unique(self, what: str, entries: Iterable[tuple[str, str]]) -> None:
        first: dict[str, str] = {}
        for ident, pointer in entries:
            if ident in first:
                self.error(
                    f'duplicate {what} id "{ident}"',
                    pointer_join(*pointer_parts(pointer), "id"),
                    expected=f"a different id for each {what}",
                    hint=f"the first {what} with this id is at {first[ident]}",
                )
            else:
                first[ident] = pointer

    def check_unique_ids(self) -> None:
        p = self.policy
        self.unique("stage", ((e.stage.id, e.pointer) for e in self.located))
        collections: Sequence[tuple[str, str, Sequence[object]]] = (
            ("track", "tracks", p.tracks),
            ("role", "roles", p.roles),
            ("clause", "clauses", p.clauses),
            ("source", "sources", p.sources),
            ("duty", "duties", p.duties),
            ("fallback", "fallbacks", p.fallbacks),
            ("urgency rule", "urgency", p.urgency),
            ("contact", "contacts", p.contacts),
            ("form", "forms", p.forms),
            ("partnership", "partnerships", p.partnerships),
            ("sector", "sectors", p.sectors),
            ("risk level", "risk_levels", p.risk_levels),
            ("topic", "topics", p.topics),
            ("guidance", "guidance", p.guidance),
        )
        for what, name, items in collections:
            self.unique(
                what, ((getattr(x, "id", ""), pointer_join(name, i)) for i, x in enumerate(items))
            )
        self.unique(
            "exclusion",
            (
                (x.id, pointer_join("scope", "exclusions", i))
                for i, x in enumerate(p.scope.exclusions)
            ),
        )
        self.unique(
            "immediate action",
            (
                (a.id, pointer_join("urgency", u, "immediate_actions", i))
                for u, rule in enumerate(p.urgency)
                for i, a in enumerate(rule.immediate_actions)
            ),
        )
        for f, form in enumerate(p.forms):
            self.unique(
                "form field",
                ((x.id, pointer_join("forms", f, "fields", i)) for i, x in enumerate(form.fields)),
            )

    # --- references --------------------------------------------------------------------

    def reference(
        self, value: str, known: Collection[str], pointer: str, what: str, collection: str
    ) -> None:
        if value in known:
            return
        self.error(
            f'unknown {what} "{_short(value)}"',
            pointer,
            expected=f"the id of one of the {collection}: {_listing(sorted(known))}",
            hint=_suggest(value, known) or f'add it to "{collection}", or correct the spelling',
        )

    def clause(self, value: str | None, pointer: str) -> None:
        if value is not None:
            self.reference(value, self.clauses, pointer, "clause", "clauses")

    def role(self, value: str | None, pointer: str) -> None:
        if value is not None:
            self.reference(value, self.roles, pointer, "role", "roles")

    def stage_ref(self, value: str | None, pointer: str) -> None:
        if value is not None:
            self.reference(value, self.stage_ids, pointer, "stage", "stages")

    def purpose(self, value: str | None, pointer: str) -> None:
        if value is None or value in self.purposes:
            return
        self.error(
            f'no contact has the purpose "{_short(value)}"',
            pointer,
            expected=f"the purpose of one of the contacts: {_listing(sorted(self.purposes))}",
            hint=_suggest(value, self.purposes)
            or f'add a contact with "purpose": "{_short(value)}", or correct the spelling',
        )

    def check_clauses(self) -> None:
        p = self.policy
        sources = {source.id for source in p.sources}
        for i, clause in enumerate(p.clauses):
            self.reference(
                clause.source, sources, pointer_join("clauses", i, "source"), "source", "sources"
            )
        for entry in self.located:
            stage, at = entry.stage, entry.pointer
            self.clause(stage.clause, at + "/clause")
            self.clause(stage.timescale_clause, at + "/timescale_clause")
            if stage.on_unresolved is not None:
                self.clause(stage.on_unresolved.clause, at + "/on_unresolved/clause")
        self.clause(p.scope.applies_clause, "/scope/applies_clause")
        for i, exclusion in enumerate(p.scope.exclusions):
            self.clause(exclusion.clause, pointer_join("scope", "exclusions", i, "clause"))
        for name, items in (
            ("tracks", p.tracks),
            ("duties", p.duties),
            ("fallbacks", p.fallbacks),
            ("urgency", p.urgency),
            ("contacts", p.contacts),
            ("forms", p.forms),
            ("topics", p.topics),
            ("guidance", p.guidance),
        ):
            for i, item in enumerate(items):
                self.clause(getattr(item, "clause", None), pointer_join(name, i, "clause"))

    def check_participants(self) -> None:
        for entry in self.located:
            if not entry.stage.participants:
                self.error(
                    f'stage "{entry.stage.id}" has no participants',
                    entry.pointer + "/participants",
                    expected="at least one participant",
                )

    def role_references(self) -> Iterator[tuple[str | None, str]]:
        for entry in self.located:
            for i, participant in enumerate(entry.stage.participants):
                yield participant.role, f"{entry.pointer}/participants/{i}/role"
            if entry.stage.on_unresolved is not None:
                yield entry.stage.on_unresolved.by.role, entry.pointer + "/on_unresolved/by/role"
        for i, duty in enumerate(self.policy.duties):
            yield duty.who.role, pointer_join("duties", i, "who", "role")
        for u, rule in enumerate(self.policy.urgency):
            for i, action in enumerate(rule.immediate_actions):
                yield (
                    action.who.role,
                    pointer_join("urgency", u, "immediate_actions", i, "who", "role"),
                )
        for i, fallback in enumerate(self.policy.fallbacks):
            at = pointer_join("fallbacks", i)
            yield fallback.role, at + "/role"
            yield fallback.when.also_holds, at + "/when/also_holds"
            for j, role in enumerate(fallback.then.substitutes):
                yield role, f"{at}/then/substitutes/{j}"
            for j, role in enumerate(fallback.then.seek_support_from):
                yield role, f"{at}/then/seek_support_from/{j}"

    def stage_references(self) -> Iterator[tuple[str | None, str]]:
        for i, duty in enumerate(self.policy.duties):
            for j, stage in enumerate(duty.trigger.stages):
                yield stage, pointer_join("duties", i, "trigger", "stages", j)
        for i, fallback in enumerate(self.policy.fallbacks):
            for j, stage in enumerate(fallback.stages):
                yield stage, pointer_join("fallbacks", i, "stages", j)
        for i, rule in enumerate(self.policy.urgency):
            for j, stage in enumerate(rule.stages):
                yield stage, pointer_join("urgency", i, "stages", j)
            yield rule.skip_to, pointer_join("urgency", i, "skip_to")

    def purpose_references(self) -> Iterator[tuple[str | None, str]]:
        for entry in self.located:
            for j, purpose in enumerate(entry.stage.contacts):
                yield purpose, f"{entry.pointer}/contacts/{j}"
            escalation = entry.stage.on_unresolved
            for j, purpose in enumerate(() if escalation is None else escalation.contacts):
                yield purpose, f"{entry.pointer}/on_unresolved/contacts/{j}"
        for i, duty in enumerate(self.policy.duties):
            for j, purpose in enumerate(duty.contacts):
                yield purpose, pointer_join("duties", i, "contacts", j)
        for i, rule in enumerate(self.policy.urgency):
            for k, action in enumerate(rule.immediate_actions):
                for j, purpose in enumerate(action.contacts):
                    yield purpose, pointer_join("urgency", i, "immediate_actions", k, "contacts", j)
        for i, form in enumerate(self.policy.forms):
            yield form.submit_to, pointer_join("forms", i, "submit_to")

    def form_references(self) -> Iterator[tuple[str | None, str]]:
        for entry in self.located:
            for j, form in enumerate(entry.stage.forms):
                yield form, f"{entry.pointer}/forms/{j}"
            escalation = entry.stage.on_unresolved
            for j, form in enumerate(() if escalation is None else escalation.forms):
                yield form, f"{entry.pointer}/on_unresolved/forms/{j}"
        for i, duty in enumerate(self.policy.duties):
            for j, form in enumerate(duty.forms):
                yield form, pointer_join("duties", i, "forms", j)

    def vocabulary_references(self) -> Iterator[tuple[str, str | None, str]]:
        for i, fallback in enumerate(self.policy.fallbacks):
            for j, sector in enumerate(fallback.when.sectors):
                yield "sectors", sector, pointer_join("fallbacks", i, "when", "sectors", j)
        for i, rule in enumerate(self.policy.urgency):
            for j, risk in enumerate(rule.risks):
                yield "risk_levels", risk, pointer_join("urgency", i, "risks", j)
        for i, contact in enumerate(self.policy.contacts):
            yield "partnerships", contact.area, pointer_join("contacts", i, "area")

    def check_references(self) -> None:
        for value, at in self.role_references():
            self.role(value, at)
        for value, at in self.stage_references():
            self.stage_ref(value, at)
        for value, at in self.purpose_references():
            self.purpose(value, at)
        for value, at in self.form_references():
            if value is not None:
                self.reference(value, self.forms, at, "form", "forms")
        p = self.policy
        known = {
            "sectors": ("sector", {x.id for x in p.sectors}),
            "risk_levels": ("risk level", {x.id for x in p.risk_levels}),
            "partnerships": ("partnership area", {x.id for x in p.partnerships}),
        }
        for collection, value, at in self.vocabulary_references():
            what, ids = known[collection]
            if value is not None:
                self.reference(value, ids, at, what, collection)

    # --- event matches and triggers ---------------------------------------------------------

    def event_matches(self) -> Iterator[tuple[EventMatch, str]]:
        for i, duty in enumerate(self.policy.duties):
            if duty.trigger.event is not None:
                yield duty.trigger.event, pointer_join("duties", i, "trigger", "event")
            yield duty.discharged_by, pointer_join("duties", i, "discharged_by")
        for u, rule in enumerate(self.policy.urgency):
            for i, action in enumerate(rule.immediate_actions):
                yield (
                    action.discharged_by,
                    pointer_join("urgency", u, "immediate_actions", i, "discharged_by"),
                )

    def check_event_matches(self) -> None:
        for match, at in self.event_matches():
            cls = EVENT_TYPES.get(match.kind)
            if cls is None:
                self.error(
                    f'unknown event kind "{_short(match.kind)}"',
                    at + "/kind",
                    expected=f"one of: {', '.join(EVENT_TYPES)}",
                    hint=_suggest(match.kind, EVENT_TYPES),
                )
                continue
            fields = _matchable_fields(match.kind)
            for key, value in match.where.items():
                where = pointer_join(*pointer_parts(at), "where", key)
                if key not in fields:
                    self.error(
                        f'a "{match.kind}" event has no field "{_short(key)}" to match',
                        where,
                        expected=f"one of its fields: {', '.join(fields) or '(none)'}",
                        hint=_suggest(key, fields) or "remove it, or match a different event kind",
                    )
                    continue
                self.check_where_value(fields[key], value, where, key)

    def check_where_value(
        self, allowed: tuple[str, ...] | type | None, value: WhereValue, at: str, key: str
    ) -> None:
        if isinstance(value, tuple):  # any one of several texts
            if allowed is bool:
                self.error(
                    f'field "{key}" is true or false, but it is matched with a list',
                    at,
                    expected="true or false",
                )
                return
            for position, choice in enumerate(value):
                self.check_where_value(allowed, choice, f"{at}/{position}", key)
            return
        if allowed is bool:
            if not isinstance(value, bool):
                self.error(
                    f'field "{key}" is true or false, but it is matched with text',
                    at,
                    expected="true or false",
                )
        elif allowed is None:
            self.error(
                f'field "{key}" cannot be matched with "where"',
                at,
                expected="a text, choice or true/false field",
                hint="remove it",
            )
        elif isinstance(value, bool):
            self.error(
                f'field "{key}" is text, but it is matched with {str(value).lower()}',
                at,
                expected="text",
            )
        elif isinstance(allowed, tuple) and value not in allowed:
            self.error(
                f'"{_short(value)}" is not a possible value of field "{key}"',
                at,
                expected=f"one of: {', '.join(allowed)}",
                hint=_suggest(value, allowed),
            )

    def check_triggers(self) -> None:
        for i, duty in enumerate(self.policy.duties):
            trigger, at = duty.trigger, pointer_join("duties", i, "trigger")
            if trigger.on is TriggerKind.EVENT and trigger.event is None:
                self.error(
                    'a trigger "on": "event" does not say which event',
                    at,
                    expected='an "event" such as {"kind": "meeting_held"}',
                    hint='add "event", or choose another "on"',
                )
            if trigger.on is not TriggerKind.EVENT and trigger.event is not None:
                self.warn(
                    f'"event" is ignored: the trigger is "on": "{trigger.on.value}"',
                    at + "/event",
                    hint='remove "event", or write "on": "event"',
                )
            if trigger.stages and trigger.on in {TriggerKind.CONCERN_RAISED, TriggerKind.EVENT}:
                self.warn(
                    f'"stages" is ignored: the trigger is "on": "{trigger.on.value}"',
                    at + "/stages",
                    hint='"stages" applies to the stage_... triggers only',
                )

    # --- fallbacks ----------------------------------------------------------------------

    def check_fallbacks(self) -> None:
        fallbacks = self.policy.fallbacks
        for i, fallback in enumerate(fallbacks):
            at = pointer_join("fallbacks", i)
            if not fallback.when.absent and fallback.when.also_holds is None:
                self.error(
                    f'fallback "{fallback.id}" never applies',
                    at + "/when",
                    expected='"absent": true, or the other role in "also_holds"',
                )
            if not fallback.then.substitutes and not fallback.then.seek_support_from:
                self.error(
                    f'fallback "{fallback.id}" names nobody to turn to',
                    at + "/then",
                    expected='roles in "substitutes" or "seek_support_from"',
                )
        for cycle in _fallback_cycles(fallbacks):
            self.report_cycle(cycle)

    def report_cycle(self, cycle: Sequence[Fallback]) -> None:
        first = cycle[0]
        index = self.policy.fallbacks.index(first)
        roles = [f.role for f in cycle] + [first.role]
        names = ", ".join(f'"{f.id}"' for f in cycle)
        self.error(
            f"fallbacks go round in a circle: {' -> '.join(roles)} (fallbacks {names})",
            pointer_join("fallbacks", index, "then", "substitutes"),
            expected="each chain of substitutes to end with a role that has no fallback",
            hint="substitute a different role, or limit the fallbacks to different sides, "
            "stages or sectors",
        )

    # --- timescales and ladders ------------------------------------------------------------

    def timescales(self) -> Iterator[tuple[Timescale | None, str]]:
        for entry in self.located:
            yield entry.stage.timescale, entry.pointer + "/timescale"
            if entry.stage.on_unresolved is not None:
                yield (
                    entry.stage.on_unresolved.timescale,
                    entry.pointer + "/on_unresolved/timescale",
                )
        for i, duty in enumerate(self.policy.duties):
            yield duty.timescale, pointer_join("duties", i, "timescale")
        for i, rule in enumerate(self.policy.urgency):
            yield rule.timescale, pointer_join("urgency", i, "timescale")

    def check_timescales(self) -> None:
        for timescale, at in self.timescales():
            if timescale is None:
                continue
            most = MAX_AMOUNTS.get(timescale.unit, MAX_AMOUNT)
            if timescale.amount > most:
                self.error(
                    f"the timescale is too long ({timescale.amount} {timescale.unit.value})",
                    at + "/amount",
                    expected=f"at most {most} {timescale.unit.value}",
                )
        gaps = {gap.pointer: gap for gap in self.policy.gaps}
        for entry in self.located:
            stage = entry.stage
            if stage.timescale is not None:
                continue
            gap = gaps.get(entry.pointer + "/timescale") or gaps.get(entry.pointer)
            if gap is not None:
                self.covered_gaps.add(gap.pointer)
            reason = gap.text if gap is not None else "the source gives none"
            self.warn(
                f'stage "{stage.id}" has no timescale, so its action has no due date: {reason}',
                entry.pointer + "/timescale",
            )
            if stage.timescale_note is None:
                self.warn(
                    f'stage "{stage.id}" has no timescale and no "timescale_note"',
                    entry.pointer,
                    hint='add a "timescale_note" saying how the source describes the timing '
                    '(e.g. "as soon as possible")',
                )

    def ladders(self) -> Iterator[list[_Located]]:
        yield [e for e in self.located if e.ladder == "the main ladder"]
        for track in self.policy.tracks:
            yield [e for e in self.located if e.ladder == f'track "{track.id}"']

    def check_ladders(self) -> None:
        skips = {rule.skip_to for rule in self.policy.urgency if rule.skip_to is not None}
        for ladder in self.ladders():
            if ladder:
                self.check_ladder(ladder, skips)

    def check_ladder(self, ladder: list[_Located], skips: set[str]) -> None:
        first, last = ladder[0], ladder[-1]
        if first.stage.counts_from is Anchor.PREVIOUS_STAGE_CONCLUDED:
            self.error(
                f'the first stage of {first.ladder} cannot count from "previous_stage_concluded": '
                "there is no previous stage",
                first.pointer + "/counts_from",
                expected="concern or stage_entered",
            )
        position = {entry.stage.id: entry.index for entry in ladder}
        edges: dict[int, int] = {}
        for entry in ladder:
            target = self.escalation_target(entry, ladder, position)
            if target is not None:
                edges[entry.index] = target
        reachable = {0} | {position[s] for s in skips if s in position}
        frontier = list(reachable)
        while frontier:
            following = edges.get(frontier.pop())
            if following is not None and following not in reachable:
                reachable.add(following)
                frontier.append(following)
        for entry in ladder[1:]:
            if entry.index not in reachable:
                self.error(
                    f'stage "{entry.stage.id}" can never be reached',
                    entry.pointer,
                    expected="an earlier stage that escalates to it",
                    hint='escalate to it from an earlier stage (its "on_unresolved"), or remove it',
                )
        if last.stage.on_unresolved is not None and last.stage.on_unresolved.to is None:
            self.error(
                f"the last stage of {last.ladder} escalates, but there is no stage after it",
                last.pointer + "/on_unresolved",
                expected="null: the ladder ends at its last stage",
                hint='set "on_unresolved" to null, or add the stage it escalates to',
            )

    def escalation_target(
        self, entry: _Located, ladder: list[_Located], position: dict[str, int]
    ) -> int | None:
        escalation = entry.stage.on_unresolved
        if escalation is None:
            if entry.index < len(ladder) - 1:
                self.error(
                    f'stage "{entry.stage.id}" is not the last stage, but says nothing '
                    "about escalating",
                    entry.pointer,
                    expected='"on_unresolved": what happens when it ends unresolved',
                    hint='add "on_unresolved", or move the stage to the end of the ladder',
                )
                return entry.index + 1  # already reported: do not also call the next unreachable
            return None
        if escalation.to is None:
            return entry.index + 1 if entry.index < len(ladder) - 1 else None
        at = entry.pointer + "/on_unresolved/to"
        if escalation.to not in position:
            if escalation.to in self.stage_ids:
                self.error(
                    f'stage "{entry.stage.id}" escalates to "{escalation.to}", '
                    f"which is not on {entry.ladder}",
                    at,
                    expected=f"a later stage of {entry.ladder}",
                )
            else:
                self.stage_ref(escalation.to, at)
            return None
        target = position[escalation.to]
        if target <= entry.index:
            what = "itself" if target == entry.index else f'"{escalation.to}", an earlier stage'
            self.error(
                f'stage "{entry.stage.id}" escalates backwards, to {what}',
                at,
                expected="a later stage (or null for the next one)",
                hint="escalation always moves up the ladder",
            )
            return None
        return target

    def check_tracks(self) -> None:
        claimed: dict[str, str] = {}
        for t, track in enumerate(self.policy.tracks):
            for n, nature in enumerate(track.natures):
                if nature in claimed:
                    self.error(
                        f'the nature "{nature}" is on more than one track',
                        pointer_join("tracks", t, "natures", n),
                        expected="each nature on one track at most",
                        hint=f'track "{claimed[nature]}" already takes it',
                    )
                else:
                    claimed[nature] = track.id

    # --- dates, calendar, gaps ------------------------------------------------------------

    def check_dates(self) -> None:
        effective = self.policy.effective_from
        if not EARLIEST <= effective <= LATEST:
            self.error(
                f"effective_from {effective.isoformat()} is not a plausible date for this policy",
                "/effective_from",
                expected=f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}",
                hint="check the year",
            )

    def check_calendar(self) -> None:
        spec = self.policy.calendar
        try:
            working_calendar(spec.time_zone, "none")
        except CalendarError as error:
            hint = None
            if isinstance(spec.time_zone, str):
                hint = _suggest(spec.time_zone, _zone_names())
            self.error(
                f'{error.message} "{_short(str(spec.time_zone))}"',
                "/calendar/time_zone",
                expected=error.expected,
                hint=hint or error.hint,
            )
        if spec.holidays not in HOLIDAY_CALENDARS:
            self.error(
                f'unknown holiday calendar "{_short(str(spec.holidays))}"',
                "/calendar/holidays",
                expected=f"one of: {', '.join(HOLIDAY_CALENDARS)}",
                hint=_suggest(str(spec.holidays), HOLIDAY_CALENDARS),
            )
        for i, day in enumerate(spec.extra_closures):
            try:
                working_calendar("UTC", "none", (day,))
            except CalendarError as error:
                self.error(
                    f"{error.message}: {_short(error.value)}",
                    pointer_join("calendar", "extra_closures", i),
                    expected=error.expected,
                    hint=error.hint,
                )

    def check_gaps(self) -> None:
        document = default_converter().unstructure(self.policy)
        covered = self.covered_gaps
        for i, gap in enumerate(self.policy.gaps):
            if not resolves(document, gap.pointer):
                self.error(
                    f'the gap\'s pointer "{_short(gap.pointer)}" points to nothing in this policy',
                    pointer_join("gaps", i, "pointer"),
                    expected="a JSON pointer to a part of this policy, such as /stages/2/timescale",
                )
            elif gap.pointer not in covered:
                self.warn(f"gap in the source: {gap.text}", gap.pointer or "")


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


def check_policy_semantics(policy: Policy) -> tuple[Problem, ...]:
    """Every semantic problem of a policy (errors and warnings), in a stable order."""
    return tuple(_Checker(policy).run())
