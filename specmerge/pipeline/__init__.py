"""``plan(inputs) -> Plan``: gather layers, merge, validate, render (design.md §1).

The one pipeline the CLI (``render``, ``diff``, ``explain``, ``validate``), the HTTP preview
and the reconcile loop share. It touches no cluster; the only I/O is loading the chart
(a local read, or a fetch through the chart cache for a remote reference).

Layers, lowest precedence first: the chart's defaults (``chart``), then ``operator``,
``channel``, ``user`` and ``cr`` when given, then any ``extra`` layers (the CLI's ``-f`` and
``--set*``), in order. The effective values are validated against the chart's
``values.schema.json``; every violation names the layer and locator that supplied the
value. Only a spec without violations is rendered (Helm's engine, in-process).

The chart comes from, in order: ``inputs.chart`` (the caller's explicit reference, e.g.
``--chart`` or a CR's ``spec.chart``), the channel spec's ``chart`` (relative paths resolve
against :func:`specmerge.locations.repo_root`), the bundled ``charts/platform``.

Errors: :class:`~specmerge.render.ChartRefError` / :class:`~specmerge.render.ChartSourceError`
for a chart that cannot be had, :class:`~specmerge.render.TemplateError` for a template that
fails to render (the masked render's message: it quotes placeholders, never secrets).
Violations are data on the plan.

Differential rendering (design.md §5): a valid spec is rendered from its masked values (each
secret replaced by its keyed placeholder) for everything that is shown - render output,
diffs, previews, errors - so whatever a template does to a secret (``b64enc``, ``toJson``,
``urlquery``, ``sha256sum``, ``toYaml`` folding) it does to the placeholder. The real render
(:attr:`Plan.manifests`) is made only when asked for (to apply, or to compare secret-derived
fields by keyed hash); when there is no secret the two are one render. A template that
refuses a placeholder (a ``required``/regex check) falls back to the real render, scrubbed
as free text, and :meth:`Shown.note` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core import Effective, Layer, Redactor, Violation, compile_schema, merge, validate
from ..core import too_deep
from ..core import Memo
from ..core import MergeWarning
from ..render import ChartRef, LoadedChart, helm_values, load_chart
from .inputs import ChannelLike, PlanInputs
from .layers import (
    BUNDLED_CHART,
    bundled_chart_ref,
    chart_defaults_layer,
    chart_layer,
    choose_chart_ref,
    gather_layers,
    pinned_release,
)
from .rendering import (
    FALLBACK_SEARCH,
    Rendering,
    Shown,
    differing_leaves,
    engine_render,
    guarded,
    render_effective,
    render_shown,
    scrubber,
    with_values_at,
)


@dataclass(frozen=True)
class Plan:
    """The outcome of :func:`plan`. ``rendering`` holds the real and the masked render (see
    :class:`Rendering`), or is ``None`` when the spec has violations or ``inputs.render``
    was false."""

    inputs: PlanInputs
    chart_ref: ChartRef
    chart: LoadedChart
    channel: ChannelLike | None
    layers: tuple[Layer, ...]
    effective: Effective
    violations: tuple[Violation, ...]
    helm_values: dict[str, Any] | None  # what Helm was given (see render.helm_values)
    rendering: Rendering | None = None

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def warnings(self) -> tuple[MergeWarning, ...]:
        return self.effective.warnings

    @property
    def chart_digest(self) -> str:
        return self.chart.digest

    @property
    def manifests(self) -> dict[str, str] | None:
        """The real render (what is applied): never print it, print :meth:`shown`."""
        return self.rendering.real() if self.rendering is not None else None

    def engine_values(self) -> dict[str, Any] | None:
        """What Helm's engine is handed for :attr:`helm_values` - by a render and by an install or
        upgrade alike, so what is applied is what was rendered (``None`` for an invalid plan)."""
        from ..render import for_engine

        return None if self.helm_values is None else for_engine(self.helm_values, self.effective, self.chart.values)

    def shown(self, reveal: bool = False) -> Shown | None:
        """What outputs show of the render (see :class:`Shown`)."""
        return self.rendering.shown(reveal) if self.rendering is not None else None

    def redactor(self, reveal: bool = False) -> Redactor:
        """A redactor for this plan's output: the chart schema's annotations plus key names,
        primed with the effective spec's sensitive values so free text can be scrubbed (a
        walk that learns them: no masked copy is made)."""
        r = Redactor(self.chart.schema, reveal=reveal)
        r.learn(self.effective)  # its secrets and env-list shapes; the chart's defaults are public
        return r

    def masked(self, reveal: bool = False) -> tuple[Redactor, dict[str, Any]]:
        """:meth:`redactor` and the effective spec it masked (masking is what primes it)."""
        r = Redactor(self.chart.schema, reveal=reveal)
        masked = r.mask(self.effective.with_controls)  # masking primes the redactor
        r.publish_chart(self.effective.layers)  # the chart's defaults are public
        return r, masked


def _violations(effective: Effective, schema: Mapping[str, Any] | None) -> tuple[Violation, ...]:
    """All attributed violations of ``effective`` against the chart schema.

    The compiled schema answers "any error?" first: attribution and masking (which walk the
    whole spec) only run when there is something to report.
    """
    if schema is None or (_not_too_deep(effective) and not compile_schema(schema).errors(effective.values)):
        return ()
    return tuple(validate(effective, schema, Redactor(schema)))


#: Whether a shared layer (the ``chart`` and ``channel`` layers are built once and reused)
#: is within the depth limit, per layer object.
_SHALLOW: Memo[int, tuple[Layer, bool]] = Memo(64)
_SHARED_LAYERS = frozenset({"chart", "channel"})


def _shallow(layer: Layer) -> bool:
    if layer.name not in _SHARED_LAYERS:
        return too_deep(layer.values) is None
    hit = _SHALLOW.get(id(layer))
    if hit is not None and hit[0] is layer:
        return hit[1]
    return _SHALLOW.put(id(layer), (layer, too_deep(layer.values) is None))[1]


def _not_too_deep(effective: Effective) -> bool:
    """``too_deep(effective.values) is None``, mostly without walking the whole spec: every
    path of a merge's result is a path of the layer that supplied it, so layers within the
    limit make a result within it. Only when some layer is not, the result is walked."""
    return all(_shallow(layer) for layer in effective.layers) or too_deep(effective.values) is None


def plan(inputs: PlanInputs) -> Plan:
    """Merge, validate and (if valid and asked) render. See the module docstring."""
    ref = choose_chart_ref(inputs)
    chart = load_chart(ref, inputs.cache, offline=inputs.offline)
    layers = gather_layers(inputs, chart)
    effective = merge(layers)
    violations = _violations(effective, chart.schema)
    values = rendering = None
    if not violations:
        from ..render.subcharts import subchart_violations

        values = helm_values(effective, chart.values)
        violations = subchart_violations(chart, effective, values)
    if inputs.render and not violations:
        rendering = Rendering(chart, effective, inputs.options, values)
        rendering.shown()  # a template error is raised here, masked
    elif violations:
        values = None
    return Plan(inputs, ref, chart, inputs.channel, layers, effective, violations, values, rendering)


__all__ = [
    "BUNDLED_CHART", "FALLBACK_SEARCH", "ChannelLike", "Plan", "PlanInputs", "Rendering", "Shown", "bundled_chart_ref",
    "chart_defaults_layer", "chart_layer", "choose_chart_ref", "differing_leaves", "engine_render", "gather_layers",
    "guarded", "pinned_release", "plan", "render_effective", "render_shown", "scrubber", "with_values_at",
]
