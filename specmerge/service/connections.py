"""Connection limits for the HTTP server: what a client that never finishes costs.

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``) and
answers 503 past ``limit_concurrency`` connections or tasks, but it never closes a
connection whose request headers do not finish: a client that sends one byte and waits
holds a descriptor for ever, and a few hundred exhaust them. :class:`LimitedHTTPProtocol`
(uvicorn's own protocol, httptools or h11, underneath) adds:

* a **header timeout**: from the moment a connection opens, or the first byte of a next
  request arrives, the request's headers must be complete within ``header_timeout``
  seconds, else the connection is closed (a stalled body is the app's request timeout);
* a **header size cap**: more than :data:`MAX_HEADER_BYTES` received while a request's
  headers are incomplete closes the connection (httptools keeps every header line it is
  sent, so endless headers would otherwise grow memory until the timeout);
* a **connection cap**: a connection past ``max_connections`` is closed as it opens, so
  stalled clients cannot take every descriptor.

:func:`server_config` builds the ``uvicorn.Config`` from the service settings: uvicorn's own
``timeout_keep_alive`` (idle) and ``limit_concurrency``, the protocol by import path (so
spawned ``--workers`` processes load it too) and the two limits it reads from the config.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .settings import ServiceSettings

#: ``Config`` attributes the protocol reads its limits from.
HEADER_TIMEOUT_ATTR = "specmerge_header_timeout"
MAX_CONNECTIONS_ATTR = "specmerge_max_connections"
DEFAULT_HEADER_TIMEOUT = 10.0
MAX_HEADER_BYTES = 64 * 1024
PROTOCOL = f"{__name__}:LimitedHTTPProtocol"


class LimitedHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's HTTP protocol with a header timeout and a connection cap (module docstring)."""

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout: float = getattr(config, HEADER_TIMEOUT_ATTR, DEFAULT_HEADER_TIMEOUT)
        self.max_connections: int | None = getattr(config, MAX_CONNECTIONS_ATTR, None)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0

    def _between_requests(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._between_requests() and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_connections is not None and len(self.connections) > self.max_connections:
            transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        before = self.cycle
        if self._between_requests():
            self._arm()
            self._header_bytes += len(data)
        super().data_received(data)
        if self.cycle is not before:  # a new request's headers are complete
            self._disarm()
            self._header_bytes = 0
        elif self._header_bytes > MAX_HEADER_BYTES and self._between_requests() and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class TakingTurns(asyncio.SelectorEventLoop):
    """The event loop of one of several ``--workers`` processes sharing a listening socket:
    a worker that already serves connections lets the others pick first.

    Every worker polls the shared socket and the kernel wakes them all, but asyncio and
    uvloop accept every pending connection at once: a few keep-alive clients that connect
    together all land on the first worker awake (measured: in 3 runs of 4, all 4 connections
    of the benchmark on one of 2 workers), whose requests then queue behind each other while
    the other worker idles. Here a worker with ``n`` open connections waits ``2n`` ms (at most
    :data:`MAX_REST` s) before it takes ONE pending connection, so a worker with fewer
    connections takes it first; a worker with none takes it at once. Only the accept waits:
    a pending connection is never refused, and the wait is bounded.
    """

    def _accept_connection(self, protocol_factory: Any, sock: Any, sslcontext: Any = None, server: Any = None,
                           backlog: int = 100, *rest: Any) -> None:
        args = (protocol_factory, sock, sslcontext, server, 1, *rest)
        busy = getattr(server, "_active_count", 0)  # asyncio.Server's count of its open transports
        if not busy:
            super()._accept_connection(*args)  # type: ignore[misc]
            return
        self._remove_reader(sock.fileno())  # type: ignore[attr-defined]
        self.call_later(min(REST * busy, MAX_REST), self._take_one, args)

    def _take_one(self, args: tuple[Any, ...]) -> None:
        """After the rest: take one pending connection (if the others left one) and listen again."""
        sock, server = args[1], args[3]
        if server is None or not server.is_serving() or sock.fileno() < 0:
            return  # closed while resting
        super()._accept_connection(*args)  # type: ignore[misc]
        self._add_reader(sock.fileno(), self._accept_connection, *args)  # type: ignore[attr-defined]


REST, MAX_REST = 0.002, 0.010


#: The ``loop`` of ``uvicorn.Config`` for a worker process (an import path: workers are spawned).
TAKING_TURNS = f"{__name__}:TakingTurns"


def server_config(app: Any, settings: ServiceSettings, **more: Any) -> Any:
    """The ``uvicorn.Config`` the service runs with: its limits (idle, header, connections),
    quiet logs (the service logs its own access lines), no lifespan."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", http=PROTOCOL,
                            timeout_keep_alive=settings.idle_timeout,
                            limit_concurrency=settings.max_connections + 1, **more)
    setattr(config, HEADER_TIMEOUT_ATTR, settings.header_timeout)
    setattr(config, MAX_CONNECTIONS_ATTR, settings.max_connections)
    return config
