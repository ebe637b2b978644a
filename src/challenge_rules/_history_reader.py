"""The fast reader of case histories: a parsed document to its `CaseHistory`, or None.

`challenge_rules.loading.load_history` tries this first. It takes only what
is plainly valid (JSON's own types, no unknown field, every timestamp RFC 3339
with its offset and in the years a history may hold, no two events with one
id) and builds the value the converter would build, the values' validators
checking what they check (ids, texts, lengths) once, as they are constructed.
Anything else returns None, however harmless, and the document goes the full
way (schema, converter, rules), which finds and locates every problem.
``tests/test_history_reader.py`` shows that both ways agree, over generated
and mutated documents.

The reader of each class (`CaseHistory`, `Party`, each event kind) is Python
generated from the class's attrs fields and their types the first time it is
needed, as cattrs makes the converter's hooks: the model stays the one
statement of the format (with the JSON Schema), and this module has no list of
fields of its own.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from datetime import date, datetime
from typing import Any, Final, Literal, get_args, get_origin

import attrs

from challenge_rules._construct import constructor
from challenge_rules._convert import DATE_RE, MAX_SCHEMA_NAME, read_moment
from challenge_rules.history import EVENT_TYPES, AnyEvent, CaseHistory

Reader = typing.Callable[[object], Any]
"""A reader: the value it builds from a parsed JSON value, or None where it would not."""

_MISSING: Final = object()


class UnsupportedFieldError(TypeError):
    """A field of a type the reader has no code for (a document with it goes the full way)."""


def read_history(document: object) -> CaseHistory | None:
    """The history the full path would load from ``document``, or None to take the full path.

    None is never wrong, only slower: the full path then says what is wrong, or
    builds the history itself.
    """
    try:
        if type(document) is not dict:
            return None
        if "$schema" in document:  # the schema's address, for editors: no field
            named = document["$schema"]
            if type(named) is not str or len(named) > MAX_SCHEMA_NAME:
                return None
            document = {key: value for key, value in document.items() if key != "$schema"}
        history: CaseHistory | None = class_reader(CaseHistory)(document)
    except Exception:  # noqa: BLE001 - a missing field, a validator's refusal, ...: the full path's
        return None
    if history is None or len({event.id for event in history.events}) != len(history.events):
        return None
    return history


def read_date(value: object) -> date | None:
    """What the converter makes of a date (``YYYY-MM-DD``), or None."""
    if type(value) is not str or not DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@functools.cache  # one per class of the model: bounded
def class_reader(cls: type) -> Reader:
    """The reader of one attrs class from a JSON object: its fields' readers, then ``cls(...)``.

    A required field that is missing raises KeyError, and a validator that
    refuses a value raises: `read_history` takes either as None.
    """
    namespace: dict[str, Any] = {
        "_cls": constructor(cls),  # cls(...), without the frozen __init__'s cost
        "_MISSING": _MISSING,
        "_read_moment": read_moment,
        "_read_date": read_date,
    }
    fields = attrs.fields(attrs.resolve_types(cls))
    allowed = {field.name for field in fields} | ({"kind"} if _is_event(cls) else set())
    namespace["_allowed"] = frozenset(allowed)
    lines = [
        "def read(o):",
        "    if type(o) is not dict or not o.keys() <= _allowed:",
        "        return None",
    ]
    for field in fields:
        if not field.init or field.alias != field.name:
            raise UnsupportedFieldError(f"{cls.__name__}.{field.name}")
        target = f"f_{field.name}"
        if field.default is attrs.NOTHING:
            lines.append(f"    v = o[{field.name!r}]")
            lines += _indent(_value_code(field.type, target, namespace), 1)
            continue
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            raise UnsupportedFieldError(f"{cls.__name__}.{field.name}")
        namespace[f"_default_{field.name}"] = field.default
        lines += [
            f"    v = o.get({field.name!r}, _MISSING)",
            "    if v is _MISSING:",
            f"        {target} = _default_{field.name}",
            "    else:",
            *_indent(_value_code(field.type, target, namespace), 2),
        ]
    arguments = ", ".join(f"{field.name}=f_{field.name}" for field in fields)
    lines.append(f"    return _cls({arguments})")
    source = "\n".join(lines) + "\n"
    # Generated code, as attrs and cattrs generate theirs: from the class's own fields.
    exec(compile(source, f"<challenge_rules reader {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    read: Reader = namespace["read"]
    return read


def _is_event(cls: type) -> bool:
    return EVENT_TYPES.get(getattr(cls, "kind", None)) is cls  # type: ignore[arg-type]


def _indent(lines: list[str], levels: int) -> list[str]:
    return ["    " * levels + line for line in lines]


def _value_code(  # noqa: PLR0911 - one return per form of field
    hint: Any,  # noqa: ANN401 - a type hint
    target: str,
    namespace: dict[str, Any],
) -> list[str]:
    """Lines reading the JSON value ``v`` into ``target`` as the converter would, or returning None.

    The converter's hook for each form (`challenge_rules._convert`) is what these
    lines do, for the values it takes as they are: JSON's own type, nothing to coerce.
    """
    name = target.removeprefix("f_")
    fail = [f"if {target} is None:", "    return None"]
    if hint in (str, bool, int):
        return [f"if type(v) is not {hint.__name__}:", "    return None", f"{target} = v"]
    if hint is datetime:
        return [f"{target} = _read_moment(v)", *fail]
    if hint is date:
        return [f"{target} = _read_date(v)", *fail]
    if isinstance(hint, type) and issubclass(hint, enum.StrEnum):
        namespace[f"_members_{name}"] = hint._value2member_map_
        return [f"{target} = _members_{name}.get(v) if type(v) is str else None", *fail]
    origin, args = get_origin(hint), get_args(hint)
    if origin is Literal and all(type(arg) is str for arg in args):
        namespace[f"_literal_{name}"] = frozenset(args)
        return [
            f"if type(v) is not str or v not in _literal_{name}:",
            "    return None",
            f"{target} = v",
        ]
    if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = (arg for arg in args if arg is not type(None))
        return [
            "if v is None:",
            f"    {target} = None",
            "else:",
            *_indent(_value_code(inner, target, namespace), 1),
        ]
    if origin is tuple and len(args) == 2 and args[1] is ...:  # tuple[X, ...]
        namespace[f"_items_{name}"] = _tuple_reader(args[0])
        return [f"{target} = _items_{name}(v)", *fail]
    if attrs.has(hint):
        namespace[f"_read_{name}"] = class_reader(hint)
        return [f"{target} = _read_{name}(v)", *fail]
    raise UnsupportedFieldError(repr(hint))


def _tuple_reader(item: Any) -> Reader:  # noqa: ANN401 - a type hint
    """The reader of ``tuple[item, ...]`` from a JSON array (the converter takes tuples too)."""
    if item is str:

        def strings(value: object) -> tuple[str, ...] | None:
            if type(value) is not list or not all(type(entry) is str for entry in value):
                return None
            return tuple(value)

        return strings
    if item == AnyEvent:
        return events_reader()
    read_item = class_reader(item)

    def values(value: object) -> tuple[Any, ...] | None:
        if type(value) is not list:
            return None
        read = []
        for entry in value:
            built = read_item(entry)
            if built is None:
                return None
            read.append(built)
        return tuple(read)

    return values


@functools.cache
def events_reader() -> Reader:
    """The reader of a list of events: each by the reader of the class its ``kind`` names.

    A kind's reader is made the first time the kind is met.
    """
    readers: dict[str, Reader] = {}

    def events(value: object) -> tuple[Any, ...] | None:
        if type(value) is not list:
            return None
        read = []
        for event in value:
            if type(event) is not dict:
                return None
            kind = event.get("kind")
            if type(kind) is not str:  # as the converter: a str subclass's kind is no kind
                return None
            reader = readers.get(kind)
            if reader is None:
                cls = EVENT_TYPES.get(kind)
                if cls is None:
                    return None
                reader = readers[cls.kind] = _event_class_reader(cls)
            built = reader(event)
            if built is None:
                return None
            read.append(built)
        return tuple(read)

    return events


def _event_class_reader(cls: type) -> Reader:
    try:
        return class_reader(cls)
    except UnsupportedFieldError:
        return _refuse  # its documents go the full way (a test shows no kind does)


def _refuse(_: object) -> None:
    return None
