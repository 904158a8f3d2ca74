"""The values diff: every leaf path that differs between two effective specs, with the
layer and locator that set it on each side. Pure.

Contract:

- compared are the effective *values* (what validation and Helm see; control keys such
  as ``_releaseId`` steer specmerge and are not configuration);
- maps are walked key by key; a leaf is a non-map value or an empty map, and lists are
  leaves (layers replace lists whole, so provenance is per list);
- a path on the new side only is ``added``, on the old side only ``removed``; present on
  both with different JSON types (``integer`` vs ``string``, ``map`` vs ``list``) it is
  ``type-changed`` (one entry at that path, never its sub-leaves), else ``changed`` when the
  values differ as JSON (``1`` and ``1.0``, ``1`` and ``true`` differ);
- a map that appears or disappears wholesale reports each of its leaves;
- the origin of each side comes from that side's provenance chain: the winning layer, or
  the null that deleted the path, or the layer that cut it at an ancestor;
- values are masked with the redactor (by key name and chart schema), so a secret that
  changed shows two different ``<redacted hmac:…>`` and never its text.

Results are sorted by JSON Pointer so output is deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..core import Effective, Path, Redactor, to_pointer, type_name
from .model import Origin, Side, ValueChange, WarningChange


def _leaves(node: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(node, Mapping) and node:
        for k, v in node.items():
            yield from _leaves(v, path + (k,))
    else:
        yield path, node


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _walk(old: Mapping[str, Any], new: Mapping[str, Any], path: Path) -> Iterator[tuple[Path, str, Any, Any]]:
    """``(path, change, old, new)`` for every differing leaf (see the module contract)."""
    for key in list(old) + [k for k in new if k not in old]:
        here = path + (key,)
        if key not in new:
            for p, v in _leaves(old[key], here):
                yield p, "removed", v, None
        elif key not in old:
            for p, v in _leaves(new[key], here):
                yield p, "added", None, v
        else:
            a, b = old[key], new[key]
            if isinstance(a, Mapping) and isinstance(b, Mapping) and a and b:
                yield from _walk(a, b, here)
            elif type_name(a) != type_name(b):
                yield here, "type-changed", a, b
            elif not _same(a, b):
                yield here, "changed", a, b


def origin(effective: Effective, path: Path) -> Origin | None:
    """Who decided ``path`` on this side: winner, deleting null, or the cut above it."""
    chain = effective.chain(path)
    if chain.winner is not None:
        return Origin(chain.winner.layer, chain.winner.source, "set" if chain.winner.op == "set" else "delete")
    if chain.cut is not None:
        return Origin(chain.cut.layer, chain.cut.source, chain.cut.op)
    return None


def _masked(redactor: Redactor, path: Path, value: Any) -> Any:
    return redactor.mask_value(value, path) if redactor.is_sensitive(path) else redactor.mask(value, path)


def diff_values(old: Side, new: Side, redactor: Redactor) -> tuple[ValueChange, ...]:
    """The differing leaves of ``old`` and ``new`` (module contract), masked, by pointer."""
    out = []
    for path, change, a, b in _walk(old.effective.values, new.effective.values, ()):
        has_old, has_new = change != "added", change != "removed"
        out.append(
            ValueChange(
                path=path,
                change=change,  # type: ignore[arg-type]
                old=_masked(redactor, path, a) if has_old else None,
                new=_masked(redactor, path, b) if has_new else None,
                old_type=type_name(a) if has_old else None,
                new_type=type_name(b) if has_new else None,
                old_origin=origin(old.effective, path),
                new_origin=origin(new.effective, path),
            )
        )
    return tuple(sorted(out, key=lambda c: to_pointer(c.path)))


def diff_warnings(old: Side, new: Side, redactor: Redactor) -> tuple[WarningChange, ...]:
    """Merge warnings on one side only, matched by kind, path and message (masked)."""
    from ..core import warning_dict

    def keyed(side: Side) -> dict[tuple[str, str, str], dict[str, Any]]:
        out = {}
        for w in side.warnings:
            d = warning_dict(w, redactor)
            out[(d["kind"], d["path"], d["message"])] = d
        return out

    before, after = keyed(old), keyed(new)
    gone = [WarningChange("disappeared", before[k]) for k in sorted(before) if k not in after]
    came = [WarningChange("appeared", after[k]) for k in sorted(after) if k not in before]
    return tuple(gone + came)
