"""Where a policy's gaps are, and how many it has of each kind.

A gap names the part of the policy it concerns by an *id path* (``about``): a
JSON pointer whose steps into a list are the ids of its items, so that adding
a duty does not move the gaps of the duties after it.  A list of plain values
(a guidance's items) has no ids; its steps are indexes.  The older form, a
``pointer`` by index, is still read.  `locate` turns either into the place in
the policy document (a path of field names and indexes), and `id_path` turns an
index pointer into the id path that names the same place.

Read from the model itself, field by field: field names are the JSON names,
and every field is written, null or not, so the answer is the document's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from challenge_rules._text import whole_number
from challenge_rules.errors import pointer_join, pointer_parts

if TYPE_CHECKING:
    from challenge_rules.policy import Gap, Policy

Path = tuple[str | int, ...]


def where(gap: Gap) -> str:
    """The gap's place as it is written: its id path, or its older index pointer."""
    return gap.about if gap.about is not None else gap.pointer or ""


def _by_id(items: tuple[object, ...]) -> bool:
    return bool(items) and all(attrs.has(type(x)) and hasattr(x, "id") for x in items)


def _walk(value: object, parts: list[str], *, ids: bool) -> tuple[Path, Path] | None:
    """The (index path, id path) that ``parts`` names, read by id (``ids``) or by index."""
    node = value
    at: list[str | int] = []
    named: list[str | int] = []
    for part in parts:
        kind = type(node)
        if isinstance(node, tuple):
            keyed = _by_id(node)
            if ids and keyed:
                found = next((i for i, x in enumerate(node) if x.id == part), None)
            else:
                found = whole_number(part)
                if found is not None and found >= len(node):
                    found = None
            if found is None:
                return None
            item = node[found]
            at.append(found)
            named.append(item.id if keyed else found)
            node = item
        elif isinstance(node, Mapping):
            if part not in node:
                return None
            at.append(part)
            named.append(part)
            node = node[part]
        elif attrs.has(kind) and part in attrs.fields_dict(kind):
            at.append(part)
            named.append(part)
            node = getattr(node, part)
        else:
            return None
    return tuple(at), tuple(named)


def locate(policy: Policy, gap: Gap) -> Path | None:
    """Where in the policy document the gap points (field names and indexes), or None."""
    if gap.about is not None:
        found = _walk(policy, pointer_parts(gap.about), ids=True)
    else:
        found = _walk(policy, pointer_parts(gap.pointer or ""), ids=False)
    return None if found is None else found[0]


def id_path(policy: Policy, pointer: str) -> str | None:
    """The id path naming what the index ``pointer`` names, or None if it names nothing."""
    found = _walk(policy, pointer_parts(pointer), ids=False)
    return None if found is None else pointer_join(*found[1])
