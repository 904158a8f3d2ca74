"""The last-good cache: the most recent channel spec that was fetched and passed the schema.

One small interface, :class:`LastGoodCache` (``load``/``store``/``locator``), with a
directory backend here (default for the CLI and HTTP service), an in-memory one, and the
``<name>-latest-cached-release`` Secret backend in :mod:`specmerge.instances.channel_cache` (the operator).

Every entry records the spec (so its channel and release) and the ETag the server gave
it. A backend never returns a spec that fails the channel schema: a corrupt entry raises
:class:`CacheError` (the resolver reports it and moves on). Writes are atomic — a crash
mid-write leaves the previous entry readable — and a failed write raises
:class:`CacheError`, which the resolver reports instead of failing the caller.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ..atomic import write_atomic
from ..errors import UnavailableError
from .spec import ChannelSpec, ChannelSpecError, parse_channel_spec

CACHE_DIR_ENV = "SPECMERGE_CACHE_DIR"
TEMP_PREFIX = ".tmp-"


class CacheError(UnavailableError):
    """A cache read or write that failed; the message names the backend's locator."""


@dataclass(frozen=True)
class CacheEntry:
    """A last-good spec with the ETag the server sent (``None`` if it sent none), when it
    was stored (RFC 3339 UTC) and where it came from (a URL without credentials)."""

    spec: ChannelSpec
    etag: str | None = None
    stored_at: str = ""
    origin: str = ""

    @classmethod
    def now(cls, spec: ChannelSpec, etag: str | None, origin: str) -> CacheEntry:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(spec, etag, stamp, origin)

    def extras(self) -> dict[str, Any]:
        """The bookkeeping beside the spec, as stored."""
        return {"etag": self.etag, "storedAt": self.stored_at, "origin": self.origin}

    @classmethod
    def from_parts(cls, spec_doc: Any, extras: Any, source: str) -> CacheEntry:
        """An entry from stored parts; :class:`CacheError` if the spec fails the schema."""
        try:
            spec = parse_channel_spec(spec_doc, source)
        except ChannelSpecError as exc:
            raise CacheError(f"{exc}") from None
        extras = extras if isinstance(extras, dict) else {}
        etag = extras.get("etag")
        return cls(
            spec,
            etag if isinstance(etag, str) else None,
            str(extras.get("storedAt") or ""),
            str(extras.get("origin") or ""),
        )


class LastGoodCache(Protocol):
    """Where the last good channel spec lives."""

    def locator(self, channel: str) -> str:
        """Where the entry for ``channel`` is, for messages (``dir:/var/cache/x/stable.json``)."""
        ...

    def load(self, channel: str) -> CacheEntry | None:
        """The stored entry (``None`` if there is none). Backends that hold one entry for
        all channels (the Secret) return it whatever ``channel`` is; the caller checks
        that it fits. Raises :class:`CacheError` for an unreadable or invalid entry."""
        ...

    def store(self, entry: CacheEntry) -> None:
        """Replace the entry for ``entry.spec.channel`` atomically; :class:`CacheError`
        on failure (the previous entry then stays as it was)."""
        ...


def default_cache_dir() -> Path:
    """``$SPECMERGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/specmerge/channels``, else
    ``~/.cache/specmerge/channels``."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "specmerge" / "channels"


class DirectoryCache:
    """One JSON file per channel: ``<root>/<channel>.json`` holding
    ``{"spec": <envelope>, "etag", "storedAt", "origin"}``, written by
    :func:`~specmerge.atomic.write_atomic` (temp file, fsync, rename, directory fsync)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"DirectoryCache({str(self.root)!r})"

    def path(self, channel: str) -> Path:
        if not channel or "/" in channel or channel.startswith("."):
            raise CacheError(f"dir:{self.root}: {channel!r} is not a channel name")
        return self.root / f"{channel}.json"

    def locator(self, channel: str) -> str:
        return f"dir:{self.path(channel)}"

    def load(self, channel: str) -> CacheEntry | None:
        path = self.path(channel)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheError(f"{self.locator(channel)}: cannot read: {exc.strerror or exc}") from None
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CacheError(f"{self.locator(channel)}: not a cache entry (invalid JSON: {exc})") from None
        if not isinstance(doc, dict) or "spec" not in doc:
            raise CacheError(f"{self.locator(channel)}: not a cache entry (no 'spec')")
        return CacheEntry.from_parts(doc["spec"], doc, self.locator(channel))

    def store(self, entry: CacheEntry) -> None:
        path = self.path(entry.spec.channel)
        data = json.dumps({"spec": entry.spec.to_dict(), **entry.extras()}, indent=2).encode()
        try:
            write_atomic(path, data, prefix=TEMP_PREFIX)
        except OSError as exc:
            raise CacheError(f"{self.locator(entry.spec.channel)}: cannot write: {exc.strerror or exc}") from None


class MemoryCache:
    """An in-process cache (tests, benchmarks, and a front for a slower backend)."""

    def __init__(self) -> None:
        self._entries: dict[str, CacheEntry] = {}
        self._lock = threading.Lock()

    def locator(self, channel: str) -> str:
        return f"memory:{channel}"

    def load(self, channel: str) -> CacheEntry | None:
        with self._lock:
            return self._entries.get(channel)

    def store(self, entry: CacheEntry) -> None:
        with self._lock:
            self._entries[entry.spec.channel] = entry
