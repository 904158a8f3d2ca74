"""Subchart schemas, checked as Helm checks them, with each violation attributed to a layer.

Helm validates the coalesced values (chart and subchart defaults under the given values)
against the chart's ``values.schema.json`` and then, for every enabled dependency whose key
holds values, that subchart's schema against them, recursively. Left to Helm, a subchart
violation is a render error naming no layer; here it is a
:class:`~specmerge.core.validate.Violation` at ``/<subchart>/<path>`` naming the layer and
locator that supplied the value (or the subchart's own defaults).

Subchart schemas are read when the chart is loaded (once per chart digest), from its archive form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core import Effective, Redactor, Violation, validate_values
from .sources import LoadedChart


@dataclass(frozen=True)
class SubSchema:
    """The schema of the subchart at ``path`` (names from the top chart down)."""

    path: tuple[str, ...]
    schema: Mapping[str, Any]


def subchart_schemas(chart: LoadedChart) -> tuple[SubSchema, ...]:
    """Every subchart schema of ``chart``, outermost first (read when the chart was loaded,
    from the same archive as its schema-less copy: see :class:`LoadedChart`)."""
    return tuple(SubSchema(path, schema) for path, schema in chart.subchart_schemas)


def _enabled(chart: LoadedChart, name: str, values: Mapping[str, Any]) -> bool:
    """A first-level dependency's ``condition`` (the first path that holds a boolean)."""
    for dep in chart.chart.metadata.get("dependencies") or ():
        if dep.get("name") != name and dep.get("alias") != name:
            continue
        for cond in str(dep.get("condition") or "").split(","):
            node: Any = values
            for key in cond.strip().split("."):
                node = node.get(key) if isinstance(node, Mapping) else None
            if isinstance(node, bool):
                return node
    return True


def subchart_violations(chart: LoadedChart, effective: Effective, values: Mapping[str, Any]) -> tuple[Violation, ...]:
    """Violations of the subchart schemas by the values Helm would coalesce from ``values``
    (what the engine is handed, see :func:`specmerge.render.helm_values`)."""
    schemas = subchart_schemas(chart)
    if not schemas:
        return ()
    coalesced = chart.chart.merge_values(dict(values))
    redactor = Redactor(chart.schema)
    out: list[Violation] = []
    for sub in schemas:
        if not _enabled(chart, sub.path[0], coalesced):
            continue
        node: Any = coalesced
        for key in sub.path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            continue
        if not isinstance(node, Mapping):
            out.append(Violation("/" + "/".join(sub.path), "values for a subchart must be a map", "type"))
            continue
        found = validate_values(node, sub.schema, effective.layers, redactor, at=sub.path)
        locator = f"chart:{'/'.join(sub.path)} defaults"
        out += [v if v.layer or v.consulted else Violation(v.pointer, v.message, v.keyword, "chart", locator) for v in found]
    return tuple(out)
