"""The JSON Schemas, reading JSON, and loading policies and case histories."""

from __future__ import annotations

import copy
import enum
import json
import socket
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from challenge_rules import history as history_module
from challenge_rules import policy as policy_module
from challenge_rules import reading, schemas
from challenge_rules._semantic import check_policy_semantics
from challenge_rules.calendar import HOLIDAY_CALENDARS
from challenge_rules.converter import default_converter, make_converter
from challenge_rules.errors import (
    ChallengeRulesError,
    InvalidHistory,
    InvalidInput,
    InvalidPolicy,
    NotFound,
    UnknownPolicy,
    pointer_join,
    pointer_parts,
)
from challenge_rules.history import EVENT_TYPES, CaseHistory, Nature
from challenge_rules.loading import (
    history_problems,
    is_policy_id,
    load_history,
    load_policy,
    policy_from_reference,
    policy_problems,
    reference_problems,
    shipped_policies,
    shipped_policy,
    shipped_policy_problems,
)
from challenge_rules.policy import Policy
from challenge_rules.reading import parse_json, read_json
from challenge_rules.schemas import history_schema, policy_schema, validate_document

REPO = Path(__file__).resolve().parent.parent
POLICIES = Path(__file__).parent / "policies"
BROKEN = POLICIES / "broken"
MINIMAL = POLICIES / "minimal.json"
EXPECTED: dict[str, list[dict[str, str]]] = json.loads(
    (BROKEN / "expected.json").read_text(encoding="utf-8")
)
SCHEMAS = {"policy": policy_schema(), "history": history_schema()}


def minimal() -> dict[str, Any]:
    return json.loads(MINIMAL.read_text(encoding="utf-8"))


# --- the schema files --------------------------------------------------------------


@pytest.mark.parametrize("name", ["policy", "history"])
def test_schema_is_draft_2020_12_with_its_id(name):
    document = SCHEMAS[name]
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"https://challenge-rules.readthedocs.io/schemas/{name}.schema.json"
    assert document["examples"]
    assert "$schema" in document["properties"]


def nodes(node: object, pointer: str = "") -> typing.Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            if key not in {"examples", "default", "enum", "const"}:
                yield from nodes(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nodes(value, f"{pointer}/{index}")


@pytest.mark.parametrize("name", ["policy", "history"])
def test_every_property_has_a_title_and_a_description(name):
    for pointer, node in nodes(SCHEMAS[name]):
        if pointer.endswith(("/if", "/then", "/else")):
            continue  # conditions and branches refine properties declared beside them
        for prop, spec in node.get("properties", {}).items():
            assert spec.get("title"), f"{pointer}/properties/{prop} has no title"
            assert spec.get("description"), f"{pointer}/properties/{prop} has no description"


@pytest.mark.parametrize("name", ["policy", "history"])
def test_objects_are_closed_and_strings_and_lists_bounded(name):
    for pointer, node in nodes(SCHEMAS[name]):
        # The event dispatcher leaves closing to each kind's own definition.
        if node.get("type") == "object" and "properties" in node and pointer != "/$defs/event":
            assert node.get("additionalProperties") is False, pointer
        if node.get("type") == "object" and "properties" not in node:
            assert "maxProperties" in node, pointer
        if node.get("type") == "string" or node.get("type") == ["string", "boolean"]:
            assert "maxLength" in node, pointer
        if node.get("type") == "array":
            assert "maxItems" in node, pointer


@pytest.mark.parametrize("name", ["policy", "history"])
def test_examples_are_valid(name):
    document = SCHEMAS[name]
    checked = 0
    for pointer, node in nodes(document):
        for example in node.get("examples", ()):
            where = {"$ref": f"{document['$id']}#{pointer}"}
            validator = Draft202012Validator(
                where, registry=schemas._registry(), format_checker=schemas._formats()
            )
            errors = [e.message for e in validator.iter_errors(example)]
            assert not errors, f"example at {pointer}: {errors}"
            checked += 1
    assert checked > 10


def test_the_top_level_policy_example_is_the_minimal_policy():
    assert SCHEMAS["policy"]["examples"] == [minimal()]
    assert policy_problems(SCHEMAS["policy"]["examples"][0]) == ()


# --- the schemas agree with the model ------------------------------------------------

POLICY_DEFS = {
    "source": policy_module.Source,
    "clause": policy_module.Clause,
    "partnership": policy_module.Partnership,
    "calendar": policy_module.CalendarSpec,
    "role": policy_module.Role,
    "sector": policy_module.Sector,
    "risk_level": policy_module.RiskLevel,
    "actor": policy_module.Actor,
    "event_match": policy_module.EventMatch,
    "exclusion": policy_module.Exclusion,
    "scope": policy_module.Scope,
    "escalation": policy_module.Escalation,
    "stage": policy_module.Stage,
    "track": policy_module.Track,
    "trigger": policy_module.Trigger,
    "duty": policy_module.Duty,
    "fallback_when": policy_module.FallbackWhen,
    "fallback_then": policy_module.FallbackThen,
    "fallback": policy_module.Fallback,
    "immediate_action": policy_module.ImmediateAction,
    "urgency_rule": policy_module.UrgencyRule,
    "contact": policy_module.Contact,
    "form_field": policy_module.FormField,
    "form": policy_module.Form,
    "topic": policy_module.Topic,
    "guidance": policy_module.Guidance,
    "gap": policy_module.Gap,
    "timescale": policy_module.Timescale,
    "due_soon": policy_module.DueSoon,
}


def model_pairs() -> list[tuple[str, dict[str, Any], type]]:
    pairs = [("policy", SCHEMAS["policy"], Policy)]
    pairs += [(f"policy {n}", SCHEMAS["policy"]["$defs"][n], c) for n, c in POLICY_DEFS.items()]
    pairs.append(("history", SCHEMAS["history"], CaseHistory))
    pairs.append(("party", SCHEMAS["history"]["$defs"]["party"], history_module.Party))
    pairs += [(f"history {k}", SCHEMAS["history"]["$defs"][k], c) for k, c in EVENT_TYPES.items()]
    return pairs


def unwrap(hint: object) -> tuple[object, bool]:
    """The type inside ``X | None`` and whether None was allowed."""
    args = get_args(hint)
    if type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return inner, True
    return hint, False


def allowed_values(hint: object) -> list[str] | None:
    if get_origin(hint) is tuple:
        hint = get_args(hint)[0]
    if get_origin(hint) is Literal:
        return [str(a) for a in get_args(hint)]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return [str(m.value) for m in hint]
    return None


def schema_values(spec: dict[str, Any]) -> list[str] | None:
    spec = next((o for o in spec.get("anyOf", [spec]) if o != {"type": "null"}), spec)
    spec = spec.get("items", spec)
    return spec.get("enum")


@pytest.mark.parametrize(("where", "spec", "cls"), model_pairs(), ids=lambda x: str(x)[:30])
def test_schema_definitions_match_the_attrs_classes(where, spec, cls):
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attrs.fields(cls)}
    # An event's kind is a class constant in the model and a discriminator in JSON.
    tag = {"kind"} if cls in EVENT_TYPES.values() else set()
    properties = {k: v for k, v in spec["properties"].items() if k not in {"$schema", *tag}}
    assert set(properties) == set(fields), where
    required = {n for n, f in fields.items() if f.default is attrs.NOTHING}
    assert set(spec.get("required", ())) - tag == required, where
    for name, prop in properties.items():
        inner, optional = unwrap(hints[name])
        nullable = {"type": "null"} in prop.get("anyOf", ())
        assert nullable == optional, f"{where}.{name}: nullable in schema {nullable}"
        values = allowed_values(inner)
        if values is not None:
            assert schema_values(prop) == values, f"{where}.{name}"


def test_vocabularies_the_model_keeps_as_text_match_the_library():
    defs = SCHEMAS["policy"]["$defs"]
    assert defs["event_match"]["properties"]["kind"]["enum"] == list(EVENT_TYPES)
    assert defs["calendar"]["properties"]["holidays"]["enum"] == list(HOLIDAY_CALENDARS)
    natures = [n.value for n in Nature]
    assert defs["track"]["properties"]["natures"]["items"]["enum"] == natures
    assert defs["exclusion"]["properties"]["natures"]["items"]["enum"] == natures
    assert defs["route_when"]["properties"]["natures"]["items"]["enum"] == natures
    event = SCHEMAS["history"]["$defs"]["event"]
    assert event["properties"]["kind"]["enum"] == list(EVENT_TYPES)
    assert [b["if"]["properties"]["kind"]["const"] for b in event["allOf"]] == list(EVENT_TYPES)


def test_the_format_docs_show_the_minimal_policy_and_every_property():
    text = (REPO / "docs" / "policy-format.md").read_text(encoding="utf-8")
    example = text.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(example) == minimal()
    sections = [("The policy (top level)", SCHEMAS["policy"])]
    sections += [(d["title"], d) for d in SCHEMAS["policy"]["$defs"].values() if "properties" in d]
    for title, node in sections:
        section = text.split(f"\n### {title}\n", 1)[1].split("\n### ", 1)[0]
        for name in node["properties"]:
            assert name == "$schema" or f"| `{name}` |" in section, f"{title}: {name}"


def test_schema_functions_return_fresh_copies():
    first = policy_schema()
    first["title"] = "changed"
    assert policy_schema()["title"] != "changed"
    assert history_schema()["$id"].endswith("history.schema.json")


# --- the broken-policy suite, through the API ----------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_policy_through_the_api(name):
    path = BROKEN / name
    expected = EXPECTED[name]
    errors = [e for e in expected if e.get("severity", "error") == "error"]
    if errors:
        with pytest.raises(InvalidPolicy) as caught:
            load_policy(path)
        problems = caught.value.problems
        assert caught.value.source == str(path)
        assert str(caught.value).startswith(f"invalid policy in {path}: {len(errors)} problem")
    else:
        load_policy(path)
        problems = policy_problems(path)
    assert sum(p.severity == "error" for p in problems) == len(errors)
    for entry in expected:
        severity = entry.get("severity", "error")
        assert any(
            p.pointer == entry["pointer"]
            and entry["message"] in p.message
            and p.severity == severity
            for p in problems
        ), f"{entry} not in {[str(p) for p in problems]}"
    for problem in problems:
        assert problem.source == str(path)
        assert problem.message
        assert len(str(problem)) < 1000  # never a whole document


# --- reading JSON -------------------------------------------------------------------------


def test_read_json_returns_plain_data():
    document = read_json(MINIMAL)
    assert document == minimal()
    assert type(document) is dict


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b'{"a": 1,}', "JSON syntax error at line 1, column 9"),
        (b'{\n  "a": 1\n  "b": 2\n}', "JSON syntax error at line 3, column 3: Expecting ','"),
        (b'{"a": "caf\xe9"}', "not UTF-8 text: byte 0xe9 at line 1, column 11"),
        (b"\xff\xfe{\x00}\x00", "UTF-16"),
        (b'{"a": NaN}', "NaN is not a number JSON allows"),
        (b'{"a": -Infinity}', "-Infinity is not a number JSON allows"),
        (b'{"a": 1e999}', "this number is too large"),
        (b'{"a": 1, "a": 1}', 'property "a" appears more than once'),
        (b"[" * 65 + b"]" * 65, "nested too deeply"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"9" * 5000 + b"}", "a value cannot be read"),
        (b'{"a": "\x01"}', "Invalid control character"),
    ],
)
def test_read_json_refuses(tmp_path, data, message):
    path = tmp_path / "doc.json"
    path.write_bytes(data)
    with pytest.raises(InvalidInput) as caught:
        read_json(path)
    assert caught.value.source == str(path)
    assert any(message in p.message for p in caught.value.problems), caught.value.problems


def test_nesting_at_the_limit_is_fine():
    document, problems = parse_json("[" * 64 + "]" * 64)
    assert problems == ()
    assert isinstance(document, list)


_PARSED_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities too: what a too-large number parses to
    st.text(max_size=3),
    st.sampled_from(["NaN", "Infinity", "-Infinity"]).map(reading._Constant),
)


def _nested(depth: int, leaf: object) -> object:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


@given(
    st.recursive(
        _PARSED_LEAVES,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
        max_leaves=12,
    ),
    st.integers(min_value=0, max_value=70),
)
def test_the_first_problem_is_the_first_of_all_problems(document, depth):
    # One rule set in two modes: stopping at the first problem (the cheap yes or no that
    # lets parse_json skip locating them all) finds what collecting them all finds first.
    for candidate in (document, _nested(depth, document), {"a": _nested(depth, document)}):
        problems = reading.json_problems(candidate)
        assert reading._first_problem(candidate) == (problems[0] if problems else None)


def test_byte_order_mark_is_accepted():
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == ({"a": 1}, ())


def test_duplicate_keys_are_located():
    _, problems = parse_json('{"x": [{"a": 1}, {"b": {"c": 1, "c": 2, "d": 1, "d": 2}}]}')
    assert [p.pointer for p in problems] == ["/x/1/b/c", "/x/1/b/d"]


def test_too_large(tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as stream:
        stream.truncate(reading.MAX_BYTES + 1)
    with pytest.raises(InvalidInput, match="too large"):
        read_json(path)


def test_missing_file(tmp_path):
    with pytest.raises(InvalidPolicy) as caught:
        load_policy(tmp_path / "absent.json")
    assert caught.value.problems[0].message == "file not found"


# --- loading policies -------------------------------------------------------------------------


def test_load_policy_from_path_str_and_mapping():
    by_path = load_policy(MINIMAL)
    assert load_policy(str(MINIMAL)) == by_path
    assert load_policy(minimal()) == by_path
    assert [s.id for s in by_path.stages] == ["practitioners", "step-1", "step-2"]


def test_load_policy_with_a_converter():
    assert load_policy(MINIMAL, converter=make_converter()) == load_policy(MINIMAL)


def test_load_policy_ignores_warnings():
    document = minimal()
    del document["stages"][2]["timescale"]
    policy = load_policy(document)
    assert policy.stages[2].timescale is None
    assert all(p.severity == "warning" for p in policy_problems(document))


def test_shipped_policies():
    ids = shipped_policies()
    assert list(ids) == sorted(ids)
    for policy_id in ids:
        policy = shipped_policy(policy_id)
        assert policy.id == policy_id
        assert shipped_policy(policy_id) is policy  # loaded once


def test_unknown_policy_id():
    with pytest.raises(UnknownPolicy) as caught:
        shipped_policy("no-such-policy")
    assert caught.value.policy_id == "no-such-policy"
    assert caught.value.available == shipped_policies()


@pytest.mark.parametrize("name", ["missing.json", "some/where", "./missing"])
def test_paths_are_not_taken_for_ids(name):
    with pytest.raises(InvalidPolicy, match="file not found"):
        load_policy(name)


def test_check_policy_on_anything():
    for document in ([], 5, None, {"id": 5}, {"stages": [[]]}):  # a str is a path
        problems = tuple(p.with_source("x") for p in policy_problems(document))
        assert problems
        assert all(p.source == "x" and p.severity == "error" for p in problems)


def test_deep_python_documents_are_refused_without_recursion():
    document: object = "leaf"
    for _ in range(5000):
        document = [document]
    (problem,) = policy_problems(document)
    assert "nested too deeply" in problem.message


def test_validate_document_by_schema_name():
    assert validate_document(minimal(), "policy") == ()
    with pytest.raises(NotFound) as raised:
        validate_document({}, "nonsense")
    assert isinstance(raised.value, ChallengeRulesError)
    assert isinstance(raised.value, KeyError)
    assert str(raised.value).startswith("no schema has the id 'nonsense' (expected one of: ")


def test_problems_come_in_document_order():
    document = minimal()
    document["stages"][2]["timescale"]["unit"] = "days"
    document["stages"][0]["clause"] = 5
    document["title"] = ""
    pointers = [p.pointer for p in policy_problems(document)]
    assert pointers == ["/title", "/stages/0/clause", "/stages/2/timescale/unit"]


def test_problem_count_is_bounded():
    document = minimal()
    document["roles"] = [{"id": "X", "name": ""} for _ in range(1000)]
    problems = policy_problems(document)
    assert len(problems) <= reading.MAX_PROBLEMS + 1
    assert "only the first" in problems[-1].message


# --- no network, ever -----------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "reference", ["https://example.org/schema.json", "other.schema.json#/x", "#/$defs/absent"]
)
def test_references_outside_our_schemas_are_problems_not_downloads(reference):
    problems = schemas._validate({"a": 1}, {"$ref": reference}, "")
    (problem,) = problems
    assert "remote references are not followed" in problem.message


@pytest.mark.usefixtures("no_network")
def test_a_document_naming_a_remote_schema_is_checked_against_ours():
    document = minimal()
    document["$schema"] = "https://example.org/evil.schema.json"
    (warning,) = policy_problems(document)
    assert warning.severity == "warning"
    assert warning.pointer == "/$schema"


@pytest.mark.usefixtures("no_network")
def test_ref_in_a_policy_is_not_followed():
    document = minimal()
    document["stages"][1] = {"$ref": "https://example.org/stage.json"}
    (problem,) = policy_problems(document)
    assert problem.pointer == "/stages/1/$ref"
    assert "remote references are not followed" in problem.message


# --- case histories -------------------------------------------------------------------------


def history() -> dict[str, Any]:
    return copy.deepcopy(SCHEMAS["history"]["examples"][0])


def test_load_history_from_mapping_and_path(tmp_path):
    loaded = load_history(history())
    assert loaded.reference == "CASE-0001"
    assert [e.kind for e in loaded.events] == ["concern_raised", "discussion_held", "escalated"]
    path = tmp_path / "case.json"
    path.write_text(json.dumps(history()), encoding="utf-8")
    assert load_history(path) == loaded
    assert load_history(str(path), converter=make_converter()) == loaded


@pytest.mark.parametrize("kind", ["policy", "history"])
def test_problem_functions_find_what_loading_refuses_without_raising(kind, tmp_path):
    load, problems_of = (
        (load_policy, policy_problems) if kind == "policy" else (load_history, history_problems)
    )
    document = minimal() if kind == "policy" else history()
    assert problems_of(document) == ()
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert problems_of(path) == problems_of(str(path)) == ()
    (document["stages"] if kind == "policy" else document["events"])[0]["id"] = "Not An Id!"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load(path)
    found = problems_of(path)
    assert found == caught.value.problems
    assert found[0].source == str(path)
    assert found[0].pointer.endswith("/0/id")
    (missing,) = problems_of(tmp_path / "absent.json")
    assert missing.message == "file not found"
    assert missing.source == str(tmp_path / "absent.json")


def test_shipped_policy_problems_keep_warnings():
    found = shipped_policy_problems("pan-cheshire")
    assert found
    assert all(p.severity == "warning" and p.source == "pan-cheshire" for p in found)
    assert reference_problems("pan-cheshire") == found
    with pytest.raises(UnknownPolicy):
        shipped_policy_problems("no-such-policy")


@pytest.mark.parametrize(
    ("reference", "is_id"),
    [
        ("hips", True),
        ("pan-cheshire", True),
        ("no-such-policy", True),  # an id: unknown, not a file
        ("hips.json", False),
        ("./hips", False),
        ("policies/hips", False),
        ("Hips", False),
        ("our policy", False),
        ("", False),
    ],
)
def test_is_policy_id_decides_by_the_text_alone(reference, is_id):
    assert is_policy_id(reference) is is_id


def test_a_reference_means_the_same_whatever_files_the_working_directory_holds(
    tmp_path, monkeypatch
):
    # A file named like a shipped id does not shadow it: ./hips is the way to name the file.
    (tmp_path / "hips").write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert policy_from_reference("hips") is shipped_policy("hips")
    with pytest.raises(InvalidPolicy) as caught:
        policy_from_reference("./hips")
    assert caught.value.source == "./hips"
    with pytest.raises(InvalidPolicy, match='missing property "id"'):
        load_policy("hips")  # load_policy takes a path, never an id: this is the file


def test_history_problems_are_all_collected_with_event_ids():
    document = history()
    document["events"][0]["at"] = "2026-06-08T09:30:00"
    document["events"][1]["outcome"] = "sorted"
    document["events"][2]["recorded_at"] = "2026-06-10 10:00"
    document["events"][2]["kind"] = "escalated"
    with pytest.raises(InvalidHistory) as caught:
        load_history(document)
    found = [(p.pointer, p.event, p.message.split(" (")[0]) for p in caught.value.problems]
    assert found == [
        ("/events/0/at", "e1", 'timestamp "2026-06-08T09:30:00" has no UTC offset'),
        ("/events/1/outcome", "e2", '"sorted" is not allowed'),
        ("/events/2/recorded_at", "e3", 'timestamp "2026-06-10 10:00" has no UTC offset'),
    ]
    assert "hint: add the UTC offset" in str(caught.value.problems[0])


def test_duplicate_event_ids():
    document = history()
    document["events"][2]["id"] = "e1"
    with pytest.raises(InvalidHistory) as caught:
        load_history(document)
    (problem,) = caught.value.problems
    assert (problem.pointer, problem.event) == ("/events/2/id", "e1")
    assert "the first event with this id is at /events/0" in str(problem)


@pytest.mark.parametrize(
    ("change", "pointer", "message"),
    [
        (lambda d: d.update(reference="   "), "/reference", "this is blank"),
        (lambda d: d.update(reference=""), "/reference", "empty text"),
        (lambda d: d.pop("events"), "", 'missing property "events"'),
        (lambda d: d["events"][1].update(kind="discussion"), "/events/1/kind", "not allowed"),
        (lambda d: d["events"][1].pop("kind"), "/events/1", 'missing property "kind"'),
        (lambda d: d["events"][1].update(outcom="x"), "/events/1/outcom", "unknown property"),
        (lambda d: d["events"][0]["raising"].update(name="A"), "/events/0/raising/name", "unknown"),
        (lambda d: d["events"].append(3), "/events/3", "wrong type"),
        (lambda d: d["events"][2].update(at="2026-06-31T10:00:00Z"), "/events/2/at", "valid date"),
    ],
)
def test_history_schema_problems(change, pointer, message):
    document = history()
    change(document)
    with pytest.raises(InvalidHistory) as caught:
        load_history(document)
    assert any(p.pointer == pointer and message in p.message for p in caught.value.problems), (
        caught.value.problems
    )


def test_history_file_problems(tmp_path):
    path = tmp_path / "case.json"
    path.write_bytes(b'{"reference": "x", "events": [}')
    with pytest.raises(InvalidHistory) as caught:
        load_history(path)
    assert caught.value.source == str(path)
    assert "line 1, column 31" in caught.value.problems[0].message


# --- the schema and the model agree (property tests) ----------------------------------------

ROOT = SCHEMAS["policy"]
_KEY = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


_TEXT = st.sampled_from(["x", "Step 1: Line managers", "café", "two\nlines"]) | st.text(
    min_size=1, max_size=6
)
_IDS = st.builds(lambda a, b: a + b, st.sampled_from("a0z"), st.text("ab9_-", max_size=4))
_PATTERNED: dict[str, st.SearchStrategy[str]] = {
    "^[a-z0-9][a-z0-9_-]*$": _IDS,
    "^https?://[^\\s]+$": st.sampled_from(["https://example.org/p", "http://x"]),
    "^[^@\\s]+@[^@\\s]+$": st.sampled_from(["team@example.org", "a@b"]),
    "^(/([^~/]|~[01])*)*$": st.sampled_from(["", "/stages/0/timescale", "/a~1b~0c"]),
    "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$": st.sampled_from(["Europe/London", "UTC", "No/Where"]),
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$": st.dates().map(date.isoformat),
}


def _spans() -> st.SearchStrategy[dict[str, Any]]:
    counted = st.fixed_dictionaries(
        {
            "unit": st.sampled_from(["working_days", "calendar_days", "hours", "months"]),
            "amount": st.integers(1, 10_000),
        }
    )
    return counted | st.fixed_dictionaries({"unit": st.just("same_day")})


def _timescales() -> st.SearchStrategy[dict[str, Any]]:
    firmness = {"firmness": st.sampled_from(["firm", "indicative", None])}
    counted = st.fixed_dictionaries(
        {
            "unit": st.sampled_from(["working_days", "calendar_days", "hours", "months"]),
            "amount": st.integers(1, 10_000),
        },
        optional=firmness,
    )
    two_units = st.fixed_dictionaries(
        {
            "unit": st.sampled_from(["working_days", "hours", "same_day"]),
            "amount": st.integers(1, 100),
            "alternative": _spans(),
            "governs": st.sampled_from(["first", "sooner", "later"]),
        }
    ).map(lambda t: {k: v for k, v in t.items() if not (k == "amount" and t["unit"] == "same_day")})
    uncounted = st.fixed_dictionaries(
        {"unit": st.sampled_from(["same_day", "immediately", "without_delay"])},
        optional={"amount": st.just(0), **firmness},
    )
    immediately = st.fixed_dictionaries(
        {"unit": st.just("immediately"), "tolerance": _spans() | st.none()}
    )
    without_delay = st.fixed_dictionaries(
        {"unit": st.just("without_delay"), "expect_within": _spans() | st.none()}
    )
    return counted | two_units | uncounted | immediately | without_delay


def _gaps() -> st.SearchStrategy[dict[str, Any]]:
    """A gap in either form: id, kind and about, or the older pointer (the schema's if/else)."""
    pointer = st.sampled_from(["", "/stages/0/timescale", "/a~1b~0c"])
    kinds = st.sampled_from(["source_silent", "format_cannot_say"])
    current = st.fixed_dictionaries(
        {"id": _IDS, "kind": kinds, "about": pointer, "text": _TEXT},
        optional={"pointer": st.none()},
    )
    older = st.fixed_dictionaries(
        {"pointer": pointer, "text": _TEXT},
        optional={"id": _IDS | st.none(), "kind": kinds | st.none(), "about": st.none()},
    )
    return current | older


def from_schema(node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:  # noqa: C901, PLR0911, PLR0912
    """Documents the policy schema accepts (a small generator for the constructs it uses)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        special = {"timescale": _timescales, "span": _spans, "gap": _gaps}
        if name in special:
            return special[name]()
        return from_schema(ROOT["$defs"][name], depth)
    if "anyOf" in node:
        return st.one_of([from_schema(option, depth) for option in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", -5), node.get("maximum", 5))
    if kind == "string":
        if node.get("format") == "date":
            return st.dates().map(date.isoformat)
        if "pattern" in node:
            return _PATTERNED[node["pattern"]]
        return _TEXT
    if kind == "array":
        low = node.get("minItems", 0)
        high = max(low, 1)
        unique = json.dumps if node.get("uniqueItems") else None
        return st.lists(
            from_schema(node["items"], depth + 1), min_size=low, max_size=high, unique_by=unique
        )
    if kind == "object" and "properties" not in node:  # EventMatch.where
        return st.dictionaries(_KEY, st.text(max_size=5) | st.booleans(), max_size=2)
    properties = {k: v for k, v in node["properties"].items() if k != "$schema"}
    required = set(node.get("required", ()))
    objects = st.fixed_dictionaries(
        {k: from_schema(v, depth + 1) for k, v in properties.items() if k in required},
        optional={k: from_schema(v, depth + 1) for k, v in properties.items() if k not in required},
    )
    if "minProperties" in node:  # a route's condition names at least one fact
        objects = objects.filter(lambda found: len(found) >= node["minProperties"])
    if "allOf" in node:  # conditions between properties (a duty's who or addressed_to)
        whole = Draft202012Validator({**node, "$defs": ROOT["$defs"]})
        objects = objects.filter(whole.is_valid)
    return objects


def structures(document: object) -> bool:
    """Whether the library's converter builds a `Policy` from the document."""
    data = (
        {k: v for k, v in document.items() if k != "$schema"}
        if isinstance(document, dict)
        else document
    )
    try:
        default_converter().structure(data, Policy)
    except Exception:  # noqa: BLE001 - any failure is "does not structure"
        return False
    return True


def schema_errors(document: object) -> list[Any]:
    return list(schemas._validator("policy").iter_errors(document))


# Constraints on values the model leaves to the schema and the semantic checks: a document
# breaking only these still structures.
_VALUE_KEYWORDS = {
    "pattern", "format", "minLength", "maxLength", "minItems", "maxItems",
    "minimum", "maximum", "uniqueItems", "propertyNames", "maxProperties",
}  # fmt: skip
# Vocabularies the schema spells out as enums but the model keeps as plain text.
_TEXT_IN_THE_MODEL = [
    ROOT["$defs"]["event_match"]["properties"]["kind"],
    ROOT["$defs"]["calendar"]["properties"]["holidays"],
    ROOT["$defs"]["track"]["properties"]["natures"]["items"],
    ROOT["$defs"]["exclusion"]["properties"]["natures"]["items"],
    ROOT["$defs"]["route_when"]["properties"]["natures"]["items"],
]


def only_value_constraints(errors: list[Any]) -> bool:
    for error in errors:
        if error.validator in {"anyOf", "oneOf"}:
            if not any(only_value_constraints([e]) for e in error.context):
                return False
        elif error.validator == "enum":
            if error.schema not in _TEXT_IN_THE_MODEL:
                return False
        elif error.validator not in _VALUE_KEYWORDS:
            return False
    return True


POLICY_DOCUMENTS = from_schema(ROOT)
_ROOT_FIELDS = set(ROOT["properties"])


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(POLICY_DOCUMENTS)
def test_every_document_the_schema_accepts_structures(document):
    assert schema_errors(document) == []
    assert structures(document)
    policy = default_converter().structure(
        {k: v for k, v in document.items() if k != "$schema"}, Policy
    )
    for problem in check_policy_semantics(policy):  # semantic checks never raise
        assert problem.message


def paths(
    node: object, path: tuple[Any, ...] = ()
) -> typing.Iterator[tuple[tuple[Any, ...], object]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*path, index))


def replace(document: dict[str, Any], path: tuple[Any, ...], value: object) -> None:
    node: Any = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


OTHER_TYPES = [None, True, 7, -1, 1.5, "text", [], ["x"], {}, {"x": 1}]
OTHER_STRINGS = [
    *("", " ", "x", "Not An Id", "2026-13-01", "2026-06-08"),
    *("same_day", "receiving", "event", "children"),  # valid values of other fields
]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    document = copy.deepcopy(draw(st.just(minimal()) | POLICY_DOCUMENTS))
    for _ in range(draw(st.integers(1, 3))):
        places = [(p, n) for p, n in paths(document) if p != ("$schema",)]
        operation = draw(st.sampled_from(["drop", "add", "type", "value"]))
        if operation == "drop":
            keys = [(p, k) for p, n in places if isinstance(n, dict) for k in n]
            if keys:
                path, key = draw(st.sampled_from(keys))
                node: Any = document
                for step in path:
                    node = node[step]
                del node[key]
        elif operation == "add":
            objects = [p for p, n in places if isinstance(n, dict)]
            path = draw(st.sampled_from(objects))
            node = document
            for step in path:
                node = node[step]
            key = draw(_KEY.filter(lambda k, n=node: k not in n and k not in _ROOT_FIELDS))
            node[key] = draw(st.sampled_from(["x", True]))
        elif operation == "type":
            path, old = draw(st.sampled_from([(p, n) for p, n in places if p]))
            new = draw(st.sampled_from([v for v in OTHER_TYPES if type(v) is not type(old)]))
            replace(document, path, copy.deepcopy(new))
        else:
            texts = [p for p, n in places if isinstance(n, str)]
            if texts:
                replace(
                    document, draw(st.sampled_from(texts)), draw(st.sampled_from(OTHER_STRINGS))
                )
    return document


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])
@given(mutated())
def test_the_schema_accepts_exactly_what_the_model_structures(document):
    """Schema and converter agree, but for constraints on values the model leaves to the schema."""
    errors = schema_errors(document)
    structured = structures(document)
    if not errors:
        assert structured, "the schema accepts a document the model cannot structure"
    elif structured:
        assert only_value_constraints(errors), [e.message for e in errors]
    # policy_problems never raises, and reports an error whenever the schema does.
    problems = policy_problems(document)
    if errors:
        assert any(p.severity == "error" for p in problems)


def timestamp_ok(value: str) -> bool:
    return schemas._formats().conforms(value, "date-time")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-06-08T09:30:00+01:00", True),
        ("2026-06-08T08:30:00Z", True),
        ("2026-06-08T08:30:00.123456-05:30", True),
        ("2026-06-08T09:30:00", False),
        ("2026-06-08 09:30:00+01:00", False),
        ("2026-06-08T25:30:00Z", False),
        ("2026-02-30T10:00:00Z", False),
        ("2026-06-08T09:30+01:00", False),
        ("2026-06-08", False),
    ],
)
def test_the_date_time_format(value, ok):
    assert timestamp_ok(value) is ok


# Hypothesis draws naive datetimes between naive bounds; the offset is drawn separately.
_FIRST = datetime(1900, 1, 1, tzinfo=UTC).replace(tzinfo=None)
_LAST = datetime(2199, 12, 31, tzinfo=UTC).replace(tzinfo=None)


@given(st.datetimes(min_value=_FIRST, max_value=_LAST), _OFFSETS)
def test_every_aware_timestamp_python_writes_is_accepted(moment, offset):
    assert timestamp_ok(moment.replace(tzinfo=offset).isoformat())
    assert timestamp_ok(moment.replace(tzinfo=offset).astimezone(UTC).isoformat())


@given(st.lists(st.text(max_size=8), max_size=5))
def test_pointer_parts_undoes_pointer_join(parts: list[str]) -> None:
    assert pointer_parts(pointer_join(*parts)) == parts


def test_load_policy_given_a_shipped_id_that_is_no_file_hints_at_shipped_policy(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidPolicy) as caught:
        load_policy("hips")
    (problem,) = caught.value.problems
    assert problem.message == "file not found"
    assert problem.hint == 'to load the shipped policy "hips", call shipped_policy("hips")'
    with pytest.raises(InvalidPolicy) as caught:
        load_policy("no-such-policy")
    assert "shipped_policy" not in str(caught.value)


# A document of one kind given where another is expected: one problem naming both.
_EVALUATION = {
    "reference": "r",
    "policy": "hips",
    "policy_version": "1",
    "policy_digest": "sha256:" + "0" * 64,
    "as_of": "2026-06-22T09:00:00+01:00",
    "status": "open",
    "stage": None,
    "timeline": [],
    "actions": [],
    "breaches": [],
    "warnings": [],
    "risk": None,
    "urgent": False,
}
_HISTORY = {"reference": "r", "events": []}
_SCENARIOS = {"policy": "hips", "scenarios": []}


@pytest.mark.parametrize(
    ("document", "expected", "found", "hint"),
    [
        (_HISTORY, "evaluation", "case history", "evaluate the history first"),
        (_EVALUATION, "history", "evaluation", "the case history the evaluation was made from"),
        (_HISTORY, "policy", "case history", "use challenge-rules evaluate"),
        (_SCENARIOS, "policy", "policy scenarios", "challenge-rules test"),
        (_SCENARIOS, "history", "policy scenarios", "the file you meant to give as the history"),
    ],
)
def test_a_file_of_another_kind_is_named_as_such(
    document: dict[str, Any], expected: str, found: str, hint: str
) -> None:
    (problem,) = schemas.validate_document(document, expected)
    assert problem.message.startswith(f"this is a challenge-rules {found} file, not a")
    assert problem.hint is not None
    assert hint in problem.hint


@pytest.mark.parametrize("expected", ["policy", "history", "scenarios"])
@pytest.mark.parametrize("schema", ["policy", "history"])
def test_a_json_schema_is_named_as_one(expected: str, schema: str) -> None:
    path = Path(__file__).parents[1] / "schemas" / f"{schema}.schema.json"
    (problem,) = schemas.validate_document(json.loads(path.read_text("utf-8")), expected)
    assert problem.message.startswith("this is a JSON Schema document, not a challenge-rules")
    assert problem.hint is not None
    assert "$id" not in problem.hint


def test_a_shipped_policy_given_as_a_history_is_named_as_a_policy() -> None:
    path = Path(__file__).parents[1] / "src" / "challenge_rules" / "policies" / "hips.json"
    policy = json.loads(path.read_text(encoding="utf-8"))
    (problem,) = schemas.validate_document(policy, "history")
    assert "this is a challenge-rules policy file" in problem.message


def test_a_document_of_the_right_kind_is_never_called_another_kind() -> None:
    broken = {"reference": "r"}  # a history missing its events, not an evaluation
    problems = schemas.validate_document(broken, "history")
    assert problems
    assert not any("this is a" in p.message for p in problems)
