"""load_history's fast reader gives exactly what the full path gives, or steps aside.

`challenge_rules._history_reader.read_history` (load_history's first try when no
converter is passed) must build the very `CaseHistory` the full path builds (schema,
converter, rules), with the same classes, enum members and shared tzinfo objects, and
must return None for every document the full path refuses, so that the full path
locates its problems. These tests check it over generated histories, the examples,
and mutations of both, and the timestamp reader over texts near and far from RFC 3339.
"""

from __future__ import annotations

import copy
import json
import types
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from _documents import parent, places
from challenge_rules import InvalidHistory, load_history, loading, shipped_policy
from challenge_rules._convert import in_moment_range, read_moment, structure_datetime
from challenge_rules._history_reader import (
    UnsupportedFieldError,
    class_reader,
    events_reader,
    read_history,
)
from challenge_rules.converter import default_converter
from challenge_rules.history import EVENT_TYPES, CaseHistory, moment_fields
from challenge_rules.testing import histories

if TYPE_CHECKING:
    from challenge_rules.errors import Problem

EXAMPLES = sorted((Path(__file__).parents[1] / "examples" / "cases").glob("*.json"))
EXAMPLE_DOCUMENTS = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]
POLICIES = [shipped_policy(name) for name in ("pan-cheshire", "hips")]


def _document(history: CaseHistory) -> dict[str, Any]:
    """The history as a parsed JSON document (what json.loads gives load_history)."""
    document: dict[str, Any] = json.loads(json.dumps(default_converter().unstructure(history)))
    return document


generated = st.sampled_from(POLICIES).flatmap(
    lambda policy: st.booleans().flatmap(
        lambda irregular: histories(policy, max_events=12, irregular=irregular)
    )
)
valid_documents = st.one_of(st.sampled_from(EXAMPLE_DOCUMENTS), generated.map(_document))


# --- what the full path gives ----------------------------------------------------------------


def full_path(document: object) -> tuple[CaseHistory | None, tuple[Problem, ...]]:
    """The value and the problems of load_history's full way: schema, converter, rules."""
    value, problems = loading._check(document, loading._HISTORY, None)
    if any(p.severity == "error" for p in problems):
        return None, tuple(problems)
    return value, tuple(problems)


def _same_parts(got: object, expected: object) -> bool:
    """Equal, and made of the same things: classes, enum members, tzinfo objects."""
    if type(got) is not type(expected):
        return False
    if isinstance(got, datetime):
        assert isinstance(expected, datetime)
        return got == expected and got.tzinfo is expected.tzinfo and got.fold == expected.fold
    if isinstance(got, tuple):
        assert isinstance(expected, tuple)
        return len(got) == len(expected) and all(map(_same_parts, got, expected))
    if attrs.has(type(got)):
        return all(
            _same_parts(getattr(got, f.name), getattr(expected, f.name))
            for f in attrs.fields(type(got))
        )
    return got == expected


def converter_path(document: object) -> CaseHistory | None:
    """What load_history's fast path made of a document before the reader: the converter's."""
    try:
        history = default_converter().structure(document, CaseHistory)
    except Exception:  # noqa: BLE001 - any failure is a refusal
        return None
    events = history.events
    if len({e.id for e in events}) != len(events):
        return None
    moments = [getattr(e, name) for e in events for name in moment_fields(e.kind)]
    if any(m is not None and not in_moment_range(m) for m in moments):
        return None
    return history


def _is_json(node: object) -> bool:
    """Whether ``node`` is made of what json.loads gives (dicts, lists, plain strings, ...)."""
    if isinstance(node, dict):
        return type(node) is dict and all(type(k) is str and _is_json(v) for k, v in node.items())
    if isinstance(node, list):
        return type(node) is list and all(map(_is_json, node))
    return node is None or type(node) in (str, int, float, bool)


def assert_agrees(document: object) -> CaseHistory | None:
    """The reader builds the full path's value, or steps aside; load_history keeps its outcome.

    Before the reader, load_history tried the converter (which also takes a tuple for
    a list), then the full path: its outcome is the same now.
    """
    fast = read_history(document)
    converted = converter_path(document)
    value, problems = full_path(document)
    if fast is not None:
        assert converted is not None
        assert _same_parts(fast, converted)
        if _is_json(document):
            assert value is not None, [str(p) for p in problems]
            assert _same_parts(fast, value)
    if converted is None:
        with pytest.raises(InvalidHistory) as refused:
            load_history(document)  # type: ignore[arg-type]
        assert refused.value.problems == problems
    else:
        assert _same_parts(load_history(document), converted)  # type: ignore[arg-type]
        assert _same_parts(load_history(document, converter=default_converter()), converted)  # type: ignore[arg-type]
    return fast


# --- valid documents: the reader takes them, and builds the same value -----------------------


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(valid_documents)
def test_the_reader_builds_what_the_full_path_builds(document: dict[str, Any]) -> None:
    assert full_path(document)[0] is not None
    assert assert_agrees(document) is not None, "a valid history is read on the fast path"


@pytest.mark.parametrize("document", EXAMPLE_DOCUMENTS, ids=[p.stem for p in EXAMPLES])
def test_every_example_is_read_on_the_fast_path(document: dict[str, Any]) -> None:
    assert assert_agrees(document) is not None


def test_every_event_kind_and_the_history_have_a_generated_reader() -> None:
    for cls in (CaseHistory, *EVENT_TYPES.values()):
        assert callable(class_reader(cls)), cls  # an unsupported field would raise here


def test_a_field_the_reader_has_no_code_for_is_said_when_the_reader_is_made() -> None:
    @attrs.frozen
    class Odd:
        ratio: float

    with pytest.raises(UnsupportedFieldError):
        class_reader(Odd)


def test_the_schema_address_is_no_field() -> None:
    document = {"$schema": "https://example.org/history.schema.json", **EXAMPLE_DOCUMENTS[0]}
    assert assert_agrees(document) is not None
    assert assert_agrees({**document, "$schema": 7}) is None
    assert assert_agrees({**document, "$schema": "x" * 2001}) is None


# --- mutated documents: whatever the reader takes, the full path takes alike ------------------

OTHER_VALUES = [None, True, False, 0, 7, -1, 1.5, "", " ", "x", [], ["x"], {}, {"kind": "x"}]
OTHER_STRINGS = [
    *("", " ", "\n", "x", "Not An Id", "UPPER", "a" * 101, "-a", "a b", "é", "e1\n"),
    *("2026-13-01", "2026-06-08", "20260608", "2026-06-08T09:30:00", "2026-06-08T09:30+01:00"),
    *("2026-06-08 09:30:00Z", "2026-06-08T09:30:00z", "2026-06-08t09:30:00Z"),
    *("2026-02-30T09:30:00Z", "2026-06-08T24:00:00Z", "2026-06-08T23:59:60Z"),
    *("2026-06-08T09:30:00+24:00", "2026-06-08T09:30:00+01:60", "2026-06-08T09:30:00-00:00"),
    *("2026-06-08T09:30:00.1234567Z", "2026-06-08T09:30:00.5+05:30", "2026-06-08T09:30:00+0100"),
    *("1900-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "\uff11999-01-01"),
    *("2026-06-08T09:30:00+01:00", "raising", "receiving", "resolved", "child", "decision"),
    *("stage-1", "step-1", "practitioners", "e1", "e2", "concern_raised", "escalated"),
]
FIELD_NAMES = sorted(
    {f.name for cls in EVENT_TYPES.values() for f in attrs.fields(cls)} | {"kind", "$schema"}
)


class _Text(str):
    """A string that is not a plain `str` (load_history takes any mapping, not only JSON)."""

    __slots__ = ()


def _mutate(draw: st.DrawFn, document: dict[str, Any]) -> bool:
    """One mutation of ``document`` in place; False when no key is left to mutate."""
    found = [(p, n) for p, n in places(document) if p]
    if not found:  # every key dropped
        return False
    path, node = draw(st.sampled_from(found))
    holder = parent(document, path)
    operation = draw(st.sampled_from(["drop", "add", "value", "string", "timestamp", "duplicate"]))
    events = document.get("events")
    if operation == "drop":
        del holder[path[-1]]
    elif operation == "add" and isinstance(node, dict):
        key = draw(st.sampled_from(FIELD_NAMES) | st.sampled_from(["extra", "Kind"]))
        node[key] = copy.deepcopy(draw(st.sampled_from(OTHER_VALUES + OTHER_STRINGS)))
    elif operation == "value":
        holder[path[-1]] = copy.deepcopy(draw(st.sampled_from(OTHER_VALUES)))
    elif operation == "string" and isinstance(node, str):
        holder[path[-1]] = draw(st.sampled_from(OTHER_STRINGS))
    elif operation == "timestamp" and isinstance(node, str):
        holder[path[-1]] = draw(timestamp_texts)
    elif operation == "duplicate" and isinstance(events, list) and events:
        # (an earlier mutation may have made "events" something else, or emptied it)
        events.append(copy.deepcopy(draw(st.sampled_from(events))))
    return True


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(valid_documents))
    for _ in range(draw(st.integers(1, 3))):
        if not _mutate(draw, document):
            break
    found = [(p, n) for p, n in places(document) if p]
    if found and draw(st.booleans()):  # last: a read-only mapping cannot be copied
        path, node = draw(st.sampled_from(found))
        parent(document, path)[path[-1]] = _retyped(node)
    return document


def _retyped(node: object) -> object:
    """The same content in a type JSON never gives: a tuple, a read-only mapping, a str subclass."""
    if isinstance(node, list):
        return tuple(node)
    if isinstance(node, dict):
        return types.MappingProxyType(node)
    if isinstance(node, str):
        return _Text(node)
    return float(node) if type(node) is int else node


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=400)
@given(mutated())
def test_whatever_the_reader_takes_the_full_path_takes_alike(document: dict[str, Any]) -> None:
    assert_agrees(document)


@given(st.sampled_from(EXAMPLE_DOCUMENTS), st.sampled_from(["dict", "events", "event", "party"]))
def test_a_mapping_that_is_not_a_dict_goes_the_full_way(
    document: dict[str, Any], where: str
) -> None:
    document = copy.deepcopy(document)
    if where == "events":
        document["events"] = tuple(document["events"])
    elif where == "event":
        document["events"][0] = types.MappingProxyType(document["events"][0])
    elif where == "party":
        raised = next(e for e in document["events"] if e["kind"] == "concern_raised")
        raised["raising"] = types.MappingProxyType(raised["raising"])
    proxy = types.MappingProxyType(document) if where == "dict" else document
    assert read_history(proxy) is None
    assert_agrees(proxy)  # load_history: what the converter made of it before, or the refusal


def test_events_sharing_an_id_go_the_full_way() -> None:
    document = copy.deepcopy(EXAMPLE_DOCUMENTS[0])
    document["events"].append(copy.deepcopy(document["events"][-1]))
    assert assert_agrees(document) is None


def test_an_event_of_no_kind_goes_the_full_way() -> None:
    for kind in (["concern_raised"], "no_such_kind", None, _Text("concern_raised")):
        assert events_reader()([{"kind": kind, "id": "e1"}]) is None


# --- timestamps --------------------------------------------------------------------------------

_offsets = st.integers(-24 * 60 + 1, 24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
timestamp_texts = st.one_of(
    st.datetimes(
        min_value=datetime(1899, 1, 1),  # noqa: DTZ001 - aware below
        max_value=datetime(2101, 12, 31),  # noqa: DTZ001
        timezones=_offsets | st.just(UTC),
    ).map(lambda moment: moment.isoformat().replace("+00:00", "Z", moment.minute % 2)),
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]{0,8})?"
        r"([Zz]|[+-][0-9]{2}:?[0-9]{2}(:[0-9]{2})?)?",
        fullmatch=True,
    ),
    st.sampled_from(OTHER_STRINGS),
    st.text(max_size=30),
)


def _structured(value: str) -> datetime | None:
    """What the converter and the range check make of a timestamp text."""
    try:
        moment = structure_datetime(value, datetime)
    except (TypeError, ValueError):
        return None
    return moment if in_moment_range(moment) else None


@settings(max_examples=1000)
@given(timestamp_texts)
def test_the_timestamp_reader_reads_what_the_converter_reads(value: str) -> None:
    expected = _structured(value)
    got = read_moment(value)
    if expected is None:
        assert got is None
    else:
        assert got is not None
        assert _same_parts(got, expected)


@given(timestamp_texts)
def test_a_timestamp_the_reader_takes_the_schema_takes(value: str) -> None:
    assume(read_moment(value) is not None)
    document = copy.deepcopy(EXAMPLE_DOCUMENTS[0])
    document["events"][0]["at"] = value
    assert full_path(document)[0] is not None
