"""Publish the JSON Schemas with the HTML docs, at the paths of their ``$id``.

Every policy file names ``https://challenge-rules.readthedocs.io/schemas/...``
as its ``$schema``; this extension writes each schema (with
`challenge_rules.authoring.write_schemas`, so the files are the installed
package's own) under the docs' output folder at that address's path, so an
editor that follows ``$schema`` finds it where the docs are served.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from challenge_rules.authoring import write_schemas
from challenge_rules.schemas import SCHEMA_BASE

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def schema_folder(outdir: str | Path) -> Path:
    """Where the schemas go under an HTML output folder: the ``$id`` path."""
    return Path(outdir).joinpath(*PurePosixPath(urlparse(SCHEMA_BASE).path).parts[1:])


def publish(app: Sphinx, exception: Exception | None) -> None:
    """After an HTML build that succeeded, write the schemas."""
    if exception is None and app.builder.format == "html":
        write_schemas(schema_folder(app.outdir))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", publish)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
