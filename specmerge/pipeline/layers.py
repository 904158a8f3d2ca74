"""The layers of a plan: which chart, its defaults as the ``chart`` layer (built once per
chart), and the caller's layers in precedence order."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..core import Layer, Memo, Positions
from ..locations import repo_root
from ..render import ChartRef, LoadedChart, PathRef, parse_chart_ref
from .inputs import ChannelLike, PlanInputs

BUNDLED_CHART = "charts/platform"


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
    positions = Positions.of_yaml(chart.values_text) if chart.values_text is not None else None
    layer = chart_defaults_layer(chart.locator, chart.values, positions)
    with _CHART_LAYERS_LOCK:
        return _CHART_LAYERS.get(chart.digest) or _CHART_LAYERS.put(chart.digest, layer)


_CHANNEL_LAYERS: Memo[int, tuple[ChannelLike, Layer]] = Memo(32)  # per channel spec object


def channel_layer(channel: ChannelLike) -> Layer:
    """The ``channel`` layer of a channel spec, built (a deep copy of its values) once per
    spec object: a service resolves the same spec for every request. Layers are never
    changed once built (a merge copies what it takes), like the shared ``chart`` layer."""
    hit = _CHANNEL_LAYERS.get(id(channel))
    if hit is not None and hit[0] is channel:
        return hit[1]
    return _CHANNEL_LAYERS.put(id(channel), (channel, channel.layer()))[1]


def gather_layers(inputs: PlanInputs, chart: LoadedChart) -> tuple[Layer, ...]:
    """The layers in precedence order, lowest first (absent ones skipped)."""
    layers = [chart_layer(chart)]
    if inputs.operator is not None:
        layers.append(inputs.operator)
    if inputs.channel is not None:
        layers.append(channel_layer(inputs.channel))
    layers += [layer for layer in (inputs.user, inputs.cr) if layer is not None]
    layers += inputs.extra
    return tuple(layers)


def pinned_release(*layers: Layer | None) -> str | None:
    """The ``_releaseId`` the layers pin (user, cr; the highest wins): the one rule lives in
    :func:`specmerge.channels.resolve.release_pin`, which raises for a value that is no releaseId."""
    from ..channels import release_pin

    return release_pin(*layers)
