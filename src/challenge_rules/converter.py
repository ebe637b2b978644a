"""The cattrs converter between JSON-ready data and challenge-rules values.

There is one way to build it, `make_converter`, and no mutable module-level
instance: the functions that structure or unstructure values take a
``converter=`` argument and fall back to `default_converter()`, built once
the first time it is asked for and never changed.

The converter is strict: it takes JSON's own types only (it never turns 5
into "5", a string into a tuple of characters, or "false" into True), and
reads dates and timestamps by the same rules as the schemas' format checks.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from challenge_rules._convert import register_hooks

if TYPE_CHECKING:
    # Imported by make_converter: importing this module does not load cattrs (~30 ms).
    from cattrs import Converter


def make_converter(*, detailed_validation: bool = True) -> Converter:
    """Build a converter for policies, case histories and evaluations.

    With ``detailed_validation=False`` it accepts and refuses exactly the
    same data, faster, but its errors do not say where the problem is (as
    cattrs' own option of that name): `challenge_rules.loading` uses one so
    for its fast path, and explains a refusal by other means.
    """
    from cattrs import Converter  # noqa: PLC0415 - see TYPE_CHECKING

    converter = Converter(
        forbid_extra_keys=True,
        prefer_attrib_converters=False,
        detailed_validation=detailed_validation,
    )
    return register_hooks(converter)


@functools.cache
def default_converter() -> Converter:
    """The converter used when a caller passes none (built once, never changed)."""
    return make_converter()


@functools.cache
def fast_converter() -> Converter:
    """`default_converter` without detailed validation: same checks, terse errors."""
    return make_converter(detailed_validation=False)


__all__ = ["default_converter", "make_converter"]
