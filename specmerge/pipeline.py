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

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .core import (
    Effective,
    Layer,
    MIN_SCRUB_LEN,
    Memo,
    MergeWarning,
    Path as VPath,
    Redactor,
    Violation,
    compile_schema,
    get_at,
    merge,
    to_dotted,
    too_deep,
    validate,
    yaml_layer,
)
from .locations import repo_root
from .render.guard import check_render
from .render import (
    ChartCache,
    ChartRef,
    Document,
    LoadedChart,
    PathRef,
    RenderError,
    RenderOptions,
    TemplateError,
    documents,
    helm_values,
    load_chart,
    mask_secrets,
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
class Shown:
    """What every output shows of a render (design.md §5): ``manifests`` rendered from the
    masked values (each secret its placeholder), or - when a template refused a placeholder
    (``fallback`` says which and why) - the real render, to be scrubbed as free text.
    :meth:`documents` is the one way to turn it into what is printed."""

    manifests: dict[str, str]
    fallback: str | None = None

    def documents(self, redactor: Redactor) -> list[Document]:
        """The ``helm template`` documents to print: Secret data masked, and the fallback's
        text scrubbed of the spec's secrets (a masked render has none to scrub)."""
        return mask_secrets(documents(self.manifests), redactor, scrub=self.fallback is not None)

    def note(self) -> str | None:
        """What a fallback render shows differently (``None``: nothing)."""
        if self.fallback is None:
            return None
        return (f"{self.fallback}; only that value was rendered as it is, and it is scrubbed from the text, "
                f"which cannot follow every transform a template applies (values shorter than {MIN_SCRUB_LEN} "
                f"characters or from the chart's defaults are not scrubbed)")


class Rendering:
    """The two renders of one valid spec (design.md §5), each made at most once, on demand:
    :meth:`real` from the real values (only ever applied, never shown) and :meth:`shown`."""

    def __init__(self, chart: LoadedChart, effective: Effective, options: RenderOptions,
                 values: dict[str, Any] | None = None) -> None:
        self.chart, self.effective, self.options = chart, effective, options
        self.values = values if values is not None else helm_values(effective, chart.values)
        self._real: dict[str, str] | None = None
        self._shown: Shown | None = None
        self._lock = threading.Lock()

    def real(self) -> dict[str, str]:
        """``{template: text}`` exactly as Helm renders the real values. Never print it."""
        with self._lock:
            if self._real is None:
                self._real = render_effective(self.chart, self.effective, self.options, self.values)
            return self._real

    def shown(self, reveal: bool = False) -> Shown:
        """What outputs show: the masked render (the real one when ``reveal``)."""
        if reveal:
            return Shown(self.real())
        with self._lock:
            if self._shown is None:
                self._shown = self._render_masked()
            return self._shown

    def _render_masked(self) -> Shown:
        masked = Redactor(self.chart.schema).mask_for_render(self.values)
        if masked == self.values:  # no secret: the real render is the masked one
            self._real = render_effective(self.chart, self.effective, self.options, self.values)
            return Shown(self._real)
        try:
            masked_render = engine_render(self.chart, self.effective, self.options, masked)
        except TemplateError as refused:
            masked_error = refused  # its text quotes placeholders, never secrets
        else:
            return Shown(guarded(self.chart, self.effective, self.options, masked, masked_render))
        scrub = scrubber(self.chart, self.effective)
        try:
            self._real = render_effective(self.chart, self.effective, self.options, self.values)
        except RenderError:
            raise type(masked_error)(scrub.scrub(str(masked_error))) from None
        needed, manifests = self._refused(masked)
        first = scrub.scrub(str(masked_error).splitlines()[0])
        where = ", ".join(to_dotted(p) for p in needed) if needed else "every secret"
        return Shown(manifests, fallback=f"a template refused the placeholder of {where} ({first})")

    def _refused(self, masked: dict[str, Any]) -> tuple[list[VPath], dict[str, str]]:
        """The fewest secrets (greedily) that must be rendered as they are for the render to
        succeed, and that render: every other secret stays a placeholder. Up to
        :data:`FALLBACK_SEARCH` secrets are tried one by one; beyond, all are real."""
        assert self._real is not None
        paths = differing_leaves(self.values, masked)
        if len(paths) > FALLBACK_SEARCH:
            return [], self._real
        needed, best = list(paths), self._real
        for path in paths:
            trial = [p for p in needed if p != path]
            try:
                best = engine_render(self.chart, self.effective, self.options, with_values_at(masked, self.values, trial))
            except TemplateError:
                continue
            needed = trial
        return needed, best


#: How many secrets a fallback render tries to keep masked one by one (each try is a render).
FALLBACK_SEARCH = 32


def differing_leaves(a: Any, b: Any, path: VPath = ()) -> list[VPath]:
    """The paths where two trees of the same shape differ (maps and lists walked)."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return [p for k in a for p in differing_leaves(a[k], b[k], path + (k,))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b)) for p in differing_leaves(x, y, path + (i,))]
    return [] if a == b else [path]


def with_values_at(tree: Any, source: Any, paths: list[VPath]) -> Any:
    """A copy of ``tree`` with ``source``'s values at ``paths``."""
    out = copy.deepcopy(tree)
    for path in paths:
        node = out
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = get_at(source, path)
    return out


def scrubber(chart: LoadedChart, effective: Effective) -> Redactor:
    """A redactor primed with ``effective``'s secrets (the chart's own defaults are public)."""
    redactor = Redactor(chart.schema)
    redactor.learn(effective)
    return redactor


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
    values: dict[str, Any] | None  # what Helm was given (see render.helm_values)
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
        """What Helm's engine is handed for :attr:`values` - by a render and by an install or
        upgrade alike, so what is applied is what was rendered (``None`` for an invalid plan)."""
        from .render import for_engine

        return None if self.values is None else for_engine(self.values, self.effective, self.chart.values)

    def shown(self, reveal: bool = False) -> Shown | None:
        """What outputs show of the render (see :class:`Shown`)."""
        return self.rendering.shown(reveal) if self.rendering is not None else None

    def redactor(self, reveal: bool = False) -> Redactor:
        """A redactor for this plan's output: the chart schema's annotations plus key names,
        primed with the effective spec's sensitive values so free text can be scrubbed."""
        return self.masked(reveal)[0]

    def masked(self, reveal: bool = False) -> tuple[Redactor, dict[str, Any]]:
        """:meth:`redactor` and the effective spec it masked (masking is what primes it)."""
        r = Redactor(self.chart.schema, reveal=reveal)
        masked = r.mask(self.effective.full)  # masking primes the redactor
        r.publish_chart(self.effective.layers)  # the chart's defaults are public
        return r, masked


def render_effective(
    chart: LoadedChart, effective: Effective, options: RenderOptions, values: dict[str, Any] | None = None
) -> dict[str, str]:
    """Render a valid effective spec with Helm's engine (``values``: its :func:`helm_values`,
    when the caller has them): the real render, only ever applied. A template error's text -
    a ``fail``/``required`` message can quote a value - is scrubbed of the spec's secrets: the
    one place every renderer goes. The render guard then refuses objects that values, not the
    chart, made (:func:`guarded`)."""
    values = values if values is not None else helm_values(effective, chart.values)
    try:
        rendered = engine_render(chart, effective, options, values)
    except RenderError as exc:
        raise type(exc)(scrubber(chart, effective).scrub(str(exc))) from None
    return guarded(chart, effective, options, values, rendered)


def engine_render(chart: LoadedChart, effective: Effective, options: RenderOptions,
                  values: dict[str, Any]) -> dict[str, str]:
    """Helm's render of ``values`` (real, masked or a guard's reference), each taking the same
    path to the engine (:func:`specmerge.render.engine.for_engine`)."""
    from .render import for_engine

    return render(chart, for_engine(values, effective, chart.values), options, prevalidated=True)


def guarded(chart: LoadedChart, effective: Effective, options: RenderOptions, values: dict[str, Any],
            rendered: dict[str, str]) -> dict[str, str]:
    """``rendered`` (the render of ``values``: real or masked), once the render guard
    (:mod:`specmerge.render.guard`) finds no object that values, not the chart, made; else
    :class:`~specmerge.render.guard.ValuesAddStructure`. Both renders go through here."""
    check_render(chart, effective, values, rendered, lambda other: engine_render(chart, effective, options, other))
    return rendered


def render_shown(chart: LoadedChart, effective: Effective, options: RenderOptions, reveal: bool = False) -> Shown:
    """The render any output shows (design.md §5), made without the real one when it can be."""
    return Rendering(chart, effective, options).shown(reveal)


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


def _top_level_nulls(values: Mapping[str, Any]) -> frozenset[tuple[Any, ...]]:
    return frozenset((k,) for k, v in values.items() if v is None)


def chart_defaults_layer(source: str, values: Mapping[str, Any], positions: Any = None) -> Layer:
    """The ``chart`` layer of a chart's defaults: a ``key: null`` among them is dropped, as
    Helm >= 4.2 drops chart default nils (it is no value, and deletes nothing, not even a
    subchart's default). A top-level one's key is remembered (:attr:`Layer.null_keys`): there a
    user's null deletes the key, as in Helm, instead of reaching the templates; below the top
    level Helm keeps the user's null (both pinned against helm v4.2.3 by tests/core/test_helm_parity.py)."""
    kept = _without_nulls(values)
    if positions is None:
        return Layer("chart", source, kept, null_keys=_top_level_nulls(values))
    return Layer("chart", source, kept, positions, null_keys=_top_level_nulls(values))


def chart_layer(chart: LoadedChart) -> Layer:
    """The ``chart`` layer: Helm's reading of the chart's defaults, with line numbers from
    its ``values.yaml`` when the text is at hand. Built once per chart digest.

    Null defaults: see :func:`chart_defaults_layer`."""
    with _CHART_LAYERS_LOCK:
        hit = _CHART_LAYERS.get(chart.digest)
    if hit is not None:
        return hit
    positions = yaml_layer("chart", chart.locator, chart.values_text).positions if chart.values_text is not None else None
    layer = chart_defaults_layer(chart.locator, chart.values, positions)
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
    from .channels import release_pin

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
    values = rendering = None
    if not violations:
        from .render.subcharts import subchart_violations

        values = helm_values(effective, chart.values)
        violations = subchart_violations(chart, effective, values)
    if inputs.render and not violations:
        rendering = Rendering(chart, effective, inputs.options, values)
        rendering.shown()  # a template error is raised here, masked
    elif violations:
        values = None
    return Plan(inputs, ref, chart, inputs.channel, layers, effective, violations, values, rendering)
