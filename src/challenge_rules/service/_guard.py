"""The outermost layer: access logs without personal data, and no 5xx without a problem.

The access log carries the method, the path, the status and the duration:
never a body, a query string, a header or the client's address. The path is
written with ``ascii()``'s escapes, so a path with a line break in it (``%0a``)
cannot forge a log line. An
exception that escapes everything else is logged by its type alone (its
message may quote the request) and answered with a 500 problem.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Final

from challenge_rules.service._problems import PROBLEM_JSON, Refusal, details

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOG: Final = logging.getLogger("challenge_rules.service.access")
ERROR_LOG: Final = logging.getLogger("challenge_rules.service.error")


def internal() -> Refusal:
    """The refusal for a bug: it says so, and nothing of the request."""
    return Refusal(
        "internal",
        "the service failed to answer; this is a bug in challenge-rules, and it has been logged",
    )


class Guard:
    """ASGI middleware: log each request's method, path, status and duration; catch the rest."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        responded = False

        async def watch(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
            await send(message)

        method, path = str(scope.get("method", "")), str(scope.get("path", ""))
        logged = _escaped(path)
        try:
            await self.app(scope, receive, watch)
        except Exception as error:  # noqa: BLE001 - the last line of defence
            # The type only: a message or traceback may quote the request.
            ERROR_LOG.error("internal error (%s) in %s %s", type(error).__name__, method, logged)
            if not responded:
                status = 500
                await _send_problem(send, internal(), path)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            ACCESS_LOG.info("%s %s %d %.1fms", method, logged, status, elapsed)


def _escaped(path: str) -> str:
    """``path`` on one line of ASCII: line breaks, control and other characters escaped."""
    return ascii(path)[1:-1]


async def _send_problem(send: Send, refusal: Refusal, path: str) -> None:
    body = json.dumps(details(refusal, path)).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": refusal.kind.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["ACCESS_LOG", "ERROR_LOG", "Guard", "internal"]
