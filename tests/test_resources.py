"""`challenge_rules._resources`: one copy of the schemas, found installed and editable.

The repository keeps the JSON Schemas once, in ``schemas/``. The README's
editable install (``pip install -e .``) imports the package from ``src/`` and
must read that folder; a built wheel carries it as package data and must read
its own copy. Both are checked here: this test session is the editable
install, and a wheel is built and imported on its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from challenge_rules._resources import (
    SCHEMA_SUFFIX,
    package_folder,
    policy_folder,
    schema_files,
    schema_folder,
    starter_folder,
)

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = sorted(path.name.removesuffix(SCHEMA_SUFFIX) for path in (ROOT / "schemas").iterdir())


def test_the_package_source_has_no_copy_of_the_schemas() -> None:
    assert PUBLISHED
    assert not list((ROOT / "src").rglob(f"*{SCHEMA_SUFFIX}"))


def test_the_editable_install_reads_the_source_trees_schemas() -> None:
    # The package is imported from src/ (the README's `pip install -e .`), which
    # has no schemas folder of its own.
    assert Path(str(files("challenge_rules"))) == ROOT / "src" / "challenge_rules"
    assert Path(str(schema_folder())) == ROOT / "schemas"
    assert list(schema_files()) == PUBLISHED
    for name, entry in schema_files().items():
        assert entry.read_bytes() == (ROOT / "schemas" / f"{name}{SCHEMA_SUFFIX}").read_bytes()


def test_the_package_folder_is_the_one_importlib_resources_finds() -> None:
    # The shortcut (no importlib.resources at start-up) finds the same folder.
    assert package_folder() == files("challenge_rules")


def test_the_package_data_folders() -> None:
    assert (policy_folder() / "hips.json").is_file()
    assert (policy_folder() / "scenarios" / "hips.json").is_file()
    assert (starter_folder() / "skeleton.json").is_file()


# Run in a fresh interpreter with the unpacked wheel first on sys.path.
_IN_THE_WHEEL = """
import json, sys
from pathlib import Path
import challenge_rules
from challenge_rules._resources import schema_files, schema_folder
from challenge_rules import shipped_policy
print(json.dumps({
    "package": str(Path(challenge_rules.__file__).parent),
    "folder": str(schema_folder()),
    "schemas": list(schema_files()),
    "policy": shipped_policy("hips").id,
}))
"""


def test_a_built_wheel_carries_and_reads_its_own_schemas(tmp_path: Path) -> None:
    # pip builds the wheel as any installer would (PEP 517, hatchling in an
    # isolated build environment fetched from the package index).
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("challenge_rules-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        for name in PUBLISHED:
            packaged = archive.read(f"challenge_rules/schemas/{name}{SCHEMA_SUFFIX}")
            assert packaged == (ROOT / "schemas" / f"{name}{SCHEMA_SUFFIX}").read_bytes()
        archive.extractall(tmp_path / "site")
    assert not [name for name in names if name.startswith("schemas/")]
    environment = os.environ | {"PYTHONPATH": str(tmp_path / "site")}
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", _IN_THE_WHEEL],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        timeout=120,
    )
    found = json.loads(done.stdout)
    package = tmp_path / "site" / "challenge_rules"
    assert found == {
        "package": str(package),
        "folder": str(package / "schemas"),
        "schemas": PUBLISHED,
        "policy": "hips",
    }


def test_missing_schemas_are_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import challenge_rules._resources as resources  # noqa: PLC0415

    monkeypatch.setattr(resources, "_source_tree_schemas", lambda: None)
    with pytest.raises(FileNotFoundError, match="JSON Schemas of challenge_rules are missing"):
        resources.schema_folder()
