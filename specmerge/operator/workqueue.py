"""A keyed work queue, client-go style.

* A key is queued at most once however often it is added ("dirty" set).
* A key being processed is never handed to a second worker: an add while it is processed
  marks it dirty and it is queued again when :meth:`WorkQueue.done` is called. One
  instance is never reconciled by two workers (design.md §8; Helm's release history
  would corrupt).
* :meth:`add_after` delays an add; :meth:`retry` delays it by the key's exponential
  backoff (``base`` doubling to ``cap``, with jitter); :meth:`forget` resets the backoff.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections import deque

from . import metrics


class WorkQueue:
    def __init__(self, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self._rng = rng or random.Random()
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._failures: dict[str, int] = {}
        self._delayed: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._shutdown = False

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def add(self, key: str) -> None:
        with self._cond:
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            if key not in self._processing:
                self._queue.append(key)
                metrics.QUEUE_DEPTH.set(len(self._queue))
                self._cond.notify()

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            heapq.heappush(self._delayed, (time.monotonic() + delay, key))
            self._cond.notify_all()

    def backoff(self, key: str) -> float:
        """The next delay for ``key`` (and count the failure)."""
        with self._cond:
            n = self._failures.get(key, 0)
            self._failures[key] = n + 1
        return min(self.cap, self.base * 2 ** n) * self._rng.uniform(0.8, 1.2)

    def retry(self, key: str, delay: float | None = None) -> float:
        wait = self.backoff(key) if delay is None else delay
        self.add_after(key, wait)
        return wait

    def failures(self, key: str) -> int:
        with self._cond:
            return self._failures.get(key, 0)

    def forget(self, key: str) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def _promote(self) -> float | None:
        """Move due delayed keys into the queue; seconds until the next one (``None``: none)."""
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            _, key = heapq.heappop(self._delayed)
            if key not in self._dirty:
                self._dirty.add(key)
                if key not in self._processing:
                    self._queue.append(key)
        metrics.QUEUE_DEPTH.set(len(self._queue))
        return self._delayed[0][0] - now if self._delayed else None

    def get(self, timeout: float | None = None) -> str | None:
        """The next key to process (``None`` on shutdown or timeout); call :meth:`done` after."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                wait = self._promote()
                if self._shutdown:
                    return None
                if self._queue:
                    key = self._queue.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    metrics.QUEUE_DEPTH.set(len(self._queue))
                    return key
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()


__all__ = ["WorkQueue"]
