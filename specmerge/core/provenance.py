"""Provenance: which layer said what at a path, computed on demand from the layers.

This is the provenance half of the merge contract (:mod:`specmerge.core.merge`): it is not
stored beside every value but is a pure function of the layers and a path (:func:`chain`).
Walking the layers from the highest down, the chain of a path lists every layer that put a
value or a ``null`` at it, and stops at the first layer that put a ``null`` or a non-map at
one of its ancestors (the :class:`Cut`): nothing below that layer can reach the path. The
first entry is the winner (or the deleting ``null``); the rest are what it shadowed. A
group layer (the CLI's ``-f``/``--set*``) names its member per path. :func:`leaf_chains`
gives every leaf's chain in one walk.

Control keys (``_``-prefixed, top level) only count from the steering layers, as in the merge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .layer import CONTROL_PREFIX, STEERING_LAYERS, Layer
from .memo import Memo
from .paths import Path


@dataclass(frozen=True, slots=True)
class Entry:
    """One layer's say at a path: a value (``op="set"``) or an explicit ``null`` (``op="delete"``)."""

    layer: str
    source: str
    index: int
    op: Literal["set", "delete"]
    value: Any = None

    def to_dict(self, value: Any = None) -> dict[str, Any]:
        out: dict[str, Any] = {"layer": self.layer, "source": self.source, "op": self.op}
        if self.op == "set":
            out["value"] = value
        return out


@dataclass(frozen=True, slots=True)
class Cut:
    """The layer below which nothing reaches a path: it put a null/non-map at ``ancestor``."""

    layer: str
    source: str
    ancestor: Path
    op: Literal["delete", "replace"]


@dataclass(frozen=True, slots=True)
class Chain:
    """Provenance of one path: entries highest layer first, and where the chain was cut."""

    path: Path
    entries: tuple[Entry, ...]
    cut: Cut | None = None

    @property
    def winner(self) -> Entry | None:
        return self.entries[0] if self.entries else None

    @property
    def shadowed(self) -> tuple[Entry, ...]:
        return self.entries[1:]

    @property
    def deleted(self) -> bool:
        return bool(self.entries) and self.entries[0].op == "delete"


class _Absent:
    __slots__ = ()


_ABSENT = _Absent()


def _probe(values: Mapping[str, Any], path: Path) -> Any:
    """A layer's node at ``path``; ``_ABSENT``; or a ``Cut``-like tuple ``(ancestor, op)``."""
    node: Any = values
    last = len(path) - 1
    for i, key in enumerate(path):
        if not isinstance(node, Mapping) or key not in node:
            return _ABSENT
        node = node[key]
        if i < last and not isinstance(node, Mapping):
            return (path[: i + 1], "delete" if node is None else "replace")
    return node


def chain(layers: Sequence[Layer], path: Path) -> Chain:
    """Provenance of ``path`` over ``layers`` (lowest first). See the module docstring."""
    entries: list[Entry] = []
    steering_only = bool(path) and isinstance(path[0], str) and path[0].startswith(CONTROL_PREFIX)
    for index in range(len(layers) - 1, -1, -1):
        layer = layers[index]
        if steering_only and layer.name not in STEERING_LAYERS:
            continue
        found = _probe(layer.values, path)
        if found is _ABSENT:
            continue
        if isinstance(found, tuple):
            ancestor, op = found
            return Chain(path, tuple(entries), Cut(layer.name_at(ancestor), layer.locate(ancestor), ancestor, op))
        entries += _entries(layer, index, path, found)
    return Chain(path, tuple(entries))


def _kept_null(c: Chain) -> Chain:
    """``c`` for a path the merge holds as ``null`` (a ``keep_nulls`` layer's null over nothing:
    Helm's coalesce hands the templates ``key: null``): its winning null deleted nothing, so it
    is the path's value (``op="set"``, value ``None``), not a deletion."""
    w = c.winner
    if w is None or w.op != "delete":
        return c
    return Chain(c.path, (Entry(w.layer, w.source, w.index, "set", None), *c.entries[1:]), c.cut)


def _top_value(layers: Sequence[Layer], path: Path) -> Any:
    """What the highest layer that says anything at ``path`` has there (``_ABSENT`` if
    none does, a ``(ancestor, op)`` tuple if it cut the path off): ``chain(...).winner``'s
    value, without locating it."""
    steering_only = bool(path) and isinstance(path[0], str) and path[0].startswith(CONTROL_PREFIX)
    for layer in reversed(layers):
        if not (steering_only and layer.name not in STEERING_LAYERS):
            found = _probe(layer.values, path)
            if found is not _ABSENT:
                return found
    return _ABSENT


def _entries(layer: Layer, index: int, path: Path, found: Any) -> list[Entry]:
    """A layer's say at ``path``: one entry, or - for a group of sources (the CLI's
    ``-f``/``--set*``) - its winning member's and then the member values it hid."""
    history = getattr(layer.origins, "history", None)
    if history is not None:
        said = history(path, found)
        if said:
            return [
                Entry(name, where, index, "delete" if value is None else "set", value) for name, where, value in said
            ]
    if found is None:
        return [Entry(layer.name_at(path), layer.locate(path), index, "delete")]
    return [Entry(layer.name_at(path), layer.locate(path), index, "set", found)]


#: The chains under a map that the same layer nodes reach, by (path, cut, which layers'
#: nodes): most of a spec is the chart's and the channel's defaults, the very same objects
#: request after request, and their chains are the same. The entry holds those layers and
#: nodes, so their ids are not reused while it lives (a hit is the same objects).
_SUBTREES: Memo[tuple[Any, ...], tuple[tuple[Any, ...], list[tuple[Path, Chain]]]] = Memo(4096)


def leaf_chains(layers: Sequence[Layer], full: Mapping[str, Any]) -> dict[Path, Chain]:
    """The chain of every leaf of ``full`` (the merge of ``layers``), in document order.

    Equal to ``{p: chain(layers, p) for each leaf p}``, but computed in one walk down all
    layers at once, so each layer's node is looked up once per path instead of once per
    path and ancestor. Below a map, ``full`` is the merge of the nodes of the layers that
    reach it, so the chains of a subtree those same nodes reach are remembered
    (:data:`_SUBTREES`).
    """
    rows: list[tuple[Path, Chain]] = []
    top = [(i, layers[i].values) for i in range(len(layers) - 1, -1, -1)]
    steering = [(i, v) for i, v in top if layers[i].name in STEERING_LAYERS]

    def walk(path: Path, node: dict[str, Any], states: list[tuple[int, Any]], cut: Cut | None) -> None:
        for key, value in node.items():
            child = path + (key,)
            scope = steering if not path and key.startswith(CONTROL_PREFIX) else states
            if not (isinstance(value, dict) and value):  # a leaf: every layer's say at it
                entries = []
                for index, lnode in scope:
                    if key in lnode:
                        entries += _entries(layers[index], index, child, lnode[key])
                leaf = Chain(child, tuple(entries), cut)
                rows.append((child, _kept_null(leaf) if value is None else leaf))  # a null in the merge was kept
                continue
            below, child_cut = _below(layers, scope, key, child, cut)
            memo_key = (child, child_cut, tuple((i, id(layers[i]), id(n)) for i, n in below))
            hit = _SUBTREES.get(memo_key)
            if hit is not None:
                rows.extend(hit[1])
                continue
            start = len(rows)
            walk(child, value, below, child_cut)
            _SUBTREES.put(memo_key, ((tuple(layers[i] for i, _ in below), tuple(n for _, n in below)), rows[start:]))

    walk((), full, top, None)
    return dict(rows)


def _below(layers: Sequence[Layer], scope: list[tuple[int, Any]], key: str, child: Path,
           cut: Cut | None) -> tuple[list[tuple[int, Any]], Cut | None]:
    """At a map of the merge: which layers reach below it (their nodes there), and the
    first one that cuts the rest off (else ``cut``, the one above)."""
    below: list[tuple[int, Any]] = []
    for index, lnode in scope:
        if key not in lnode:
            continue
        found = lnode[key]
        if isinstance(found, dict):
            below.append((index, found))
            continue
        layer = layers[index]
        return below, Cut(layer.name_at(child), layer.locate(child), child, "delete" if found is None else "replace")
    return below, cut


__all__ = ["Chain", "Cut", "Entry", "chain", "leaf_chains"]
