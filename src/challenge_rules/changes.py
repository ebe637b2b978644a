"""What changed between two evaluations of one case, so each change is notified once.

A case system evaluates a case, keeps the result, and evaluates it again
after new events or later in time. `changes` compares the two and lists each
action that **appeared** (newly required), became **due soon** (entered the
policy's due-soon window), **breached** (newly late) or was **done** (no
longer required), with who to tell: the action's addressees, after the
policy's role fallbacks, and where the policy says so (``tell_line_managers``
and each role's ``line_manager``) their line managers. Each change has a `Change.key` that is
unique among the changes of one comparison and the same whenever the same
change is found again, so a case system that records the keys it has sent
notifies each change exactly once.

`changes` is a pure function of the two evaluations (and the policy, for the
line managers): it reads no clock and keeps no state.

>>> from challenge_rules import evaluate, load_history, shipped_policy
>>> from datetime import datetime, timedelta
>>> history = load_history("examples/cases/pan-cheshire-step1-overdue.json")
>>> policy = shipped_policy(history.policy)
>>> before = evaluate(policy, history, datetime.fromisoformat("2026-06-09T09:00:00+01:00"))
>>> changes(before, before)
()
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from attrs import frozen

from challenge_rules.calendar import Deadline
from challenge_rules.converter import default_converter
from challenge_rules.errors import InvalidEvaluations, Problem
from challenge_rules.evaluation import Action, ActionKind, Addressee, Breach, Citation, Evaluation

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cattrs import Converter

    from challenge_rules.policy import Policy

SCHEMA_ID = "https://challenge-rules.readthedocs.io/schemas/changes.schema.json"


class ChangeKind(enum.StrEnum):
    """How an action changed between two evaluations."""

    APPEARED = "appeared"
    """Required now, and not before."""
    DUE_SOON = "due_soon"
    """Due soon now (in the policy's due-soon window), and not before: a warning ahead of a
    breach. An action that appears already due soon is both appeared and due soon."""
    BREACHED = "breached"
    """Late now, and not before."""
    DONE = "done"
    """Required before, and not now: done, or no longer asked for (e.g. the case closed)."""


@frozen
class Change:
    """One action that appeared, became a breach, or was done."""

    change: ChangeKind
    action: str
    """The action's stable id (see `challenge_rules.evaluation.Action.id`)."""
    kind: ActionKind
    what: str
    who: tuple[Addressee, ...]
    """Who to tell: the addressees of the action."""
    why: Citation
    due: Deadline | None = None
    stage: str | None = None
    line_managers: tuple[Addressee, ...] = ()
    """Who to tell as well: the addressees' line managers, where the policy says so for
    this kind of change (empty otherwise, and when no policy was given)."""

    @property
    def key(self) -> str:
        """``<change>:<action id>``: notify once per key."""
        return f"{self.change}:{self.action}"


@frozen
class Changes:
    """Every change between two evaluations of one case, in a stable order."""

    reference: str
    policy: str
    before: Evaluation
    after: Evaluation
    changes: tuple[Change, ...]


def _line_managers(policy: Policy, who: tuple[Addressee, ...]) -> tuple[Addressee, ...]:
    """The line managers of ``who`` the policy names, each once, leaving out any in ``who``."""
    roles = {role.id: role for role in policy.roles}
    told = {(a.role, a.side, a.agency) for a in who}
    found: list[Addressee] = []
    for addressee in who:
        role = roles.get(addressee.role)
        manager = None if role is None else role.line_manager
        if manager is None:
            continue
        key = (manager, addressee.side, addressee.agency)
        if key not in told:
            told.add(key)
            name = roles[manager].name if manager in roles else manager
            found.append(Addressee(manager, name, addressee.side, addressee.agency))
    return tuple(found)


def _of(change: ChangeKind, item: Action | Breach, policy: Policy | None) -> Change:
    managers: tuple[Addressee, ...] = ()
    if policy is not None and change.value in policy.tell_line_managers:
        managers = _line_managers(policy, item.who)
    return Change(
        change=change,
        action=item.id,
        kind=item.kind,
        what=item.what,
        who=item.who,
        why=item.why,
        due=item.due,
        stage=item.stage,
        line_managers=managers,
    )


def _mismatch(before: Evaluation, after: Evaluation, policy: Policy | None) -> Iterable[Problem]:
    if before.reference != after.reference:
        yield Problem(
            message="the two evaluations are of different cases",
            path=("reference",),
            expected=f'the same reference in both (before: "{before.reference}")',
            hint="compare two evaluations of one case",
        )
    if before.policy != after.policy:
        yield Problem(
            message="the two evaluations are under different policies",
            path=("policy",),
            expected=f'the same policy in both (before: "{before.policy}")',
            hint="action ids are stable only under one policy",
        )
    elif policy is not None and policy.id != after.policy:
        yield Problem(
            message=f'the evaluations are under policy "{after.policy}", not "{policy.id}"',
            path=("policy",),
            expected=f'evaluations under "{policy.id}"',
            hint="give the policy the case was evaluated under",
        )
    if after.as_of < before.as_of:
        yield Problem(
            message="the 'after' evaluation is earlier than the 'before' one",
            path=("as_of",),
            expected=f"at or after {before.as_of.isoformat()}",
            hint="swap the two evaluations",
        )


def changes(
    before: Evaluation, after: Evaluation, *, policy: Policy | None = None
) -> tuple[Change, ...]:
    """The actions that appeared, became due soon, breached or were done between the two.

    Appeared changes come first, then due soon, then breached, then done; within each, in the
    order the evaluation lists them (``after``'s, or ``before``'s for done).
    ``policy`` is the policy the two were evaluated under: with it, each change
    also names the addressees' line managers where the policy says so. Raises
    `challenge_rules.errors.InvalidInput` (every problem, located by a JSON
    pointer into ``after``) if the two are not of one case under one policy
    (or under another than ``policy``), or ``after`` is earlier than ``before``.
    """
    problems = tuple(_mismatch(before, after, policy))
    if problems:
        raise InvalidEvaluations(problems=problems)
    had = {action.id for action in before.actions}
    has = {action.id for action in after.actions}
    late = {breach.id for breach in before.breaches}
    soon = {action.id for action in before.actions if action.due_soon}
    appeared = [_of(ChangeKind.APPEARED, a, policy) for a in after.actions if a.id not in had]
    due_soon = [
        _of(ChangeKind.DUE_SOON, a, policy)
        for a in after.actions
        if a.due_soon and a.id not in soon
    ]
    breached = [_of(ChangeKind.BREACHED, b, policy) for b in after.breaches if b.id not in late]
    done = [_of(ChangeKind.DONE, a, policy) for a in before.actions if a.id not in has]
    return (*appeared, *due_soon, *breached, *done)


def compare(before: Evaluation, after: Evaluation, *, policy: Policy | None = None) -> Changes:
    """`changes`, with the case, the policy and both evaluations alongside."""
    return Changes(
        reference=after.reference,
        policy=after.policy,
        before=before,
        after=after,
        changes=changes(before, after, policy=policy),
    )


def render_text(result: Changes) -> str:
    """One line per change, for people: the key, what, and who to tell."""
    head = (
        f"{result.reference} ({result.policy}): {len(result.changes)} change"
        f"{'' if len(result.changes) == 1 else 's'} from {result.before.as_of.isoformat()} "
        f"to {result.after.as_of.isoformat()}"
    )
    lines = [head]
    for change in result.changes:
        due = f" (due {change.due.at.isoformat()})" if change.due is not None else ""
        tell = "; ".join(str(a) for a in (*change.who, *change.line_managers)) or "no one named"
        lines.append(f"  {change.key}: {change.what}{due}; tell: {tell}")
    return "\n".join(lines) + "\n"


def to_json(result: Changes, *, converter: Converter | None = None) -> dict[str, Any]:
    """The comparison as JSON-ready data (see ``schemas/changes.schema.json``)."""
    unstructure = (converter or default_converter()).unstructure
    return {
        "reference": result.reference,
        "policy": result.policy,
        "before": result.before.as_of.isoformat(),
        "after": result.after.as_of.isoformat(),
        "changes": [{"key": change.key, **unstructure(change)} for change in result.changes],
    }


__all__ = [
    "SCHEMA_ID",
    "Change",
    "ChangeKind",
    "Changes",
    "changes",
    "compare",
    "render_text",
    "to_json",
]
