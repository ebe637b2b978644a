"""A policy as a document to sign off: every rule in plain English beside its clause.

`render` writes the document the people who agree a policy read, in HTML (one
printable page, no JavaScript, the ladder drawn as an inline SVG) or in
Markdown (the docs' policy pages are this rendering, with the ladder as a
Mermaid diagram).  Both are filled from one `document` view of the policy, so
they state the same rules in the same words (`challenge_rules._wording`):
scope and exclusions, each ladder's stages and what happens when a stage ends
unresolved, each stage's routes and due-soon windows, role fallbacks,
urgency, duties, the action-plan review, who else is told, contacts per area, forms,
guidance, every gap the policy lists, and every clause with its quote and
source section.

The templates are Jinja2 (the ``render`` extra: ``pip install
'challenge-rules[render]'``); without it `render` raises `challenge_rules.errors.MissingExtra`.
"""

from __future__ import annotations

import functools
import textwrap
from typing import TYPE_CHECKING, Any, Final, Literal

from attrs import frozen

from challenge_rules import _wording
from challenge_rules._digest import policy_digest
from challenge_rules._gaps import where
from challenge_rules.diagram import mermaid
from challenge_rules.errors import MissingExtra
from challenge_rules.policy import UNCLASSIFIED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from challenge_rules.policy import Clause, DueSoon, Policy, Stage

Format = Literal["html", "md"]
FORMATS: Final[tuple[Format, ...]] = ("html", "md")

_TEMPLATES: Final = {"html": "policy.html.j2", "md": "policy.md.j2"}
_BOX_WIDTH: Final = 520
_LINE_HEIGHT: Final = 18
_WRAP: Final = 62
_GAP: Final = 70
GAP_KINDS: Final = {
    "source_silent": "Source silent",
    "format_cannot_say": "Format cannot say",
    UNCLASSIFIED: "Not classified",
}
"""How a gap's kind is named in the document."""


# --- the view the templates are filled from -----------------------------------------


@frozen
class Cite:
    """A clause as the document shows it beside a rule."""

    id: str
    section: str
    source: str
    quote: str | None


@frozen
class Rule:
    """One rule: what it says in plain English, and the clause it comes from."""

    kind: str
    id: str
    title: str
    statement: str
    clause: Cite
    notes: tuple[str, ...] = ()


@frozen
class Box:
    """A stage drawn in the ladder picture."""

    y: int
    height: int
    lines: tuple[str, ...]
    optional: bool


@frozen
class Arrow:
    """The arrow from one stage to the next, with what escalating takes."""

    y1: int
    y2: int
    label: str


@frozen
class Ladder:
    """One ladder (the main one, or a track), as rules and as a picture."""

    title: str
    natures: tuple[str, ...]
    stages: tuple[Rule, ...]
    escalations: tuple[Rule, ...]
    ending: str
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    width: int
    height: int
    routes: tuple[Rule, ...] = ()
    """Each stage's routes, the way its work goes by urgency or the case's facts."""
    due_soon: str | None = None
    """The track's due-soon window, in words (``None``: the track sets none)."""


def _cite(policy: Policy, clause_id: str | None) -> Cite:
    if clause_id is None:
        return Cite(id="", section="(no clause named)", source="", quote=None)
    try:
        clause: Clause = policy.clause(clause_id)
    except LookupError:
        return Cite(id=clause_id, section="(no such clause)", source="", quote=None)
    try:
        source = policy.source(clause.source).title
    except LookupError:
        source = clause.source
    return Cite(id=clause.id, section=clause.section, source=source, quote=clause.quote)


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, _WRAP) or [""]


def _picture(policy: Policy, stages: Sequence[Stage], ending: str) -> tuple[Any, ...]:
    """Boxes and arrows of a vertical ladder: one box per stage, then where it ends."""
    boxes: list[Box] = []
    arrows: list[Arrow] = []
    y = 10
    for position, stage in enumerate(stages):
        who = "Who: " + _wording.listing(
            f"{_wording.role(policy, a.role)} ({a.side.value})" for a in stage.participants
        )
        when = _wording.timescale(
            _wording.reading(policy, stage.timescale, stage.id),
            stage.counts_from,
            stage.counts_from_event,
        )
        lines = (*_wrap(stage.name), *_wrap(who), *_wrap(when[0].upper() + when[1:]))
        height = 16 + _LINE_HEIGHT * len(lines)
        boxes.append(Box(y=y, height=height, lines=tuple(lines), optional=stage.optional))
        y += height
        escalation = stage.on_unresolved
        label = "if unresolved"
        if escalation is not None and escalation.timescale is not None:
            read = _wording.reading(policy, escalation.timescale, stage.id)
            label += f": escalate {_wording.timescale(read, escalation.counts_from)}"
        if position + 1 == len(stages) or escalation is None:
            label = "if unresolved"
        arrows.append(Arrow(y1=y, y2=y + _GAP, label=label))
        y += _GAP
    lines = ("Ladder ends", *_wrap(ending))
    height = 16 + _LINE_HEIGHT * len(lines)
    boxes.append(Box(y=y, height=height, lines=lines, optional=False))
    return tuple(boxes), tuple(arrows), y + height + _LINE_HEIGHT + 10


def _ladder(
    policy: Policy,
    title: str,
    natures: tuple[str, ...],
    stages: Sequence[Stage],
    due_soon: DueSoon | None = None,
) -> Ladder:
    rules = []
    escalations = []
    routes = []
    for position, stage in enumerate(stages):
        notes = tuple(
            note
            for note in (
                stage.timescale_note
                and f"Timescale as read from the source: {stage.timescale_note}",
                stage.timescale_clause and f"Timescale set by clause {stage.timescale_clause}.",
                _wording.due_soon(stage.due_soon, "stage") if stage.due_soon else None,
                f"Its work goes one of {len(stage.routes)} ways: see Routes below."
                if stage.routes
                else None,
            )
            if note
        )
        routes += [
            Rule(
                kind="route",
                id=f"{stage.id}/{route.id}",
                title=f"{stage.name}, route {route.id}",
                statement=_wording.route(policy, route, stage),
                clause=_cite(policy, route.clause),
            )
            for route in stage.routes
        ]
        rules.append(
            Rule(
                kind="stage",
                id=stage.id,
                title=stage.name,
                statement=_wording.stage(policy, stage),
                clause=_cite(policy, stage.clause),
                notes=notes,
            )
        )
        escalation = stage.on_unresolved
        if escalation is None:
            continue
        following = escalation.to or (
            stages[position + 1].id if position + 1 < len(stages) else None
        )
        name = None if following is None else _wording.stage_name(policy, following)
        escalations.append(
            Rule(
                kind="escalation",
                id=stage.id,
                title=f"When {stage.name} ends unresolved",
                statement=_wording.escalation(policy, escalation, name),
                clause=_cite(policy, escalation.clause),
            )
        )
    last = stages[-1] if stages else None
    ending = (last.final_note if last is not None else None) or "The source names no further stage."
    boxes, arrows, height = _picture(policy, stages, ending)
    return Ladder(
        title=title,
        natures=natures,
        stages=tuple(rules),
        escalations=tuple(escalations),
        ending=ending,
        routes=tuple(routes),
        due_soon=None if due_soon is None else _wording.due_soon(due_soon, "track"),
        boxes=boxes,
        arrows=arrows,
        width=_BOX_WIDTH + 40,
        height=height,
    )


def _area_name(policy: Policy, area: str | None) -> str:
    if area is None:
        return "Every area"
    for partnership in policy.partnerships:
        if partnership.id == area:
            return partnership.area
    return area


def _in_force(policy: Policy) -> str:
    """The days this version is in force, as its file says."""
    text = f"effective from {policy.effective_from.isoformat()}"
    if policy.effective_until is not None:
        text += f" to {policy.effective_until.isoformat()}"
    if policy.applies_to_open_cases:
        text += ", and applies to the cases still open on that day"
    return text


def _further(policy: Policy) -> list[Rule]:
    """The policy-wide rules outside the ladders: action plans, due soon, who else is told."""
    rules = []
    if policy.action_plan is not None:
        rules.append(
            Rule(
                "action-plan",
                "action_plan",
                "Reviewing an agreed action plan",
                _wording.action_plan(policy, policy.action_plan),
                _cite(policy, policy.action_plan.clause),
            )
        )
    if policy.due_soon is not None:
        rules.append(
            Rule(
                "due-soon",
                "due_soon",
                "When an action is due soon",
                _wording.due_soon(policy.due_soon, "policy"),
                _cite(policy, None),
            )
        )
    told = _wording.line_managers(policy)
    if told is not None:
        rules.append(
            Rule(
                "line-managers",
                "tell_line_managers",
                "Who else is told",
                told,
                _cite(policy, None),
            )
        )
    return rules


def document(policy: Policy) -> dict[str, Any]:
    """Everything the templates show, in the order they show it."""
    ladders = [_ladder(policy, "The ladder", (), policy.stages)]
    ladders += [
        _ladder(policy, f"Track: {t.name}", t.natures, t.stages, t.due_soon) for t in policy.tracks
    ]
    areas: dict[str | None, list[Any]] = {}
    for contact in policy.contacts:
        areas.setdefault(contact.area, []).append(contact)
    return {
        "policy": policy,
        "digest": policy_digest(policy),
        "in_force": _in_force(policy),
        "protects": _wording.listing(policy.protects),
        "sources": policy.sources,
        "scope": {
            "applies_when": policy.scope.applies_when,
            "clause": _cite(policy, policy.scope.applies_clause)
            if policy.scope.applies_clause
            else None,
            "exclusions": [
                Rule(
                    kind="exclusion",
                    id=e.id,
                    title="Not for: " + _wording.listing(n.replace("_", " ") for n in e.natures),
                    statement=e.instead,
                    clause=_cite(policy, e.clause),
                )
                for e in policy.scope.exclusions
            ],
        },
        "ladders": ladders,
        "fallbacks": [
            Rule(
                "fallback",
                f.id,
                f"Fallback for {_wording.the(_wording.role(policy, f.role))}",
                _wording.fallback(policy, f),
                _cite(policy, f.clause),
            )
            for f in policy.fallbacks
        ],
        "urgency": [
            Rule(
                "urgency",
                u.id,
                "Urgent cases",
                _wording.urgency(policy, u),
                _cite(policy, u.clause),
            )
            for u in policy.urgency
        ],
        "agreed_timescales": policy.agreed_timescales.value,
        "duties": [
            Rule(
                "duty",
                d.id,
                d.id.replace("-", " ").capitalize(),
                _wording.duty(policy, d),
                _cite(policy, d.clause),
            )
            for d in policy.duties
        ],
        "further": _further(policy),
        "contacts": [
            {"area": _area_name(policy, area), "contacts": found} for area, found in areas.items()
        ],
        "forms": [{"form": form, "clause": _cite(policy, form.clause)} for form in policy.forms],
        "topics": policy.topics,
        "guidance": [
            {"guidance": item, "clause": _cite(policy, item.clause)} for item in policy.guidance
        ],
        "gaps": [
            {
                "kind": GAP_KINDS[g.kind.value if g.kind else UNCLASSIFIED],
                "where": where(g) or "(the whole policy)",
                "text": g.text,
            }
            for g in policy.gaps
        ],
        "gap_counts": ", ".join(
            f"{n} {GAP_KINDS[kind].lower()}" for kind, n in policy.gap_counts().items() if n
        ),
        "clauses": [_cite(policy, clause.id) for clause in policy.clauses],
        "mermaid": mermaid(policy),
    }


# --- the templates ----------------------------------------------------------------------


def _md_cell(text: object) -> str:
    """Text safe in one Markdown table cell or list item: one line, no stray pipes, no HTML.

    Markdown passes raw HTML through (MyST included), so ``<`` is written as
    ``&lt;``: a policy's text shows as text, never as a tag or a script.
    """
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


@functools.cache
def _environment() -> Any:  # noqa: ANN401 - jinja2 is optional: no type to name here
    try:
        import jinja2  # noqa: PLC0415 - the render extra is optional
    except ImportError:
        raise MissingExtra(
            feature="challenge-rules render", extra="render", missing="Jinja2"
        ) from None
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("challenge_rules", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "svg.j2")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["md"] = _md_cell
    return environment


def render(policy: Policy, fmt: Format = "html") -> str:
    """The sign-off document of ``policy``, as HTML or Markdown text."""
    if fmt not in _TEMPLATES:
        msg = f"no format {fmt!r} (expected one of: {', '.join(FORMATS)})"
        raise ValueError(msg)
    template = _environment().get_template(_TEMPLATES[fmt])
    text: str = template.render(**document(policy))
    return text


__all__ = [
    "FORMATS",
    "Arrow",
    "Box",
    "Cite",
    "Format",
    "Ladder",
    "Rule",
    "document",
    "render",
]
