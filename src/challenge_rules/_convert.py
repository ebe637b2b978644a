"""The cattrs converter between JSON-ready data and challenge-rules values.

There is one way to build it, `make_converter`, and no mutable module-level
instance: functions that structure data take a converter argument and fall
back to `default_converter()`, which builds one the first time it is asked.

Schema validation runs before structuring, so the hooks here can assume the
JSON *shapes* are right; they still guard the things JSON Schema cannot say
(a timestamp's UTC offset, a real calendar date) and report them by path.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from cattrs import Converter
from cattrs.strategies import configure_tagged_union

from challenge_rules.history import AnyEvent


class NaiveTimestampError(ValueError):
    """A timestamp without a UTC offset (cattrs reports it with its path)."""


def _structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        msg = f"expected a date as a string like 2026-06-08, found {type(value).__name__}"
        raise TypeError(msg)
    return date.fromisoformat(value)


def _structure_datetime(value: object, _: type) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        msg = f"expected a timestamp string, found {type(value).__name__}"
        raise TypeError(msg)
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"timestamp {value!s} has no UTC offset"
        raise NaiveTimestampError(msg)
    return moment


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


def make_converter() -> Converter:
    """Build a converter for policies, case histories and evaluations."""
    converter = Converter(forbid_extra_keys=True, prefer_attrib_converters=False)
    converter.register_structure_hook(date, _structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_unstructure_hook(timedelta, _unstructure_timedelta)
    # Generic aliases can't be registered by type, only by predicate.
    converter.register_structure_hook_func(lambda t: t == _WHERE, _structure_where)
    converter.register_unstructure_hook_func(lambda t: t == _WHERE, dict)
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
