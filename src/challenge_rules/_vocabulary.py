"""One walk over a policy: every name it defines and every reference it makes.

The policy model declares its references once, as attrs field metadata (see
`challenge_rules._references`).  `walk` follows those declarations through
any policy value and yields one `Reference` per name found, with its path as a
tuple of parts; `vocabulary` collects a policy's walk into a `Vocabulary`: the
names each `Target` has, the references made, and the policy's ladders.  The
policy checks, the history checks and scenario coverage all read it, so a new
reference field is a metadata entry on the model and nothing else.

`vocabulary` keeps the last few policies' results (a bounded cache keyed by the
policy, whose hash is cached): a policy is immutable, so its vocabulary is too.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from challenge_rules._references import DEFINES, REFERS, RULE, TARGETS, Target
from challenge_rules.policy import Stage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from challenge_rules.policy import DueSoon, Policy

Path = tuple[str | int, ...]
"""Where a value is in a policy document: its JSON pointer's parts."""


# Named tuples, not attrs values: a walk makes hundreds of these on every policy load.
class Reference(NamedTuple):
    """A name in a policy: where it is, what it names, and whether it defines it."""

    value: str
    path: Path
    target: Target
    defining: bool = False
    """True where the value *is* the name (``Role.id``), False where it refers to one."""
    rule: bool = False
    """A clause reference that is the authority for a rule (see `_references.refers`)."""


class _Step(NamedTuple):
    """One field of a class the walk visits: a name (or names), or values to walk into."""

    name: str
    target: Target | None
    defining: bool
    rule: bool


def _attrs_classes(hint: object) -> Iterator[type]:
    if isinstance(hint, type) and attrs.has(hint):
        yield hint
    for argument in typing.get_args(hint):
        yield from _attrs_classes(argument)


_PLANS: dict[type[Any], tuple[_Step, ...]] = {}
"""Each model class's `_plan`, made once: the classes are fixed, so this only grows to them."""


def _plan(cls: type[Any]) -> tuple[_Step, ...]:
    """The fields of ``cls`` that hold names, or values that (transitively) hold names."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _make_plan(cls)
    return plan


def _make_plan(cls: type[Any]) -> tuple[_Step, ...]:
    # The fields' types as typing.get_type_hints resolves them, worked out once per class:
    # the converter has resolved a structured policy's classes already.
    attrs.resolve_types(cls)
    steps: list[_Step] = []
    nested: list[str] = []
    for field in attrs.fields(cls):
        refers, defines = field.metadata.get(REFERS), field.metadata.get(DEFINES)
        inner = tuple(_attrs_classes(field.type))
        if refers is not None or defines is not None:
            target = refers if refers is not None else defines
            steps.append(
                _Step(field.name, target, defines is not None, bool(field.metadata.get(RULE)))
            )
        elif cls in inner:
            # A value of its own kind (a timescale's alternative reading) holds names
            # exactly when the class's other fields do: decided once they are known.
            nested.append(field.name)
        elif any(_plan(kind) for kind in inner):
            steps.append(_Step(field.name, None, defining=False, rule=False))
    if steps and nested:
        wanted = {step.name for step in steps} | set(nested)
        steps = [
            _Step(f.name, None, False, False)
            if f.name in nested
            else next(s for s in steps if s.name == f.name)
            for f in attrs.fields(cls)
            if f.name in wanted
        ]
    return tuple(steps)


def walk(value: object, path: Path = ()) -> Iterator[Reference]:
    """Every name in ``value`` (a policy or a part of one), in document order."""
    found: list[Reference] = []
    _collect(value, path, found)
    return iter(found)


def _collect(value: object, path: Path, out: list[Reference]) -> None:
    # Appends rather than yields: nested generators cost more than the walk itself.
    for name, target, defining, rule in _plan(type(value)):
        found: Any = getattr(value, name)
        if found is None:
            continue
        if type(found) is tuple:
            if not found:
                continue
            here = (*path, name)
            if target is None:
                for index, item in enumerate(found):
                    _collect(item, (*here, index), out)
            else:
                out += [
                    Reference(each, (*here, index), target, defining, rule)
                    for index, each in enumerate(found)
                ]
        elif target is None:
            _collect(found, (*path, name), out)
        else:
            out.append(Reference(found, (*path, name), target, defining, rule))


@attrs.frozen
class Ladder:
    """One ladder of stages: the main one (``track`` None) or a track's."""

    track: str | None
    """The track's id; None for the main ladder."""
    path: Path
    """Where its stages are: ``("stages",)`` or ``("tracks", 2, "stages")``."""
    stages: tuple[Stage, ...]

    @property
    def label(self) -> str:
        """How a message names it."""
        return "the main ladder" if self.track is None else f'track "{self.track}"'


_EMPTY: Final[frozenset[str]] = frozenset()


@attrs.frozen
class Vocabulary:
    """What a policy names and where it refers to names, from one `walk`."""

    references: tuple[Reference, ...]
    """Every reference (not definition) the policy makes, in document order."""
    names: Mapping[Target, frozenset[str]]
    """The names each target has (the ids of the roles, the contacts' purposes, ...)."""
    ladders: tuple[Ladder, ...]
    """The main ladder, then each track's, in order."""

    def known(self, target: Target) -> frozenset[str]:
        """The names ``target`` has in this policy (empty if none)."""
        return self.names.get(target, _EMPTY)

    def rule_clauses(self) -> tuple[str, ...]:
        """The clauses that are the authority for a rule, each once, in document order."""
        return tuple(dict.fromkeys(r.value for r in self.references if r.rule))


def _build(policy: Policy) -> Vocabulary:
    references: list[Reference] = []
    names: dict[Target, set[str]] = {target: set() for target in TARGETS}
    for reference in walk(policy):
        if reference.defining:
            names[reference.target].add(reference.value)
        else:
            references.append(reference)
    ladders = [Ladder(None, ("stages",), policy.stages)]
    ladders += [
        Ladder(track.id, ("tracks", t, "stages"), track.stages)
        for t, track in enumerate(policy.tracks)
    ]
    return Vocabulary(
        references=tuple(references),
        names={target: frozenset(found) for target, found in names.items()},
        ladders=tuple(ladders),
    )


@functools.lru_cache(maxsize=64)
def vocabulary(policy: Policy) -> Vocabulary:
    """The `Vocabulary` of ``policy`` (kept for the last 64 policies asked about)."""
    return _build(policy)


class Window(NamedTuple):
    """The due-soon window that applies to a stage's actions, and where the policy sets it."""

    stage: Stage
    due_soon: DueSoon
    path: Path


def due_soon_windows(policy: Policy) -> Iterator[Window]:
    """Each stage with a due-soon window: its own, else its track's, else the policy's."""
    tracks = {track.id: (i, track) for i, track in enumerate(policy.tracks)}
    for ladder in vocabulary(policy).ladders:
        found: tuple[DueSoon | None, Path] = (policy.due_soon, ("due_soon",))
        if ladder.track is not None:
            i, track = tracks[ladder.track]
            if track.due_soon is not None:
                found = (track.due_soon, ("tracks", i, "due_soon"))
        for i, stage in enumerate(ladder.stages):
            window, path = found
            if stage.due_soon is not None:
                window, path = stage.due_soon, (*ladder.path, i, "due_soon")
            if window is not None:
                yield Window(stage, window, path)


__all__ = [
    "Ladder",
    "Path",
    "Reference",
    "Vocabulary",
    "Window",
    "due_soon_windows",
    "vocabulary",
    "walk",
]
