"""JSON Schemas, JSON reading, and loading policies and case histories.

Loading a policy runs three checks, and reports every problem of each in one
`InvalidPolicy`, each problem located by a JSON pointer:

1. the JSON itself (`read_json`): size, encoding, syntax, nesting depth,
   duplicate property names, and numbers JSON does not have (NaN, Infinity);
2. the JSON Schema (``schemas/policy.schema.json``, Draft 2020-12);
3. only if the schema passed: building the `Policy` value and the semantic
   checks a schema cannot express (every id a rule names exists, the ladder
   ends, fallbacks do not go round in circles, ...).

Validation never touches the network: the schemas are read from the installed
package, and a reference to any other document is reported as a problem, not
fetched. Problems are written for the people who write policy files: where,
what was found, what was expected, and a hint (the wording is in `_messages`).

Each ``load_*`` function has a ``*_problems`` twin taking the same sources
that returns every problem, warnings included, instead of raising.
"""

from __future__ import annotations

import copy
import functools
import importlib.resources
import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable

from challenge_rules._convert import DATE_RE, DATETIME_RE, default_converter, in_moment_range
from challenge_rules._decode import decode_history
from challenge_rules._ids import ID_PATTERN
from challenge_rules._messages import (
    REMOTE,
    document_order,
    error_problems,
    pointer_path,
    structure_problems,
    unique,
)
from challenge_rules._resources import schema_files as _schema_files
from challenge_rules._semantic import check_policy_semantics
from challenge_rules._text import short
from challenge_rules.errors import (
    InvalidHistory,
    InvalidInput,
    InvalidPolicy,
    NotFound,
    Problem,
    UnknownPolicy,
    pointer_join,
)
from challenge_rules.history import MAX_EVENTS, CaseHistory
from challenge_rules.policy import Policy

if TYPE_CHECKING:
    from cattrs import Converter
    from jsonschema.exceptions import ValidationError

SCHEMA_BASE: Final = "https://challenge-rules.readthedocs.io/schemas/"
"""Where the schemas are published; each schema's ``$id`` is this plus its file name."""
MAX_BYTES: Final = 20 * 1024 * 1024
"""The largest JSON file `read_json` reads (20 MB)."""
MAX_DEPTH: Final = 64
"""The deepest nesting of arrays and objects a document may have."""
MAX_PROBLEMS: Final = 500
"""At most this many problems are reported per document (and a note that there are more)."""

_T = TypeVar("_T")
_PACKAGE: Final = "challenge_rules"
_ID_RE: Final = re.compile(ID_PATTERN)

# --- the schemas ----------------------------------------------------------------


@functools.cache
def _schema(name: str) -> dict[str, Any]:
    files = _schema_files()
    if name not in files:
        raise NotFound(kind="schema", key=name, available=tuple(sorted(files)))
    loaded: dict[str, Any] = json.loads(files[name].read_text(encoding="utf-8"))
    return loaded


def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema (a fresh copy: changing it changes nothing else)."""
    return copy.deepcopy(_schema("policy"))


def history_schema() -> dict[str, Any]:
    """The case-history JSON Schema (a fresh copy)."""
    return copy.deepcopy(_schema("history"))


def _refuse(uri: str) -> Resource[Any]:
    # The registry's only way to find a document it does not hold: refuse.
    raise NoSuchResource(uri)


@functools.cache
def _registry() -> Registry[Any]:
    resources = [
        (_schema(name)["$id"], Resource.from_contents(_schema(name))) for name in _schema_files()
    ]
    registry: Registry[Any] = Registry(retrieve=_refuse)  # type: ignore[call-arg]
    return registry.with_resources(resources)


_FORMATS: Final = FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_RE.fullmatch(value):
        return False
    date.fromisoformat(value)
    return True


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = DATETIME_RE.fullmatch(value)
    if match is None or match["offset"] is None:
        return False
    datetime.fromisoformat(value)
    return True


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return _make_validator(_schema(name))


def _make_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=_registry(), format_checker=_FORMATS)


# --- reading JSON ---------------------------------------------------------------


class _Constant:
    """A NaN or Infinity in the JSON text, kept so its location can be reported."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Pairs:
    """The object hook: builds plain dicts, noting those that repeat a property name."""

    def __init__(self) -> None:
        self.duplicates: dict[int, tuple[str, ...]] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            repeated: list[str] = []
            for key, _ in pairs:
                if key in seen and key not in repeated:
                    repeated.append(key)
                seen.add(key)
            self.duplicates[id(result)] = tuple(repeated)
        return result


_SYNTAX_HINTS: Final = (
    ("Expecting ',' delimiter", "a comma may be missing between two items"),
    (
        "Expecting property name enclosed in double quotes",
        "property names need double quotes, and JSON allows no comma after the last item",
    ),
    ("Expecting ':' delimiter", "a colon must follow each property name"),
    ("Expecting value", "a value is missing here (or there is a comma after the last item)"),
    ("Unterminated string", "a closing double quote is missing"),
    ("Invalid control character", "write a line break inside text as \\n, and a tab as \\t"),
    ("Invalid \\escape", "write a backslash inside text as \\\\"),
    ("Extra data", "there is more after the end of the document: a closing bracket too many?"),
)


def _syntax_problem(error: json.JSONDecodeError) -> Problem:
    if not error.doc.strip():
        return Problem(message="the file is empty", expected="a JSON object ({...})")
    hint = next((h for prefix, h in _SYNTAX_HINTS if error.msg.startswith(prefix)), None)
    return Problem(
        message=f"JSON syntax error at line {error.lineno}, column {error.colno}: {error.msg}",
        hint=hint,
    )


def _decode(data: bytes) -> tuple[str | None, Problem | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(
            message="the file is UTF-16 text, not UTF-8",
            expected="UTF-8 text",
            hint="save the file as UTF-8 (most editors offer this under 'Save with encoding')",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Problem(
            message=(
                f"the file is not UTF-8 text: byte 0x{data[error.start]:02x} "
                f"at line {line}, column {column} cannot be read"
            ),
            expected="UTF-8 text",
            hint="save the file as UTF-8 (most editors offer this under 'Save with encoding')",
        )


_LEAVES: Final = frozenset({str, int, bool, type(None)})


def _is_plain(document: object) -> bool:
    """Whether parsed JSON holds none of what `_scan` reports: a cheap yes or no.

    What `json.loads` builds is only dicts, lists, text, numbers, booleans,
    None and `_Constant`, so that is whether it nests deeper than `MAX_DEPTH`,
    holds a NaN or Infinity, or a number too large for a float.  `_scan`, which
    works out where each problem is, runs only when this says no (a property
    test in tests/test_schema.py keeps the two in agreement).
    """
    if type(document) is dict or type(document) is list:
        return _plain_container(document, 0)
    return _plain_leaf(document)


def _plain_leaf(value: object) -> bool:
    return type(value) in _LEAVES or (type(value) is float and math.isfinite(value))


def _plain_container(container: dict[str, object] | list[object], depth: int) -> bool:
    if depth >= MAX_DEPTH:
        return False
    for item in container.values() if type(container) is dict else container:
        if type(item) in _LEAVES:
            continue  # most values: no call
        if type(item) is dict or type(item) is list:
            if not _plain_container(item, depth + 1):
                return False
        elif not _plain_leaf(item):
            return False
    return True


def _scan(
    document: object, duplicates: Mapping[int, tuple[str, ...]] | None = None
) -> list[Problem]:
    """Problems JSON parsing leaves: depth, duplicates, non-finite and non-JSON values."""
    problems: list[Problem] = []
    stack: list[tuple[object, tuple[str | int, ...]]] = [(document, ())]
    while stack and len(problems) < MAX_PROBLEMS:
        value, path = stack.pop()
        if isinstance(value, Mapping | list | tuple) and len(path) >= MAX_DEPTH:
            problems.append(
                Problem(
                    message=f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
                    pointer=pointer_join(*path),
                    expected=f"at most {MAX_DEPTH} levels of nested lists and objects",
                    hint="check that this is the file you meant: no valid file nests this deep",
                )
            )
            break
        if duplicates and id(value) in duplicates:
            problems.extend(
                Problem(
                    message=f'property "{short(key)}" appears more than once in this object',
                    pointer=pointer_join(*path, key),
                    expected="each property name once",
                    hint="JSON keeps only the last one: remove or rename the others",
                )
                for key in duplicates[id(value)]
            )
        if isinstance(value, Mapping):
            for key, item in reversed(list(value.items())):
                if not isinstance(key, str):
                    problems.append(
                        Problem(
                            message="a property name is not text",
                            pointer=pointer_join(*path),
                            expected="text property names",
                        )
                    )
                    continue
                stack.append((item, (*path, key)))
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, _Constant) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            text = value.text if isinstance(value, _Constant) else "this number is too large: it"
            problems.append(
                Problem(
                    message=f"{text} is not a number JSON allows",
                    pointer=pointer_join(*path),
                    expected="a finite number",
                    hint="write an ordinary number, or null",
                )
            )
        elif not (value is None or isinstance(value, str | int | float | bool)):
            problems.append(
                Problem(
                    message=f"a {type(value).__name__} is not a JSON value",
                    pointer=pointer_join(*path),
                    expected="text, a number, true, false, null, a list or an object",
                )
            )
    return problems


def _read(path: str | os.PathLike[str]) -> tuple[object, tuple[Problem, ...]]:
    """Read a JSON file: the document, or the problems that stopped it being read."""
    target = Path(path)
    try:
        with target.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None, (
            Problem(
                message="file not found",
                expected="the path of a JSON file",
                hint="check the spelling of the path, and the folder it is relative to",
            ),
        )
    except IsADirectoryError:
        return None, (Problem(message="this is a folder, not a file", expected="a JSON file"),)
    except OSError as error:
        return None, (Problem(message=f"cannot read the file: {error.strerror or error}"),)
    if len(data) > MAX_BYTES:
        return None, (
            Problem(
                message="the file is too large",
                expected=f"at most {MAX_BYTES // (1024 * 1024)} MB",
                hint="check that this is the file you meant",
            ),
        )
    return parse_json(data)


def parse_json(data: bytes | str) -> tuple[object, tuple[Problem, ...]]:
    """Parse JSON text strictly: the document, or every problem that stops its use."""
    if isinstance(data, bytes):
        text, problem = _decode(data)
        if problem is not None or text is None:
            return None, (problem,) if problem else ()
    else:
        text = data
    pairs = _Pairs()
    try:
        document = json.loads(text, object_pairs_hook=pairs, parse_constant=_Constant)
    except json.JSONDecodeError as error:
        return None, (_syntax_problem(error),)
    except RecursionError:
        return None, (
            Problem(
                message=f"the document is nested too deeply (more than {MAX_DEPTH} levels)",
                expected=f"at most {MAX_DEPTH} levels of nested lists and objects",
            ),
        )
    except ValueError as error:  # e.g. an integer with thousands of digits
        return None, (Problem(message=f"a value cannot be read: {short(str(error), 120)}"),)
    if pairs.duplicates or not _is_plain(document):
        problems = _scan(document, pairs.duplicates)
        if problems:
            return None, tuple(problems)
    return document, ()


def read_json(path: str | os.PathLike[str]) -> object:
    """Read a JSON file, refusing what no valid input file contains.

    Raises `InvalidInput` (every problem found, located by line and column or
    JSON pointer) for a file that is missing or unreadable, larger than 20 MB,
    not UTF-8, not JSON, nested more than 64 levels deep, or that repeats a
    property name in one object or uses NaN or Infinity.
    """
    document, problems = _read(path)
    if problems:
        raise InvalidInput(kind="JSON file", problems=problems, source=str(path))
    return document


# --- schema validation ------------------------------------------------------------


def _schema_warning(document: object, name: str) -> list[Problem]:
    if not isinstance(document, Mapping):
        return []
    declared = document.get("$schema")
    expected = f"{SCHEMA_BASE}{name}.schema.json"
    if not isinstance(declared, str) or declared.endswith(f"{name}.schema.json"):
        return []
    return [
        Problem(
            message=f'this file names the schema "{short(declared)}", but it was checked '
            f"against the challenge-rules {name} schema",
            pointer="/$schema",
            expected=expected,
            hint=f'write "$schema": "{expected}"',
            severity="warning",
        )
    ]


def _validate(document: object, schema: Mapping[str, Any], name: str) -> list[Problem]:
    scanned = _scan(document)
    if scanned:
        return scanned
    validator = _make_validator(schema) if name == "" else _validator(name)
    problems: list[Problem] = []
    try:
        errors = list(_take(validator.iter_errors(document), MAX_PROBLEMS + 1))
    except Unresolvable as unresolvable:
        reference = getattr(unresolvable, "ref", "") or str(unresolvable)
        return [
            Problem(
                message=f'the schema refers to "{short(str(reference), 120)}": {REMOTE}',
                expected="a schema with only references inside it, or to challenge-rules schemas",
            )
        ]
    for error in errors:
        problems.extend(error_problems(error, schema))
    referring = {p.pointer.removesuffix("/$ref") for p in problems if p.message.endswith(REMOTE)}
    problems = [
        p
        for p in unique(problems)
        if not (p.pointer in referring and p.message.startswith("missing"))
    ]
    problems.sort(key=lambda p: document_order(document, pointer_path(p.pointer)))
    if len(errors) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS]
        problems.append(
            Problem(message=f"more problems were found; only the first {MAX_PROBLEMS} are shown")
        )
    return problems + _schema_warning(document, name)


def _take(errors: Iterator[ValidationError], limit: int) -> Iterator[ValidationError]:
    for count, error in enumerate(errors):
        if count >= limit:
            return
        yield error


def validate_document(
    document: object, schema: str, *, source: str | None = None
) -> tuple[Problem, ...]:
    """Check ``document`` against the schema named ``schema`` (``policy``, ``history``, ...).

    Returns every problem found (with warnings), each located by JSON pointer
    and, if given, by ``source``; an empty tuple if the document is valid.
    Only the JSON Schema is checked, not the semantic rules.
    """
    return tuple(p.with_source(source) for p in _validate(document, _schema(schema), schema))


# --- structuring ----------------------------------------------------------------------


def _structure(
    document: Mapping[str, Any], cls: type[_T], converter: Converter | None
) -> tuple[_T | None, list[Problem]]:
    data = {k: v for k, v in document.items() if k != "$schema"}
    try:
        return (converter or default_converter()).structure(data, cls), []
    except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
        return None, structure_problems(error, ()) or [
            Problem(message="the document cannot be read")
        ]


# --- policies ---------------------------------------------------------------------------


def _check(
    document: object, source: str | None, converter: Converter | None
) -> tuple[Policy | None, tuple[Problem, ...]]:
    problems = _validate(document, _schema("policy"), "policy")
    policy = None
    if not any(p.severity == "error" for p in problems) and isinstance(document, Mapping):
        policy, structuring = _structure(document, Policy, converter)
        problems += structuring
        if policy is not None:
            problems += check_policy_semantics(policy)
    return policy, tuple(p.with_source(source) for p in problems)


def check_policy(document: object, *, source: str | None = None) -> tuple[Problem, ...]:
    """Every problem with a policy document, as parsed JSON: an empty tuple if none.

    Schema problems come first; only if the schema passed is the `Policy`
    built and checked for the rules a schema cannot express. Warnings
    (``severity="warning"``) are included; they do not make a policy invalid.
    """
    return _check(document, source, None)[1]


def shipped_policies() -> tuple[str, ...]:
    """The ids of the policies shipped with challenge-rules, sorted."""
    folder = importlib.resources.files(_PACKAGE) / "policies"
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in folder.iterdir()
            if entry.name.endswith(".json")
            and entry.is_file()
            and _ID_RE.match(entry.name.removesuffix(".json"))
        )
    )


def _is_policy_id(source: str) -> bool:
    return (
        not os.path.exists(source)  # noqa: PTH110 - a str is tested before it becomes a Path
        and "/" not in source
        and os.sep not in source
        and not source.lower().endswith(".json")
    )


def _shipped_document(policy_id: str) -> tuple[object, tuple[Problem, ...]]:
    if policy_id not in shipped_policies():
        raise UnknownPolicy(policy_id=policy_id, available=shipped_policies())
    resource = importlib.resources.files(_PACKAGE) / "policies" / f"{policy_id}.json"
    return parse_json(resource.read_bytes())


def _policy_from(
    source: str | os.PathLike[str] | Mapping[str, Any], converter: Converter | None
) -> tuple[str | None, Policy | None, tuple[Problem, ...]]:
    """Load a policy from any source: its label, the policy (if valid) and all problems."""
    if isinstance(source, Mapping):
        policy, problems = _check(source, None, converter)
        return None, policy, problems
    if isinstance(source, str) and _is_policy_id(source):
        label = source
        document, problems = _shipped_document(source)
    else:
        label = os.fspath(source)
        document, problems = _read(source)
    if problems:
        return label, None, tuple(p.with_source(label) for p in problems)
    policy, problems = _check(document, label, converter)
    return label, policy, problems


@functools.lru_cache(maxsize=32)
def _shipped_policy(policy_id: str) -> Policy:
    label, policy, problems = _policy_from(policy_id, None)
    if policy is None or any(p.severity == "error" for p in problems):
        raise InvalidPolicy(kind="policy", problems=problems, source=label)
    return policy


def load_policy(
    source: str | os.PathLike[str] | Mapping[str, Any], *, converter: Converter | None = None
) -> Policy:
    """Load and check a policy.

    ``source`` is the path of a policy JSON file, an already-parsed JSON
    mapping, or the id of a policy shipped with challenge-rules (see
    `shipped_policies`): a string that is not an existing file and has no
    ``/`` and no ``.json`` is taken as an id.

    Raises `InvalidPolicy` with every problem found (warnings are not
    problems: see `check_policy` to get them), and `UnknownPolicy` for an id
    no shipped policy has.
    """
    if converter is None and isinstance(source, str) and _is_policy_id(source):
        return _shipped_policy(source)
    label, policy, problems = _policy_from(source, converter)
    if policy is None or any(p.severity == "error" for p in problems):
        raise InvalidPolicy(kind="policy", problems=problems, source=label)
    return policy


def policy_problems(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[Problem, ...]:
    """Every problem with a policy, warnings included: an empty tuple if none.

    Takes the same sources as `load_policy` (a file's path, a parsed mapping,
    a shipped policy's id) and finds the same problems, but returns them
    instead of raising; a file that cannot be read is a problem too. Raises
    `UnknownPolicy` only for an id no shipped policy has.
    """
    return _policy_from(source, None)[2]


# --- case histories ---------------------------------------------------------------------


def _event_id(document: object, pointer: str) -> str | None:
    path = pointer_path(pointer)
    if len(path) < 2 or path[0] != "events" or not isinstance(path[1], int):
        return None
    events = document.get("events") if isinstance(document, Mapping) else None
    if not isinstance(events, list) or not 0 <= path[1] < len(events):
        return None
    event = events[path[1]]
    ident = event.get("id") if isinstance(event, Mapping) else None
    if isinstance(ident, str) and 0 < len(ident) <= 100 and not ident.isspace():
        return ident
    return None


def _with_event(problem: Problem, document: object) -> Problem:
    ident = _event_id(document, problem.pointer) if problem.event is None else None
    if ident is None:
        return problem
    return attrs.evolve(problem, event=ident)


def _duplicate_events(document: Mapping[str, Any]) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for index, event in enumerate(document.get("events", ())):
        ident = event.get("id") if isinstance(event, Mapping) else None
        if not isinstance(ident, str):
            continue
        if ident in first:
            problems.append(
                Problem(
                    message=f'event id "{short(ident)}" is used by more than one event',
                    pointer=pointer_join("events", index, "id"),
                    expected="a different id for every event",
                    hint=f"the first event with this id is at /events/{first[ident]}",
                    event=ident,
                )
            )
        else:
            first[ident] = index
    return problems


def _history_from(
    source: str | os.PathLike[str] | Mapping[str, Any], converter: Converter | None
) -> tuple[str | None, CaseHistory | None, tuple[Problem, ...]]:
    label: str | None = None
    document: object = source
    if not isinstance(source, Mapping):
        label = os.fspath(source)
        document, problems = _read(source)
        if problems:
            return label, None, tuple(p.with_source(label) for p in problems)
    history, found = _history_document(document, converter)
    return label, history, tuple(p.with_source(label) for p in found)


def _history_document(
    document: object, converter: Converter | None
) -> tuple[CaseHistory | None, tuple[Problem, ...]]:
    """Check a parsed history document: the history (if valid) and every problem."""
    found = [_with_event(p, document) for p in _validate(document, _schema("history"), "history")]
    history = None
    if not any(p.severity == "error" for p in found) and isinstance(document, Mapping):
        found += _duplicate_events(document)
        if not any(p.severity == "error" for p in found):
            history, structuring = _structure(document, CaseHistory, converter)
            found += [_with_event(p, document) for p in structuring]
    return history, tuple(found)


def _fast_history(document: Mapping[str, Any], converter: Converter | None) -> CaseHistory | None:
    """The common case, cheaply: a history the fast reader (or the caller's converter) takes.

    The reader, the strict converter and the history model enforce every rule
    of the history schema (property tests keep them in step), so a document
    they accept is valid; anything else returns None and goes the slow way,
    through the schema, which finds and locates every problem.
    """
    if converter is None:
        return decode_history(document)
    try:
        history = converter.structure(document, CaseHistory)
    except Exception:  # noqa: BLE001 - any failure is for the slow path to explain
        return None
    if len({event.id for event in history.events}) != len(history.events):
        return None
    moments = (m for e in history.events for m in (e.at, e.recorded_at) if m is not None)
    if not all(in_moment_range(m) for m in moments):
        return None  # the schema's timestamp pattern says where and why
    return history


def load_history(
    source: str | os.PathLike[str] | Mapping[str, Any], *, converter: Converter | None = None
) -> CaseHistory:
    """Load and check a case history from the path of a JSON file or a parsed mapping.

    Raises `InvalidHistory` with every problem found: schema problems (such
    as a timestamp without a UTC offset), each located by JSON pointer and
    event id, and events that share an id.
    """
    document: object = source
    label: str | None = None
    if not isinstance(source, Mapping):
        label = os.fspath(source)
        document, unread = _read(source)
        if unread:
            raise InvalidHistory(kind="case history", problems=unread, source=label)
    if isinstance(document, Mapping):
        if history := _fast_history(document, converter):
            return history
        if oversized := _too_many_events(document):
            # Refused at once: the schema would say the same, after seconds of work.
            raise InvalidHistory(kind="case history", problems=(oversized,), source=label)
    history, problems = _history_document(document, converter)
    if history is None or any(p.severity == "error" for p in problems):
        raise InvalidHistory(
            kind="case history",
            problems=tuple(p.with_source(label) for p in problems),
            source=label,
        )
    return history


def history_problems(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[Problem, ...]:
    """Every problem with a case history, warnings included: an empty tuple if none.

    Takes the same sources as `load_history` (a file's path or a parsed
    mapping) and finds the same problems, but returns them instead of
    raising; a file that cannot be read is a problem too. The history is
    checked on its own: whether it fits a policy is for `evaluate` to say.
    """
    return _history_from(source, None)[2]


def _too_many_events(document: Mapping[str, Any]) -> Problem | None:
    events = document.get("events")
    if isinstance(events, list) and len(events) > MAX_EVENTS:
        return Problem(
            message=f"too many items ({len(events)})",
            pointer="/events",
            expected=f"at most {MAX_EVENTS}",
            hint="split the disagreement's history, or check it is one case",
        )
    return None


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "SCHEMA_BASE",
    "check_policy",
    "history_problems",
    "history_schema",
    "load_history",
    "load_policy",
    "parse_json",
    "policy_problems",
    "policy_schema",
    "read_json",
    "shipped_policies",
    "validate_document",
]
