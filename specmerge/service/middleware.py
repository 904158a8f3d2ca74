"""The ASGI guard around the app: request id, body limit, timeout, generic 500, metrics
and the access log.

* ``admit`` (the app's authentication) sees each request's headers before the app runs and
  before anything reads the body; a refusal is answered at once and the body is never read.
* Every response carries ``X-Request-Id`` (the caller's if it is a short token, else new).
* A body over the limit gets 413: at once when ``Content-Length`` says so, else as soon as
  the streamed body passes it; either way the rest is read and dropped *before* the answer
  (bounded, see :func:`_drain`: once a response is complete the server reads no more of
  the request, and closing with unread input resets the connection under the 413).
* A request that runs past the timeout gets 504.
* An unhandled exception gets a generic 500 ``{"detail": ..., "requestId": ...}``; the log
  line has the exception type and stack frames but not its message, which may hold values.
* The access log line has method, route, status and duration: no query, headers or body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .metrics import Metrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("specmerge.service")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


GENERIC_500 = "internal error; see the service log for this request id"


class BodyTooLarge(InputError):
    """A request body over the limit: 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over the {limit} byte limit")


@dataclass(frozen=True)
class Refusal:
    """An answer ``admit`` gives instead of running the app (401, 503...)."""

    status: int
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)


Admit = Callable[[Scope], Awaitable[Refusal | None]]


async def generic_500(request: Any, exc: Exception) -> Any:
    """The app's handler for any unhandled exception: no message, no trace, the request id.
    Starlette re-raises after it; :class:`Guard` then logs the frames under that id."""
    from fastapi.responses import JSONResponse

    rid = request.scope.get("state", {}).get("request_id")
    return JSONResponse({"detail": GENERIC_500, "requestId": rid}, status_code=500)


async def _drain(receive: Receive, body_limit: int, seconds: float = 2.0) -> None:
    """Read and drop the rest of a refused streamed body (at most 4x the limit, for at most
    ``seconds``): a server that closes with unread input resets the connection, and the client,
    still sending, can lose the 413 it was sent."""
    dropped = 0
    deadline = time.monotonic() + seconds
    while dropped <= 4 * body_limit:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            message = await asyncio.wait_for(receive(), left)
        except asyncio.TimeoutError:
            return
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        dropped += len(message.get("body", b""))


class _Limited:
    """``receive`` that raises :class:`BodyTooLarge` once the body passes ``limit`` bytes,
    after reading and dropping the rest (so whoever answers the 413 answers a client that is
    no longer sending)."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive, self.limit = receive, limit
        self.received = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                if message.get("more_body", False):
                    await _drain(self.receive, self.limit)
                raise BodyTooLarge(self.limit)
        return message


class _Reply:
    """One request's response side: every response start gets ``X-Request-Id`` and its
    status is remembered; :meth:`problem` answers only if nothing was sent yet."""

    def __init__(self, send: Send, rid: str) -> None:
        self._send, self.rid = send, rid
        self.status, self.started = 500, False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status, self.started = message["status"], True
            message["headers"] = [*message.get("headers", []), (b"x-request-id", self.rid.encode())]
        await self._send(message)

    async def problem(self, code: int, detail: str, extra: Mapping[str, str] | None = None) -> None:
        if self.started:
            return
        body = json.dumps({"detail": detail, "requestId": self.rid}).encode()
        more = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (extra or {}).items()]
        await self.send({"type": "http.response.start", "status": code,
                         "headers": [(b"content-type", b"application/json"),
                                     (b"content-length", str(len(body)).encode()), *more]})
        await self.send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, metrics: Metrics, body_limit: int, timeout: float,
                 admit: Admit | None = None) -> None:
        self.app, self.metrics, self.body_limit, self.timeout = app, metrics, body_limit, timeout
        self.admit = admit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        given = headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        reply, body = _Reply(send, rid), _Limited(receive, self.body_limit)
        length = headers.get("content-length", "")
        try:
            refusal = await self.admit(scope) if self.admit is not None else None
            if refusal is not None:
                await reply.problem(refusal.status, refusal.detail, refusal.headers)
            elif length.isdigit() and int(length) > self.body_limit:
                await _drain(receive, self.body_limit)
                await reply.problem(413, str(BodyTooLarge(self.body_limit)))
            else:
                await asyncio.wait_for(self.app(scope, body, reply.send), self.timeout)
        except BodyTooLarge as exc:  # the rest of the body was dropped by _Limited
            await reply.problem(413, str(exc))
        except asyncio.TimeoutError:
            log.warning("request %s timed out after %.1fs", rid, self.timeout)
            await reply.problem(504, "request timed out")
        except Exception as exc:  # the one place an unexpected error becomes a response
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("request %s failed: %s\n%s", rid, type(exc).__name__, frames)
            await reply.problem(500, GENERIC_500)
        self._record(scope, reply.status, time.perf_counter() - start, rid)

    def _record(self, scope: Scope, status: int, elapsed: float, rid: str) -> None:
        """The request's metrics and its access log line (no query, headers or body)."""
        template = getattr(scope.get("route"), "path", None) or "unmatched"
        self.metrics.observe_request(template, scope.get("method", ""), status, elapsed)
        log.info("%s %s %s %.1fms id=%s", scope.get("method"), template, status, elapsed * 1000, rid)
