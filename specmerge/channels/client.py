"""The channel API client: deployer-compatible paths, bounded retries, ETags, single-flight.

``GET {base}/api/v1/operator/channel`` answers the latest release of a channel and
``GET {base}/api/v1/operator/channel/release/{releaseId}`` a pinned release (design.md
§6), with basic auth user ``license``. The requested channel goes along as
``?channel=<name>`` (a channel server that picks the channel by license ignores it; the
answer is checked against the request either way, see :mod:`.resolve`).

Contract of :meth:`ChannelClient.fetch`:

* returns :class:`Fetched` only for a response that parsed and passed the channel schema
  (or a 304 that confirms the ``known`` spec the caller sent the ETag of);
* otherwise raises :class:`ChannelFetchError` whose ``kind`` and ``reason`` say what
  went wrong — nothing from a bad response is ever returned;
* retries per :class:`~.retry.RetryPolicy` (connection errors, timeouts, 5xx, 429 with
  ``Retry-After``), never 401/403/404/other 4xx, and never past the policy's total budget;
* refuses bodies over ``max_bytes`` (by ``Content-Length`` and while streaming), non-JSON
  content types and redirects (which could carry the license to another host);
* concurrent calls for the same (base, license, channel, release) share one request
  (thread-based single-flight, see :mod:`.singleflight`); a follower gets the leader's
  answer with ``shared=True``;
* the license is never in a URL, log record, exception or repr (see :mod:`.license`).
"""

from __future__ import annotations

import logging
import random
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ..errors import UnavailableError
from .license import License
from .retry import RetryPolicy, retry_after_seconds, verdict
from .singleflight import SingleFlight
from .spec import ChannelSpec, ChannelSpecError, parse_channel_spec

if TYPE_CHECKING:  # httpx (~100 ms to import) only when a channel is fetched over HTTP
    import httpx

log = logging.getLogger("specmerge.channels")

CHANNEL_PATH = "/api/v1/operator/channel"
RELEASE_PATH = "/api/v1/operator/channel/release/{release}"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024

FailureKind = Literal[
    "connect", "timeout", "protocol", "status", "auth", "not-found", "too-large", "content-type", "invalid"
]


class ChannelFetchError(UnavailableError):
    """A fetch that produced no usable spec. ``str()`` is the reason, for people.

    ``kind``: connect, timeout, protocol, status, auth (401/403), not-found (404),
    too-large, content-type, invalid (not JSON / fails the channel schema / answers
    another release). ``status`` is the last HTTP status, if any; ``attempts`` how many
    requests were made."""

    def __init__(self, kind: FailureKind, reason: str, *, status: int | None = None, attempts: int = 1) -> None:
        self.kind, self.reason, self.status, self.attempts = kind, reason, status, attempts
        super().__init__(reason)


@dataclass(frozen=True)
class Known:
    """A spec the caller already holds and the ETag the server gave it."""

    etag: str
    spec: ChannelSpec


@dataclass(frozen=True)
class Fetched:
    """A usable answer. ``not_modified``: the server answered 304 to ``known``'s ETag and
    ``spec`` is that known spec. ``shared``: this caller joined another caller's request."""

    spec: ChannelSpec
    etag: str | None
    not_modified: bool
    attempts: int
    shared: bool = False


def _retryable_transport_error(exc: httpx.TransportError) -> tuple[FailureKind, str]:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the response",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a connection",
        }.get(type(exc), "on the request")
        return "timeout", f"timed out {phase}"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "refused" in text:
            return "connect", "connection refused"
        return "connect", f"cannot connect ({type(exc).__name__})"
    return "protocol", f"connection broke during the response ({type(exc).__name__})"


class _Attempt(Exception):
    """One failed attempt; ``retry`` says whether another may follow."""

    def __init__(self, kind: FailureKind, reason: str, retry: bool, status: int | None = None,
                 wait: float | None = None) -> None:
        super().__init__(reason)
        self.kind, self.reason, self.retry, self.status, self.wait = kind, reason, retry, status, wait


class ChannelClient:
    """A client for one channel API base URL. Thread-safe; share one per process."""

    def __init__(
        self,
        base_url: str,
        license: License | None = None,
        *,
        policy: RetryPolicy | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        flights: SingleFlight[Fetched] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self._license = license
        self.policy = policy or RetryPolicy()
        self.max_bytes = max_bytes
        self.flights: SingleFlight[Fetched] = flights if flights is not None else _FLIGHTS
        self._sleep, self._clock, self._rng = sleep, clock, rng or random.Random()
        import httpx

        self._http = httpx.Client(
            auth=httpx.BasicAuth(*license.basic_auth()) if license else None,
            follow_redirects=False,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "specmerge-channel-client"},
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"ChannelClient(base_url={self.base_url!r}, license={'<set>' if self._license else None})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ChannelClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_for(self, channel: str, release: str | None) -> str:
        """The request URL (no credentials in it, ever)."""
        path = CHANNEL_PATH if release is None else RELEASE_PATH.format(release=urllib.parse.quote(release, safe=""))
        return f"{self.base_url}{path}?{urllib.parse.urlencode({'channel': channel})}"

    def fetch(self, channel: str, release: str | None = None, known: Known | None = None) -> Fetched:
        """The channel's latest release (``release=None``) or the pinned ``release``; see
        the module docstring for the contract."""
        key = (self.base_url, self._license.fingerprint if self._license else None, channel, release)
        fetched, shared = self.flights.do(key, lambda: self._fetch(channel, release, known))
        return replace(fetched, shared=True) if shared else fetched

    # -- one fetch: attempts, waits, budget ------------------------------------------

    def _fetch(self, channel: str, release: str | None, known: Known | None) -> Fetched:
        url = self.url_for(channel, release)
        p = self.policy
        start = self._clock()
        deadline = start + p.total
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(url, known, deadline, attempt)
            except _Attempt as failed:
                elapsed = self._clock() - start
                log.debug("channel fetch %s attempt %d failed: %s", url, attempt, failed.reason)
                if not failed.retry:
                    raise ChannelFetchError(
                        failed.kind, f"{failed.reason} (not retried)", status=failed.status, attempts=attempt
                    ) from None
                wait = failed.wait if failed.wait is not None else p.backoff(attempt, self._rng)
                remaining = deadline - self._clock()
                if attempt >= p.max_attempts or wait >= remaining:
                    why = (
                        f"{attempt} attempts" if attempt >= p.max_attempts
                        else f"next retry in {wait:.1f} s would pass the {p.total:g} s budget"
                    )
                    raise ChannelFetchError(
                        failed.kind,
                        f"{failed.reason}; gave up after {attempt} attempt{'s' if attempt > 1 else ''} "
                        f"in {elapsed:.1f} s ({why})",
                        status=failed.status,
                        attempts=attempt,
                    ) from None
                self._sleep(wait)

    def _attempt(self, url: str, known: Known | None, deadline: float, attempt: int) -> Fetched:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Attempt("timeout", "the fetch budget is used up", retry=False)
        import httpx

        p = self.policy
        timeout = httpx.Timeout(
            connect=min(p.connect_timeout, remaining),
            read=min(p.read_timeout, remaining),
            write=min(p.read_timeout, remaining),
            pool=min(p.connect_timeout, remaining),
        )
        headers = {"If-None-Match": known.etag} if known else {}
        try:
            with self._http.stream("GET", url, headers=headers, timeout=timeout) as resp:
                return self._handle(resp, url, known, deadline, attempt)
        except httpx.TransportError as exc:
            kind, reason = _retryable_transport_error(exc)
            raise _Attempt(kind, reason, retry=True) from None

    def _handle(self, resp: httpx.Response, url: str, known: Known | None, deadline: float, attempt: int) -> Fetched:
        status = resp.status_code
        what = verdict(status)
        if what == "not-modified":
            if known is None:
                raise _Attempt("invalid", "HTTP 304 to a request that sent no ETag", retry=False, status=status)
            return Fetched(known.spec, resp.headers.get("ETag", known.etag), True, attempt)
        if what == "retry":
            wait = retry_after_seconds(resp.headers.get("Retry-After")) if status in (429, 503) else None
            hint = f", Retry-After {wait:g} s" if wait is not None else ""
            raise _Attempt("status", f"HTTP {status} {resp.reason_phrase}{hint}", True, status, wait)
        if what == "fail":
            raise _Attempt(*self._client_error(resp), retry=False, status=status)
        ctype = resp.headers.get("Content-Type", "")
        mime = ctype.split(";", 1)[0].strip().lower()
        if mime != "application/json" and not mime.endswith("+json"):
            raise _Attempt("content-type", f"content type {mime or 'missing'!r} is not JSON", False, status)
        body = self._read_limited(resp, deadline)
        try:
            spec = parse_channel_spec(body, f"server:{url}")
        except ChannelSpecError as exc:
            raise _Attempt("invalid", self._scrub(str(exc)), False, status) from None
        return Fetched(spec, resp.headers.get("ETag"), False, attempt)

    def _client_error(self, resp: httpx.Response) -> tuple[FailureKind, str]:
        import httpx

        status = resp.status_code
        kind: FailureKind = "auth" if status in (401, 403) else "not-found" if status == 404 else "status"
        meaning = {
            401: "the server wants a license" if self._license is None else "the server rejected the license",
            403: "the license is not allowed this channel or release",
            404: "no such channel or release on the server",
        }.get(status, "the server refused the request")
        detail = ""
        try:
            text = resp.read()[:2048].decode("utf-8", "replace")
            if "json" in resp.headers.get("Content-Type", ""):
                import json

                msg = json.loads(text).get("detail")
                text = msg if isinstance(msg, str) else ""
            detail = " ".join(text.split())[:200]
        except (httpx.HTTPError, ValueError, AttributeError):
            detail = ""
        tail = f": {self._scrub(detail)}" if detail else ""
        return kind, f"HTTP {status} {resp.reason_phrase}, {meaning}{tail}"

    def _read_limited(self, resp: httpx.Response, deadline: float) -> bytes:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise _Attempt(
                "too-large", f"response of {declared} bytes is over the {self.max_bytes} byte limit", False, resp.status_code
            )
        chunks, size = [], 0
        for chunk in resp.iter_raw():
            size += len(chunk)
            if size > self.max_bytes:
                raise _Attempt(
                    "too-large", f"response body passed the {self.max_bytes} byte limit", False, resp.status_code
                )
            if self._clock() > deadline:
                raise _Attempt("timeout", "response still arriving when the fetch budget ran out", False)
            chunks.append(chunk)
        return b"".join(chunks)

    def _scrub(self, text: str) -> str:
        return self._license.scrub(text) if self._license else text


#: One flight table per process, so separate clients of the same site also share requests.
_FLIGHTS: SingleFlight[Fetched] = SingleFlight()


def normalise_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash; refuses non-http(s) URLs and URLs with
    credentials (the license belongs in a license file, not a URL). The error never
    repeats the credentials."""
    parts = urllib.parse.urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        safe = urllib.parse.urlunsplit(parts._replace(netloc=parts.hostname or "")) if parts.scheme else "the URL"
        raise ValueError(f"channel server URL must be http(s)://host[:port][/path], not {safe!r}")
    rest = base_url.strip().split("://", 1)[1]
    if parts.username is not None or parts.password is not None or "@" in rest:
        raise ValueError("channel server URL must not carry credentials; give the license with --license-file")
    try:
        parts.port
    except ValueError:
        raise ValueError("channel server URL has a port that is not a number") from None
    if parts.query or parts.fragment:
        raise ValueError("channel server URL must not have a query or fragment")
    return urllib.parse.urlunsplit(parts).rstrip("/")
