"""Where the package's data files are: the JSON Schemas and the shipped policies.

The repository keeps one copy of the schemas, in its top-level ``schemas/``
folder (they are published documents, not Python).  The build puts that folder
into the package (a ``sources`` rewrite in ``pyproject.toml``), so an installed
wheel has ``challenge_rules/schemas/``.  An editable install (``pip install
-e .``) imports the package from ``src/``, where there is no such folder: the
schemas are then read from the source tree's ``schemas/`` beside ``src/``.
Every reader of the schema files asks `schema_files`, so both cases hold for
all of them.

This module imports nothing of the package: the values at the bottom (the id
rules in `_ids`) read the schemas through it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_PACKAGE: Final = "challenge_rules"
SCHEMA_SUFFIX: Final = ".schema.json"
"""The ending of every schema file's name (``policy.schema.json``, ...)."""


@functools.cache
def package_folder() -> Traversable:
    """The package's own folder, as ``importlib.resources.files`` finds it.

    A package imported from files (an installed wheel, an editable install)
    is the folder of this module, a `Path`, which is what
    ``importlib.resources`` returns for it; only a package imported some other
    way (from a zip file) needs importlib.resources, which takes ~5 ms to import.
    """
    here = Path(__file__)
    if here.is_file():
        return here.parent
    import importlib.resources  # noqa: PLC0415 - see the docstring

    return importlib.resources.files(_PACKAGE)


def _has_schemas(folder: Traversable) -> bool:
    return folder.is_dir() and any(entry.name.endswith(SCHEMA_SUFFIX) for entry in folder.iterdir())


def _source_tree_schemas() -> Path | None:
    # src/challenge_rules/_resources.py -> the repository root, recognised by its
    # pyproject.toml; anywhere else (an installed wheel) there is no such folder.
    root = Path(__file__).resolve().parents[2]
    folder = root / "schemas"
    if Path(__file__).resolve().parents[1].name == "src" and (root / "pyproject.toml").is_file():
        return folder
    return None


def schema_folder() -> Traversable:
    """The folder of the JSON Schemas: the package's own, else the source tree's ``schemas/``.

    Raises `FileNotFoundError` (an installation without its data files) if neither exists.
    """
    packaged = package_folder() / "schemas"
    if _has_schemas(packaged):
        return packaged
    source = _source_tree_schemas()
    if source is not None and _has_schemas(source):
        return source
    raise FileNotFoundError(
        f"the JSON Schemas of {_PACKAGE} are missing: neither {packaged} nor a source tree's "
        "schemas/ folder has them; reinstall challenge-rules"
    )


def schema_files() -> dict[str, Traversable]:
    """Each JSON Schema file by short name (``policy``, ``history``, ...), sorted by name."""
    found = {
        entry.name.removesuffix(SCHEMA_SUFFIX): entry
        for entry in schema_folder().iterdir()
        if entry.name.endswith(SCHEMA_SUFFIX) and entry.is_file()
    }
    return dict(sorted(found.items()))


def policy_folder() -> Traversable:
    """The folder of the shipped policies (``ID.json``) and their ``scenarios/``."""
    return package_folder() / "policies"


def starter_folder() -> Traversable:
    """The folder of the skeleton policy and scenario file that ``challenge-rules init`` copies."""
    return package_folder() / "starter"


__all__ = [
    "SCHEMA_SUFFIX",
    "package_folder",
    "policy_folder",
    "schema_files",
    "schema_folder",
    "starter_folder",
]
