"""The endpoints, and the table of operations that both routes them and documents them."""

from __future__ import annotations

import functools
import importlib.metadata
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio
import anyio.to_thread
from attrs import frozen
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse
from starlette.routing import Route

from challenge_rules import changes as changes_module
from challenge_rules._engine import evaluate, evaluate_many
from challenge_rules._text import whole_number
from challenge_rules.diagram import mermaid
from challenge_rules.errors import (
    CalendarError,
    ChallengeRulesError,
    DocumentPath,
    InvalidInput,
    NotFound,
    Problem,
)
from challenge_rules.evaluation import Evaluation
from challenge_rules.history import CaseHistory
from challenge_rules.loading import history_problems, load_history, policy_problems
from challenge_rules.policy import Policy
from challenge_rules.reading import parse_json
from challenge_rules.report import from_json, to_json
from challenge_rules.schemas import validate_document
from challenge_rules.service._catalogue import Catalogue
from challenge_rules.service._guard import ERROR_LOG, Guard, internal
from challenge_rules.service._limits import Limits
from challenge_rules.service._openapi import SCHEMA_JSON, Operation, Parameter, build
from challenge_rules.service._problems import PROBLEM_JSON, Refusal, details, under
from challenge_rules.service._schemas import envelope_problems, moment, schemas
from challenge_rules.versions import named_version

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.types import ASGIApp

    from challenge_rules.service._catalogue import LoadedPolicy

_T = TypeVar("_T")
Endpoint = Callable[["Request"], Awaitable["Response"]]
_JSON_TYPES: Final = ("application/json",)
_MAX_QUERY: Final = 100


def version() -> str:
    """The installed challenge-rules version."""
    try:
        return importlib.metadata.version("challenge-rules")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "unknown"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or media.endswith("+json")


class _Expired(Exception):  # private: never leaves the worker thread
    """The request's time ran out between two cases."""


@frozen
class _Case:
    """What one case came to: its evaluation, or every problem that stopped it."""

    reference: str | None
    evaluation: Evaluation | None
    problems: tuple[Problem, ...]


@frozen
class _Ready:
    """A case whose history and policy loaded: what it needs to be evaluated."""

    reference: str | None
    policy: Policy
    """The policy, or the version of it, the case is evaluated under."""
    history: CaseHistory
    base: DocumentPath
    """Where the history is in the request."""


_BATCH_BLOCK: Final = 64
"""The cases of a batch evaluated together (`evaluate_many`) between two looks at the clock."""


def _refused(
    reference: str | None, base: DocumentPath, error: ChallengeRulesError, as_of: datetime
) -> _Case:
    """A case that evaluating refused, with the problems located in the request."""
    if isinstance(error, InvalidInput):
        return _Case(reference, None, under(base, error.problems))
    if isinstance(error, CalendarError):
        at = ("as_of",) if error.value == as_of.isoformat() else base
        problem = Problem(
            message=f"{error.message}: {error.value}",
            path=at,
            expected=error.expected,
            hint=error.hint,
        )
        return _Case(reference, None, (problem,))
    return _Case(reference, None, (Problem(message=str(error), path=base),))


@frozen(eq=False)
class Service:
    """The endpoints over one catalogue of policies and one set of limits; no other state."""

    catalogue: Catalogue
    limits: Limits

    # --- reading requests -------------------------------------------------------------

    async def _body(self, request: Request) -> object:
        content_type = request.headers.get("content-type")
        if content_type is not None and not _is_json(content_type):
            raise Refusal("unsupported-media-type", "send the body as application/json")
        limit = self.limits.max_body_bytes
        declared = request.headers.get("content-length", "")
        # Refused on the header alone, before a byte of the body is read.
        if (length := whole_number(declared)) is not None and length > limit:
            raise Refusal("too-large", f"the body has {declared} bytes; at most {limit} are taken")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise Refusal("too-large", f"the body has more than {limit} bytes")
                chunks.append(chunk)
        except ClientDisconnect:  # the client's doing, not a bug: no one will read the answer
            raise Refusal("not-json", "the body ended before it was complete") from None
        document, problems = await self._run(functools.partial(parse_json, b"".join(chunks)))
        if problems:
            raise Refusal("not-json", "the body cannot be read as JSON", problems)
        return document

    def _envelope(self, document: object, definition: str) -> dict[str, Any]:
        problems = envelope_problems(document, definition)
        if problems or not isinstance(document, dict):
            raise Refusal(
                "invalid-request", "the request does not have the expected shape", problems
            )
        return document

    def _as_of(self, document: Mapping[str, Any]) -> datetime:
        as_of, problem = moment(document["as_of"], ("as_of",))
        if as_of is None:
            raise Refusal(
                "invalid-request",
                "as_of is not a timestamp with its UTC offset",
                (problem,) if problem else (),
            )
        return as_of

    def _override(self, document: Mapping[str, Any]) -> object:
        """The request's own ``policy`` (checked once, not once per case), or ``None``."""
        chosen = document.get("policy")
        if chosen is not None:
            _, missing = self._policy(chosen, ("policy",))
            if missing:
                raise Refusal("invalid-request", "no policy with this id is loaded", missing)
        return chosen

    async def _run(self, work: Callable[[], _T]) -> _T:
        """``work`` in a worker thread, given up on if the request's time runs out."""
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)

    def timed(self, endpoint: Endpoint) -> Endpoint:
        """``endpoint`` within the time limit: reading the body, working and answering."""

        async def within_limit(request: Request) -> Response:
            try:
                with anyio.fail_after(self.limits.timeout):
                    return await endpoint(request)
            except TimeoutError:
                raise self._too_slow() from None

        return within_limit

    def _too_slow(self) -> Refusal:
        return Refusal(
            "timeout",
            f"the request took longer than {self.limits.timeout:g} s; send fewer cases at a time",
            headers={"Retry-After": "1"},
        )

    # --- evaluating -----------------------------------------------------------------------

    def _policy(
        self, name: object, path: DocumentPath
    ) -> tuple[LoadedPolicy | None, tuple[Problem, ...]]:
        if name is None:
            return None, (
                Problem(
                    message="no policy to evaluate against",
                    path=path,
                    expected="a 'policy' id in the history, or 'policy' in the request",
                ),
            )
        loaded = self.catalogue.get(str(name))
        if loaded is None:
            known = ", ".join(self.catalogue.policies)
            return None, (
                Problem(
                    message="no policy with this id is loaded",
                    path=path,
                    expected=f"one of: {known}",
                    hint="GET /v1/policies lists them",
                ),
            )
        return loaded, ()

    def _too_many_events(self, document: Mapping[str, Any], base: DocumentPath) -> Problem | None:
        events = document.get("events")
        if isinstance(events, list) and len(events) > self.limits.max_events:
            return Problem(
                message=f"too many events ({len(events)})",
                path=(*base, "events"),
                expected=f"at most {self.limits.max_events} events per history",
                hint="this service's limit (--max-events); check this is one case",
            )
        return None

    def _ready(
        self,
        document: Mapping[str, Any],
        as_of: datetime,
        policy: object,
        base: DocumentPath,
        version: str | None = None,
    ) -> _Case | _Ready:
        """The case's history and the policy (version) it is evaluated under; or why not."""
        reference = document.get("reference")
        reference = reference if isinstance(reference, str) else None
        oversized = self._too_many_events(document, base)
        if oversized:
            return _Case(reference, None, (oversized,))
        problems: list[Problem] = []
        history = None
        try:
            history = load_history(document)
        except InvalidInput as error:
            problems.extend(under(base, error.problems))
        chosen = policy if policy is not None else document.get("policy")
        loaded, missing = self._policy(
            chosen, ("policy",) if policy is not None else (*base, "policy")
        )
        problems.extend(missing)
        if history is None or loaded is None:
            return _Case(reference, None, tuple(problems))
        versions = self.catalogue.versions.get(loaded.policy.id)
        try:
            if version is not None:
                under_policy = named_version(versions or loaded.policy, version)
            else:
                under_policy = versions.for_case(history, as_of) if versions else loaded.policy
        except NotFound as error:  # the version asked for
            return _Case(reference, None, (Problem(message=str(error), path=("policy_version",)),))
        except ChallengeRulesError as error:
            return _refused(reference, base, error, as_of)
        return _Ready(reference, under_policy, history, base)

    def _case(
        self,
        document: Mapping[str, Any],
        as_of: datetime,
        policy: object,
        base: DocumentPath,
        version: str | None = None,
    ) -> _Case:
        ready = self._ready(document, as_of, policy, base, version)
        if isinstance(ready, _Case):
            return ready
        try:
            return _Case(ready.reference, evaluate(ready.policy, ready.history, as_of), ())
        except ChallengeRulesError as error:
            return _refused(ready.reference, ready.base, error, as_of)

    async def evaluate(self, request: Request) -> Response:
        """POST /v1/evaluate."""
        document = self._envelope(await self._body(request), "evaluate_request")
        as_of = self._as_of(document)
        case = await self._run(
            functools.partial(
                self._case,
                document["history"],
                as_of,
                self._override(document),
                ("history",),
                document.get("policy_version"),
            )
        )
        if case.evaluation is None:
            raise Refusal("invalid-history", "the case cannot be evaluated", case.problems)
        return JSONResponse(to_json(case.evaluation))

    def _batch(
        self, cases: Sequence[Mapping[str, Any]], as_of: datetime, policy: object, deadline: float
    ) -> list[_Case]:
        """Each case's outcome, in order: the cases under each policy evaluated together."""
        results: dict[int, _Case] = {}
        waiting: dict[int, list[tuple[int, _Ready]]] = {}  # the ready cases, by policy
        for index, document in enumerate(cases):
            if time.monotonic() > deadline:  # the caller has been told already: stop working
                raise _Expired
            ready = self._ready(document, as_of, policy, ("cases", index))
            if isinstance(ready, _Ready):
                waiting.setdefault(id(ready.policy), []).append((index, ready))
            else:
                results[index] = ready
        for group in waiting.values():
            for start in range(0, len(group), _BATCH_BLOCK):
                if time.monotonic() > deadline:
                    raise _Expired
                block = group[start : start + _BATCH_BLOCK]
                histories = [ready.history for _, ready in block]
                found = evaluate_many(block[0][1].policy, histories, as_of, return_exceptions=True)
                for (index, ready), outcome in zip(block, found, strict=True):
                    results[index] = (
                        _refused(ready.reference, ready.base, outcome, as_of)
                        if isinstance(outcome, ChallengeRulesError)
                        else _Case(ready.reference, outcome, ())
                    )
        return [results[index] for index in range(len(cases))]

    async def batch(self, request: Request) -> Response:
        """POST /v1/evaluate/batch."""
        document = self._envelope(await self._body(request), "batch_request")
        as_of = self._as_of(document)
        cases = document["cases"]
        if len(cases) > self.limits.max_cases:
            problem = Problem(
                message=f"too many cases ({len(cases)})",
                path=("cases",),
                expected=f"at most {self.limits.max_cases} cases per request",
                hint="send them in several requests",
            )
            raise Refusal(
                "too-many", "the batch has more cases than this service takes", (problem,)
            )
        deadline = time.monotonic() + self.limits.timeout
        try:
            results = await self._run(
                functools.partial(self._batch, cases, as_of, self._override(document), deadline)
            )
        except _Expired:
            raise self._too_slow() from None
        body = [
            {"index": i, "reference": c.reference, "evaluation": to_json(c.evaluation)}
            if c.evaluation is not None
            else {
                "index": i,
                "reference": c.reference,
                "problems": [p.as_dict() for p in c.problems],
            }
            for i, c in enumerate(results)
        ]
        evaluated = sum(c.evaluation is not None for c in results)
        return JSONResponse(
            {
                "as_of": document["as_of"],
                "evaluated": evaluated,
                "refused": len(results) - evaluated,
                "results": body,
            }
        )

    # --- validating -------------------------------------------------------------------------

    async def validate_policy(self, request: Request) -> Response:
        """POST /v1/validate/policy."""
        document = await self._body(request)
        problems = await self._run(functools.partial(_policy_problems, document))
        return _report(problems)

    def _history_problems(self, document: object) -> tuple[Problem, ...]:
        if not isinstance(document, dict):
            # Never handed to the loader as a string: it would take it for a file name.
            return (Problem(message="not a JSON object", expected="a case history object"),)
        oversized = self._too_many_events(document, ())
        return (oversized,) if oversized else history_problems(document)

    async def validate_history(self, request: Request) -> Response:
        """POST /v1/validate/history."""
        document = await self._body(request)
        return _report(await self._run(functools.partial(self._history_problems, document)))

    # --- what changed --------------------------------------------------------------------------

    async def changes(self, request: Request) -> Response:
        """POST /v1/changes."""
        document = self._envelope(await self._body(request), "changes_request")
        # The envelope check takes each evaluation as an object; from_json checks it
        # against the evaluation schema, once, and its problems keep their pointers,
        # under /before or /after. Off the event loop, like all work on a request's data.
        read = []
        for side in ("before", "after"):
            try:
                read.append(await self._run(functools.partial(from_json, document[side])))
            except InvalidInput as error:
                raise Refusal(
                    "invalid-request",
                    "the evaluations cannot be read",
                    under((side,), error.problems),
                ) from None
        before, after = read
        # The policy version the evaluation names, if loaded, says whose line managers to
        # tell; another version of it may name other managers, so it is not asked.
        policy = self._version_named(after.policy, after.policy_version)
        try:
            result = changes_module.compare(before, after, policy=policy)
        except InvalidInput as error:
            raise Refusal(
                "invalid-evaluation",
                "the evaluations are not of one case",
                under(("after",), error.problems),
            ) from None
        return JSONResponse(changes_module.to_json(result))

    def _version_named(self, policy_id: str, version: str) -> Policy | None:
        """The loaded policy ``policy_id`` at ``version`` (None: not loaded)."""
        versions = self.catalogue.versions_of(policy_id)
        if versions is None:
            return None
        try:
            return versions.version(version)
        except NotFound:
            return None

    # --- policies, schemas, health --------------------------------------------------------------

    def _loaded(self, request: Request) -> LoadedPolicy:
        policy_id = str(request.path_params["policy"])
        loaded = self.catalogue.get(policy_id)
        if loaded is None:
            known = ", ".join(self.catalogue.policies)
            raise Refusal(
                "not-found",
                "no policy with this id is loaded",
                (Problem(message="no policy with this id is loaded", expected=f"one of: {known}"),),
            )
        return loaded

    async def policies(self, _: Request) -> Response:
        """GET /v1/policies."""
        listed = [
            {
                "id": policy_id,
                "title": loaded.policy.title,
                "version": loaded.policy.version,
                "effective_from": loaded.policy.effective_from.isoformat(),
                "origin": loaded.origin,
                "links": {
                    "self": f"/v1/policies/{policy_id}",
                    "diagram": f"/v1/policies/{policy_id}/diagram",
                    "versions": f"/v1/policies/{policy_id}/versions",
                },
            }
            for policy_id, loaded in self.catalogue.policies.items()
        ]
        return JSONResponse({"policies": listed})

    async def policy(self, request: Request) -> Response:
        """GET /v1/policies/{policy}."""
        return JSONResponse(dict(self._loaded(request).document))

    async def versions(self, request: Request) -> Response:
        """GET /v1/policies/{policy}/versions."""
        loaded = self._loaded(request)
        found = self.catalogue.versions_of(loaded.policy.id)
        assert found is not None  # noqa: S101 - _loaded found the policy
        listed = found.as_dict()
        for entry in listed["versions"]:
            entry.pop("source")  # where the service's files are is its own business
        return JSONResponse(listed)

    async def diagram(self, request: Request) -> Response:
        """GET /v1/policies/{policy}/diagram."""
        loaded = self._loaded(request)
        nature = request.query_params.get("nature")
        if nature is not None and len(nature) > _MAX_QUERY:
            problem = Problem(
                message="the nature is too long",
                expected=f"a concern nature id of at most {_MAX_QUERY} characters",
                source="query parameter nature",
            )
            raise Refusal("invalid-request", "the nature is not a nature id", (problem,))
        text = await self._run(functools.partial(mermaid, loaded.policy, nature=nature))
        return JSONResponse({"policy": loaded.policy.id, "nature": nature, "mermaid": text})

    async def schema_list(self, _: Request) -> Response:
        """GET /v1/schemas."""
        listed = [
            {"name": name, "id": document["$id"], "url": f"/v1/schemas/{name}"}
            for name, document in schemas().items()
        ]
        return JSONResponse({"schemas": listed})

    async def schema(self, request: Request) -> Response:
        """GET /v1/schemas/{name}."""
        name = str(request.path_params["name"])
        if name not in schemas():
            problem = Problem(
                message="no schema has this name", expected=f"one of: {', '.join(schemas())}"
            )
            raise Refusal("not-found", "no schema has this name", (problem,))
        return JSONResponse(dict(schemas()[name]), media_type=SCHEMA_JSON)

    async def openapi(self, _: Request) -> Response:
        """GET /v1/openapi.json."""
        return JSONResponse(openapi_document(self))

    async def health(self, _: Request) -> Response:
        """GET /v1/health."""
        return JSONResponse(
            {"status": "ok", "version": version(), "policies": len(self.catalogue.policies)}
        )


def _policy_problems(document: object) -> tuple[Problem, ...]:
    if isinstance(document, dict):
        return policy_problems(document)
    # Never handed to the loader as a string: it would take it for a file name.
    return validate_document(document, "policy")


def _report(problems: Sequence[Problem]) -> Response:
    valid = not any(p.severity == "error" for p in problems)
    return JSONResponse({"valid": valid, "problems": [p.as_dict() for p in problems]})


def operations(service: Service) -> tuple[Operation, ...]:
    """Every endpoint: the one table both the router and the OpenAPI document are built from."""
    policy = Parameter("policy", "path", "A loaded policy's id.")
    return (
        Operation(
            "POST",
            "/v1/evaluate",
            "evaluate",
            "Evaluate one case history at as_of",
            service.evaluate,
            "Evaluation",
            "EvaluateRequest",
            refusals=("invalid-request", "invalid-history"),
        ),
        Operation(
            "POST",
            "/v1/evaluate/batch",
            "evaluateBatch",
            "Evaluate case histories, each on its own, at as_of",
            service.batch,
            "BatchResponse",
            "BatchRequest",
            refusals=("invalid-request", "too-many"),
        ),
        Operation(
            "POST",
            "/v1/validate/policy",
            "validatePolicy",
            "Every problem of a policy document",
            service.validate_policy,
            "ValidationReport",
            "Policy",
        ),
        Operation(
            "POST",
            "/v1/validate/history",
            "validateHistory",
            "Every problem of a case history",
            service.validate_history,
            "ValidationReport",
            "History",
        ),
        Operation(
            "POST",
            "/v1/changes",
            "changes",
            "What changed between two evaluations of one case",
            service.changes,
            "Changes",
            "ChangesRequest",
            refusals=("invalid-request", "invalid-evaluation"),
        ),
        Operation(
            "GET",
            "/v1/policies",
            "listPolicies",
            "The policies this service evaluates against",
            service.policies,
            "PolicyList",
        ),
        Operation(
            "GET",
            "/v1/policies/{policy}",
            "getPolicy",
            "One policy document",
            service.policy,
            "Policy",
            refusals=("not-found",),
            parameters=(policy,),
        ),
        Operation(
            "GET",
            "/v1/policies/{policy}/versions",
            "listPolicyVersions",
            "A policy's versions and the days each is in force",
            service.versions,
            "VersionList",
            refusals=("not-found",),
            parameters=(policy,),
        ),
        Operation(
            "GET",
            "/v1/policies/{policy}/diagram",
            "getPolicyDiagram",
            "A policy's ladder as a Mermaid flowchart",
            service.diagram,
            "Diagram",
            refusals=("not-found", "invalid-request", "timeout"),
            parameters=(
                policy,
                Parameter(
                    "nature",
                    "query",
                    "Draw the ladder for concerns of this nature.",
                    required=False,
                ),
            ),
        ),
        Operation(
            "GET",
            "/v1/schemas",
            "listSchemas",
            "The JSON Schemas",
            service.schema_list,
            "SchemaList",
        ),
        Operation(
            "GET",
            "/v1/schemas/{name}",
            "getSchema",
            "One JSON Schema",
            service.schema,
            None,
            media=SCHEMA_JSON,
            refusals=("not-found",),
            parameters=(Parameter("name", "path", "The schema's short name, e.g. history."),),
        ),
        Operation("GET", "/v1/health", "health", "The service is up", service.health, "Health"),
        Operation(
            "GET", "/v1/openapi.json", "openapi", "This OpenAPI document", service.openapi, None
        ),
    )


@functools.lru_cache(maxsize=8)
def openapi_document(service: Service) -> dict[str, Any]:
    """The OpenAPI document of ``service``'s operations (built once per service)."""
    return build(operations(service), version())


def _problem_response(refusal: Refusal, request: Request) -> Response:
    return JSONResponse(
        details(refusal, request.url.path),
        status_code=refusal.kind.status,
        media_type=PROBLEM_JSON,
        headers=dict(refusal.headers or {}),
    )


async def _on_refusal(request: Request, error: Exception) -> Response:
    assert isinstance(error, Refusal)  # noqa: S101 - Starlette calls this for Refusal only
    return _problem_response(error, request)


_HTTP_SLUGS: Final = {404: "not-found", 405: "method-not-allowed"}


async def _on_http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)  # noqa: S101 - Starlette calls this for these only
    slug = _HTTP_SLUGS.get(error.status_code, "invalid-request")
    refusal = Refusal(
        slug, f"{request.method} {request.url.path}: {error.detail}", headers=error.headers
    )
    return _problem_response(refusal, request)


async def _on_error(request: Request, error: Exception) -> Response:
    ERROR_LOG.error(
        "internal error (%s) in %s %s", type(error).__name__, request.method, request.url.path
    )
    return _problem_response(internal(), request)


def application(service: Service) -> ASGIApp:
    """The ASGI application answering for ``service``."""
    routes = [
        Route(op.path, service.timed(op.endpoint), methods=[op.method])
        for op in operations(service)
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={Refusal: _on_refusal, HTTPException: _on_http, Exception: _on_error},
    )
    return Guard(app)


__all__ = ["Service", "application", "openapi_document", "operations", "version"]
