"""A :class:`~specmerge.diff.model.DiffResult` for machines (:func:`diff_document`, the
stable JSON/YAML structure the README documents) and for people (:func:`diff_lines`,
lines with a style name each, so the CLI can colour them on a TTY and print them plain
elsewhere). Pure; values in a result are already masked.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..core import shorten, to_dotted, to_pointer
from .model import DiffResult, Side, ValueChange

#: Version of the JSON document; bump on any incompatible change.
API_VERSION = "specmerge/v1"
KIND = "SpecDiff"

VALUE_CHANGES = ("added", "removed", "changed", "type-changed")
MANIFEST_CHANGES = ("added", "removed", "changed")
_MARK = {"added": "+", "removed": "-", "changed": "~", "type-changed": "!"}
_STYLE = {"added": "green", "removed": "red", "changed": "yellow", "type-changed": "magenta"}


def _side(side: Side) -> dict[str, Any]:
    return {"label": side.label, "layers": side.layers()}


def value_change_dict(c: ValueChange) -> dict[str, Any]:
    out: dict[str, Any] = {"path": to_pointer(c.path), "dotted": to_dotted(c.path), "change": c.change}
    if c.change != "added":
        out["old"] = c.old
        out["oldType"] = c.old_type
    if c.change != "removed":
        out["new"] = c.new
        out["newType"] = c.new_type
    out["oldOrigin"] = c.old_origin.to_dict() if c.old_origin else None
    out["newOrigin"] = c.new_origin.to_dict() if c.new_origin else None
    return out


def _counts(kinds: tuple[str, ...], found: list[str]) -> dict[str, int]:
    n = Counter(found)
    return {k: n.get(k, 0) for k in kinds}


def diff_document(result: DiffResult) -> dict[str, Any]:
    """The stable structure of ``specmerge diff -o json`` (see tests/diff/README-section.md)."""
    manifests = result.manifests
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "old": _side(result.old),
        "new": _side(result.new),
        "changed": result.changed,
        "summary": {
            "values": _counts(VALUE_CHANGES, [c.change for c in result.values]),
            "warnings": _counts(("appeared", "disappeared"), [w.change for w in result.warnings]),
            "manifests": None if manifests is None else _counts(MANIFEST_CHANGES, [m.change for m in manifests]),
        },
        "values": [value_change_dict(c) for c in result.values],
        "warnings": [{"change": w.change, **w.warning} for w in result.warnings],
        "manifests": None
        if manifests is None
        else [
            {"kind": m.kind, "namespace": m.namespace, "name": m.name, "change": m.change, "diff": m.diff}
            for m in manifests
        ],
        "notes": list(result.notes),
        **({"drift": result.drift.to_dict()} if result.drift is not None else {}),
    }


Line = tuple[str, str | None]  # text, rich style (None: plain)


def _value_lines(c: ValueChange) -> list[Line]:
    dotted = to_dotted(c.path)
    if c.change == "added":
        head = f"{dotted}: {shorten(c.new)}"
    elif c.change == "removed":
        head = f"{dotted}: {shorten(c.old)}"
    elif c.change == "type-changed":
        head = f"{dotted}: {shorten(c.old)} ({c.old_type}) -> {shorten(c.new)} ({c.new_type})"
    else:
        head = f"{dotted}: {shorten(c.old)} -> {shorten(c.new)}"
    lines: list[Line] = [(f"{_MARK[c.change]} {head}", _STYLE[c.change])]
    if c.old_origin is not None:
        lines.append((f"    was: {c.old_origin.describe()}", "dim"))
    if c.new_origin is not None:
        lines.append((f"    now: {c.new_origin.describe()}", "dim"))
    elif c.change == "removed":
        lines.append(("    now: no layer sets it", "dim"))
    return lines


def _diff_style(line: str) -> str | None:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("@@"):
        return "cyan"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    return None


def diff_lines(result: DiffResult) -> list[Line]:
    """The human report: header, value changes with their origins, warnings, manifests, summary."""
    doc = diff_document(result)
    lines: list[Line] = [
        (f"--- {result.old.label}", "bold red"),
        (f"+++ {result.new.label}", "bold green"),
    ]
    lines += [(f"note: {n}", "yellow") for n in result.notes]
    if result.values:
        lines += [("", None), (f"Values ({len(result.values)}):", "bold")]
        for c in result.values:
            lines += _value_lines(c)
    if result.warnings:
        lines += [("", None), (f"Warnings ({len(result.warnings)}):", "bold")]
        for w in result.warnings:
            mark, style = ("+", "yellow") if w.change == "appeared" else ("-", "dim")
            lines.append((f"{mark} {w.change}: {w.warning['message']}", style))
    if result.manifests:
        lines += [("", None), (f"Manifests ({len(result.manifests)}):", "bold")]
        for m in result.manifests:
            lines.append((f"{_MARK[m.change]} {m.resource} ({m.change})", _STYLE[m.change]))
            lines += [(l, _diff_style(l)) for l in m.diff.splitlines()]
    if result.drift is not None and not result.drift.ok:
        lines += [("", None), (f"Drift ({len(result.drift.drifted)} of {len(result.drift.objects)} objects):", "bold")]
        for d in result.drift.drifted:
            lines.append((f"~ {d.ref}: {', '.join(d.paths) or d.state}", "yellow"))
    lines.append(("", None))
    if not result.changed:
        lines.append(("No differences.", "bold"))
        return lines
    v = doc["summary"]["values"]
    parts = [f"values: {sum(v.values())} ({', '.join(f'{n} {k}' for k, n in v.items() if n)})" if result.values else "values: 0"]
    parts.append(f"warnings: {len(result.warnings)}")
    if result.manifests is not None:
        m = doc["summary"]["manifests"]
        detail = ", ".join(f"{n} {k}" for k, n in m.items() if n)
        parts.append(f"manifests: {len(result.manifests)}" + (f" ({detail})" if detail else ""))
    if result.drift is not None:
        parts.append(f"drift: {len(result.drift.drifted)}")
    lines.append(("Summary: " + "; ".join(parts), "bold"))
    return lines
