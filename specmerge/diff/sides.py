"""Building the sides of a diff: from a plan (layers), or from a stored effective spec (a
file, or the ``<name>-spec-active`` Secret of a live instance).

A stored spec is wrapped as one layer named ``stored`` whose locator is where it was read
(``file:spec.json``, ``secret:ns/demo-spec-active#values``), so every changed path still
names its source. It is rendered, when manifests are asked for, with Helm's engine and the
chart it recorded (or the other side's chart): the stored values are the effective values
Helm was given, so no chart defaults are merged under them again (deleted defaults stay
deleted, see :func:`specmerge.render.helm_values`).

A stored spec document is either the Secret's shape ``{"values": {...}, "chart": {...},
"metadata": {...}}`` (top-level keys only among those three, ``values`` a map) or a bare
values map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import Layer, LayerInputError, merge, parse_json, parse_yaml, read_text
from ..pipeline import Plan, Rendering
from ..render import LoadedChart, RenderOptions
from .model import Side

STORED_LAYER = "stored"
_ENVELOPE_KEYS = frozenset({"values", "chart", "metadata"})


@dataclass(frozen=True)
class StoredSpec:
    """An effective spec as recorded: values, the chart reference it was rendered with (if
    recorded), metadata, and the locator it was read from."""

    values: dict[str, Any]
    chart: dict[str, Any] | None
    metadata: dict[str, Any]
    locator: str


def stored_spec_from_doc(doc: Any, locator: str) -> StoredSpec:
    """A stored spec from a parsed document (see the module docstring for the two shapes)."""
    if not isinstance(doc, Mapping):
        raise LayerInputError(locator, "a stored spec must be a map (values, or {values, chart, metadata})")
    if doc and set(doc) <= _ENVELOPE_KEYS and isinstance(doc.get("values"), Mapping):
        chart = doc.get("chart")
        meta = doc.get("metadata")
        return StoredSpec(
            dict(doc["values"]),
            dict(chart) if isinstance(chart, Mapping) and chart else None,
            dict(meta) if isinstance(meta, Mapping) else {},
            locator,
        )
    return StoredSpec(dict(doc), None, {}, locator)


def read_stored_spec(path: Path) -> StoredSpec:
    """A stored spec from a JSON or YAML file (``--from-file``)."""
    locator = f"file:{path}"
    text = read_text(path, locator)
    doc = parse_json(text, locator) if path.suffix.lower() == ".json" else parse_yaml(text, locator)
    return stored_spec_from_doc(doc, locator)


def plan_side(p: Plan, label: str) -> Side:
    """A side from a plan: its layers' provenance, warnings and (if rendered) its masked and
    (on demand) real manifests."""
    if p.rendering is None:
        return Side(label, p.effective, p.warnings, None, len(p.violations))
    shown = p.rendering.shown()
    return Side(label, p.effective, p.warnings, shown.manifests, len(p.violations),
                scrub=shown.fallback is not None, real=p.rendering.real)


def stored_side(
    spec: StoredSpec, label: str, chart: LoadedChart | None, options: RenderOptions | None
) -> Side:
    """A side from a stored spec; rendered with ``chart`` when both it and ``options`` are given."""
    effective = merge([Layer(STORED_LAYER, spec.locator, spec.values)])
    if chart is None or options is None:
        return Side(label, effective, (), None)
    rendering = Rendering(chart, effective, options)
    shown = rendering.shown()  # a template error is the masked render's
    return Side(label, effective, (), shown.manifests, scrub=shown.fallback is not None, real=rendering.real)
