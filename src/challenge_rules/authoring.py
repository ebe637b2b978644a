"""What a policy author needs outside a clone of the repository.

`init` writes a policy to start from (a shipped one, or a small valid
skeleton) and its scenario file into a folder of the author's own, ready to
edit, ``validate`` and ``test``: the policy gets the author's id, and the
scenario file names the policy file beside it.  The files keep the shipped
files' layout, line for line, apart from those two values.

`write_schemas` writes the JSON Schemas an editor needs to check files as they
are typed, without the network; `schema_ids` maps each schema's ``$id`` (the
``$schema`` a policy file names) to its file name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final

from attrs import frozen

from challenge_rules._resources import policy_folder, schema_files, starter_folder
from challenge_rules.errors import ChallengeRulesError, Problem, UnknownPolicy
from challenge_rules.loading import policy_problems, shipped_policies

if TYPE_CHECKING:
    import os

DEFAULT_ID: Final = "my-policy"


@frozen(eq=False)
class WouldOverwrite(ChallengeRulesError):
    """`init` was asked to write a file that already exists."""

    path: str

    def __str__(self) -> str:
        return (
            f"{self.path}: already exists (expected a file name not yet taken); "
            "hint: choose another folder or --id, or pass --force to replace it"
        )


@frozen(eq=False)
class BadPolicyId(ChallengeRulesError):
    """An id for a new policy that policy files do not allow (the policy schema's ``id``)."""

    policy_id: str
    problems: tuple[Problem, ...] = ()
    """What the policy checks found at ``/id``."""

    def __str__(self) -> str:
        found = "; ".join(
            p.message + (f" (expected {p.expected})" if p.expected else "") for p in self.problems
        )
        return f"{self.policy_id!r} is not a policy id" + (f": {found}" if found else "")


@frozen
class Started:
    """The files `init` wrote."""

    policy: Path
    scenarios: Path
    origin: str
    """The shipped policy id the files were taken from, or ``skeleton``."""


def _set_top_level(text: str, key: str, value: str) -> str:
    """``text`` with the top-level string property ``key`` set to ``value``, layout kept.

    The edit is made in the text (so the author sees the file as shipped) and
    checked by parsing: if the text has a layout the edit cannot find, the
    document is written afresh instead.
    """
    document = json.loads(text)
    document[key] = value
    pattern = re.compile(rf'^(  "{re.escape(key)}": )"(?:[^"\\]|\\.)*"', re.MULTILINE)
    edited, count = pattern.subn(lambda m: m.group(1) + json.dumps(value), text, count=1)
    if count == 1 and json.loads(edited) == document:
        return edited
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _starting_texts(origin: str | None) -> tuple[str, str]:
    if origin is None:
        folder = starter_folder()
        return (
            (folder / "skeleton.json").read_text(encoding="utf-8"),
            (folder / "skeleton.scenarios.json").read_text(encoding="utf-8"),
        )
    if origin not in shipped_policies():
        raise UnknownPolicy(policy_id=origin, available=shipped_policies())
    folder = policy_folder()
    return (
        (folder / f"{origin}.json").read_text(encoding="utf-8"),
        (folder / "scenarios" / f"{origin}.json").read_text(encoding="utf-8"),
    )


def init(
    folder: str | os.PathLike[str],
    *,
    origin: str | None = None,
    policy_id: str = DEFAULT_ID,
    force: bool = False,
) -> Started:
    """Write ``POLICY_ID.json`` and ``POLICY_ID.scenarios.json`` into ``folder``.

    ``origin`` is a shipped policy id to start from (`shipped_policies`), or
    ``None`` for the skeleton.  The folder is created if need be; existing
    files are not replaced unless ``force``.  Raises `UnknownPolicy`,
    `BadPolicyId` or `WouldOverwrite` before writing anything.
    """
    policy_text, scenario_text = _starting_texts(origin)
    policy_text = _set_top_level(policy_text, "id", policy_id)
    # The policy checks say which ids a policy file takes: no second pattern kept here.
    refused = tuple(p for p in policy_problems(json.loads(policy_text)) if p.pointer == "/id")
    if refused:
        raise BadPolicyId(policy_id=policy_id, problems=refused)
    target = Path(folder)
    policy_path = target / f"{policy_id}.json"
    scenario_path = target / f"{policy_id}.scenarios.json"
    for path in (policy_path, scenario_path):
        if path.exists() and not force:
            raise WouldOverwrite(path=str(path))
    target.mkdir(parents=True, exist_ok=True)
    policy_path.write_text(policy_text, encoding="utf-8")
    scenario_path.write_text(
        _set_top_level(scenario_text, "policy", f"./{policy_path.name}"), encoding="utf-8"
    )
    return Started(policy=policy_path, scenarios=scenario_path, origin=origin or "skeleton")


def _schema_files() -> dict[str, str]:
    """Each schema's file name and its text."""
    return {entry.name: entry.read_text(encoding="utf-8") for entry in schema_files().values()}


def schema_ids() -> dict[str, str]:
    """Each schema's ``$id`` and the file name `write_schemas` gives it."""
    return {json.loads(text)["$id"]: name for name, text in _schema_files().items()}


def write_schemas(folder: str | os.PathLike[str]) -> tuple[Path, ...]:
    """Write every JSON Schema into ``folder`` (created if need be), by file name."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in _schema_files().items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return tuple(written)


__all__ = [
    "DEFAULT_ID",
    "BadPolicyId",
    "Started",
    "WouldOverwrite",
    "init",
    "schema_ids",
    "write_schemas",
]
