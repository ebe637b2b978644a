"""Sphinx configuration for the challenge-rules documentation.

Build: ``nox -s docs`` (HTML and doctest builders, warnings are errors).
Works offline: no intersphinx, no remote assets.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "challenge-rules"
author = "challenge-rules developers"
copyright = "2026, challenge-rules developers"
try:
    release = metadata.version("challenge-rules")
except metadata.PackageNotFoundError:  # building from a tree that is not installed
    release = "unknown"
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "mermaid",  # docs/_ext/mermaid.py: diagrams shown as their source, offline
    "schemas",  # docs/_ext/schemas.py: the JSON Schemas published at their $id paths
]

source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# --- MyST -----------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
# GitHub renders ```mermaid fences itself; here they become the mermaid directive.
myst_fence_as_directive = ["mermaid"]
# Anchors for headings down to ####, so [text](page.md#a-heading) links resolve.
myst_heading_anchors = 4

# --- autodoc --------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"
# Each object is documented once, in the module that defines it: modules re-export
# names in __all__ (challenge_rules re-exports the common ones), and following
# __all__ would document them twice.
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}

# --- doctest --------------------------------------------------------------------
# `sphinx -b doctest` runs the {doctest} blocks of the pages. The `>>>` examples
# in docstrings (shown on the API page) are run by pytest's --doctest-modules,
# each in its own module's namespace; Sphinx would run them all in one page's
# namespace, where their names are not defined, so it leaves them to pytest.
# pytest also runs every >>> in a fenced block of the pages (tests/conftest.py).
doctest_test_doctest_blocks = ""

# --- HTML -----------------------------------------------------------------------
html_theme = "furo"
html_title = f"challenge-rules {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
