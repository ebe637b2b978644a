"""The policies a service evaluates against: the shipped ones and a directory's."""

from __future__ import annotations

import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from attrs import field, frozen

from challenge_rules._resources import policy_folder
from challenge_rules.errors import InvalidInput, InvalidPolicyDirectory, Problem
from challenge_rules.loading import load_policy, policy_problems, shipped_policies, shipped_policy
from challenge_rules.policy import Policy
from challenge_rules.reading import parse_json, read_json

if TYPE_CHECKING:
    from collections.abc import Iterator

Origin = Literal["shipped", "directory"]


@frozen
class LoadedPolicy:
    """A checked policy, with the JSON document it was read from."""

    policy: Policy
    document: Mapping[str, Any]
    origin: Origin


def _read_only(value: Mapping[str, LoadedPolicy]) -> Mapping[str, LoadedPolicy]:
    return types.MappingProxyType(dict(sorted(value.items())))


@frozen
class Catalogue:
    """Policies by id (a read-only mapping, sorted by id)."""

    policies: Mapping[str, LoadedPolicy] = field(converter=_read_only)

    def get(self, policy_id: str) -> LoadedPolicy | None:
        """The policy with this id, if loaded."""
        return self.policies.get(policy_id)


def _shipped() -> Iterator[tuple[str, LoadedPolicy]]:
    folder = policy_folder()
    for policy_id in shipped_policies():
        document, _ = parse_json((folder / f"{policy_id}.json").read_bytes())
        if isinstance(document, dict):  # a shipped policy is valid: tests say so
            yield policy_id, LoadedPolicy(shipped_policy(policy_id), document, "shipped")


def _directory_problems(directory: Path) -> tuple[Problem, ...]:
    if not directory.is_dir():
        return (
            Problem(
                message="no such directory",
                expected="a directory of policy JSON files",
                source=str(directory),
            ),
        )
    return ()


def _from_directory(
    directory: Path, known: dict[str, LoadedPolicy]
) -> Iterator[tuple[str, LoadedPolicy] | Problem]:
    for path in sorted(directory.glob("*.json")):
        label = str(path)
        # Read once and checked once (load_policy takes the parsed mapping); a
        # document that is no object (a string would be taken for a shipped id)
        # is described by policy_problems, which reads the file for itself.
        try:
            document = read_json(path)
            if not isinstance(document, dict):
                yield from (p for p in policy_problems(path) if p.severity == "error")
                continue
            policy = load_policy(document)
        except InvalidInput as error:
            yield from (p.with_source(label) for p in error.problems if p.severity == "error")
            continue
        if policy.id in known:
            origin = known[policy.id].origin if policy.id in known else "directory"
            yield Problem(
                message=f'another policy ({origin}) already has the id "{policy.id}"',
                path=("id",),
                expected="an id no shipped policy and no other file in the directory has",
                hint="give your policy its own id, e.g. your partnership's name",
                source=label,
            )
            continue
        known[policy.id] = LoadedPolicy(policy, document, "directory")
        yield policy.id, known[policy.id]


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """The shipped policies plus every ``*.json`` policy file in ``directory``.

    Raises `challenge_rules.errors.InvalidPolicy` listing every error of every
    file (each located by file and JSON pointer) if any file is invalid or
    reuses another policy's id, and `challenge_rules.errors.InvalidInput` if
    ``directory`` is not a directory: a service starts with all its
    policies or not at all.
    """
    known = dict(_shipped())
    if directory is None:
        return Catalogue(known)
    folder = Path(directory)
    missing = _directory_problems(folder)
    if missing:
        raise InvalidPolicyDirectory(problems=missing, source=str(folder))
    problems = [item for item in _from_directory(folder, known) if isinstance(item, Problem)]
    if problems:
        raise InvalidPolicyDirectory(problems=problems, source=str(folder))
    return Catalogue(known)
