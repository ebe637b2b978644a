"""The cattrs converter between JSON-ready data and challenge-rules values.

There is one way to build it, `make_converter`, and no mutable module-level
instance: functions that structure data take a converter argument and fall
back to `default_converter()`, which builds one the first time it is asked.

Schema validation runs before structuring, so the hooks here can assume the
JSON *shapes* are right; they still guard the things JSON Schema cannot say
(a timestamp's UTC offset, a real calendar date) and report them by path.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Final

from cattrs import Converter
from cattrs.gen import make_dict_structure_fn
from cattrs.strategies import configure_tagged_union

from challenge_rules.history import AnyEvent, CaseHistory
from challenge_rules.policy import Policy

# One definition of a date and a timestamp, shared with the JSON Schema format checks
# (`challenge_rules.schema`), so the converter accepts exactly what the schemas accept.
DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME_RE: Final = re.compile(
    r"(?P<local>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?)"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)
MAX_TIMESTAMP_LENGTH: Final = 64
_MAX_SCHEMA_NAME: Final = 2000


class NaiveTimestampError(ValueError):
    """A timestamp without a UTC offset (cattrs reports it with its path)."""


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        msg = f"expected a date as a string like 2026-06-08, found {type(value).__name__}"
        raise TypeError(msg)
    if not DATE_RE.fullmatch(value):
        msg = f"expected a date written YYYY-MM-DD, found {value[:20]!r}"
        raise ValueError(msg)
    return date.fromisoformat(value)


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        match = DATETIME_RE.fullmatch(value)
        if match is None or len(value) > MAX_TIMESTAMP_LENGTH:
            msg = f"expected a timestamp like 2026-06-08T09:30:00+01:00, found {value[:40]!r}"
            raise ValueError(msg)
        if match["offset"] is None:
            msg = f"timestamp {value} has no UTC offset"
            raise NaiveTimestampError(msg)
        moment = datetime.fromisoformat(value)
    else:
        msg = f"expected a timestamp string, found {type(value).__name__}"
        raise TypeError(msg)
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"timestamp {value!s} has no UTC offset"
        raise NaiveTimestampError(msg)
    return moment


def _strict(kind: type, noun: str) -> Callable[[object, type], Any]:
    """A hook that takes JSON's own type only (cattrs would turn 5 into "5")."""

    def structure(value: object, _: type) -> Any:  # noqa: ANN401 - the primitive itself
        if type(value) is not kind:
            msg = f"expected {noun}, found {type(value).__name__}"
            raise TypeError(msg)
        return value

    return structure


def _structure_timedelta(value: object, _: type) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"expected a number of seconds, found {type(value).__name__}"
        raise TypeError(msg)
    return timedelta(seconds=value)


def _unstructure_timedelta(value: timedelta) -> float:
    return value.total_seconds()


def _structure_where(value: object, _: type) -> dict[str, str | bool]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str | bool) for k, v in value.items()
    ):
        msg = "expected an object of strings or booleans"
        raise TypeError(msg)
    return dict(value)


_WHERE = dict[str, str | bool]


def _structure_str_enum(value: object, cls: type[enum.StrEnum]) -> enum.StrEnum:
    if type(value) is not str:
        msg = f"expected a string, found {type(value).__name__}"
        raise TypeError(msg)
    return cls(value)


def _without_schema(structure: Callable[[Any, type], Any]) -> Callable[[Any, type], Any]:
    def hook(value: Any, cls: type) -> Any:  # noqa: ANN401 - cattrs hooks are untyped
        if isinstance(value, dict) and "$schema" in value:
            named = value["$schema"]
            if not isinstance(named, str) or len(named) > _MAX_SCHEMA_NAME:
                msg = "$schema: expected the address of a JSON Schema"
                raise ValueError(msg)
            value = {k: v for k, v in value.items() if k != "$schema"}
        return structure(value, cls)

    return hook


def make_converter() -> Converter:
    """Build a converter for policies, case histories and evaluations."""
    converter = Converter(forbid_extra_keys=True, prefer_attrib_converters=False)
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "a whole number"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    # StrEnum comes before str in a str enum's MRO, so this hook, not str's, builds them.
    converter.register_structure_hook(enum.StrEnum, _structure_str_enum)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_unstructure_hook(timedelta, _unstructure_timedelta)
    # Generic aliases can't be registered by type, only by predicate.
    converter.register_structure_hook_func(lambda t: t == _WHERE, _structure_where)
    converter.register_unstructure_hook_func(lambda t: t == _WHERE, dict)
    # Documents may name their schema ("$schema") so editors validate them; it is no field.
    for document in (CaseHistory, Policy):
        structure = make_dict_structure_fn(document, converter)
        converter.register_structure_hook(document, _without_schema(structure))
    configure_tagged_union(
        AnyEvent,
        converter,
        tag_generator=lambda cls: cls.kind,  # type: ignore[attr-defined]
        tag_name="kind",
    )
    return converter


@functools.cache
def default_converter() -> Converter:
    """The converter used when a caller passes none (built once, never mutated)."""
    return make_converter()
