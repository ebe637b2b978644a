"""The challenge-rules HTTP service (``pip install 'challenge-rules[server]'``).

`create_app` builds an ASGI application (Starlette) over the shipped
policies plus a directory's; `serve` runs it with uvicorn, which is what
``challenge-rules serve`` does. The endpoints, under ``/v1``, are described
by the OpenAPI 3.1 document the service serves at ``/v1/openapi.json``,
built from the published JSON Schemas (see docs/service.md).

The service keeps no state between requests and never reads its clock for
an answer (every evaluation names its ``as_of``), so any number of instances
can run behind a load balancer.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from challenge_rules.service._app import Service, application
from challenge_rules.service._catalogue import Catalogue, LoadedPolicy, load_catalogue
from challenge_rules.service._limits import ENVIRONMENT, Limits

if TYPE_CHECKING:
    from starlette.types import ASGIApp


def create_app(policies: str | Path | None = None, limits: Limits | None = None) -> ASGIApp:
    """The service's ASGI application: shipped policies plus those in ``policies`` (a directory).

    Raises `challenge_rules.errors.InvalidPolicy` (every problem of every file)
    if a policy file is invalid: a service starts with all its policies or not
    at all.
    """
    catalogue = load_catalogue(policies)
    return application(Service(catalogue, limits or Limits()))


def app_from_environment() -> ASGIApp:
    """`create_app` configured by the environment, for ``uvicorn --factory`` and its workers.

    ``CHALLENGE_RULES_POLICIES`` names the policy directory, and
    ``CHALLENGE_RULES_MAX_BODY_BYTES``, ``..._MAX_EVENTS``, ``..._MAX_CASES`` and
    ``..._TIMEOUT`` set the `Limits`.
    """
    return create_app(os.environ.get(ENVIRONMENT + "POLICIES"), Limits.from_environment(os.environ))


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    policies: str | Path | None = None,
    limits: Limits | None = None,
    workers: int = 1,
) -> None:
    """Check the policies, then run the service with uvicorn until interrupted."""
    import uvicorn  # noqa: PLC0415 - only serving needs the server

    limits = limits or Limits()
    app = create_app(policies, limits)  # refuses to start with an invalid policy
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # uvicorn's own access log would carry the client's address and the query string.
    options = {"host": host, "port": port, "access_log": False, "server_header": False}
    if workers == 1:
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return
    # Each worker process builds its own app from the environment (already checked above).
    os.environ.update(limits.to_environment())
    if policies is not None:
        os.environ[ENVIRONMENT + "POLICIES"] = str(Path(policies).resolve())
    target = f"{__name__}:app_from_environment"
    uvicorn.run(target, factory=True, workers=workers, **options)  # type: ignore[arg-type]


__all__ = [
    "Catalogue",
    "Limits",
    "LoadedPolicy",
    "app_from_environment",
    "create_app",
    "load_catalogue",
    "serve",
]
