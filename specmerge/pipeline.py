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
fails to render (message scrubbed of the spec's secrets). Violations are data on the plan.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .core import Effective, Layer, Redactor, Violation, compile_schema, merge, validate, yaml_layer
from .core.loaders import too_deep
from .core.memo import Memo
from .core.merge import MergeWarning
from .locations import repo_root
from .render.guard import check_render
from .render import (
    ChartCache,
    ChartRef,
    LoadedChart,
    PathRef,
    RenderError,
    RenderOptions,
    helm_values,
    load_chart,
    parse_chart_ref,
    render,
)

BUNDLED_CHART = "charts/platform"


class ChannelLike(Protocol):
    """What the pipeline needs of a channel spec (:class:`specmerge.channels.ChannelSpec`)."""

    @property
    def chart(self) -> Mapping[str, Any]: ...

    @property
    def locator(self) -> str: ...

    def layer(self) -> Layer: ...


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan depends on. Layers are built by the caller (files, Secrets, a CR);
    the channel spec is chosen by the caller (embedded, fetched, or last good)."""

    chart: ChartRef | None = None
    channel: ChannelLike | None = None
    operator: Layer | None = None
    user: Layer | None = None
    cr: Layer | None = None
    extra: tuple[Layer, ...] = ()
    options: RenderOptions = field(default_factory=RenderOptions)
    render: bool = True
    offline: bool = False  # remote charts only from the cache: airgapped mode
    cache: ChartCache | None = None


@dataclass(frozen=True)
class Plan:
    """The outcome of :func:`plan`. ``manifests`` is ``{template path: text}`` exactly as Helm
    rendered it (unmasked: mask with :meth:`redactor` before output), or ``None`` when the
    spec has violations or ``inputs.render`` was false."""

    inputs: PlanInputs
    chart_ref: ChartRef
    chart: LoadedChart
    channel: ChannelLike | None
    layers: tuple[Layer, ...]
    effective: Effective
    violations: tuple[Violation, ...]
    values: dict[str, Any] | None  # what Helm was given (see render.helm_values)
    manifests: dict[str, str] | None

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def warnings(self) -> tuple[MergeWarning, ...]:
        return self.effective.warnings

    @property
    def chart_digest(self) -> str:
        return self.chart.digest

    def redactor(self, reveal: bool = False) -> Redactor:
        """A redactor for this plan's output: the chart schema's annotations plus key names,
        primed with the effective spec's sensitive values so free text can be scrubbed."""
        return self.masked(reveal)[0]

    def masked(self, reveal: bool = False) -> tuple[Redactor, dict[str, Any]]:
        """:meth:`redactor` and the effective spec it masked (masking is what primes it)."""
        r = Redactor(self.chart.schema, reveal=reveal)
        return r, r.mask(self.effective.full)


def render_effective(
    chart: LoadedChart, effective: Effective, options: RenderOptions, values: dict[str, Any] | None = None
) -> dict[str, str]:
    """Render a valid effective spec with Helm's engine (``values``: its :func:`helm_values`,
    when the caller has them). A template error's text - a ``fail``/``required`` message can
    quote a value - is scrubbed of the spec's secrets: the one place every renderer goes.
    The render guard (:mod:`specmerge.render.guard`) then refuses objects that values, not
    the chart, made (:class:`~specmerge.render.guard.ValuesAddStructure`)."""
    from .render.engine import for_engine

    values = values if values is not None else helm_values(effective, chart.values)
    try:
        rendered = render(chart, for_engine(values, effective, chart.values), options, prevalidated=True)
    except RenderError as exc:
        redactor = Redactor(chart.schema)
        redactor.learn(effective.full)
        raise type(exc)(redactor.scrub(str(exc))) from None
    # the reference render takes the same path to the engine as the real one
    check_render(chart, effective, values, rendered,
                 lambda other: render(chart, for_engine(other, effective, chart.values), options, prevalidated=True))
    return rendered


def bundled_chart_ref() -> PathRef:
    return PathRef(repo_root() / BUNDLED_CHART, BUNDLED_CHART)


def choose_chart_ref(inputs: PlanInputs) -> ChartRef:
    """The chart reference a plan uses (see the module docstring for the order)."""
    if inputs.chart is not None:
        return inputs.chart
    if inputs.channel is not None:
        return parse_chart_ref(dict(inputs.channel.chart), base=repo_root(), where=f"{inputs.channel.locator} chart")
    return bundled_chart_ref()


_CHART_LAYERS: Memo[str, Layer] = Memo(32)  # per chart digest; a CR may name any chart
_CHART_LAYERS_LOCK = threading.Lock()


def _without_nulls(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in values.items() if v is not None}


def chart_layer(chart: LoadedChart) -> Layer:
    """The ``chart`` layer: Helm's reading of the chart's defaults, with line numbers from
    its ``values.yaml`` when the text is at hand. Built once per chart digest.

    A ``key: null`` among the chart's own defaults is dropped, as Helm >= 4.2 drops chart
    default nils: it is no value, and it deletes nothing (not even a subchart's default)."""
    with _CHART_LAYERS_LOCK:
        hit = _CHART_LAYERS.get(chart.digest)
    if hit is not None:
        return hit
    values = _without_nulls(chart.values)
    if chart.values_text is not None:
        positions = yaml_layer("chart", chart.locator, chart.values_text).positions
        layer = Layer("chart", chart.locator, values, positions)
    else:
        layer = Layer("chart", chart.locator, values)
    with _CHART_LAYERS_LOCK:
        return _CHART_LAYERS.get(chart.digest) or _CHART_LAYERS.put(chart.digest, layer)


def gather_layers(inputs: PlanInputs, chart: LoadedChart) -> tuple[Layer, ...]:
    """The layers in precedence order, lowest first (absent ones skipped)."""
    layers = [chart_layer(chart)]
    if inputs.operator is not None:
        layers.append(inputs.operator)
    if inputs.channel is not None:
        layers.append(inputs.channel.layer())
    layers += [layer for layer in (inputs.user, inputs.cr) if layer is not None]
    layers += inputs.extra
    return tuple(layers)


def pinned_release(*layers: Layer | None) -> str | None:
    """The ``_releaseId`` the layers pin (user, cr; the highest wins): the one rule lives in
    :func:`specmerge.channels.resolve.release_pin`, which raises for a value that is no releaseId."""
    from .channels.resolve import release_pin

    return release_pin(*layers)


def _violations(effective: Effective, schema: Mapping[str, Any] | None) -> tuple[Violation, ...]:
    """All attributed violations of ``effective`` against the chart schema.

    The compiled schema answers "any error?" first: attribution and masking (which walk the
    whole spec) only run when there is something to report.
    """
    if schema is None or (too_deep(effective.values) is None and not compile_schema(schema).errors(effective.values)):
        return ()
    return tuple(validate(effective, schema, Redactor(schema)))


def plan(inputs: PlanInputs) -> Plan:
    """Merge, validate and (if valid and asked) render. See the module docstring."""
    ref = choose_chart_ref(inputs)
    chart = load_chart(ref, inputs.cache, offline=inputs.offline)
    layers = gather_layers(inputs, chart)
    effective = merge(layers)
    violations = _violations(effective, chart.schema)
    values = manifests = None
    if not violations:
        from .render.subcharts import subchart_violations

        values = helm_values(effective, chart.values)
        violations = subchart_violations(chart, effective, values)
    if inputs.render and not violations:
        manifests = render_effective(chart, effective, inputs.options, values)
    elif violations:
        values = None
    return Plan(inputs, ref, chart, inputs.channel, layers, effective, violations, values, manifests)
