"""A policy's ladder as a Mermaid flowchart.

`mermaid` draws what a policy file says, and nothing else: one node per stage
(its name, who takes part and its timescale, or *no timescale in source*), a
*resolved* exit from every stage, an *unresolved* edge to the stage the policy
escalates to (labelled with the escalation's action and timescale), or to an
end node with the source's final note where the ladder stops.  Optional
stages are dashed; role fallbacks are side notes joined to the stages they
apply to; urgency rules are exit nodes, with a thick edge to the stage they
allow a case to skip to; tracks (separate ladders, such as conference dissent)
are subgraphs.  A stage's routes (its work chosen by urgency or the case's
facts), when there are at most `ROUTES_DRAWN` of them, are alternatives hung
off the stage, each edge labelled with its condition; more are listed in the
stage's node.

All text from the policy is escaped with Mermaid's entity codes (``#quot;``,
``#35;`` and the like) and put in quoted labels; node ids are made from the
policy's ids, reduced to letters, digits and ``_`` and kept unique.  The output
depends only on the policy, so it can be pasted into documentation and checked
for drift:

>>> from challenge_rules.diagram import escape
>>> escape('Step "2" [DSL] #1')
'Step #quot;2#quot; #91;DSL#93; #35;1'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from attrs import define, field

from challenge_rules import _wording
from challenge_rules.calendar import Timescale, Unit
from challenge_rules.policy import Actor, Anchor, Policy, Route, Side, Stage, UrgencyRule

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["ROUTES_DRAWN", "escape", "mermaid"]

ROUTES_DRAWN: Final = 3
"""The most routes of one stage drawn as nodes of their own."""

_INDENT: Final = "    "
_BREAK: Final = "<br/>"

# Order matters only for "#", which must go first so that the codes written
# for the other characters are not escaped again; a dict keeps insertion order.
_ENTITIES: Final = {
    "#": "#35;",
    '"': "#quot;",
    "&": "#38;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "|": "#124;",
    "`": "#96;",
}
_ESCAPABLE: Final = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
_WHITESPACE: Final = re.compile(r"\s+")
_NOT_ID: Final = re.compile(r"[^A-Za-z0-9_]")

# The sign-off document's words, one shorter to fit on an edge.
_ANCHORS: Final = {**_wording.ANCHORS, Anchor.CONCERN: "from the concern"}
_SIDES: Final = {
    Side.RAISING: "raising",
    Side.RECEIVING: "receiving",
    Side.EACH: "each side",
    Side.PARTNERSHIP: "partnership",
}


def escape(text: str) -> str:
    """``text`` made safe inside a quoted Mermaid label or edge label.

    Runs of whitespace (line breaks included) become one space; quotes,
    brackets, ``#``, ``&``, ``<``, ``>``, ``|`` and backticks become Mermaid
    entity codes.  Parentheses are left alone: they are harmless inside quotes.
    """
    flat = _WHITESPACE.sub(" ", text).strip()
    return _ESCAPABLE.sub(lambda match: _ENTITIES[match.group()], flat)


def _label(*lines: str) -> str:
    """A quoted label: each line escaped, joined with Mermaid line breaks."""
    return '"' + _BREAK.join(escape(line) for line in lines if line) + '"'


def _timescale_text(timescale: Timescale, anchor: Anchor | None) -> str:
    if timescale.unit in {Unit.IMMEDIATELY, Unit.SAME_DAY, Unit.WITHOUT_DELAY}:
        return str(timescale)
    text = f"within {timescale}"
    return text if anchor is None else f"{text} {_ANCHORS[anchor]}"


@define
class _Ids:
    """Mermaid node ids: one per (kind, policy id), unique, in order of first use."""

    taken: set[str] = field(factory=lambda: {"start", "resolved"})
    given: dict[tuple[str, str], str] = field(factory=dict)

    def __call__(self, prefix: str, raw: str) -> str:
        key = (prefix, raw)
        if key not in self.given:
            base = f"{prefix}_{_NOT_ID.sub('_', raw)}"
            candidate, n = base, 2
            while candidate in self.taken:
                candidate, n = f"{base}_{n}", n + 1
            self.taken.add(candidate)
            self.given[key] = candidate
        return self.given[key]


@define
class _Drawing:
    """The lines of one diagram, gathered by kind and joined in a fixed order."""

    policy: Policy
    ids: _Ids = field(factory=_Ids)
    nodes: list[str] = field(factory=list)
    edges: list[str] = field(factory=list)
    classes: dict[str, list[str]] = field(factory=dict)
    drawn: dict[str, str] = field(factory=dict)
    """Stage id -> node id, for every stage drawn."""

    def classify(self, node: str, css_class: str) -> None:
        self.classes.setdefault(css_class, []).append(node)

    def role(self, role_id: str) -> str:
        return _wording.name_of(self.policy.roles, role_id)

    def actor(self, actor: Actor) -> str:
        return f"{self.role(actor.role)} ({_SIDES[actor.side]})"

    def risk(self, risk_id: str) -> str:
        return _wording.name_of(self.policy.risk_levels, risk_id)

    # -- stages ---------------------------------------------------------------

    def stage_node(self, stage: Stage) -> str:
        node = self.ids("st", stage.id)
        self.drawn[stage.id] = node
        if stage.timescale is None:
            timing = "no timescale in source"
        else:
            timing = "Timescale: " + _timescale_text(stage.timescale, stage.counts_from)
        who = "Who: " + ", ".join(self.actor(a) for a in stage.participants)
        optional = "(optional stage)" if stage.optional else ""
        if stage.optional:
            self.classify(node, "optional")
        steps = ""
        if stage.steps:  # e.g. "Steps: discuss (5 working days), then meeting (5 working days)"
            steps = "Steps: " + ", then ".join(
                step.id if step.timescale is None else f"{step.id} ({step.timescale})"
                for step in stage.steps
            )
        routes = ""
        if len(stage.routes) > ROUTES_DRAWN:
            routes = "Routes: " + ", ".join(route.id for route in stage.routes)
        return f"{node}[{_label(stage.name, who, timing, steps, routes, optional)}]"

    def routes(self, stage: Stage, indent: str) -> None:
        """A small number of routes as alternatives beside the stage, labelled by condition."""
        if not stage.routes or len(stage.routes) > ROUTES_DRAWN:
            return
        for route in stage.routes:
            node = self.ids("rt", f"{stage.id}-{route.id}")
            self.nodes.append(f"{indent}{node}[{_label(*self.route_text(stage, route))}]")
            self.classify(node, "route")
            condition = _wording.route_when(self.policy, route.when)
            self.edges.append(f"{self.drawn[stage.id]} -.->|{_label(condition)}| {node}")

    def route_text(self, stage: Stage, route: Route) -> list[str]:
        lines = [f"Route {route.id}"]
        if route.action is not None:
            lines.append(route.action)
        if route.participants:
            lines.append("Who: " + ", ".join(self.actor(a) for a in route.participants))
        if route.timescale is not None:
            lines.append("Timescale: " + _timescale_text(route.timescale, stage.counts_from))
        if len(lines) == 1:
            lines.append("as the stage says")
        return lines

    def ladder(self, key: str, stages: Sequence[Stage], indent: str) -> None:
        """Stage nodes (at ``indent``) and the ladder's edges."""
        for stage in stages:
            self.nodes.append(indent + self.stage_node(stage))
        for stage in stages:
            self.routes(stage, indent)
        for position, stage in enumerate(stages):
            node = self.drawn[stage.id]
            self.edges.append(f'{node} -->|"resolved"| resolved')
            escalation = stage.on_unresolved
            if escalation is None:
                end = self.ids("stop", key)
                final = stage.final_note or "The source names no further stage."
                self.nodes.append(f"{indent}{end}([{_label('Ladder ends', final)}])")
                self.edges.append(f'{node} -->|"unresolved"| {end}')
                continue
            target = (
                stages[position + 1]
                if escalation.to is None and position + 1 < len(stages)
                else next((s for s in stages if s.id == escalation.to), None)
            )
            text = "unresolved: " + escalation.action
            if escalation.timescale is not None:
                text += f" ({_timescale_text(escalation.timescale, None)})"
            if target is None:  # an invalid policy; drawn as a dead end, not a crash
                end = self.ids("stop", f"{key}-{stage.id}")
                self.nodes.append(f"{indent}{end}([{_label('No such stage', str(escalation.to))}])")
                self.edges.append(f"{node} -->|{_label(text)}| {end}")
                continue
            arrow = "-.->" if target.optional else "-->"
            self.edges.append(f"{node} {arrow}|{_label(text)}| {self.drawn[target.id]}")

    # -- fallbacks and urgency --------------------------------------------------

    def fallbacks(self, stages: Iterable[Stage]) -> None:
        ladder = [s.id for s in stages]
        for fallback in self.policy.fallbacks:
            targets = [s for s in (fallback.stages or ladder) if s in self.drawn]
            if not targets:
                continue
            node = self.ids("fb", fallback.id)
            self.nodes.append(f"{node}[/{_label(_wording.fallback(self.policy, fallback))}/]")
            self.classify(node, "fallback")
            self.edges.extend(f"{self.drawn[s]} -.- {node}" for s in targets)

    def urgency_text(self, rule: UrgencyRule) -> list[str]:
        lines = [" or ".join(self.risk(r) for r in rule.risks) + ":"]
        lines.extend(action.action for action in rule.immediate_actions)
        if rule.timescale is not None:
            lines.append("Timescales shortened to " + _timescale_text(rule.timescale, None))
        if not rule.immediate_actions and rule.timescale is None:
            lines.append(rule.note or "Treated as urgent")
        return lines

    def urgency(self) -> None:
        for rule in self.policy.urgency:
            sources = [self.drawn[s] for s in rule.stages if s in self.drawn]
            skip = self.drawn.get(rule.skip_to) if rule.skip_to is not None else None
            if rule.stages and not sources and skip is None:
                continue
            node = self.ids("ur", rule.id)
            self.nodes.append(f"{node}{{{{{_label(*self.urgency_text(rule))}}}}}")
            self.classify(node, "urgent")
            if rule.stages:
                self.edges.extend(f'{s} -.->|"if at risk"| {node}' for s in sources)
            else:
                self.edges.append(f'start -.->|"at any stage, if at risk"| {node}')
            if skip is not None:
                self.edges.append(f'{node} ==>|"may go straight to"| {skip}')

    # -- output -----------------------------------------------------------------

    def text(self) -> str:
        lines = [
            "flowchart TD",
            f"{_INDENT}%% challenge-rules policy {_NOT_ID.sub('_', self.policy.id)}",
            f"{_INDENT}classDef optional stroke-dasharray: 6 4",
            f"{_INDENT}classDef fallback stroke-dasharray: 2 2",
            f"{_INDENT}classDef urgent stroke-width: 3px",
            *([f"{_INDENT}classDef route stroke-dasharray: 4 2"] * ("route" in self.classes)),
            f'{_INDENT}start(["Concern raised"])',
            f'{_INDENT}resolved(["Resolved"])',
        ]
        lines.extend(_INDENT + node for node in self.nodes)
        lines.extend(_INDENT + edge for edge in self.edges)
        lines.extend(
            f"{_INDENT}class {','.join(nodes)} {css_class}"
            for css_class, nodes in self.classes.items()
        )
        return "\n".join(lines) + "\n"


def _excluded(policy: Policy, nature: str) -> str | None:
    """What to do instead, when the scope excludes ``nature`` and no track takes it."""
    if any(nature in track.natures for track in policy.tracks):
        return None
    for exclusion in policy.scope.exclusions:
        if nature in exclusion.natures:
            return exclusion.instead
    return None


def mermaid(policy: Policy, *, nature: str | None = None) -> str:
    """The policy's ladder as a Mermaid ``flowchart TD``, ending in a newline.

    With ``nature`` (a concern nature such as ``child_protection_conference``)
    only the ladder a concern of that nature follows is drawn, or, if the
    policy's scope excludes that nature, the redirection; without it, the main
    ladder and every track (each in a subgraph).
    """
    drawing = _Drawing(policy)
    if nature is not None and (instead := _excluded(policy, nature)) is not None:
        node = drawing.ids("ex", nature)
        drawing.nodes.append(f"{node}([{_label('Not for this procedure', instead)}])")
        drawing.edges.append(f"start -->|{_label(nature)}| {node}")
        return drawing.text()
    tracks = [t for t in policy.tracks if nature is None or nature in t.natures]
    main = nature is None or not tracks
    if main:
        drawing.ladder("main", policy.stages, "")
        drawing.edges.insert(0, f"start --> {drawing.drawn[policy.stages[0].id]}")
    for track in tracks[: None if nature is None else 1]:
        subgraph = drawing.ids("tr", track.id)
        drawing.nodes.append(f"subgraph {subgraph}[{_label('Track: ' + track.name)}]")
        first_edge = len(drawing.edges)
        drawing.ladder(f"track-{track.id}", track.stages, _INDENT)
        drawing.nodes.append("end")
        natures = ", ".join(n.replace("_", " ") for n in track.natures)
        entry = f"start -->|{_label(natures)}| {drawing.drawn[track.stages[0].id]}"
        drawing.edges.insert(first_edge, entry)
    drawn = [s for s in policy.all_stages() if s.id in drawing.drawn]
    drawing.fallbacks(drawn)
    drawing.urgency()
    return drawing.text()
