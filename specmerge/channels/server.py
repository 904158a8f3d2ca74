"""The channel server: serves a channels directory on the channel API's two paths.

``specmerge channel-server --dir channels/`` is the mirror an airgapped site runs itself
(and what the tests talk to). Endpoints:

* ``GET /api/v1/operator/channel[?channel=stable]`` — the channel's latest release;
* ``GET /api/v1/operator/channel/release/{releaseId}`` — a release by releaseId (or by
  version with ``?channel=``);
* ``GET /healthz`` — ``{"status": "ok", "releases": N}`` (no license needed);
* ``GET /metrics`` — Prometheus counters of requests by route and status.

Every answer has a strong ``ETag`` (SHA-256 of the spec's canonical JSON); a matching
``If-None-Match`` gets 304 with no body. With a license configured, the API paths need
basic auth user ``license`` and that license: none -> 401, a wrong one -> 403. The
directory is re-read when its files change (checked by name, size and mtime per
request), and every file must pass the channel schema — a bad file makes the API answer
500 naming the file, never a partial channel.
"""

from __future__ import annotations

import base64
import binascii
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest

from .._serve import bind, serve
from .embedded import ReleaseNotFound, load_dir, select
from .license import License
from .spec import ChannelSpec, ChannelSpecError

DEFAULT_CHANNEL = "stable"


class _Releases:
    """The directory's specs, reloaded when its files change."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._specs: list[ChannelSpec] = []
        self._bodies: dict[str, tuple[bytes, str]] = {}

    def _signature(self) -> tuple[Any, ...]:
        out = []
        for p in sorted(self.directory.glob("*/*.json")):
            st = p.stat()
            out.append((str(p), st.st_size, st.st_mtime_ns))
        return tuple(out)

    def current(self) -> list[ChannelSpec]:
        stamp = self._signature()
        with self._lock:
            if stamp != self._stamp:
                specs = load_dir(self.directory)
                self._bodies = {s.release_id: (s.canonical_json().encode(), f'"{s.digest()}"') for s in specs}
                self._specs, self._stamp = specs, stamp
            return self._specs

    def body(self, spec: ChannelSpec) -> tuple[bytes, str]:
        """The JSON body and strong ETag of ``spec``."""
        return self._bodies[spec.release_id]


def _presented(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return None
    try:
        user, sep, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


def create_app(directory: str | Path, license: License | None = None, default_channel: str = DEFAULT_CHANNEL) -> FastAPI:
    """The channel server app for ``directory`` (checked now: a bad directory fails at
    start, not on the first request)."""
    releases = _Releases(Path(directory))
    releases.current()
    registry = CollectorRegistry()
    served = Counter(
        "specmerge_channel_requests", "Channel API requests by route and status", ["route", "status"], registry=registry
    )
    app = FastAPI(title="specmerge channel server", docs_url=None, redoc_url=None, openapi_url=None)

    def error(status: int, detail: str, route: str, **headers: str) -> JSONResponse:
        served.labels(route, str(status)).inc()
        return JSONResponse({"detail": detail}, status_code=status, headers=headers or None)

    def answer(request: Request, route: str, channel: str, release: str | None) -> Response:
        if license is not None:
            creds = _presented(request)
            if creds is None:
                return error(401, "license required: basic auth user 'license'", route,
                             **{"WWW-Authenticate": 'Basic realm="specmerge channels"'})
            if not license.matches(*creds):
                return error(403, "license not accepted", route)
        try:
            spec = select(releases.current(), channel, release)
        except ReleaseNotFound as exc:
            return error(404, str(exc), route)
        except ChannelSpecError as exc:
            return error(500, f"the channel directory has a bad release: {exc}", route)
        body, etag = releases.body(spec)
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if _etag_matches(request.headers.get("if-none-match"), etag):
            served.labels(route, "304").inc()
            return Response(status_code=304, headers=headers)
        served.labels(route, "200").inc()
        return Response(body, media_type="application/json", headers=headers)

    @app.get("/api/v1/operator/channel")
    def latest(request: Request, channel: str = default_channel) -> Response:
        return answer(request, "latest", channel, None)

    @app.get("/api/v1/operator/channel/release/{release_id}")
    def pinned(request: Request, release_id: str, channel: str = default_channel) -> Response:
        return answer(request, "release", channel, release_id)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            count = len(releases.current())
        except (ChannelSpecError, OSError) as exc:
            return JSONResponse({"status": "error", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "releases": count})

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


__all__ = ["DEFAULT_CHANNEL", "bind", "create_app", "serve"]  # bind/serve: specmerge._serve, kept here for callers
