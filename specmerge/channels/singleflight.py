"""Single-flight: concurrent callers with the same key share one call.

Thread-based. The first caller for a key runs the function; callers arriving while it
runs wait and receive the same value (or the same exception). Once the call ends the key
is free again, so later callers make a fresh call — this deduplicates concurrent work,
it is not a cache. asyncio code shares flights by calling through a thread
(``await asyncio.to_thread(client.fetch, ...)``): the waiting happens in worker threads,
never on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class _Call(Generic[T]):
    __slots__ = ("done", "value", "error", "followers")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None
        self.followers = 0


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call[T]] = {}

    def do(self, key: Hashable, fn: Callable[[], T]) -> tuple[T, bool]:
        """``(value, shared)``: ``shared`` is ``True`` for callers that joined another's call."""
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
            else:
                call.followers += 1
        if not leader:
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.value, True  # type: ignore[return-value]
        try:
            call.value = fn()
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
        return call.value, False

    def followers(self, key: Hashable) -> int:
        """How many callers are waiting on the call in flight for ``key`` (0 if none):
        for metrics and for tests that must know a flight is shared."""
        with self._lock:
            call = self._calls.get(key)
            return call.followers if call else 0
