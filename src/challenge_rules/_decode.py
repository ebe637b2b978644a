"""A fast reader of case-history documents: parsed JSON in, `CaseHistory` out, or None.

`challenge_rules.schema.load_history` reads a history this way first and falls
back to the JSON Schema (slow, but it locates every problem) when this gives
None.  The reader is generated from the history model itself (its attrs fields
and their types), the way attrs and cattrs generate their own code, so it
cannot drift from the model: it checks JSON types exactly as the strict cattrs
converter does (`challenge_rules._convert`) and leaves the rest (patterns,
lengths, uniqueness) to the model's validators, which run as usual.
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

from challenge_rules._convert import (
    MAX_SCHEMA_NAME,
    TIMESTAMP_RE,
    in_moment_range,
    structure_date,
)
from challenge_rules._instants import shared_offset
from challenge_rules.history import EVENT_TYPES, AnyEvent, CaseHistory, Party

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


class _Refused(Exception):
    """The document is not a valid history (the schema will say why)."""


_fromisoformat = datetime.fromisoformat


def _moment(value: object) -> datetime:
    if type(value) is not str or TIMESTAMP_RE.fullmatch(value) is None:
        raise _Refused
    moment = _fromisoformat(value)
    if not in_moment_range(moment):
        raise _Refused
    # The shared tzinfo makes the engine's many comparisons cheap (see shared_offset).
    return shared_offset(moment)


def _day(value: object) -> date:
    if type(value) is not str:
        raise _Refused
    return structure_date(value, date)


def _texts(value: object) -> tuple[str, ...]:
    # A JSON array only: a string is not a list of characters.
    if type(value) is not list:
        raise _Refused
    for item in value:
        if type(item) is not str:
            raise _Refused
    return tuple(value)


_Reader = typing.Callable[[dict[str, Any]], Any]


def _check(
    hint: Any,  # noqa: ANN401 - any type a field of the model has
    name: str,
    namespace: dict[str, object],
    readers: Mapping[object, Callable[[object], object]],
) -> list[str]:
    """Source lines checking (and converting) the JSON value ``v`` for a field of type ``hint``."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        lines = _check(inner, name, namespace, readers)
        return ["if v is not None:", *(f"    {line}" for line in lines)]
    if origin is Literal or (isinstance(hint, type) and issubclass(hint, enum.StrEnum)):
        choices = {value: value for value in args} if origin is Literal else {}
        if not choices:
            choices = {member.value: member for member in hint}
        namespace[f"choices_{name}"] = choices
        # A missing key (or an unhashable value) raises: refused.
        return [f"v = choices_{name}[v] if type(v) is str else _refuse()"]
    simple = {str: "str", bool: "bool"}
    if hint in simple:
        return [f"if type(v) is not {simple[hint]}:", "    _refuse()"]
    reader = _texts if origin is tuple and args == (str, ...) else readers.get(hint)
    if reader is not None:
        namespace[f"read_{name}"] = reader
        return [f"v = read_{name}(v)"]
    msg = f"no reader for {hint!r}"  # a new field type in the model: teach the reader
    raise TypeError(msg)


def _refuse() -> typing.NoReturn:
    raise _Refused


def _generate(
    cls: type, readers: Mapping[object, Callable[[object], object]], *, tag: str | None = None
) -> _Reader:
    """Build ``read(document) -> cls`` for an attrs class of the history model."""
    hints = typing.get_type_hints(cls)
    fields = [a for a in attrs.fields(cls) if a.init]
    allowed = {a.name for a in fields} | ({"kind"} if tag else set())
    required = {a.name for a in fields if a.default is attrs.NOTHING}
    namespace: dict[str, object] = {
        "cls": cls,
        "_refuse": _refuse,
        "allowed": frozenset(allowed),
        "required": frozenset(required),
        "MISSING": attrs.NOTHING,
    }
    lines = [
        "def read(d):",
        "    keys = d.keys()",
        "    if not keys <= allowed or not required <= keys:",
        "        _refuse()",
        "    arguments = {}",
    ]
    for a in fields:
        check = _check(hints[a.name], a.name, namespace, readers)
        if a.name in required:
            lines += [f"    v = d[{a.name!r}]", *(f"    {line}" for line in check)]
            lines.append(f"    arguments[{a.name!r}] = v")
        else:
            lines += [f"    v = d.get({a.name!r}, MISSING)", "    if v is not MISSING:"]
            lines += [f"        {line}" for line in check]
            lines.append(f"        arguments[{a.name!r}] = v")
    # The model's validators (patterns, lengths, uniqueness) run in its __init__.
    lines.append("    return cls(**arguments)")
    exec(compile("\n".join(lines), f"<challenge-rules reader {cls.__name__}>", "exec"), namespace)  # noqa: S102 - our own generated source
    return namespace["read"]  # type: ignore[return-value]


_EVENTS: Final[dict[str, _Reader]] = {}
"""The reader of each kind of event, generated on first use (it takes ~14 ms: not at import)."""


def _generate_readers() -> dict[str, _Reader]:
    read_party = _generate(Party, {})

    def party(value: object) -> Party:
        if type(value) is not dict:
            raise _Refused
        found: Party = read_party(value)
        return found

    readers: dict[object, Callable[[object], object]] = {
        datetime: _moment,
        date: _day,
        Party: party,
    }
    # Filled in one step: a thread that finds it empty generates equal readers.
    _EVENTS.update({kind: _generate(cls, readers, tag=kind) for kind, cls in EVENT_TYPES.items()})
    return _EVENTS


def _event(value: object) -> AnyEvent:
    if type(value) is not dict:
        raise _Refused
    return (_EVENTS or _generate_readers())[value["kind"]](value)  # type: ignore[no-any-return]


def decode_history(document: Mapping[str, Any]) -> CaseHistory | None:
    """The history ``document`` describes, or None if it is not (exactly) a valid one."""
    try:
        history = _history(document)
    except Exception:  # noqa: BLE001 - any failure is for the schema to explain
        return None
    if len({event.id for event in history.events}) != len(history.events):
        return None
    return history


def _history(document: object) -> CaseHistory:
    if type(document) is not dict:
        raise _Refused
    keys = document.keys()
    if not keys <= _HISTORY_KEYS or "reference" not in keys:
        raise _Refused
    if "$schema" in keys:
        schema = document["$schema"]
        if type(schema) is not str or len(schema) > MAX_SCHEMA_NAME:
            raise _Refused
    reference = document["reference"]
    events = document.get("events")
    policy = document.get("policy")
    if type(reference) is not str or type(events) is not list:
        raise _Refused
    if policy is not None and type(policy) is not str:
        raise _Refused
    return CaseHistory(reference, [_event(e) for e in events], policy)


_HISTORY_KEYS: Final = frozenset({"$schema", "reference", "events", "policy"})

__all__ = ["decode_history"]
