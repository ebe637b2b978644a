"""Walking a JSON document, for the tests that mutate documents to find what a loader refuses."""

from __future__ import annotations

from typing import Any


def places(node: object, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], object]]:
    """Every (path, value) in ``node``, the whole document (path ``()``) first."""
    found = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += places(value, (*path, index))
    return found


def parent(document: Any, path: tuple[Any, ...]) -> Any:
    """The container that holds the value at ``path`` (``path`` not empty)."""
    for step in path[:-1]:
        document = document[step]
    return document
