"""The hooks of the cattrs converter that `challenge_rules.converter` builds.

The converter is strict: it takes JSON's own types only (it never turns 5
into "5", a string into a tuple of characters, or "false" into True), and
dates and timestamps are read by the same rules as the schemas' format checks.
With the history model's validators, that makes structuring a case history
as strict as its JSON Schema, so `challenge_rules.loading.load_history` can
try the (fast) converter first and run the schema only to explain a refusal.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, get_args, get_origin

from challenge_rules._instants import offset_zone, shared_offset
from challenge_rules.calendar import Timescale
from challenge_rules.history import EVENT_TYPES, AnyEvent, CaseHistory
from challenge_rules.policy import FieldValues, Policy, WhereValue

if TYPE_CHECKING:
    from collections.abc import Callable

    # cattrs (~30 ms to import) is loaded when a converter is built, not with the package:
    # `import challenge_rules` and the engine need only this module's patterns and checks.
    from cattrs import Converter
    from cattrs.errors import IterableValidationError

# One definition of a date and a timestamp, shared with the JSON Schema format checks
# (`challenge_rules.schemas`), so the converter accepts exactly what the schemas accept.
DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME_RE: Final = re.compile(
    r"(?P<local>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?)"
    r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?"
)
_AFTER_YEAR: Final = (
    r"-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"
)
TIMESTAMP_RE: Final = re.compile(r"[0-9]{4}" + _AFTER_YEAR)
"""`DATETIME_RE` with the offset required: a timestamp a history may hold."""
FIRST_MOMENT_DAY: Final = date(1901, 1, 1)
LAST_MOMENT_DAY: Final = date(2099, 12, 31)
MOMENT_RANGE: Final = (
    f"a timestamp from {FIRST_MOMENT_DAY.isoformat()} to {LAST_MOMENT_DAY.isoformat()}, "
    "years that leave room on the working-day calendar for every deadline"
)
"""What `in_moment_range` expects, as a problem's ``expected`` says it."""
_MOMENT_YEARS: Final = "(190[1-9]|19[1-9][0-9]|20[0-9][0-9])"
MOMENT_PATTERN: Final = f"^{_MOMENT_YEARS}-"
"""The same years as the history schema's timestamp pattern says them (a timestamp's date is
its own, whatever its offset)."""
_MOMENT_RE: Final = re.compile(_MOMENT_YEARS + _AFTER_YEAR)
"""`TIMESTAMP_RE` for the years `in_moment_range` takes: a history's timestamp, in one test."""
MAX_TIMESTAMP_LENGTH: Final = 64
MAX_SCHEMA_NAME: Final = 2000
_WHERE = FieldValues


def in_moment_range(moment: datetime) -> bool:
    """Tell whether a history's or an evaluation's moment is in the years the library takes.

    The working-day calendar covers 1900 to 2199 and a timescale at most a
    century, so moments from 1901 to 2099 (by their own date, whatever their
    offset) always leave room for their deadlines; near year 1 or 9999 the
    arithmetic on them would overflow.
    """
    return FIRST_MOMENT_DAY <= moment.date() <= LAST_MOMENT_DAY


class NaiveTimestampError(ValueError):
    """A timestamp without a UTC offset (cattrs reports it with its path)."""


def structure_date(value: object, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        msg = f"expected a date as a string like 2026-06-08, found {type(value).__name__}"
        raise TypeError(msg)
    if not DATE_RE.fullmatch(value):
        msg = f"expected a date written YYYY-MM-DD, found {value[:20]!r}"
        raise ValueError(msg)
    return date.fromisoformat(value)


def structure_datetime(value: object, _: type) -> datetime:
    if type(value) is str and len(value) <= MAX_TIMESTAMP_LENGTH and TIMESTAMP_RE.fullmatch(value):
        # The common case, in one test: a timestamp with its offset, so an aware moment.
        return shared_offset(datetime.fromisoformat(value))
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
        moment = datetime.fromisoformat(value)  # aware: the pattern saw its offset
    else:
        msg = f"expected a timestamp string, found {type(value).__name__}"
        raise TypeError(msg)
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"timestamp {value!s} has no UTC offset"
        raise NaiveTimestampError(msg)
    # The same instant with the library's shared tzinfo: the engine compares them quickly.
    return shared_offset(moment)


def read_moment(value: object) -> datetime | None:
    """What `structure_datetime` makes of a timestamp `in_moment_range`, or None for any other.

    The fast reader of histories (`challenge_rules._history_reader`) reads every
    timestamp with this: one pattern checks the shape and the years, so
    ``fromisoformat`` meets only RFC 3339 text (which it reads exactly, and refuses
    a day or an offset that does not exist); the tzinfo is the shared one for the
    offset's text, looked up without working the offset out again.
    """
    if type(value) is not str or not _MOMENT_RE.fullmatch(value):  # at most 32 characters
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None  # a day or an offset that does not exist: the slow path says which
    # astimezone to the same offset: the same wall time (and cheaper than replace(tzinfo=)).
    return moment.astimezone(offset_zone(value[-6:] if value[-1] != "Z" else "Z"))


def _strict(kind: type, noun: str) -> Callable[[object, type], Any]:
    """A hook that takes JSON's own type only (cattrs would turn 5 into "5")."""

    def structure(value: object, _: type) -> Any:  # noqa: ANN401 - the primitive itself
        if type(value) is not kind:
            msg = f"expected {noun}, found {type(value).__name__}"
            raise TypeError(msg)
        return value

    return structure


def _is_sequence(hint: object) -> bool:
    return get_origin(hint) is tuple and get_args(hint)[-1:] == (...,)


def _sequences(hint: Any, converter: Converter) -> Callable[[object, type], tuple[Any, ...]]:  # noqa: ANN401
    """A hook for ``tuple[X, ...]`` that takes JSON arrays only (cattrs would split a string)."""
    item = get_args(hint)[0]
    structure_item = converter.get_structure_hook(item)

    def structure(value: object, _: type) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            msg = f"expected a list, found {type(value).__name__}"
            raise TypeError(msg)
        try:
            return tuple([structure_item(entry, item) for entry in value])  # a list is quicker
        except Exception:
            # Said again with the failing items' indexes (always found: structuring is pure).
            located = _located_items(value, item, structure_item, hint)
            if located is None:
                raise
            raise located from None

    return structure


def _located_items(
    value: list[Any] | tuple[Any, ...],
    item: Any,  # noqa: ANN401 - a type hint
    structure_item: Callable[[object, type], Any],
    hint: Any,  # noqa: ANN401 - a type hint
) -> IterableValidationError | None:
    """The failures of structuring ``value``'s items, each noted with its index, as cattrs does.

    Only on failure: the located problems (`_messages.structure_problems`) need the index.
    """
    from cattrs.errors import IterableValidationError, IterableValidationNote  # noqa: PLC0415

    errors: list[Exception] = []
    for index, entry in enumerate(value):
        try:
            structure_item(entry, item)
        except Exception as error:  # noqa: BLE001 - every failure, located
            error.__notes__ = [
                *getattr(error, "__notes__", []),
                IterableValidationNote(f"Structuring {hint} @ index {index}", index, item),
            ]
            errors.append(error)
    return IterableValidationError(f"While structuring {hint}", errors, hint) if errors else None


def _is_optional(hint: object) -> bool:
    """``X | None`` for one X (cattrs' own hook looks X's hook up on every call)."""
    args = get_args(hint)
    return (
        get_origin(hint) in (typing.Union, types.UnionType)
        and len(args) == 2
        and type(None) in args
    )


def _optional(hint: Any, converter: Converter) -> Callable[[object, type], Any]:  # noqa: ANN401
    """A hook for ``X | None``: None, or what X's hook makes of the value."""
    item = next(arg for arg in get_args(hint) if arg is not type(None))
    structure_item = converter.get_structure_hook(item)

    def structure(value: object, _: type) -> Any:  # noqa: ANN401 - what X's hook returns
        return None if value is None else structure_item(value, item)

    return structure


def _unstructure_sequences(hint: Any, converter: Converter) -> Callable[[Any], list[Any]]:  # noqa: ANN401
    """A hook writing ``tuple[X, ...]`` as a JSON array: a list of what X's hook writes."""
    from cattrs.fns import identity  # noqa: PLC0415 - see TYPE_CHECKING

    unstructure_item = converter.get_unstructure_hook(get_args(hint)[0])
    if unstructure_item == identity:  # how cattrs itself tests for it
        return list

    def unstructure(values: tuple[Any, ...]) -> list[Any]:
        return [unstructure_item(value) for value in values]

    return unstructure


def _structure_str_enum(value: object, cls: type[enum.StrEnum]) -> enum.StrEnum:
    if not isinstance(value, str):
        msg = f"expected a string, found {type(value).__name__}"
        raise TypeError(msg)
    # The member by its value, as cls(value) finds it, without the call's overhead.
    member = cls._value2member_map_.get(value)
    return cls(value) if member is None else member  # type: ignore[return-value]


def _plain_string(value: enum.StrEnum) -> str:
    # JSON-ready data holds plain strings, not enum members (which are str subclasses).
    return value._value_  # the documented sunder name: no property lookup, unlike .value


DURATION_RE: Final = re.compile(
    r"P(?P<days>[0-9]{1,9})DT(?P<hours>[01][0-9]|2[0-3])H(?P<minutes>[0-5][0-9])M"
    r"(?P<seconds>[0-5][0-9])(?:\.(?P<micro>[0-9]{6}))?S"
)
"""An elapsed time as `to_json` writes it: an ISO 8601 duration, exact to the microsecond.

Days, hours, minutes and seconds are always written (``P0DT12H00M00S``), with
six digits of fraction when there is one: one spelling per duration, and no
float seconds (which lose microseconds past about 136 years).
"""


def _structure_timedelta(value: object, _: type) -> timedelta:
    match = DURATION_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        msg = f"expected a duration like P0DT12H00M00S, found {short_repr(value)}"
        raise ValueError(msg)
    return timedelta(
        days=int(match["days"]),
        hours=int(match["hours"]),
        minutes=int(match["minutes"]),
        seconds=int(match["seconds"]),
        microseconds=int(match["micro"] or 0),
    )


def _unstructure_timedelta(value: timedelta) -> str:
    if value < timedelta(0):
        msg = f"a negative duration cannot be written: {value}"
        raise ValueError(msg)
    minutes, seconds = divmod(value.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    fraction = f".{value.microseconds:06d}" if value.microseconds else ""
    return f"P{value.days}DT{hours:02d}H{minutes:02d}M{seconds:02d}{fraction}S"


def short_repr(value: object) -> str:
    """A value as a message shows it: its type, or the start of a string."""
    return repr(value[:40]) if isinstance(value, str) else type(value).__name__


def _structure_where(value: object, _: type) -> FieldValues:
    if not isinstance(value, dict):
        msg = "expected an object of field values"
        raise TypeError(msg)
    where: dict[str, WhereValue] = {}
    for key, wanted in value.items():
        if isinstance(wanted, list) and wanted and all(type(v) is str for v in wanted):
            where[key] = tuple(wanted)
        elif isinstance(key, str) and isinstance(wanted, str | bool):
            where[key] = wanted
        else:
            msg = f"where.{key}: expected a text, true/false, or a list of texts"
            raise TypeError(msg)
    return FieldValues(where)


def _unstructure_where(value: FieldValues) -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}


_PRIMITIVES: Final = frozenset({str, int, float, bool, type(None)})


def _is_optional_primitive(hint: object) -> bool:
    """``str | None`` and the like: JSON-ready already."""
    origin = get_origin(hint)
    return origin in (typing.Union, types.UnionType) and set(get_args(hint)) <= _PRIMITIVES


def _without_schema(structure: Callable[[Any, type], Any]) -> Callable[[Any, type], Any]:
    def hook(value: Any, cls: type) -> Any:  # noqa: ANN401 - cattrs hooks are untyped
        if isinstance(value, dict) and "$schema" in value:
            named = value["$schema"]
            if not isinstance(named, str) or len(named) > MAX_SCHEMA_NAME:
                msg = "$schema: expected the address of a JSON Schema"
                raise ValueError(msg)
            value = {k: v for k, v in value.items() if k != "$schema"}
        return structure(value, cls)

    return hook


def _events_by_kind(converter: Converter) -> Callable[[object, type], Any]:
    """A hook for `AnyEvent`: the class its ``kind`` names, structured from the rest.

    Each class's hook is made the first time its kind is read.
    """
    readers: dict[str, tuple[Callable[[object, type], Any], type]] = {}

    def structure(value: object, _: type) -> Any:  # noqa: ANN401 - one of the event classes
        if not isinstance(value, dict):
            msg = f"expected an event (an object), found {type(value).__name__}"
            raise TypeError(msg)
        kind = value.get("kind")
        reader = readers.get(kind) if type(kind) is str else None
        if reader is None:
            cls = EVENT_TYPES.get(kind) if type(kind) is str else None
            if cls is None:
                msg = f"kind: expected one of {', '.join(EVENT_TYPES)}, found {short_repr(kind)}"
                raise ValueError(msg)
            reader = readers[cls.kind] = (converter.get_structure_hook(cls), cls)
        data = dict(value)
        del data["kind"]
        return reader[0](data, reader[1])

    return structure


def _unstructure_events(converter: Converter) -> Callable[[Any], dict[str, Any]]:
    """A hook writing an `AnyEvent`: its class's fields, then its ``kind``.

    What cattrs' ``configure_tagged_union`` writes, with each class's hook
    made on first use rather than all of them when the converter is built.
    """
    classes = frozenset(EVENT_TYPES.values())
    writers: dict[type, Callable[[Any], dict[str, Any]]] = {}

    def unstructure(event: Any) -> dict[str, Any]:  # noqa: ANN401 - one of the event classes
        cls = type(event)
        writer = writers.get(cls)
        if writer is None:
            if cls not in classes:
                raise KeyError(cls)  # as the tagged union does
            writer = writers[cls] = converter.get_unstructure_hook(cls)
        data = writer(event)
        data["kind"] = cls.kind
        return data

    return unstructure


def _document_hook(cls: type, converter: Converter) -> Callable[[Any, type], Any]:
    from cattrs.gen import make_dict_structure_fn  # noqa: PLC0415 - see TYPE_CHECKING

    return _without_schema(make_dict_structure_fn(cls, converter))


def register_hooks(converter: Converter) -> Converter:
    """Register the strict hooks on ``converter`` (see `challenge_rules.converter`)."""
    from cattrs.fns import identity  # noqa: PLC0415 - see TYPE_CHECKING
    from cattrs.gen import make_dict_unstructure_fn, override  # noqa: PLC0415

    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "a whole number"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook_factory(_is_sequence, _sequences)
    converter.register_structure_hook_factory(_is_optional, _optional)
    converter.register_unstructure_hook_factory(_is_sequence, _unstructure_sequences)
    # StrEnum comes before str in a str enum's MRO, so this hook, not str's, builds them.
    converter.register_structure_hook(enum.StrEnum, _structure_str_enum)
    converter.register_unstructure_hook(enum.StrEnum, _plain_string)
    converter.register_structure_hook(date, structure_date)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(datetime, structure_datetime)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(timedelta, _structure_timedelta)
    converter.register_unstructure_hook(timedelta, _unstructure_timedelta)
    # Generic aliases can't be registered by type, only by predicate.
    converter.register_structure_hook_func(lambda t: t == _WHERE, _structure_where)
    converter.register_unstructure_hook_func(lambda t: t == _WHERE, _unstructure_where)
    # Written as they are: cattrs then reads the field in its generated code, with no call.
    converter.register_unstructure_hook_func(_is_optional_primitive, identity)
    # Events are tagged by their kind; read with one call, not cattrs' two (events are most
    # of a history). Hooks are made when first used: a command reading only policies (or
    # only histories) never spends the time to make the other's (~10 ms each).
    converter.register_unstructure_hook(AnyEvent, _unstructure_events(converter))
    converter.register_structure_hook(AnyEvent, _events_by_kind(converter))
    # A timescale is written as it was before it could say more: its unit and amount,
    # and only those of its readings (alternative, tolerance, ...) that are given.
    omitted = override(omit_if_default=True)
    timescale = make_dict_unstructure_fn(
        Timescale,
        converter,
        alternative=omitted,
        governs=omitted,
        tolerance=omitted,
        expect_within=omitted,
        firmness=omitted,
    )
    converter.register_unstructure_hook(Timescale, timescale)
    # Documents may name their schema ("$schema") so editors validate them; it is no field.
    converter.register_structure_hook_factory(
        lambda cls: cls is CaseHistory or cls is Policy, _document_hook
    )
    return converter
