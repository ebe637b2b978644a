"""What changed between two versions of a policy, rule by rule, in plain words.

`diff` walks the two `Policy` values field by field, as attrs declares them,
so a field added to the model is compared the day it is added, never silently
ignored.  Lists of things with an id (stages, duties, clauses, contacts, gaps,
...; an older-form gap by its pointer) are matched by that id, not by
position, so inserting a stage reports one stage added, not every later stage
changed.  A few shapes
are compared whole and said in words by a table of small functions
(`Timescale`: *from 5 working days to 3 working days*; `Actor`, `EventMatch`);
everything else is recursed into.

Each `Change` names where it is twice: a stable ``path`` of field names and
ids (``("stages", "step-2", "timescale")``) and JSON pointers into the old and
the new file (``/stages/1/timescale``).

>>> from attrs import evolve
>>> from challenge_rules import Timescale, shipped_policy
>>> old = shipped_policy("hips")
>>> step = old.stages[1]
>>> new = evolve(old, stages=(old.stages[0], evolve(step, timescale=Timescale("working_days", 1)),
...     *old.stages[2:]))
>>> print(render_text(diff(old, new)))
hips 2024.1 -> hips 2024.1: 1 change
  /stages/1/timescale: stage "stage-2" (Stage 2: Inter-agency discussion): timescale changed from 2 working days to 1 working day
>>> diff(old, old).changes
()
"""  # noqa: E501

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import attrs
from attrs import frozen
from cattrs import Converter

from challenge_rules import _wording
from challenge_rules.calendar import Timescale
from challenge_rules.converter import default_converter
from challenge_rules.errors import pointer_join
from challenge_rules.policy import (
    ActionPlanReview,
    Actor,
    Clause,
    Contact,
    DueSoon,
    Duty,
    EventMatch,
    Fallback,
    Gap,
    Policy,
    Route,
    RouteWhen,
    Stage,
    Step,
    UrgencyRule,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ChangeKind = Literal["added", "removed", "changed", "reordered"]


@frozen
class Change:
    """One difference between two policies."""

    kind: ChangeKind
    path: tuple[str, ...]
    """Field names and element ids from the policy down: stable across reordering."""
    what: str
    """The change in plain words."""
    old_pointer: str | None
    """A JSON pointer into the old policy (``None``: the thing is new)."""
    new_pointer: str | None
    """A JSON pointer into the new policy (``None``: the thing was removed)."""
    old: Any = None
    """The old value as JSON data (``None`` for an addition)."""
    new: Any = None
    """The new value as JSON data (``None`` for a removal)."""

    @property
    def pointer(self) -> str:
        """Where it is: in the new policy, or in the old one for a removal."""
        return self.new_pointer if self.new_pointer is not None else str(self.old_pointer)

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.what}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data, as ``challenge-rules diff --format json`` prints it."""
        return {
            "kind": self.kind,
            "path": list(self.path),
            "pointer": self.pointer,
            "old_pointer": self.old_pointer,
            "new_pointer": self.new_pointer,
            "what": self.what,
            "old": self.old,
            "new": self.new,
        }


@frozen
class PolicyDiff:
    """Every change from one policy to another, in the order of the policy's fields."""

    old_id: str
    old_version: str
    new_id: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def same(self) -> bool:
        """Whether the two policies say exactly the same."""
        return not self.changes


# --- values in words ---------------------------------------------------------------


def _actor_words(value: Actor) -> str:
    return f"{value.role} ({value.side.value})"


# Shapes compared as a whole, and how each is said.
_WHOLE: Final[dict[type, Callable[[Any], str]]] = {
    Timescale: str,
    Actor: _actor_words,
    EventMatch: _wording.event,
    DueSoon: _wording.window,
    RouteWhen: lambda v: _wording.route_when(None, v),
}


# How each other kind of plain value is said; the first whose type matches says it.
_PLAIN: Final[tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...]] = (
    (type(None), lambda _: "none"),
    (bool, lambda v: "yes" if v else "no"),
    (enum.Enum, lambda v: str(v.value)),
    (date, lambda v: v.isoformat()),
    (str, lambda v: f'"{v}"'),
    (tuple, lambda v: ", ".join(words(item) for item in v) or "none"),
    (dict, lambda v: "; ".join(f"{k}: {words(x)}" for k, x in v.items()) or "none"),
)


def _fields(value: object) -> tuple[attrs.Attribute[Any], ...]:
    """The attrs fields of ``value``'s class (which the caller checked is an attrs class)."""
    return tuple(attrs.fields(cast("Any", type(value))))


def words(value: object) -> str:
    """A value as a reader would say it."""
    for kind, say in (*_WHOLE.items(), *_PLAIN):
        if isinstance(value, kind):
            return say(value)
    key = _key_of(value)
    if key is not None:
        return f'"{key}"'
    if attrs.has(type(value)):
        return "; ".join(
            f"{_field_words(f.name)}: {words(getattr(value, f.name))}" for f in _fields(value)
        )
    return str(value)


# What an element of a list is called, by class; the default is its class name in words.
_NOUNS: Final[dict[str, str]] = {
    "UrgencyRule": "urgency rule",
    "RiskLevel": "risk level",
    "FormField": "form field",
    "ImmediateAction": "immediate action",
}
# Fields whose name, with spaces for underscores, would not read well.
_FIELDS: Final[dict[str, str]] = {
    "on_unresolved": "escalation when unresolved",
    "counts_from": "what the clock counts from",
    "discharged_by": "what shows it was done",
    "applies_when": "when it applies",
    "applies_clause": "the clause saying when it applies",
    "final_note": "the note on where the ladder ends",
    "skip_to": "the stage it may skip to",
    "also_holds": "the other role held",
    "seek_support_from": "roles to seek support from",
    "redirect_to": "the procedure it redirects to",
    "effective_from": "effective from",
    "agreed_timescales": "timescales agreed for a case",
    "due_soon": "due-soon window",
    "may_close_without_agreement": "whether the case may close here without agreement",
    "counts_from_fallback": "what the clock counts from when the case does not say",
    "tell_line_managers": "the changes line managers are told of",
    "action_plan": "the action-plan review",
    "addressed_to": "whom it falls on",
    "when": "its condition",
}
# The fields an element of a list is matched by, the first one set; "id" where a class has
# one (a gap in the older form has no id, only its pointer).
_KEYS: Final[dict[type, tuple[str, ...]]] = {Gap: ("id", "pointer")}


def _noun(value: object) -> str:
    name = type(value).__name__
    return _NOUNS.get(name, name.lower())


def _field_words(name: str) -> str:
    return _FIELDS.get(name, name.replace("_", " "))


def _key_of(value: object) -> str | None:
    if not attrs.has(type(value)):
        return None
    for field_name in _KEYS.get(type(value), ("id",)):
        key = getattr(value, field_name, None)
        if isinstance(key, str):
            return key
    return None


# What is said of an element added or removed, by class; the default is its name or title.
def _stage_summary(policy: Policy, value: Stage) -> str:
    return f"{value.name}: {_wording.stage(policy, value)}"


_SUMMARIES: Final[dict[type, Callable[[Policy, Any], str]]] = {
    Stage: _stage_summary,
    Duty: _wording.duty,
    Fallback: _wording.fallback,
    UrgencyRule: _wording.urgency,
    Route: _wording.route,
    Step: _wording.step,
    ActionPlanReview: _wording.action_plan,
    Clause: lambda _, c: f"{c.section}" + (f': "{c.quote}"' if c.quote else ""),
    Contact: lambda _, c: f"{c.name} ({c.purpose}" + (f", {c.area})" if c.area else ")"),
    Gap: lambda _, g: g.text,
}


def _summary(policy: Policy, value: object) -> str:
    for kind, say in _SUMMARIES.items():
        if isinstance(value, kind):
            return say(policy, value)
    for name in ("name", "title", "label", "action", "text", "instead"):
        found = getattr(value, name, None)
        if isinstance(found, str):
            return found
    return words(value)


# --- the walk --------------------------------------------------------------------------


@frozen
class _Where:
    old: tuple[str | int, ...] = ()
    new: tuple[str | int, ...] = ()
    path: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def field(self, name: str) -> _Where:
        return _Where(
            (*self.old, name), (*self.new, name), (*self.path, name), (*self.labels, name)
        )

    def element(self, key: str, old_index: int, new_index: int, label: str) -> _Where:
        # The label replaces the collection's field name: 'stage "step-2"', not 'stages'.
        return _Where(
            (*self.old, old_index),
            (*self.new, new_index),
            (*self.path, key),
            (*self.labels[:-1], label),
        )

    def prefix(self) -> str:
        """The labels down to (not including) the last field, as a reader's "where"."""
        return ", ".join(_field_words(label) for label in self.labels[:-1])

    def last(self) -> str:
        return _field_words(self.labels[-1]) if self.labels else "the policy"


def _label(value: object, key: str) -> str:
    label = f'{_noun(value)} "{key}"'
    name = getattr(value, "name", None)
    return f"{label} ({name})" if isinstance(name, str) else label


def _sentence(where: _Where, text: str) -> str:
    prefix = where.prefix()
    return f"{prefix}: {text}" if prefix else text[0].upper() + text[1:]


@attrs.define
class _Walk:
    old_policy: Policy
    new_policy: Policy
    converter: Converter
    """Says each old and new value as JSON data, as the policy file has it."""
    changes: list[Change] = attrs.field(factory=list)

    def plain(self, value: object) -> Any:  # noqa: ANN401 - JSON data of any shape
        return self.converter.unstructure(value)

    @staticmethod
    def said(policy: Policy, value: object) -> str:
        """A whole rule added or removed (not in a list), as its own words say it."""
        return _summary(policy, value) if type(value) in _SUMMARIES else words(value)

    def value(self, old: object, new: object, where: _Where) -> None:
        if old == new:
            return
        if type(old) is type(new) and attrs.has(type(old)) and type(old) not in _WHOLE:
            for f in _fields(old):
                self.value(getattr(old, f.name), getattr(new, f.name), where.field(f.name))
            return
        if isinstance(old, tuple) and isinstance(new, tuple) and _keyed(old + new):
            self.elements(old, new, where)
            return
        self.changed(old, new, where)

    def changed(self, old: object, new: object, where: _Where) -> None:
        name = where.last()
        if old is None or old == ():
            text = f"{name} added: {self.said(self.new_policy, new)}"
        elif new is None or new == ():
            text = f"{name} removed (was {self.said(self.old_policy, old)})"
        elif isinstance(old, tuple) and isinstance(new, tuple) and set(old) != set(new):
            gone = [words(x) for x in old if x not in new]
            came = [words(x) for x in new if x not in old]
            parts = [f"added {', '.join(came)}"] * bool(came) + [
                f"removed {', '.join(gone)}"
            ] * bool(gone)
            text = f"{name}: {'; '.join(parts)}"
        else:
            text = f"{name} changed from {words(old)} to {words(new)}"
        self.changes.append(
            Change(
                kind="changed",
                path=where.path,
                what=_sentence(where, text),
                old_pointer=pointer_join(*where.old),
                new_pointer=pointer_join(*where.new),
                old=self.plain(old),
                new=self.plain(new),
            )
        )

    def elements(self, old: Sequence[object], new: Sequence[object], where: _Where) -> None:
        old_at = {_key_of(x): i for i, x in enumerate(old)}
        new_at = {_key_of(x): i for i, x in enumerate(new)}
        for key, i in old_at.items():
            item = old[i]
            assert key is not None  # noqa: S101 - _keyed checked every element has a key
            if key not in new_at:
                label = _label(item, key)
                self.changes.append(
                    Change(
                        kind="removed",
                        path=(*where.path, key),
                        what=_sentence(
                            where, f"{label} removed (was: {_summary(self.old_policy, item)})"
                        ),
                        old_pointer=pointer_join(*where.old, i),
                        new_pointer=None,
                        old=self.plain(item),
                    )
                )
                continue
            j = new_at[key]
            self.value(item, new[j], where.element(key, i, j, _label(new[j], key)))
        for key, j in new_at.items():
            if key not in old_at:
                assert key is not None  # noqa: S101
                item = new[j]
                label = _label(item, key)
                self.changes.append(
                    Change(
                        kind="added",
                        path=(*where.path, key),
                        what=_sentence(where, f"{label} added: {_summary(self.new_policy, item)}"),
                        old_pointer=None,
                        new_pointer=pointer_join(*where.new, j),
                        new=self.plain(item),
                    )
                )
        kept_old = [k for k in old_at if k in new_at]
        kept_new = [k for k in new_at if k in old_at]
        if kept_old != kept_new:
            self.changes.append(
                Change(
                    kind="reordered",
                    path=where.path,
                    what=_sentence(
                        where,
                        f"the order of {where.last()} changed from "
                        f"{', '.join(map(str, kept_old))} to {', '.join(map(str, kept_new))}",
                    ),
                    old_pointer=pointer_join(*where.old),
                    new_pointer=pointer_join(*where.new),
                    old=kept_old,
                    new=kept_new,
                )
            )


def _keyed(items: tuple[object, ...]) -> bool:
    """Whether a list's elements are matched by id: all of one attrs class with a key."""
    return bool(items) and all(
        type(item) is type(items[0]) and _key_of(item) is not None for item in items
    )


def diff(old: Policy, new: Policy, *, converter: Converter | None = None) -> PolicyDiff:
    """Every change from ``old`` to ``new``: empty when they say the same.

    Each change's ``old`` and ``new`` are the values as ``converter`` (by default
    the library's) writes them: what the policy files hold at the two pointers.
    """
    walk = _Walk(old, new, converter or default_converter())
    walk.value(old, new, _Where())
    return PolicyDiff(
        old_id=old.id,
        old_version=old.version,
        new_id=new.id,
        new_version=new.version,
        changes=tuple(walk.changes),
    )


def render_text(result: PolicyDiff) -> str:
    """The changes for people: a heading line, then one change a line."""
    count = len(result.changes)
    heading = f"{result.old_id} {result.old_version} -> {result.new_id} {result.new_version}: " + (
        "no changes" if not count else f"{count} change{'s' if count != 1 else ''}"
    )
    return "\n".join([heading, *(f"  {change}" for change in result.changes)]) + "\n"


def to_json(result: PolicyDiff) -> dict[str, Any]:
    """The changes as JSON data, as ``challenge-rules diff --format json`` prints them."""
    return {
        "old": {"id": result.old_id, "version": result.old_version},
        "new": {"id": result.new_id, "version": result.new_version},
        "same": result.same,
        "counts": {
            kind: sum(c.kind == kind for c in result.changes)
            for kind in ("added", "removed", "changed", "reordered")
        },
        "changes": [change.as_dict() for change in result.changes],
    }


__all__ = ["Change", "ChangeKind", "PolicyDiff", "diff", "render_text", "to_json", "words"]
