"""The HTTP service, as a real uvicorn server on 127.0.0.1 called with a real client (httpx).

Every response of every call in this file is checked against the OpenAPI
document the server itself serves (`Api.call`), and
`test_every_operation_is_exercised_and_documented` proves the calls cover
every operation the document lists.
"""

from __future__ import annotations

import copy
import json
import logging
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

pytest.importorskip(
    "starlette", reason="the service tests need the server extra: pip install -e '.[test]'"
)
pytest.importorskip("uvicorn", reason="the service tests need the server extra")
httpx = pytest.importorskip("httpx", reason="the service tests need httpx (the test extra)")

import uvicorn  # noqa: E402 - after the skips
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from jsonschema import Draft202012Validator  # noqa: E402
from referencing import Registry, Resource  # noqa: E402
from referencing.jsonschema import DRAFT202012  # noqa: E402

from challenge_rules import InvalidInput, InvalidPolicy, evaluate, load_history, shipped_policy  # noqa: E402
from challenge_rules.converter import make_converter  # noqa: E402
from challenge_rules.report import to_json  # noqa: E402
from challenge_rules.service import Limits, create_app, load_catalogue  # noqa: E402
from challenge_rules.testing import Case, cases  # noqa: E402

ROOT = Path(__file__).parent.parent
CASE = json.loads((ROOT / "examples/cases/pan-cheshire-step1-overdue.json").read_text("utf-8"))
AS_OF = "2026-06-30T09:00:00+01:00"
CONVERTER = make_converter()
OPENAPI_URI = "urn:challenge-rules:openapi"
PROBLEM = "application/problem+json"


class Server:
    """A uvicorn server in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app: Any) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]})

    def __enter__(self) -> str:
        self.thread.start()
        for _ in range(400):  # bounded: at most 20 s
            if self.server.started:
                return f"http://127.0.0.1:{self.port}"
            time.sleep(0.05)
        msg = "the server did not start"
        raise RuntimeError(msg)

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.socket.close()


class Contract:
    """The OpenAPI document: which operation a call is, and the schema of each response."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        embedded = [s for s in document["components"]["schemas"].values() if "$id" in s]
        resources = [(s["$id"], Resource.from_contents(s)) for s in embedded]
        resources.append((OPENAPI_URI, DRAFT202012.create_resource(document)))
        self.registry = Registry().with_resources(resources)
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, method: str, template: str, response: httpx.Response) -> None:
        item = self.document["paths"][template]
        if method.lower() not in item:  # no such operation: a documented problem all the same
            assert response.status_code == 405
            self.validate("#/components/schemas/ProblemDetails", response.json())
            return
        operation = item[method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], (method, template, status, response.text[:500])
        media = response.headers["content-type"].split(";")[0]
        content = operation["responses"][status]["content"]
        assert media in content, (method, template, status, media)
        schema = content[media]["schema"]
        self.validate(schema.get("$ref"), response.json(), schema)
        self.seen.add((method, template, response.status_code))

    def validate(self, ref: str | None, instance: object, schema: object = None) -> None:
        if ref is not None:
            schema = {"$ref": OPENAPI_URI + ref}
        validator = Draft202012Validator(
            schema, registry=self.registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        validator.validate(instance)


class Api:
    """An httpx client whose every response is checked against the contract."""

    def __init__(self, base: str, contract: Contract) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        self.contract = contract

    def call(self, method: str, template: str, /, **kwargs: Any) -> httpx.Response:
        params = {k: kwargs.pop(k) for k in ("policy", "name") if k in kwargs}
        response = self.client.request(method, template.format(**params), **kwargs)
        if template in self.contract.document["paths"]:
            self.contract.check(method, template, response)
        assert response.status_code < 500 or response.status_code == 503, response.text
        return response


@pytest.fixture(scope="module")
def served() -> Any:
    with Server(create_app()) as base:
        document = httpx.get(f"{base}/v1/openapi.json").json()
        contract = Contract(document)
        api = Api(base, contract)
        yield api
        api.client.close()


@pytest.fixture
def api(served: Api) -> Api:
    return served


def problems_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].startswith("https://")
    return body.get("problems", [])


# --- evaluating ---------------------------------------------------------------------


def test_evaluate_answers_as_the_library_does(api: Api) -> None:
    response = api.call("POST", "/v1/evaluate", json={"as_of": AS_OF, "history": CASE})
    assert response.status_code == 200
    expected = evaluate(
        shipped_policy("pan-cheshire"), load_history(CASE), datetime.fromisoformat(AS_OF)
    )
    assert response.json() == json.loads(json.dumps(to_json(expected)))


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"history": CASE}, ""),
        ({"as_of": "2026-06-30T09:00:00", "history": CASE}, "/as_of"),
        ({"as_of": "yesterday", "history": CASE}, "/as_of"),
        ({"as_of": AS_OF, "history": CASE, "extra": 1}, ""),
        ({"as_of": AS_OF, "history": "/etc/passwd"}, "/history"),
        ({"as_of": AS_OF, "history": CASE, "policy": "../../etc/passwd"}, "/policy"),
        ({"as_of": "9999-12-31T23:59:59-23:59", "history": CASE}, "/as_of"),
    ],
)
def test_evaluate_refuses_a_bad_request_with_located_problems(
    api: Api, body: dict[str, Any], pointer: str
) -> None:
    response = api.call("POST", "/v1/evaluate", json=body)
    assert response.status_code == 422
    assert pointer in [p["pointer"] for p in problems_of(response)]


def test_a_history_that_names_no_loaded_policy_is_refused_at_its_policy(api: Api) -> None:
    history = {**CASE, "policy": "nowhere"}
    response = api.call("POST", "/v1/evaluate", json={"as_of": AS_OF, "history": history})
    assert response.status_code == 422
    (problem,) = problems_of(response)
    assert problem["pointer"] == "/history/policy"
    assert "pan-cheshire" in problem["expected"]


def test_history_problems_are_located_by_pointer_and_event(api: Api) -> None:
    history = copy.deepcopy(CASE)
    history["events"][1]["at"] = "2026-06-09T15:00:00"  # no UTC offset
    history["events"][2]["kind"] = "nonsense"
    response = api.call("POST", "/v1/evaluate", json={"as_of": AS_OF, "history": history})
    assert response.status_code == 422
    located = {(p["pointer"], p["event"]) for p in problems_of(response)}
    assert ("/history/events/1/at", "e2") in located
    assert any(pointer.startswith("/history/events/2") for pointer, _ in located)


def test_batch_gives_each_case_its_evaluation_or_its_problems(api: Api) -> None:
    broken = copy.deepcopy(CASE)
    broken["reference"] = "BROKEN-1"
    broken["events"][0]["at"] = "not a time"
    body = {"as_of": AS_OF, "cases": [CASE, broken, CASE, {"reference": "NO-EVENTS"}]}
    response = api.call("POST", "/v1/evaluate/batch", json=body)
    assert response.status_code == 200
    result = response.json()
    assert (result["evaluated"], result["refused"]) == (2, 2)
    assert [r["index"] for r in result["results"]] == [0, 1, 2, 3]
    assert result["results"][0]["evaluation"] == result["results"][2]["evaluation"]
    refused = result["results"][1]
    assert refused["reference"] == "BROKEN-1"
    assert "evaluation" not in refused
    assert all(p["pointer"].startswith("/cases/1/") for p in refused["problems"])
    assert result["results"][3]["problems"][0]["pointer"].startswith("/cases/3")


def test_a_batch_of_several_policies_is_each_case_s_own_evaluation(api: Api) -> None:
    # The batch evaluates each policy's cases together (evaluate_many, in blocks):
    # each result is still what /v1/evaluate gives that case, in the request's order.
    hips = json.loads((ROOT / "examples/cases/hips-systemic-issue.json").read_text("utf-8"))
    early = copy.deepcopy(CASE)
    early["reference"] = "EARLY"
    early["events"] = [{**e, "at": "2027-07-01T09:00:00+01:00"} for e in early["events"]]
    cases = [CASE, hips, early, hips, CASE] * 14  # more than one block of each policy
    as_of = "2026-12-01T09:00:00+00:00"  # after the concern of every case but early's
    body = {"as_of": as_of, "cases": cases}
    results = api.call("POST", "/v1/evaluate/batch", json=body).json()["results"]
    assert [r["index"] for r in results] == list(range(len(cases)))
    alone = [
        api.call("POST", "/v1/evaluate", json={"as_of": as_of, "history": case})
        for case in cases[:5]
    ]
    assert [r.status_code for r in alone] == [200, 200, 422, 200, 200]
    for index, result in enumerate(results):
        response = alone[index % 5]
        if response.status_code == 200:
            assert result["evaluation"] == response.json()
        else:
            expected = [p["message"] for p in problems_of(response)]
            assert [p["message"] for p in result["problems"]] == expected
            assert all(p["pointer"].startswith(f"/cases/{index}") for p in result["problems"])


def test_batch_policy_stands_in_for_each_history_s_own(api: Api) -> None:
    unnamed = {**CASE, "policy": None}
    body = {"as_of": AS_OF, "policy": "pan-cheshire", "cases": [unnamed]}
    (result,) = api.call("POST", "/v1/evaluate/batch", json=body).json()["results"]
    assert result["evaluation"]["policy"] == "pan-cheshire"
    body = {"as_of": AS_OF, "cases": [unnamed]}
    (result,) = api.call("POST", "/v1/evaluate/batch", json=body).json()["results"]
    assert [p["pointer"] for p in result["problems"]] == ["/cases/0/policy"]


def test_a_request_policy_that_is_not_loaded_is_refused_once_for_the_whole_batch(api: Api) -> None:
    body = {"as_of": AS_OF, "policy": "nowhere", "cases": [CASE, CASE]}
    response = api.call("POST", "/v1/evaluate/batch", json=body)
    assert response.status_code == 422
    assert [p["pointer"] for p in problems_of(response)] == ["/policy"]


@given(
    cases(st.sampled_from([shipped_policy("pan-cheshire"), shipped_policy("hips")]), irregular=True)
)
def test_the_service_answers_every_case_as_the_library_does(served: Api, case: Case) -> None:
    """Generated histories (irregular ones too) through the real server, against `evaluate`."""
    document = {**CONVERTER.unstructure(case.history), "policy": case.policy.id}
    body = {"as_of": case.as_of.isoformat(), "history": document}
    response = served.call("POST", "/v1/evaluate", json=body)
    expected = library_answer(case, document)
    if isinstance(expected, tuple):
        assert response.status_code == 422
        assert len(problems_of(response)) == len(expected)
    else:
        assert response.status_code == 200, response.text[:500]
        assert response.json() == expected


def library_answer(case: Case, document: dict[str, Any]) -> dict[str, Any] | tuple[Any, ...]:
    """The evaluation as JSON, or the problems that stop it."""
    try:
        evaluation = evaluate(case.policy, load_history(document), case.as_of)
    except InvalidInput as error:
        return error.problems
    return json.loads(json.dumps(to_json(evaluation)))


# --- validating -----------------------------------------------------------------------


def test_validate_policy_reports_every_problem(api: Api) -> None:
    document = api.call("GET", "/v1/policies/{policy}", policy="pan-cheshire").json()
    assert api.call("POST", "/v1/validate/policy", json=document).json()["valid"] is True
    broken = {**document, "id": "Not An Id", "stages": "none"}
    report = api.call("POST", "/v1/validate/policy", json=broken).json()
    assert report["valid"] is False
    assert {"/id", "/stages"} <= {p["pointer"] for p in report["problems"]}


@pytest.mark.parametrize("document", [CASE, "examples/cases/x.json", [], None, {"events": []}])
def test_validate_history(api: Api, document: object) -> None:
    body = json.dumps(document).encode()
    headers = {"content-type": "application/json"}
    response = api.call("POST", "/v1/validate/history", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["valid"] is (document is CASE)


# --- what changed -------------------------------------------------------------------------


def test_changes_between_two_evaluations(api: Api) -> None:
    def at(moment: str) -> dict[str, Any]:
        body = {"as_of": moment, "history": CASE}
        return api.call("POST", "/v1/evaluate", json=body).json()

    before, after = at("2026-06-12T09:00:00+01:00"), at(AS_OF)
    result = api.call("POST", "/v1/changes", json={"before": before, "after": after}).json()
    assert [c["key"] for c in result["changes"]] == ["breached:stage:step-1"]
    assert result["changes"][0]["who"]
    same = api.call("POST", "/v1/changes", json={"before": after, "after": after}).json()
    assert same["changes"] == []
    swapped = api.call("POST", "/v1/changes", json={"before": after, "after": before})
    assert swapped.status_code == 422
    assert problems_of(swapped)[0]["pointer"] == "/after/as_of"
    broken = api.call("POST", "/v1/changes", json={"before": after, "after": {"x": 1}})
    assert broken.status_code == 422
    # The schema takes any date-time shape; the converter refuses a day that does not exist.
    no_such_day = {**after, "as_of": "2026-02-30T09:00:00+01:00"}
    unread = api.call("POST", "/v1/changes", json={"before": before, "after": no_such_day})
    assert unread.status_code == 422
    assert [p["pointer"] for p in problems_of(unread)] == ["/after/as_of"]


def test_changes_checks_each_evaluation_once_and_says_each_problem_once(api: Api) -> None:
    from challenge_rules.service._schemas import envelope_problems  # noqa: PLC0415

    body = {"as_of": AS_OF, "history": CASE}
    after = api.call("POST", "/v1/evaluate", json=body).json()
    bad = {**after, "status": "bogus", "urgent": "yes"}
    # The envelope takes each evaluation as an object; the evaluation schema is checked
    # by from_json alone.
    assert envelope_problems({"before": after, "after": bad}, "changes_request") == ()
    refused = api.call("POST", "/v1/changes", json={"before": after, "after": bad})
    assert refused.status_code == 422
    pointers = [p["pointer"] for p in problems_of(refused)]
    assert sorted(pointers) == ["/after/status", "/after/urgent"]


def test_changes_tell_the_line_managers_the_loaded_policy_names(tmp_path: Path) -> None:
    document = json.loads((ROOT / "tests/policies/due-soon.json").read_text("utf-8"))
    for role in document["roles"]:
        if role["id"] == "practitioner":
            role["line_manager"] = "line_manager"
    document["tell_line_managers"] = ["due_soon"]
    (tmp_path / "due-soon.json").write_text(json.dumps(document), "utf-8")
    concern = {
        "kind": "concern_raised",
        "id": "e1",
        "at": "2024-03-04T10:00:00+00:00",
        "raising": {"role": "practitioner", "agency": "Example Primary School"},
        "receiving": {"role": "practitioner", "agency": "Example CSC"},
    }
    history = {"reference": "C-1", "policy": "due-soon", "events": [concern]}
    with Server(create_app(tmp_path)) as base, httpx.Client(base_url=base, timeout=30) as client:
        before, after = (
            client.post("/v1/evaluate", json={"as_of": moment, "history": history}).json()
            for moment in ("2024-03-06T05:00:00+00:00", "2024-03-06T07:00:00+00:00")
        )
        assert after["next_change_at"] == "2024-03-06T10:00:00.000001+00:00"
        assert after["actions"][0]["due_soon"] is True
        result = client.post("/v1/changes", json={"before": before, "after": after}).json()
        # Made under a version the service has not loaded: its line managers are not known.
        other = {**after, "policy_version": after["policy_version"] + ".9"}
        unknown = {**before, "policy_version": other["policy_version"]}
        elsewhere = client.post("/v1/changes", json={"before": unknown, "after": other}).json()
    (change,) = result["changes"]
    assert change["key"] == "due_soon:stage:practitioners"
    assert [(a["role"], a["agency"]) for a in change["line_managers"]] == [
        ("line_manager", "Example Primary School"),
        ("line_manager", "Example CSC"),
    ]
    (change,) = elsewhere["changes"]
    assert change["key"] == "due_soon:stage:practitioners"
    assert change["line_managers"] == []


# --- policies, schemas, health ------------------------------------------------------------


def test_policies_are_listed_and_each_has_its_document_and_diagram(api: Api) -> None:
    listed = api.call("GET", "/v1/policies").json()["policies"]
    assert [p["id"] for p in listed] == sorted(p["id"] for p in listed)
    assert {p["origin"] for p in listed} == {"shipped"}
    for summary in listed:
        document = api.call("GET", "/v1/policies/{policy}", policy=summary["id"]).json()
        assert document["id"] == summary["id"]
        diagram = api.call("GET", "/v1/policies/{policy}/diagram", policy=summary["id"]).json()
        assert diagram["mermaid"].startswith("flowchart")
    missing = api.call("GET", "/v1/policies/{policy}", policy="nowhere")
    assert missing.status_code == 404
    assert problems_of(missing)
    long = api.call(
        "GET", "/v1/policies/{policy}/diagram", policy="hips", params={"nature": "x" * 500}
    )
    assert long.status_code == 422


def test_the_schemas_are_the_published_files(api: Api) -> None:
    listed = api.call("GET", "/v1/schemas").json()["schemas"]
    names = {path.name.removesuffix(".schema.json") for path in (ROOT / "schemas").glob("*.json")}
    assert {s["name"] for s in listed} == names
    for name in names:
        served = api.call("GET", "/v1/schemas/{name}", name=name)
        assert served.headers["content-type"] == "application/schema+json"
        published = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8"))
        assert served.json() == published
    assert api.call("GET", "/v1/schemas/{name}", name="nothing").status_code == 404


def test_health(api: Api) -> None:
    body = api.call("GET", "/v1/health").json()
    assert body["status"] == "ok"
    assert body["policies"] == len(load_catalogue().policies)


def test_the_openapi_document_embeds_the_published_schemas(api: Api) -> None:
    document = api.call("GET", "/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"
    components = document["components"]["schemas"]
    for path in (ROOT / "schemas").glob("*.schema.json"):
        assert components[path.name] == json.loads(path.read_text("utf-8")), path.name
        Draft202012Validator.check_schema(components[path.name])
    # Every named component resolves to a published schema or one of its definitions.
    contract = Contract(document)
    resolver = contract.registry.resolver(base_uri=OPENAPI_URI)
    for name in components:
        assert resolver.lookup(f"#/components/schemas/{name}").contents


# --- refusals and hostile input -------------------------------------------------------------


HOSTILE: list[tuple[str, str, bytes, str]] = [
    ("POST", "/v1/evaluate", b"[" * 100_000, "application/json"),
    ("POST", "/v1/evaluate", b'{"as_of": 1' + b"0" * 100_000 + b"}", "application/json"),
    ("POST", "/v1/evaluate", b"\xff\xfe\x00garbage", "application/json"),
    ("POST", "/v1/evaluate", b'{"as_of": "x", "as_of": "y"}', "application/json"),
    ("POST", "/v1/evaluate", b'{"as_of": NaN}', "application/json"),
    ("POST", "/v1/evaluate", b'"just a string"', "application/json"),
    ("POST", "/v1/evaluate", b"", "application/json"),
    ("POST", "/v1/evaluate", b'{"as_of": "\\ud800", "history": {}}', "application/json"),
    ("POST", "/v1/evaluate", b"as_of=now", "application/x-www-form-urlencoded"),
    (
        "POST",
        "/v1/evaluate/batch",
        b'{"as_of": "2026-06-30T09:00:00Z", "cases": [1, "a", null]}',
        "application/json",
    ),
    (
        "POST",
        "/v1/evaluate/batch",
        b'{"as_of": "2026-06-30T09:00:00Z", "cases": {}}',
        "application/json",
    ),
    ("POST", "/v1/validate/policy", b"[" * 100_000, "application/json"),
    ("POST", "/v1/validate/policy", b'{"$ref": "http://example.com/x"}', "application/json"),
    (
        "POST",
        "/v1/validate/history",
        b'{"reference": "\\u0000", "events": [{}]}',
        "application/json",
    ),
    ("POST", "/v1/changes", b'{"before": {}, "after": []}', "application/json"),
    ("GET", "/v1/policies/{policy}", b"", ""),
    ("GET", "/v1/schemas/{name}", b"", ""),
    ("DELETE", "/v1/health", b"", ""),
]


@pytest.mark.parametrize(("method", "template", "body", "media"), HOSTILE)
def test_hostile_input_gets_a_4xx_problem_never_a_5xx(
    api: Api, method: str, template: str, body: bytes, media: str
) -> None:
    headers = {"content-type": media} if media else {}
    params = {"policy": "..%2F..%2Fetc", "name": "%00"}
    response = api.call(method, template, content=body, headers=headers, **params)
    if response.status_code == 200:  # a validation report, which must say so
        assert template.startswith("/v1/validate/")
        assert response.json()["valid"] is False
    else:
        assert 400 <= response.status_code < 500, response.text[:500]
        problems_of(response)


def test_unknown_paths_are_problems_too(api: Api) -> None:
    response = api.call("GET", "/v2/anything")
    assert response.status_code == 404
    problems_of(response)


@pytest.fixture(scope="module")
def limited() -> Any:
    limits = Limits(max_body_bytes=64 * 1024, max_events=3, max_cases=2, timeout=20)
    with Server(create_app(limits=limits)) as base:
        document = httpx.get(f"{base}/v1/openapi.json").json()
        api = Api(base, Contract(document))
        yield api
        api.client.close()


def test_a_body_over_the_limit_is_refused_from_its_length(limited: Api) -> None:
    body = b"{" + b" " * (65 * 1024) + b"}"
    response = limited.call("POST", "/v1/validate/policy", content=body)
    assert response.status_code == 413
    problems_of(response)


def test_a_streamed_body_over_the_limit_is_refused_before_it_is_all_read(limited: Api) -> None:
    """The answer comes while the body is still being sent (chunked, no length given)."""
    url = httpx.URL(str(limited.client.base_url))
    with socket.create_connection((url.host, url.port), timeout=10) as connection:
        connection.sendall(
            b"POST /v1/validate/policy HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 40_000
        for _ in range(2):  # 80 kB of a body that never ends: over the 64 kB limit
            connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"application/problem+json" in answer


def test_too_many_events_and_too_many_cases_are_refused_with_located_problems(
    limited: Api,
) -> None:
    response = limited.call("POST", "/v1/evaluate", json={"as_of": AS_OF, "history": CASE})
    assert response.status_code == 422
    assert problems_of(response)[0]["pointer"] == "/history/events"
    report = limited.call("POST", "/v1/validate/history", json=CASE).json()
    assert report["problems"][0]["pointer"] == "/events"
    small = {**CASE, "events": CASE["events"][:2]}
    batch = {"as_of": AS_OF, "cases": [small, small, small]}
    response = limited.call("POST", "/v1/evaluate/batch", json=batch)
    assert response.status_code == 422
    assert problems_of(response)[0]["pointer"] == "/cases"
    ok = limited.call("POST", "/v1/evaluate/batch", json={**batch, "cases": [small, CASE]})
    assert ok.status_code == 200
    assert ok.json()["results"][1]["problems"][0]["pointer"] == "/cases/1/events"


def test_a_request_over_its_time_is_refused_with_503() -> None:
    limits = Limits(timeout=1e-9)  # no request can be this quick: always refused
    with Server(create_app(limits=limits)) as base:
        document = httpx.get(f"{base}/v1/openapi.json").json()
        api = Api(base, Contract(document))
        body = {"as_of": AS_OF, "cases": [CASE] * 20}
        response = api.call("POST", "/v1/evaluate/batch", json=body)
        api.client.close()
    assert response.status_code == 503
    assert response.headers["retry-after"]
    problems_of(response)


def test_a_client_that_sends_its_body_too_slowly_is_refused_with_503() -> None:
    """The time limit covers reading the body: a trickling client cannot hold a worker."""
    with Server(create_app(limits=Limits(timeout=0.5))) as base:
        url = httpx.URL(base)
        with socket.create_connection((url.host, url.port), timeout=10) as connection:
            connection.sendall(
                b"POST /v1/validate/policy HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            answer = connection.recv(65536)  # the rest of the body never comes
    assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
    assert b"retry-after" in answer.lower()


# --- the catalogue -------------------------------------------------------------------------


def test_a_directory_s_policies_are_served_beside_the_shipped_ones(tmp_path: Path) -> None:
    document = json.loads((ROOT / "src/challenge_rules/policies/hips.json").read_text("utf-8"))
    document["id"] = "our-area"
    (tmp_path / "ours.json").write_text(json.dumps(document), "utf-8")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.policies["our-area"].origin == "directory"
    assert "hips" in catalogue.policies


def test_a_folder_of_versions_is_served_and_each_case_gets_the_version_in_force(
    tmp_path: Path,
) -> None:
    document = json.loads((ROOT / "src/challenge_rules/policies/pan-cheshire.json").read_text())
    folder = tmp_path / "pan-cheshire-versions"
    folder.mkdir()
    old = {**document, "id": "our-area", "version": "1"}
    new = {**old, "version": "2", "effective_from": "2026-06-20"}
    for version in (old, new):
        (folder / f"{version['version']}.json").write_text(json.dumps(version), "utf-8")
    with Server(create_app(tmp_path)) as base:
        api = Api(base, Contract(httpx.get(f"{base}/v1/openapi.json").json()))
        listed = api.call("GET", "/v1/policies/{policy}/versions", policy="our-area").json()
        assert [(v["version"], v["last_day"]) for v in listed["versions"]] == [
            ("1", "2026-06-19"),
            ("2", None),
        ]
        assert api.call("GET", "/v1/policies/{policy}", policy="our-area").json()["version"] == "2"
        raised_before = {**CASE, "policy": "our-area"}  # raised in June, before version 2
        body = {"as_of": AS_OF, "history": raised_before}
        evaluation = api.call("POST", "/v1/evaluate", json=body).json()
        assert evaluation["policy_version"] == "1"
        early = copy.deepcopy(raised_before)
        early["events"][0]["at"] = "2023-06-01T10:00:00+01:00"
        refused = api.call("POST", "/v1/evaluate", json={"as_of": AS_OF, "history": early})
        assert refused.status_code == 422
        [problem] = problems_of(refused)
        assert problem["pointer"] == "/history/events/0/at"
        asked = {"as_of": AS_OF, "history": early, "policy_version": "2"}
        evaluation = api.call("POST", "/v1/evaluate", json=asked).json()
        assert evaluation["policy_version"] == "2"  # asked for by name: the dates do not matter
        missing = api.call("POST", "/v1/evaluate", json={**asked, "policy_version": "9"})
        assert missing.status_code == 422
        [problem] = problems_of(missing)
        assert problem["pointer"] == "/policy_version"
        # A batch evaluates each case under the version in force for it, as /v1/evaluate does.
        body = {"as_of": AS_OF, "cases": [raised_before, early, raised_before]}
        results = api.call("POST", "/v1/evaluate/batch", json=body).json()["results"]
        assert results[0]["evaluation"]["policy_version"] == "1"
        assert [p["pointer"] for p in results[1]["problems"]] == ["/cases/1/events/0/at"]
        assert results[2]["evaluation"] == results[0]["evaluation"]
        api.client.close()


def test_a_version_taking_over_open_cases_takes_one_with_a_step_only_it_has(
    tmp_path: Path,
) -> None:
    document = json.loads((ROOT / "tests/policies/structure.json").read_text("utf-8"))
    folder = tmp_path / "structure"
    folder.mkdir()
    stages = [{k: v for k, v in s.items() if k != "steps"} for s in document["stages"]]
    clauses = [c for c in document["clauses"] if c["id"] != "step-3-meeting"]
    old = {**document, "stages": stages, "clauses": clauses}  # step 3 had no steps
    new = {
        **document,
        "version": "2",
        "effective_from": "2026-06-10",
        "applies_to_open_cases": True,
    }
    for version in (old, new):
        (folder / f"{version['version']}.json").write_text(json.dumps(version), "utf-8")
    parties = {
        "raising": {"role": "practitioner", "agency": "School"},
        "receiving": {"role": "practitioner", "agency": "Social care"},
    }
    events = [
        {"kind": "concern_raised", "id": "e1", "at": "2026-06-01T10:00:00+01:00", **parties},
        *(
            {
                "kind": "discussion_held",
                "id": f"e{n}",
                "at": f"2026-06-0{n}T10:00:00+01:00",
                "stage": f"step-{n - 1}",
                "outcome": "unresolved",
            }
            for n in (2, 3)
        ),
        # Dated after version 2 came in: a step only it has.
        {
            "kind": "step_done",
            "id": "e4",
            "at": "2026-06-15T10:00:00+01:00",
            "stage": "step-3",
            "step": "discuss",
        },
    ]
    history = {"reference": "TAKEOVER-1", "policy": "structure", "events": events}
    with Server(create_app(tmp_path)) as base:
        body = {"as_of": "2026-06-16T09:00:00+01:00", "history": history}
        response = httpx.post(f"{base}/v1/evaluate", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["policy_version"] == "2"


def test_a_bad_folder_of_versions_stops_the_service_with_located_problems(tmp_path: Path) -> None:
    document = json.loads((ROOT / "src/challenge_rules/policies/hips.json").read_text("utf-8"))
    folder = tmp_path / "ours"
    folder.mkdir()
    for name in ("a.json", "b.json"):
        (folder / name).write_text(json.dumps({**document, "id": "our-area"}), "utf-8")
    with pytest.raises(InvalidPolicy) as raised:
        load_catalogue(tmp_path)
    [problem] = raised.value.problems  # the same version twice (and so the same dates)
    assert problem.pointer == "/version"
    assert problem.source == str(folder / "b.json")


def test_the_folder_init_writes_is_served_with_its_scenario_file_left_out(tmp_path: Path) -> None:
    from challenge_rules.cli import main  # noqa: PLC0415

    assert main(["init", str(tmp_path / "ours"), "--id", "our-area"]) == 0
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == [
        "our-area.json",
        "our-area.scenarios.json",
    ]
    catalogue = load_catalogue(tmp_path / "ours")
    assert catalogue.policies["our-area"].origin == "directory"
    # A JSON Schema in the folder is named as one, not as a policy with "$id" for "id".
    schema = ROOT / "schemas" / "history.schema.json"
    (tmp_path / "ours" / "history.schema.json").write_bytes(schema.read_bytes())
    with pytest.raises(InvalidPolicy) as raised:
        load_catalogue(tmp_path / "ours")
    [problem] = raised.value.problems
    assert problem.message.startswith("this is a JSON Schema document, not a")
    assert problem.source == str(tmp_path / "ours" / "history.schema.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'"hips"', "found the text"),  # a string, not taken for the shipped id
        (b"[1]", "found a list"),
        (b"{", "JSON syntax error"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_a_policy_file_that_is_no_policy_object_is_located(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "ours.json").write_bytes(content)
    with pytest.raises(InvalidPolicy) as raised:
        load_catalogue(tmp_path)
    [problem] = raised.value.problems
    assert problem.source == str(tmp_path / "ours.json")
    assert message in problem.message


def test_the_service_refuses_to_start_with_an_invalid_or_duplicate_policy(tmp_path: Path) -> None:
    document = json.loads((ROOT / "src/challenge_rules/policies/hips.json").read_text("utf-8"))
    (tmp_path / "again.json").write_text(json.dumps(document), "utf-8")
    (tmp_path / "broken.json").write_text('{"id": 1}', "utf-8")
    with pytest.raises(InvalidPolicy) as raised:
        create_app(tmp_path)
    sources = {p.source for p in raised.value.problems}
    assert sources == {str(tmp_path / "again.json"), str(tmp_path / "broken.json")}
    assert "/id" in {p.pointer for p in raised.value.problems}
    with pytest.raises(InvalidInput):
        create_app(tmp_path / "missing")


# --- logs ----------------------------------------------------------------------------------


def test_access_logs_carry_method_path_status_duration_and_nothing_of_the_body(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    secret = {**CASE, "reference": "SECRET-REFERENCE-42"}
    with caplog.at_level(logging.INFO, logger="challenge_rules.service"):
        api.call(
            "POST",
            "/v1/evaluate",
            json={"as_of": AS_OF, "history": secret},
            params={"q": "QUERY-9"},
        )
        api.call("POST", "/v1/evaluate", json={"as_of": "bad", "history": secret})
    lines = [r.getMessage() for r in caplog.records if r.name == "challenge_rules.service.access"]
    assert len(lines) == 2
    for line in lines:
        method, path, status, duration = line.split(" ")
        assert (method, path) == ("POST", "/v1/evaluate")
        assert status in {"200", "422"}
        assert duration.endswith("ms")
    assert "SECRET" not in caplog.text
    assert "QUERY-9" not in caplog.text


def test_a_path_with_a_line_break_cannot_forge_an_access_log_line(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "x\n2026-01-01 challenge_rules.service.access GET /v1/admin 200 0.1ms"
    with caplog.at_level(logging.INFO, logger="challenge_rules.service"):
        response = api.call("GET", f"/v1/policies/{quote(forged)}")
    assert response.status_code == 404
    [record] = [r for r in caplog.records if r.name == "challenge_rules.service.access"]
    assert "\n" not in record.getMessage()
    assert record.getMessage().startswith("GET /v1/policies/x\\n2026-01-01 ")


GOOD_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/evaluate", {"json": {"as_of": AS_OF, "history": CASE}}),
    ("POST", "/v1/evaluate/batch", {"json": {"as_of": AS_OF, "cases": [CASE]}}),
    ("POST", "/v1/validate/policy", {"json": {}}),
    ("POST", "/v1/validate/history", {"json": CASE}),
    ("GET", "/v1/policies", {}),
    ("GET", "/v1/policies/{policy}", {"policy": "hips"}),
    ("GET", "/v1/policies/{policy}/diagram", {"policy": "hips"}),
    ("GET", "/v1/policies/{policy}/versions", {"policy": "hips"}),
    ("GET", "/v1/schemas", {}),
    ("GET", "/v1/schemas/{name}", {"name": "policy"}),
    ("GET", "/v1/health", {}),
    ("GET", "/v1/openapi.json", {}),
]


def test_every_operation_answers_as_documented(api: Api) -> None:
    evaluation = api.call("POST", "/v1/evaluate", json={"as_of": AS_OF, "history": CASE}).json()
    calls = [
        *GOOD_CALLS,
        ("POST", "/v1/changes", {"json": {"before": evaluation, "after": evaluation}}),
    ]
    for method, template, arguments in calls:
        assert api.call(method, template, **arguments).status_code == 200, template
    documented = {
        (method.upper(), path)
        for path, item in api.contract.document["paths"].items()
        for method in item
    }
    assert documented == {(method, template) for method, template, _ in calls}


def test_every_problem_type_is_described_in_the_docs() -> None:
    from challenge_rules.service._problems import KINDS, TYPE_BASE  # noqa: PLC0415

    text = (ROOT / "docs" / "service.md").read_text("utf-8")
    assert TYPE_BASE.endswith("service.html#problem-")
    for slug, kind in KINDS.items():
        assert f'<span id="problem-{slug}">`{slug}`</span> | {kind.status} |' in text, slug


def test_a_bug_is_a_500_problem_logged_by_its_type_alone(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        msg = "SECRET-DETAIL from the request"
        raise RuntimeError(msg)

    monkeypatch.setattr("challenge_rules.service._app.evaluate", broken)
    with caplog.at_level(logging.INFO, logger="challenge_rules.service"):
        response = api.client.post("/v1/evaluate", json={"as_of": AS_OF, "history": CASE})
    assert response.status_code == 500
    api.contract.check("POST", "/v1/evaluate", response)
    assert response.json()["type"].endswith("#problem-internal")
    assert "RuntimeError" in caplog.text
    assert "SECRET" not in caplog.text
    assert "SECRET" not in response.text
    assert "POST /v1/evaluate 500 " in caplog.text


def test_a_client_that_goes_away_mid_body_is_no_internal_error(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    url = httpx.URL(str(api.client.base_url))
    with caplog.at_level(logging.INFO, logger="challenge_rules.service"):
        with socket.create_connection((url.host, url.port), timeout=10) as connection:
            connection.sendall(
                b"POST /v1/validate/policy HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id": '
            )
        for _ in range(100):  # bounded: at most 10 s for the server to notice
            if "POST /v1/validate/policy" in caplog.text:
                break
            time.sleep(0.1)
    assert "POST /v1/validate/policy 400 " in caplog.text
    assert "internal error" not in caplog.text


def test_limits_travel_through_the_environment_to_each_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from challenge_rules.service import app_from_environment  # noqa: PLC0415

    limits = Limits(max_body_bytes=1000, max_events=7, max_cases=3, timeout=2.5)
    assert Limits.from_environment(limits.to_environment()) == limits
    assert Limits.from_environment({}) == Limits()
    document = json.loads((ROOT / "src/challenge_rules/policies/hips.json").read_text("utf-8"))
    document["id"] = "our-area"
    (tmp_path / "ours.json").write_text(json.dumps(document), "utf-8")
    for name, value in limits.to_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CHALLENGE_RULES_POLICIES", str(tmp_path))
    with Server(app_from_environment()) as base:
        listed = httpx.get(f"{base}/v1/policies").json()["policies"]
        too_big = httpx.post(f"{base}/v1/validate/policy", content=b"[" + b" " * 1000 + b"]")
    assert "our-area" in {p["id"] for p in listed}
    assert too_big.status_code == 413
