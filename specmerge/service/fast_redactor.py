"""A memoising :class:`~specmerge.core.Redactor` for the service's hot path.

The core redactor walks the chart schema from the root for every path it is asked about;
a preview asks about every leaf several times (values, provenance entries, manifests), and
that walk was most of a preview's time. This subclass decides exactly as the core does
(same methods, same rule) but remembers, per schema object, whether a path is sensitive. The schema of a loaded chart is shared and never
mutated (charts are cached by digest), so the answers stay valid; the table is bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..core import Path, Redactor

_MAX_PATHS = 50_000


class _Table:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema  # keeps the object alive, so its id() is not reused
        self.sensitive: dict[Path, bool] = {}


_TABLES: dict[int, _Table] = {}
_LOCK = threading.Lock()


def _table(schema: Mapping[str, Any]) -> _Table:
    with _LOCK:
        table = _TABLES.get(id(schema))
        if table is None or table.schema is not schema:
            table = _TABLES[id(schema)] = _Table(schema)
        return table


class CachedRedactor(Redactor):
    def __init__(self, schema: Mapping[str, Any] | None = None, *, reveal: bool = False) -> None:
        super().__init__(schema, reveal=reveal)
        self._table = _table(schema) if schema is not None else None

    def is_sensitive(self, path: Path) -> bool:
        if self._table is None:
            return super().is_sensitive(path)
        hit = self._table.sensitive.get(path)
        if hit is None:
            hit = super().is_sensitive(path)
            if len(self._table.sensitive) < _MAX_PATHS:
                self._table.sensitive[path] = hit
        return hit

    def mask(self, tree: Any, base: Path = ()) -> Any:
        if self._table is None:
            return super().mask(tree, base)
        return self._mask_at(tree, base)

    def _mask_at(self, tree: Any, path: Path) -> Any:
        # The core's _mask asks "sensitive key, or flagged schema node?" per child; for a
        # child of a non-sensitive parent that is exactly is_sensitive(child path), cached.
        if self.is_sensitive(path):
            return self.mask_value(tree)
        if isinstance(tree, Mapping):
            return {k: self._mask_at(v, path + (k,)) for k, v in tree.items()}
        if isinstance(tree, list):
            return [self._mask_at(v, path + (i,)) for i, v in enumerate(tree)]
        return tree
