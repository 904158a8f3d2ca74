"""Merging layers into the effective spec, with provenance.

Contract (design.md §3), for layers merged lowest precedence first:

- map + map merges key by key, recursively;
- anything else (scalar, list, map over non-map, non-map over map) is replaced by the
  higher layer's value; lists are never concatenated or merged by index;
- a map/non-map clash is not an error: the higher layer wins and the result carries a
  structured :class:`TypeClash` warning naming both layers and both types;
- an explicit ``null`` in a higher layer deletes the key, whatever lower layers had there;
  a ``keep_nulls`` layer's (the CLI's ``-f``/``--set*`` group) ``null`` over nothing stays as
  a ``null`` value, as Helm's coalesce hands it to the templates (README);
- inputs are never mutated and the result shares no mutable object with them;
- the result is the left fold of the layers: ``merge([a, b, c]) == merge([merge([a, b]), c])``.

Provenance is not stored beside every value: it is a pure function of the layers and a
path (:func:`~specmerge.core.provenance.chain`), evaluated when someone asks (``explain``, a
violation, the provenance table). Walking the layers from the highest down, the chain of a
path lists every layer that put a value or a ``null`` at it, and stops at the first layer
that put a ``null`` or a non-map at one of its ancestors: nothing below that layer can reach
the path. The first entry is the winner (or the deleting ``null``); the rest are what it
shadowed. The types and the walk live in :mod:`specmerge.core.provenance`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .layer import CONTROL_PREFIX, STEERING_LAYERS, Layer
from .paths import Path, from_dotted, get_at, to_dotted, to_pointer
from .provenance import _ABSENT, Chain, Cut, Entry, _kept_null, _top_value, chain, leaf_chains


def type_name(value: Any) -> str:
    """JSON Schema's name for a value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


@dataclass(frozen=True, slots=True)
class TypeClash:
    """A map met a non-map at ``path``; the higher layer (``winner``) replaced the lower."""

    path: Path
    winner: str
    winner_source: str
    winner_type: str
    loser: str
    loser_source: str
    loser_type: str
    kind: Literal["type-clash"] = "type-clash"

    def message(self) -> str:
        return (
            f"{to_dotted(self.path)}: {self.winner_type} from {self.winner} ({self.winner_source}) "
            f"replaced {self.loser_type} from {self.loser} ({self.loser_source})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": to_pointer(self.path),
            "winner": {"layer": self.winner, "source": self.winner_source, "type": self.winner_type},
            "loser": {"layer": self.loser, "source": self.loser_source, "type": self.loser_type},
            "message": self.message(),
        }


@dataclass(frozen=True, slots=True)
class ControlKeyIgnored:
    """A layer that may not steer specmerge set a control key; it was left out."""

    path: Path
    layer: str
    source: str
    kind: Literal["control-key-ignored"] = "control-key-ignored"

    def message(self) -> str:
        allowed = ", ".join(sorted(STEERING_LAYERS))
        return (
            f"{to_dotted(self.path)}: control key from {self.layer} ({self.source}) ignored; "
            f"only the {allowed} layers may set control keys"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": to_pointer(self.path),
            "layer": self.layer,
            "source": self.source,
            "message": self.message(),
        }


MergeWarning = TypeClash | ControlKeyIgnored


# --- the fold -------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    """A deep copy of a value: maps (any ``Mapping``, copied as a plain ``dict``) and lists
    are copied all the way down, scalars are shared (they are immutable). Unlike
    :func:`_fresh`, nulls are kept, in maps and lists alike: lists keep their nulls, as in
    Helm, and a value that replaces a whole subtree is copied as it is."""
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _fresh(src: Mapping[str, Any], path: Path, nulls: set[Path], keep: bool = False) -> dict[str, Any]:
    """A copy of a map that lands where nothing was: its nulls delete nothing, and vanish
    (or, for a ``keep_nulls`` layer, stay as null values).

    The hot loop of every merge: a C-level copy, then only maps and lists are replaced by
    copies of their own; types are told apart by ``__class__`` identity (loaders build plain
    ``dict``/``list``), and paths are only built where a null needs one."""
    out = dict(src)
    no_special = _SPECIAL.isdisjoint
    if no_special(map(type, src.values())):
        return out  # scalars only (the common leaf map): nothing to copy deeper, no nulls
    for k, v in src.items():
        cls = v.__class__
        if cls is dict:  # a leaf map is copied here, without a call
            out[k] = dict(v) if no_special(map(type, v.values())) else _fresh(v, path + (k,), nulls, keep)
        elif cls is list:
            out[k] = _copy(v)
        elif v is None and not keep:
            del out[k]
            nulls.add(path + (k,))
    return out


#: Value types that need more than a plain copy or update: maps, lists, nulls.
_SPECIAL = frozenset({dict, list, type(None)})
_DICT = frozenset({dict})


def _plain_update(dst: dict[str, Any], src: Mapping[str, Any]) -> bool:
    """Whether ``dst.update(src)`` is the whole merge: ``src`` holds only scalars and puts
    none of them over a map (checked at C speed: no Python loop over the keys)."""
    return _SPECIAL.isdisjoint(map(type, src.values())) and _DICT.isdisjoint(map(type, map(dst.get, src)))


_Clash = tuple[Path, int, str, str]  # path, winner layer index, winner type, loser type


def _merge_map(
    dst: dict[str, Any],
    src: Mapping[str, Any],
    path: Path,
    index: int,
    clashes: list[_Clash],
    nulls: set[Path],
    keep: bool = False,
    known: frozenset[Path] = frozenset(),
) -> None:
    get = dst.get
    if _plain_update(dst, src):
        dst.update(src)  # scalars over scalars or nothing (the common case): one C-level update
        return
    no_special, no_dict = _SPECIAL.isdisjoint, _DICT.isdisjoint
    for k, v in src.items():
        cls = v.__class__
        if cls is dict:
            cur = get(k, _ABSENT)
            if cur.__class__ is dict:
                # a leaf map (_plain_update, inlined) is merged here, without a call
                if no_special(map(type, v.values())) and no_dict(map(type, map(cur.get, v))):
                    cur.update(v)
                else:
                    _merge_map(cur, v, path + (k,), index, clashes, nulls, keep, known)
            else:
                if cur is not _ABSENT:
                    clashes.append((path + (k,), index, "map", type_name(cur)))
                dst[k] = _fresh(v, path + (k,), nulls, keep)
        elif v is None:
            if keep and k not in dst and path + (k,) not in known:
                dst[k] = None  # nothing below to delete: the null reaches the templates
                continue
            nulls.add(path + (k,))
            dst.pop(k, None)
        else:
            if get(k).__class__ is dict:
                clashes.append((path + (k,), index, type_name(v), "map"))
            dst[k] = _copy(v) if cls is list else v


@dataclass(frozen=True)
class Effective:
    """The merged spec of some layers: values, control keys, warnings, provenance on demand."""

    layers: tuple[Layer, ...]
    with_controls: dict[str, Any]  # the merged values *with* their control keys (``_releaseId`` ...)
    warnings: tuple[MergeWarning, ...]
    null_paths: frozenset[Path] = field(repr=False)

    @property
    def values(self) -> dict[str, Any]:
        """What validation and Helm see: the merged values without control keys."""
        return {k: v for k, v in self.with_controls.items() if not k.startswith(CONTROL_PREFIX)}

    @property
    def controls(self) -> dict[str, Any]:
        """Merged control keys (``_releaseId`` ...), from the steering layers only."""
        return {k: v for k, v in self.with_controls.items() if k.startswith(CONTROL_PREFIX)}

    def chain(self, path: Path) -> Chain:
        """Provenance of ``path``; a null the merge kept (it is in the values, as templates get
        it) is the path's value there, not a deletion."""
        c = chain(self.layers, path)
        return _kept_null(c) if c.deleted and get_at(self.with_controls, path, _ABSENT) is None else c

    def explain(self, path: str | Path) -> Chain:
        """The chain for one path, given as a tuple, dotted path or JSON Pointer."""
        return self.chain(from_dotted(path) if isinstance(path, str) else path)

    def leaves(self) -> Iterator[tuple[Path, Any]]:
        """Every leaf of the effective spec: non-map values and empty maps."""
        stack: list[tuple[Path, Any]] = [((), self.with_controls)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, dict) and node:
                stack.extend((path + (k,), v) for k, v in reversed(node.items()))
            elif path:
                yield path, node
        return

    def deleted(self) -> list[Chain]:
        """Chains of the paths an explicit null removed and no higher layer set again."""
        out = []
        for path in sorted(self.null_paths, key=to_pointer):
            c = self.chain(path)
            if c.deleted:
                out.append(c)
        return out

    def deleted_paths(self) -> list[Path]:
        """The paths of :meth:`deleted`, without their chains: what rendering needs. The
        highest layer that says anything at a path decides, as in :func:`chain`, but no
        provenance (and so no layer's line positions) is built."""
        return [p for p in sorted(self.null_paths, key=to_pointer)
                if _top_value(self.layers, p) is None and get_at(self.with_controls, p, _ABSENT) is not None]

    def provenance(self) -> dict[Path, Chain]:
        """The chain of every leaf and every deleted path, in document order: equal to
        ``{p: self.chain(p) for each leaf p}`` plus :meth:`deleted`, in one walk
        (:func:`~specmerge.core.provenance.leaf_chains`)."""
        table = leaf_chains(self.layers, self.with_controls)
        for c in self.deleted():
            table[c.path] = c
        return table


def merge(layers: Sequence[Layer]) -> Effective:
    """The left fold of ``layers`` (lowest precedence first). See the module docstring."""
    layers = tuple(layers)
    full: dict[str, Any] = {}
    clashes: list[_Clash] = []
    nulls: set[Path] = set()
    known: frozenset[Path] = frozenset()  # keys lower layers have as dropped nulls (Layer.null_keys)
    ignored: list[MergeWarning] = []
    for index, layer in enumerate(layers):
        src: Mapping[str, Any] = layer.values
        if layer.name not in STEERING_LAYERS and any(k.startswith(CONTROL_PREFIX) for k in src):
            ignored.extend(
                ControlKeyIgnored((k,), layer.name_at((k,)), layer.locate((k,)))
                for k in src
                if k.startswith(CONTROL_PREFIX)
            )
            src = {k: v for k, v in src.items() if not k.startswith(CONTROL_PREFIX)}
        _merge_map(full, src, (), index, clashes, nulls, layer.keep_nulls, known)
        if layer.null_keys:
            known = known | layer.null_keys
    warnings: list[MergeWarning] = [*ignored, *(_describe_clash(layers, c) for c in clashes)]
    return Effective(layers, full, tuple(warnings), frozenset(nulls))


def _describe_clash(layers: tuple[Layer, ...], clash: _Clash) -> TypeClash:
    path, index, winner_type, loser_type = clash
    winner = layers[index]
    below = chain(layers[:index], path).winner
    loser_name, loser_source = (below.layer, below.source) if below else ("?", "?")
    return TypeClash(
        path, winner.name_at(path), winner.locate(path), winner_type, loser_name, loser_source, loser_type
    )


__all__ = [
    "Chain", "ControlKeyIgnored", "Cut", "Effective", "Entry", "MergeWarning", "TypeClash", "chain", "merge",
    "type_name",
]
