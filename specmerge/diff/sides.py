"""Building the sides of a diff: from a plan (layers), or from a stored effective spec (a
file, or the ``<name>-spec-active`` Secret of a live instance).

One builder per way of choosing the two sides, each returning :class:`Sides` for
:func:`specmerge.diff.compare`; the front door only turns its flags into
:class:`~specmerge.pipeline.PlanInputs`:

* :func:`release_sides`: the same layers over two channel releases;
* :func:`layer_sides`: two sets of layers;
* :func:`file_sides`: a stored spec file -> layers;
* :func:`live_sides`: a live instance's active spec -> the spec its layers give now (the
  operator's "compare with active").

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
from typing import TYPE_CHECKING, Any

from ..core import Layer, LayerInputError, merge, parse_json, parse_yaml, read_text
from ..pipeline import Plan, PlanInputs, Rendering, plan
from ..render import LoadedChart, RenderOptions, load_chart, parse_chart_ref
from .model import Side

if TYPE_CHECKING:
    from .live import LiveInstance

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


def stored_plan_side(spec: StoredSpec, label: str, other: Plan, offline: bool) -> Side:
    """A stored spec rendered (when ``other`` was) with the chart it recorded, else with
    ``other``'s chart and render options."""
    options = other.inputs.options if other.inputs.render else None
    chart = other.chart
    if spec.chart is not None and options is not None:
        ref = parse_chart_ref(spec.chart, base=Path.cwd(), where=f"{spec.locator} chart")
        chart = load_chart(ref, offline=offline)
    return stored_side(spec, label, chart, options)


@dataclass(frozen=True)
class Sides:
    """The two sides of a diff, the namespaces their manifests are compared in, the chart
    schema the redactor uses (the new side's), and notes for the report."""

    old: Side
    new: Side
    schema: Mapping[str, Any] | None
    old_namespace: str
    new_namespace: str
    notes: tuple[str, ...] = ()


def release_sides(old: PlanInputs, new: PlanInputs, from_release: str, to_release: str) -> Sides:
    """The same layers over two channel releases (``old``/``new`` differ only in the channel)."""
    old_plan, new_plan = plan(old), plan(new)
    namespace = new.options.namespace
    return Sides(plan_side(old_plan, f"release {from_release}"), plan_side(new_plan, f"release {to_release}"),
                 new_plan.chart.schema, namespace, namespace)


def layer_sides(old: PlanInputs, new: PlanInputs, labels: tuple[str, str] = ("old layers", "new layers")) -> Sides:
    """Two sets of layers (the new side is planned first, so its errors are reported first)."""
    new_plan = plan(new)
    old_plan = plan(old)
    return Sides(plan_side(old_plan, labels[0]), plan_side(new_plan, labels[1]), new_plan.chart.schema,
                 old.options.namespace, new.options.namespace)


def file_sides(spec: StoredSpec, new: PlanInputs, new_label: str, offline: bool) -> Sides:
    """A stored spec (``--from-file``) -> the layers ``new``; the stored side is rendered
    with its recorded chart (fetched ``offline`` or not), else the new side's."""
    new_plan = plan(new)
    old = stored_plan_side(spec, spec.locator, new_plan, offline)
    namespace = new.options.namespace
    return Sides(old, plan_side(new_plan, new_label), new_plan.chart.schema, namespace, namespace)


def live_sides(instance: LiveInstance, desired: PlanInputs) -> Sides:
    """A live instance's active spec -> ``desired``, the plan of its layers now (its user
    and CR layers, the channel, any extra layers): what the operator would apply."""
    new_plan = plan(desired)
    where = f"{instance.namespace}/{instance.name}"
    old = stored_plan_side(instance.active, f"active {instance.active.locator}", new_plan, desired.offline)
    return Sides(old, plan_side(new_plan, f"desired {where}"), new_plan.chart.schema,
                 instance.namespace, instance.namespace, instance.notes)
