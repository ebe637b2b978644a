"""docs/_ext/schemas.py: the docs build publishes each schema at its ``$id`` path."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

from challenge_rules.authoring import schema_ids

EXTENSION = Path(__file__).resolve().parents[1] / "docs" / "_ext" / "schemas.py"


def _extension():
    spec = importlib.util.spec_from_file_location("docs_schemas_extension", EXTENSION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_html_build_publishes_every_schema_at_its_id_path(tmp_path: Path) -> None:
    extension = _extension()
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    extension.publish(app, None)
    for schema_id in schema_ids():
        # https://host/schemas/policy.schema.json -> OUTDIR/schemas/policy.schema.json
        path = tmp_path / schema_id.split("://", 1)[1].split("/", 1)[1]
        assert json.loads(path.read_text(encoding="utf-8"))["$id"] == schema_id


def test_other_builders_and_failed_builds_publish_nothing(tmp_path: Path) -> None:
    extension = _extension()
    extension.publish(
        SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="text")), None
    )
    extension.publish(
        SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html")),
        RuntimeError("the build failed"),
    )
    assert not list(tmp_path.iterdir())
