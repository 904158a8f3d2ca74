"""Channel answers for every instance, fetched once per channel, not once per instance.

One :class:`~specmerge.channels.Resolver` per operator (one server, one license) behind a
memo keyed by :class:`~specmerge.channels.ChannelRequest`: a thousand instances on
``stable`` cost one request per poll. :meth:`ChannelPoller.poll` re-resolves every latest
(unpinned) request, and pinned ones whose last answer was a fallback; when a channel's
release changes it calls ``on_new_release(channel)`` so the controller enqueues exactly the
unpinned instances on that channel. The last good release of each channel is seeded from
the instances' ``<name>-latest-cached-release`` Secrets, so a restart during a channel
outage still uses it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..channels import CacheEntry, ChannelRequest, ChannelResult, MemoryCache, Resolver
from . import metrics

log = logging.getLogger("specmerge.operator")


class ChannelPoller:
    def __init__(self, resolver: Resolver, cache: MemoryCache, on_new_release: Callable[[str], None]) -> None:
        self.resolver, self.cache, self.on_new_release = resolver, cache, on_new_release
        self._memo: dict[ChannelRequest, ChannelResult] = {}
        self._lock = threading.Lock()
        self._flight: dict[ChannelRequest, threading.Lock] = {}

    def seed(self, entry: CacheEntry) -> None:
        """Offer a last-good entry (from a ``-latest-cached-release`` Secret); the newest per channel wins."""
        current = self.cache.load(entry.spec.channel)
        if current is None or current.spec.published_at < entry.spec.published_at:
            self.cache.store(entry)

    def _resolve(self, request: ChannelRequest) -> ChannelResult:
        result = self.resolver.resolve(request)
        metrics.CHANNEL_POLLS.labels(request.channel, result.source).inc()
        return result

    def get(self, request: ChannelRequest) -> ChannelResult:
        """The memoised answer for ``request`` (resolved now if it was never asked)."""
        with self._lock:
            hit = self._memo.get(request)
            if hit is not None:
                return hit
            flight = self._flight.setdefault(request, threading.Lock())
        with flight:  # one resolution per request, however many workers ask at once
            with self._lock:
                hit = self._memo.get(request)
            if hit is not None:
                return hit
            result = self._resolve(request)  # ChannelUnavailable propagates: nothing to memoise
            with self._lock:
                self._memo[request] = result
            return result

    def poll(self) -> None:
        """Re-resolve latest requests (and degraded pins); announce channels whose release changed."""
        with self._lock:
            todo = [(r, old) for r, old in self._memo.items() if r.release is None or old.degraded]
        for request, old in todo:
            try:
                new = self._resolve(request)
            except Exception as exc:  # ChannelUnavailable and friends: keep the last answer, say why
                log.warning("channel poll %s: %s", request.describe(), exc)
                continue
            with self._lock:
                self._memo[request] = new
            if (new.release_id, new.degraded) != (old.release_id, old.degraded):
                log.info("channel %s: now %s", request.describe(), new.describe())
                self.on_new_release(request.channel)

    def run(self, stop: threading.Event, interval: float) -> None:
        while not stop.wait(interval):
            self.poll()


__all__ = ["ChannelPoller"]
