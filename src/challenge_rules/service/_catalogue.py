"""The policies a service evaluates against: the shipped ones and a directory's.

In the ``--policies`` directory each ``*.json`` file is a policy (except
scenario files, ``*.scenarios.json``, as in a folder of versions), and each
sub-folder holds the versions of one policy (`challenge_rules.versions`): the
service lists them, serves the latest as the policy's document, and evaluates
each case under the version in force for it.
"""

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
from challenge_rules.versions import PolicyVersions, load_versions, policy_files

if TYPE_CHECKING:
    from collections.abc import Iterator

Origin = Literal["shipped", "directory"]


@frozen
class LoadedPolicy:
    """A checked policy, with the JSON document it was read from."""

    policy: Policy
    document: Mapping[str, Any]
    origin: Origin


def _read_only(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(sorted(value.items())))


@frozen
class Catalogue:
    """Policies by id (a read-only mapping, sorted by id)."""

    policies: Mapping[str, LoadedPolicy] = field(converter=_read_only)
    versions: Mapping[str, PolicyVersions] = field(factory=dict, converter=_read_only)
    """The policies read from a folder of versions, by id (``policies`` holds the latest)."""

    def get(self, policy_id: str) -> LoadedPolicy | None:
        """The policy with this id, if loaded."""
        return self.policies.get(policy_id)

    def versions_of(self, policy_id: str) -> PolicyVersions | None:
        """Every version of the policy with this id (one, unless read from a folder)."""
        if policy_id in self.versions:
            return self.versions[policy_id]
        loaded = self.policies.get(policy_id)
        return PolicyVersions(policy_id, (loaded.policy,)) if loaded is not None else None


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


def _taken(policy_id: str, known: dict[str, LoadedPolicy], source: str) -> Problem:
    return Problem(
        message=f'another policy ({known[policy_id].origin}) already has the id "{policy_id}"',
        path=("id",),
        expected="an id no shipped policy and no other file in the directory has",
        hint="give your policy its own id, e.g. your partnership's name",
        source=source,
    )


def _from_directory(
    directory: Path, known: dict[str, LoadedPolicy]
) -> Iterator[tuple[str, LoadedPolicy] | Problem]:
    for path in policy_files(directory):
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
            yield _taken(policy.id, known, label)
            continue
        known[policy.id] = LoadedPolicy(policy, document, "directory")
        yield policy.id, known[policy.id]


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """The shipped policies plus every policy file (`policy_files`) in ``directory``.

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
    versions: dict[str, PolicyVersions] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        problems += _versions_folder(sub, known, versions)
    if problems:
        raise InvalidPolicyDirectory(problems=problems, source=str(folder))
    return Catalogue(known, versions)


def _versions_folder(
    folder: Path, known: dict[str, LoadedPolicy], versions: dict[str, PolicyVersions]
) -> list[Problem]:
    """Load a sub-folder of one policy's versions into ``known`` and ``versions``."""
    try:
        found = load_versions(folder)
    except InvalidInput as error:
        return [p.with_source(p.source or str(folder)) for p in error.problems]
    latest = found.versions[-1]
    source = found.sources[latest.version]
    if found.id in known:
        return [_taken(found.id, known, source)]
    document = read_json(source)
    assert isinstance(document, dict)  # noqa: S101 - load_versions read it as a policy
    known[found.id] = LoadedPolicy(latest, document, "directory")
    versions[found.id] = found
    return []
