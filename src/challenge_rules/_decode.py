"""A fast reader of case-history documents: parsed JSON in, `CaseHistory` out, or None.

`challenge_rules.schema.load_history` reads a history this way first and falls
back to the JSON Schema (slow, but it locates every problem) when this gives
None.  The reader is built from the history model itself (its attrs fields
and their types), so it cannot drift from it: it checks JSON types exactly as
the strict cattrs converter does (`challenge_rules._convert`) and leaves the
rest (patterns, lengths, uniqueness) to the model's validators.
tests/test_history_loading.py proves it never accepts what the schema refuses
and always agrees with the converter.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, get_args, get_origin

import attrs

from challenge_rules.calendar import shared_offset
from challenge_rules._convert import MAX_SCHEMA_NAME, structure_date, structure_datetime
from challenge_rules.history import EVENT_TYPES, AnyEvent, CaseHistory, Party

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_Read = typing.Callable[[object], object]


class _Refused(Exception):  # noqa: N818 - internal control flow, never escapes
    """The document is not a valid history (the schema will say why)."""


def _text(value: object) -> object:
    if type(value) is not str:
        raise _Refused
    return value


def _flag(value: object) -> object:
    if type(value) is not bool:
        raise _Refused
    return value


def _optional(read: _Read) -> _Read:
    def optional(value: object) -> object:
        return None if value is None else read(value)

    return optional


def _choice(members: Mapping[str, object]) -> _Read:
    def choice(value: object) -> object:
        if type(value) is not str:
            raise _Refused
        try:
            return members[value]
        except KeyError:
            raise _Refused from None

    return choice


def _texts(value: object) -> object:
    # A JSON array only: a string is not a list of characters.
    if type(value) is not list:
        raise _Refused
    for item in value:
        if type(item) is not str:
            raise _Refused
    return tuple(value)


def _moment(value: object) -> object:
    if type(value) is not str:
        raise _Refused
    # The shared tzinfo makes the engine's many comparisons cheap (see shared_offset).
    return shared_offset(structure_datetime(value, datetime))


def _day(value: object) -> object:
    if type(value) is not str:
        raise _Refused
    return structure_date(value, date)


def _reader(hint: Any) -> _Read:  # noqa: ANN401 - any field type of the history model
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return _optional(_reader(inner))
    if origin is Literal:
        return _choice({value: value for value in args})
    if origin is tuple and args == (str, ...):
        return _texts
    readers: dict[object, _Read] = {
        str: _text,
        bool: _flag,
        datetime: _moment,
        date: _day,
        Party: _party,
    }
    if hint in readers:
        return readers[hint]
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        return _choice({member.value: member for member in hint})
    msg = f"no reader for {hint!r}"  # a new field type in the model: teach the reader
    raise TypeError(msg)


def _fields(cls: type) -> dict[str, _Read]:
    hints = typing.get_type_hints(cls)
    return {a.name: _reader(hints[a.name]) for a in attrs.fields(cls) if a.init}


def _instance(cls: type, fields: Mapping[str, _Read], data: Mapping[str, object]) -> Any:  # noqa: ANN401
    arguments: dict[str, object] = {}
    for name, value in data.items():
        read = fields.get(name)
        if read is None:  # type: ignore[comparison-overlap] - a key the model does not have
            raise _Refused
        arguments[name] = read(value)
    # Missing required fields and the model's own rules raise here.
    return cls(**arguments)


def _party(value: object) -> object:
    if type(value) is not dict:
        raise _Refused
    return _instance(Party, _PARTY_FIELDS, value)


_PARTY_FIELDS: Final = _fields(Party)
_EVENTS: Final = {kind: (cls, _fields(cls)) for kind, cls in EVENT_TYPES.items()}


def _event(value: object) -> AnyEvent:
    if type(value) is not dict:
        raise _Refused
    found = _EVENTS.get(value.get("kind"))  # type: ignore[arg-type]
    if found is None:
        raise _Refused
    cls, fields = found
    data = dict(value)
    del data["kind"]
    return _instance(cls, fields, data)  # type: ignore[no-any-return]


def decode_history(document: Mapping[str, Any]) -> CaseHistory | None:
    """The history ``document`` describes, or None if it is not (exactly) a valid one."""
    try:
        if type(document) is not dict:
            raise _Refused
        reference = policy = None
        events: object = None
        for key, value in document.items():
            if key == "reference":
                reference = value
            elif key == "events":
                events = value
            elif key == "policy":
                policy = value
            elif key == "$schema":
                if type(value) is not str or len(value) > MAX_SCHEMA_NAME:
                    raise _Refused
            else:
                raise _Refused
        if type(reference) is not str or type(events) is not list:
            raise _Refused
        if policy is not None and type(policy) is not str:
            raise _Refused
        history = CaseHistory(
            reference=reference, events=[_event(e) for e in events], policy=policy
        )
    except Exception:  # noqa: BLE001 - any failure is for the schema to explain
        return None
    if len({event.id for event in history.events}) != len(history.events):
        return None
    return history


__all__ = ["decode_history"]
