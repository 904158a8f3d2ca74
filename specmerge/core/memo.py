"""A bounded memo: remembered answers that never outgrow a fixed count.

A memo that simply *stops growing* when full is filled for good by one request with a
20,001-element list (every index is a new path), and every later request then misses; one
that grows without bound is a memory leak a client controls. :class:`Memo` forgets
everything when it is full and starts again: a flood costs one refill, never a lasting
slowdown, and memory stays under ``size`` entries. Thread-safe under the GIL (single dict
operations); a lost race only recomputes an answer.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most ``size`` remembered answers; :meth:`put` into a full memo forgets them all first."""

    __slots__ = ("size", "_table")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a memo holds at least one entry")
        self.size = size
        self._table: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._table.get(key)

    def put(self, key: K, value: V) -> V:
        table = self._table
        if len(table) >= self.size and key not in table:
            table.clear()
        table[key] = value
        return value

    def __getitem__(self, key: K) -> V:
        return self._table[key]

    def __contains__(self, key: object) -> bool:
        return key in self._table

    def __len__(self) -> int:
        return len(self._table)

    def clear(self) -> None:
        self._table.clear()
