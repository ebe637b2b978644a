"""Plain-English wording of a policy's rules, shared by `render` and `policydiff`.

Each rule shape (a timescale, an actor, a trigger, a stage, a duty, a fallback,
an urgency rule, ...) is said by one small function here, so the sign-off
document and the description of a change between two versions use the same
words for the same rule.  Every function takes the `Policy` the rule belongs
to only to turn ids into the names a reader knows (a role's name, a sector's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from challenge_rules.calendar import Firmness, Governs, Timescale, Unit
from challenge_rules.policy import (
    ActionPlanReview,
    Actor,
    Anchor,
    DueSoon,
    Duty,
    Escalation,
    EventMatch,
    Fallback,
    Policy,
    Route,
    RouteWhen,
    Side,
    Stage,
    Step,
    Subject,
    Trigger,
    TriggerKind,
    UrgencyRule,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

ANCHORS: Final = {
    Anchor.CONCERN: "from when the concern arose",
    Anchor.STAGE_ENTERED: "from the start of the stage",
    Anchor.PREVIOUS_STAGE_CONCLUDED: "from the end of the previous stage",
    Anchor.ESCALATED: "from being notified of the escalation",
    Anchor.DECISION: "from the disputed decision",
    Anchor.DECISION_RECEIVED: "from receiving the disputed decision",
    Anchor.IDENTIFIED: "from identifying the concern",
    Anchor.INITIAL_DISCUSSION: "from the initial discussion",
    Anchor.EVENT: "from the event that starts it",
}
SIDES: Final = {
    Side.RAISING: "of the agency that raised the concern",
    Side.RECEIVING: "of the agency whose decision is challenged",
    Side.EACH: "of each agency",
    Side.PARTNERSHIP: "of the partnership",
}
_TRIGGERS: Final = {
    TriggerKind.CONCERN_RAISED: "when the concern is raised",
    TriggerKind.STAGE_ENTERED: "when {stages} begins",
    TriggerKind.STAGE_CONCLUDED: "when {stages} ends",
    TriggerKind.STAGE_RESOLVED: "when {stages} ends resolved",
    TriggerKind.STAGE_UNRESOLVED: "when {stages} ends unresolved",
    TriggerKind.EVENT: "after {event}",
}


def listing(items: Iterable[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def name_of(items: Iterable[object], wanted: str) -> str:
    """The name of the item with id ``wanted`` (``wanted`` itself if there is none)."""
    for item in items:
        if getattr(item, "id", None) == wanted:
            return str(getattr(item, "name", wanted))
    return wanted


def role(policy: Policy, role_id: str) -> str:
    """A role's name (its id if the policy has no such role)."""
    return name_of(policy.roles, role_id)


def the(name: str) -> str:
    """*the Line manager*; a name that begins with *The* keeps its own article."""
    return name if name.lower().startswith("the ") else f"the {name}"


def stage_name(policy: Policy, stage_id: str) -> str:
    """A stage's name (its id if the policy has no such stage)."""
    return name_of(policy.all_stages(), stage_id)


def reading(
    policy: Policy, value: Timescale | None, stage_id: str | None = None
) -> Timescale | None:
    """``value`` as ``policy`` reads it (its defaults, and the firmness of ``stage_id``'s track)."""
    if value is None:
        return None
    firmness = None
    if stage_id is not None:
        for track in policy.tracks:
            if any(s.id == stage_id for s in track.stages):
                firmness = track.firmness
    return policy.timescale_defaults.read(value, firmness)


def timescale(
    value: Timescale | None,
    anchor: Anchor | None = None,
    match: EventMatch | None = None,
    otherwise: Anchor | None = None,
) -> str:
    """*within 5 working days from the start of the stage*, *immediately*, ...

    ``match`` is the event an ``event`` anchor names; ``otherwise`` what the clock
    counts from when the case does not give ``anchor``'s moment.
    """
    if value is None:
        return "with no timescale in the source"
    text = _how_long(value)
    if value.firmness is Firmness.INDICATIVE:
        text += " (a guideline)"
    if anchor is None or value.unit in {Unit.IMMEDIATELY, Unit.SAME_DAY, Unit.WITHOUT_DELAY}:
        return text
    if value.alternative is not None and value.governs is not Governs.FIRST:
        text += ","  # "..., whichever is later, from the start of the stage"
    text += f" from {event(match)}" if anchor is Anchor.EVENT and match else f" {ANCHORS[anchor]}"
    if otherwise is not None and otherwise is not anchor:
        text += f" (or, where the case does not record that, {ANCHORS[otherwise]})"
    return text


def _how_long(value: Timescale) -> str:
    if value.unit is Unit.WITHOUT_DELAY:
        if value.expect_within is None:
            return "without delay"
        return f"without delay (the policy expects within {value.expect_within})"
    if value.unit is Unit.IMMEDIATELY:
        if value.tolerance is None:
            return "immediately"
        return f"immediately (within {value.tolerance})"
    if value.unit is Unit.SAME_DAY and value.alternative is None:
        return "on the same working day"
    return f"within {value}"


def actor(policy: Policy, who: Actor) -> str:
    """*the Line manager of the agency that raised the concern*."""
    return f"{the(role(policy, who.role))} {SIDES[who.side]}"


def event(match: EventMatch) -> str:
    """*a record made event (record: childs_record)*."""
    kind = match.kind.replace("_", " ")
    text = f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} event"
    if match.where:
        conditions = "; ".join(
            f"{key}: {value if not isinstance(value, tuple) else ' or '.join(value)}"
            for key, value in sorted(match.where.items())
        )
        text += f" ({conditions})"
    return text


def trigger(policy: Policy, when: Trigger) -> str:
    """*when Step 1 ends*, *after a meeting held event (meeting: resolution)*."""
    stages = listing((stage_name(policy, s) for s in when.stages), "or") or "any stage"
    happening = event(when.event) if when.event is not None else "a matching event"
    return _TRIGGERS[when.on].format(stages=stages, event=happening)


def stage(policy: Policy, rule: Stage) -> str:
    """What a stage demands, as one sentence."""
    leads = listing(actor(policy, a) for a in rule.participants)
    when = timescale(
        reading(policy, rule.timescale, rule.id),
        rule.counts_from,
        rule.counts_from_event,
        rule.counts_from_fallback,
    )
    text = f"{leads[0].upper()}{leads[1:]} must, {when}: "
    text += rule.action
    if rule.optional:
        text += " (This stage may be passed over.)"
    if rule.steps:
        text += " In steps: " + "; ".join(_step(policy, rule, n) for n in range(len(rule.steps)))
        text += "."
    if rule.may_close_without_agreement:
        text += " The parties may close the case here without agreeing; going on is a choice."
    return text


def step(policy: Policy, rule: Step) -> str:
    """A step on its own, without its stage: *within 5 working days of step a being done: ...*."""
    when = timescale(rule.timescale)
    if rule.timescale is not None and rule.after is not None:
        when += f" of step {rule.after} being done"
    elif rule.timescale is not None:
        when += (
            " of the step before it being done (the first step: from where the stage clock starts)"
        )
    who = ""
    if rule.participants:
        who = ", by " + listing(actor(policy, a) for a in rule.participants)
    text = f"{when[0].upper()}{when[1:]}{who}: {rule.action}"
    if rule.done_by is not None:
        text += f" Also done when the case history records {event(rule.done_by)}."
    return text


def route_when(policy: Policy | None, when: RouteWhen | None) -> str:
    """*where the risk is assessed as At risk of significant harm*, *otherwise*.

    Without ``policy``, risk levels are named by their ids.
    """
    if when is None:
        return "otherwise"
    parts = []
    if when.risks:
        levels = policy.risk_levels if policy is not None else ()
        risks = listing((name_of(levels, r) for r in when.risks), "or")
        parts.append(f"the risk is assessed as {risks} while the stage is open")
    if when.natures:
        natures = listing((n.replace("_", " ") for n in when.natures), "or")
        parts.append(f"the concern is about {natures}")
    if when.subjects:
        parts.append(
            "the concern is about " + listing((SUBJECT_WORDS[s] for s in when.subjects), "or")
        )
    return "where " + listing(parts) if parts else "always"


def route(policy: Policy, rule: Route, at: Stage | None = None) -> str:
    """One way a stage's work goes: its condition and what it changes.

    With the stage ``at``, the route is said in full (what it leaves out is the
    stage's); without it, only what the route itself says.
    """
    condition = route_when(policy, rule.when)
    participants = rule.participants or (at.participants if at is not None else ())
    value = rule.timescale or (at.timescale if at is not None else None)
    stage_id = at.id if at is not None else None
    if participants:
        leads = listing(actor(policy, a) for a in participants)
    else:
        leads = "those taking part in the stage"
    if value is not None or at is not None:
        anchor = at.counts_from if at is not None else None
        when = timescale(reading(policy, value, stage_id), anchor)
    else:
        when = "within the stage's timescale"
    action = rule.action or (at.action if at is not None else "the stage's action")
    text = f"{condition[0].upper()}{condition[1:]}, {leads} must, {when}: {action}"
    if at is None:
        return text
    kept = [
        name
        for name, own in (
            ("action", rule.action),
            ("timescale", rule.timescale),
            ("participants", rule.participants),
        )
        if not own
    ]
    if len(kept) == 3:
        return f"{text} This route is the stage as it stands."
    if kept:
        return f"{text} This route keeps the stage's own {listing(kept)}."
    return text


def action_plan(policy: Policy, rule: ActionPlanReview) -> str:
    """What the policy asks once an action plan is agreed."""
    who = listing(actor(policy, a) for a in rule.who) or (
        "those who took part in the stage it was agreed at"
    )
    return (
        f"Once an action plan is agreed, {who} must, by the follow-up date it sets: "
        f"{rule.action} It is done when the case history records an action plan reviewed event."
    )


NOTIFIED: Final = {
    "appeared": "becomes due",
    "due_soon": "becomes due soon",
    "breached": "is late",
    "done": "is done",
}
"""How each change to an action `Policy.tell_line_managers` names is said."""


def line_managers(policy: Policy) -> str | None:
    """Who else is told of changes to an action (``None``: only those it falls on)."""
    if not policy.tell_line_managers:
        return None
    changes = listing((NOTIFIED[c] for c in policy.tell_line_managers), "or")
    text = f"When an action {changes}, the line managers of those it falls on are told too"
    managed = [
        f"{the(r.name)} by {the(role(policy, r.line_manager))}"
        for r in policy.roles
        if r.line_manager is not None
    ]
    if managed:
        return f"{text}: {listing(managed)}."
    return f"{text}; no role names its line manager."


DUE_SOON_LEVELS: Final = {
    "stage": "this stage's actions count",
    "track": "this track's actions count, where their stage does not say otherwise,",
    "policy": "an action counts, where its stage and track do not say otherwise,",
}
"""Whose window a `DueSoon` is, as `due_soon` says it."""


def window(rule: DueSoon) -> str:
    """*the last 2 working days before it is due*."""
    return f"the last {rule.before} before it is due"


def due_soon(rule: DueSoon, level: str) -> str:
    """When an action counts as due soon, at a stage, a track or the whole policy."""
    return f"Due soon: {DUE_SOON_LEVELS[level]} as due soon in {window(rule)}."


def _step(policy: Policy, rule: Stage, n: int) -> str:
    """One step of a stage: *then, within 5 working days of the step before: ...*."""
    step = rule.steps[n]
    when = timescale(reading(policy, step.timescale, rule.id))
    if step.timescale is not None:
        if n == 0 and step.after is None:
            when += " from the start of the stage"
        else:
            before = step.after or rule.steps[n - 1].id
            when += f" of step {before} being done"
    action = step.action.rstrip(".")
    return f"{'first' if n == 0 else 'then'} ({step.id}), {when}: {action}"


def escalation(policy: Policy, rule: Escalation, following: str | None) -> str:
    """What happens when a stage ends unresolved."""
    text = f"If unresolved, {actor(policy, rule.by)} must"
    if rule.timescale is not None:
        read = reading(policy, rule.timescale)
        clock = timescale(read, rule.counts_from, rule.counts_from_event, rule.counts_from_fallback)
        text += f", {clock}"
    text += f": {rule.action}"
    if following is not None:
        text += f" The case goes to {following}."
    return text


SUBJECT_WORDS: Final = {
    Subject.CHILD: "a child",
    Subject.ADULT: "an adult",
    Subject.ADULT_AT_RISK: "an adult at risk",
}
"""How a concern's subject is said in a sentence."""


def duty(policy: Policy, rule: Duty) -> str:
    """What a duty demands, of whom, when, and what shows it was done."""
    when = trigger(policy, rule.trigger)
    who = "whoever takes part in the stage" if rule.who is None else actor(policy, rule.who)
    text = f"{when[0].upper()}{when[1:]}, {who} must, "
    read = reading(policy, rule.timescale)
    clock = timescale(read, rule.counts_from, rule.counts_from_event, rule.counts_from_fallback)
    text += f"{clock}: {rule.action} "
    text += f"It is done when the case history records {event(rule.discharged_by)}."
    if rule.lapses is not None:
        text += " It is no longer required once the stage concludes."
    if rule.subjects:
        about = listing((SUBJECT_WORDS[s] for s in rule.subjects), "or")
        text += f" Only for a concern about {about}."
    return text


def fallback(policy: Policy, rule: Fallback) -> str:
    """Who acts when the usual person cannot."""
    when, then = rule.when, rule.then
    who = the(role(policy, rule.role))
    if rule.side is not None:
        who += f" {SIDES[rule.side]}"
    sectors = ""
    if when.sectors:
        sectors = " in " + listing((name_of(policy.sectors, s) for s in when.sectors), "or")
    if when.also_holds is not None:
        condition = f"If {who} is also {the(role(policy, when.also_holds))}{sectors}"
    elif when.absent:
        condition = f"If {who} is away{sectors}"
    else:
        condition = f"For {who}{sectors}"
    effects = []
    if then.substitutes:
        names = listing((the(role(policy, r)) for r in then.substitutes), "or, failing that,")
        effects.append(f"turn to {names}")
    if then.seek_support_from:
        names = listing((the(role(policy, r)) for r in then.seek_support_from), "or")
        effects.append(f"seek support from {names}")
    where = ""
    if rule.stages:
        where = " (at " + listing(stage_name(policy, s) for s in rule.stages) + ")"
    return f"{condition}{where}: " + ("; ".join(effects) or "the source names no one else") + "."


def urgency(policy: Policy, rule: UrgencyRule) -> str:
    """What changes when a case is assessed at a level of risk."""
    risks = listing((name_of(policy.risk_levels, r) for r in rule.risks), "or")
    parts = [
        f"{actor(policy, a.who)[0].upper()}{actor(policy, a.who)[1:]} must at once: {a.action}"
        for a in rule.immediate_actions
    ]
    if rule.timescale is not None:
        at = listing(stage_name(policy, s) for s in rule.stages) or "every stage"
        parts.append(f"The timescales of {at} shorten to {timescale(rule.timescale)}.")
    if rule.skip_to is not None:
        parts.append(f"The case may go straight to {stage_name(policy, rule.skip_to)}.")
    if rule.note:
        parts.append(rule.note)
    return f"If the risk is assessed as {risks}: " + " ".join(parts or ["treat it as urgent."])


__all__ = [
    "ANCHORS",
    "DUE_SOON_LEVELS",
    "NOTIFIED",
    "SIDES",
    "action_plan",
    "actor",
    "due_soon",
    "duty",
    "escalation",
    "event",
    "fallback",
    "line_managers",
    "listing",
    "reading",
    "role",
    "route",
    "route_when",
    "stage",
    "stage_name",
    "step",
    "the",
    "timescale",
    "trigger",
    "urgency",
    "window",
]
