"""Which channel spec to use, and why: server -> not-modified -> cache -> embedded.

:meth:`Resolver.resolve` is the one place this order lives. It returns a
:class:`ChannelResult` that says which source answered (``server``, ``not-modified``,
``cache``, ``embedded``), the release, and — for any fallback — a human ``reason``.
Rules:

* a response that fails to parse, fails the channel schema or answers another channel or
  release than asked is never used (design.md §7); the fallback's reason says why;
* a pinned release (``_releaseId`` in the user/CR layer) is never answered from a cache
  entry of another release, nor an unpinned request from a cache of another channel;
* a fresh server answer to an unpinned request is stored as the last good entry (the
  channel's latest release; a pinned answer never replaces it, so a pinned release that is
  not embedded has no fallback during an outage); a failed store is reported in
  ``cache_error``, never raised;
* airgapped mode never touches the client (no connection is opened); with no server
  configured the same order runs from the cache;
* when nothing can answer, :class:`ChannelUnavailable` lists every step's reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..core import Layer
from ..errors import InputError, UnavailableError
from .cache import CacheEntry, CacheError, LastGoodCache
from .client import ChannelClient, ChannelFetchError, Known
from .embedded import ReleaseNotFound, embedded_dir, list_embedded, select
from .spec import ChannelSpec

Source = Literal["server", "not-modified", "cache", "embedded"]

RELEASE_CONTROL = "_releaseId"
_CHANNEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_RELEASE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


class ChannelRequestError(InputError, ValueError):
    """A channel name or pinned release that cannot be asked for."""


class ChannelUnavailable(UnavailableError):
    """No source could answer; ``reasons`` holds one line per source tried."""

    def __init__(self, request: ChannelRequest, reasons: tuple[str, ...]) -> None:
        self.request, self.reasons = request, reasons
        super().__init__(f"no usable release for {request.describe()}: " + "; ".join(reasons))


@dataclass(frozen=True)
class ChannelRequest:
    """What the site asks for: a channel, optionally pinned to a release (a releaseId,
    or a version of that channel)."""

    channel: str = "stable"
    release: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.channel, str) or not _CHANNEL.match(self.channel):
            raise ChannelRequestError(f"channel {self.channel!r} is not a channel name (lowercase letters, digits, '-')")
        if self.release is not None and (not isinstance(self.release, str) or not _RELEASE.match(self.release)):
            raise ChannelRequestError(f"release {self.release!r} is not a releaseId or version")

    @classmethod
    def from_controls(cls, controls: Mapping[str, Any], channel: str = "stable") -> ChannelRequest:
        """The request from the merged control keys (``Effective.controls``): ``_releaseId``
        pins the release."""
        return cls.for_layers(channel, Layer("controls", "controls", dict(controls)))

    @classmethod
    def for_layers(cls, channel: str, *layers: Layer | None) -> ChannelRequest:
        """The request of an instance whose control layers are ``layers`` (lowest first)."""
        return cls(channel, release_pin(*layers))

    def describe(self) -> str:
        return f"channel {self.channel}" + (f" release {self.release}" if self.release else "")

    def answered_by(self, spec: ChannelSpec) -> str | None:
        """``None`` if ``spec`` answers this request, else why not."""
        if self.release is not None:
            if spec.release_id == self.release or (spec.channel == self.channel and spec.version == self.release):
                return None
            return f"it holds release {spec.release_id} ({spec.channel} {spec.version}), not the pinned {self.release}"
        if spec.channel != self.channel:
            return f"it holds channel {spec.channel}, not {self.channel}"
        return None


def release_pin(*layers: Layer | None) -> str | None:
    """The one ``_releaseId`` rule: the pinned release is the ``_releaseId`` of the highest of
    ``layers`` (lowest first: user, then cr) that sets one; ``""`` or ``null`` there unpins.
    A value that is not a releaseId raises :class:`ChannelRequestError` naming the layer."""
    for layer in reversed(layers):
        if layer is None or RELEASE_CONTROL not in layer.values:
            continue
        pinned = layer.values[RELEASE_CONTROL]
        if pinned is None or pinned == "":
            return None
        if not isinstance(pinned, str) or not _RELEASE.match(pinned):
            shown = type(pinned).__name__ if not isinstance(pinned, str) else repr(pinned[:40])
            raise ChannelRequestError(
                f"{RELEASE_CONTROL} in {layer.source}: expected a releaseId or version string, got {shown}"
            )
        return pinned
    return None


@dataclass(frozen=True)
class ChannelResult:
    """The spec to use and where it came from.

    ``origin`` locates the answer (URL, cache locator, embedded file). ``reason`` says why
    the server did not answer (``None`` when it did). ``degraded`` is ``True`` when a
    configured server failed and a fallback answered. ``cache_error`` reports a cache
    read/write problem that did not stop the result."""

    source: Source
    spec: ChannelSpec
    origin: str
    reason: str | None = None
    degraded: bool = False
    cache_error: str | None = None
    attempts: int = 0
    etag: str | None = None

    @property
    def release_id(self) -> str:
        return self.spec.release_id

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def channel(self) -> str:
        return self.spec.channel

    def layer(self) -> Layer:
        """The ``channel`` layer to merge."""
        return self.spec.layer()

    def describe(self) -> str:
        """One line for people: which release, from where, and why."""
        line = f"{self.channel} {self.version} ({self.release_id}) from {self.source} {self.origin}"
        if self.reason:
            line += f" because {self.reason}"
        if self.cache_error:
            line += f"; cache not updated: {self.cache_error}"
        return line

    def condition(self) -> dict[str, str]:
        """The operator's ``ChannelReady`` condition (type, status, reason, message)."""
        reasons = {
            "server": "ReleaseFetched",
            "not-modified": "ReleaseUnchanged",
            "cache": "UsingCachedRelease",
            "embedded": "UsingEmbeddedRelease",
        }
        status = "False" if self.degraded else "True"
        return {"type": "ChannelReady", "status": status, "reason": reasons[self.source], "message": self.describe()}

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable summary (no values; see ``spec.to_dict()`` for those)."""
        return {
            "source": self.source,
            "channel": self.channel,
            "version": self.version,
            "releaseId": self.release_id,
            "publishedAt": self.spec.published_at,
            "origin": self.origin,
            "reason": self.reason,
            "degraded": self.degraded,
            "cacheError": self.cache_error,
            "attempts": self.attempts,
        }


class Resolver:
    """Resolves requests against a client (optional), a cache (optional) and the
    embedded channels. Thread-safe if its cache backend is; share one per process."""

    def __init__(
        self,
        client: ChannelClient | None = None,
        cache: LastGoodCache | None = None,
        *,
        airgapped: bool = False,
        embedded: Callable[[], list[ChannelSpec]] = list_embedded,
    ) -> None:
        self.client, self.cache, self.airgapped, self.embedded = client, cache, airgapped, embedded

    def __repr__(self) -> str:
        return f"Resolver(client={self.client!r}, cache={self.cache!r}, airgapped={self.airgapped})"

    def _cached(self, request: ChannelRequest) -> tuple[CacheEntry | None, str]:
        """The cache entry if it answers ``request``, else ``None`` and why not."""
        if self.cache is None:
            return None, "no cache configured"
        where = self.cache.locator(request.channel)
        try:
            entry = self.cache.load(request.channel)
        except CacheError as exc:
            return None, f"cache unusable: {exc}"
        if entry is None:
            return None, f"no cached release at {where}"
        mismatch = request.answered_by(entry.spec)
        if mismatch:
            return None, f"cache {where} not used: {mismatch}"
        return entry, ""

    def resolve(self, request: ChannelRequest) -> ChannelResult:
        entry, cache_why = self._cached(request)
        degraded = False
        attempts = 0
        if self.airgapped:
            why = "airgapped mode: no network connection made"
        elif self.client is None:
            why = "no channel server configured"
        else:
            result = self._from_server(request, entry)
            if isinstance(result, ChannelResult):
                return result
            (why, attempts), degraded = result, True
        if entry is not None and self.cache is not None:
            return ChannelResult(
                "cache", entry.spec, self.cache.locator(request.channel), why, degraded, attempts=attempts, etag=entry.etag
            )
        try:
            spec = select(self.embedded(), request.channel, request.release)
        except ReleaseNotFound as exc:
            raise ChannelUnavailable(request, (why, cache_why, f"embedded: {exc}")) from None
        origin = f"{embedded_dir()}/{spec.channel}/{spec.version}.json"
        return ChannelResult("embedded", spec, origin, f"{why}; {cache_why}", degraded, attempts=attempts)

    def _from_server(self, request: ChannelRequest, entry: CacheEntry | None) -> ChannelResult | tuple[str, int]:
        """The server's answer, or why it cannot be used and how many requests it took."""
        assert self.client is not None
        url = self.client.url_for(request.channel, request.release)
        known = Known(entry.etag, entry.spec) if entry is not None and entry.etag else None
        try:
            got = self.client.fetch(request.channel, request.release, known)
        except ChannelFetchError as exc:
            return f"channel server {url} failed: {exc}", exc.attempts
        mismatch = request.answered_by(got.spec)
        if mismatch:
            return f"channel server {url} answered another release, not used: {mismatch}", got.attempts
        cache_error = None
        # The last-good cache is the channel's *latest* release (W&B's <name>-latest-cached-release):
        # a pinned answer must not replace it, or an outage would hand unpinned instances an old release.
        if not got.not_modified and not got.shared and self.cache is not None and request.release is None:
            try:
                self.cache.store(CacheEntry.now(got.spec, got.etag, url))
            except CacheError as exc:
                cache_error = str(exc)
        source: Source = "not-modified" if got.not_modified else "server"
        return ChannelResult(source, got.spec, url, None, False, cache_error, got.attempts, got.etag)
