"""Rendering a loaded chart with Helm v4's engine (helm-python-sdk, in-process).

Helm renders; nothing here interprets a template. This module adds what ``helm template``
does around the engine: release name/namespace, capabilities (Kubernetes version and
extra API versions), the chart's ``kubeVersion`` check, and turning Helm's template errors
into :class:`TemplateError` (Helm's text names the template and line).

Thread safety: a loaded ``helm_python.Chart`` is immutable and documented safe to share
between threads, and each render is one native call with its own inputs and outputs
(ctypes releases the GIL during it). Renders therefore run concurrently without a lock;
``tests/render/test_render_threads.py`` proves that concurrent renders of different values
equal the same renders done serially.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import helm_python as helm
from helm_python import _native

from ..core import Effective
from ..core import Memo
from .errors import KubeVersionError, RenderError, TemplateError
from .sources import LoadedChart
from .versions import ConstraintError, parse_constraint, version_key

#: The Kubernetes version rendered for unless told otherwise (Helm v4.2's own default).
DEFAULT_KUBE_VERSION = "1.36.0"


@dataclass(frozen=True)
class RenderOptions:
    """What ``helm template`` takes besides values: release identity and capabilities."""

    name: str = "specmerge"
    namespace: str = "default"
    kube_version: str = DEFAULT_KUBE_VERSION
    api_versions: tuple[str, ...] = field(default_factory=tuple)

    def native(self) -> dict[str, Any]:
        """The render options JSON of helm-python-sdk's ``helm_render`` (as ``helm template``)."""
        opts: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "kube_version": self.kube_version,
            "revision": 1,
            "is_install": True,
            "is_upgrade": False,
        }
        if self.api_versions:
            opts["api_versions"] = list(self.api_versions)
        return opts


def helm_values(effective: Effective, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The values to hand Helm for ``effective``: its values plus an explicit ``None`` at
    every path an explicit null deleted (whose parent map still exists), and at every key of
    the chart's ``defaults`` that the effective spec no longer has.

    Why: the effective spec already contains the chart's defaults (the ``chart`` layer), but
    Helm coalesces those defaults underneath whatever values it is given. A key a higher
    layer deleted with ``null`` (the 0.62.0 channel's ``features.legacyRunPages: null``) is
    simply absent from ``effective.values``, so Helm would bring the chart default back. The
    same goes for defaults under a map that a layer dropped (null or non-map) and a higher
    layer set again: our left fold keeps them dropped, Helm would resurrect them (README,
    "Differences from Helm"). An explicit ``null`` is Helm's own way to say "delete the
    default", so the render matches the effective spec. The result shares nothing mutable
    with ``effective``.
    """
    values = _json_copy(effective.values)
    for path in effective.deleted_paths():
        parent: Any = values
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
            if parent is None:
                break
        if isinstance(parent, dict) and isinstance(path[-1], str):
            parent[path[-1]] = None
    if defaults:
        _null_dropped_defaults(values, defaults)
    return values


#: Leaf types :func:`_json_copy` keeps as they are (exact types: a subclass goes through JSON).
_JSON_LEAVES = frozenset({str, int, float, bool, type(None)})


class _NotPlain(Exception):
    """A node :func:`_json_copy` leaves to a JSON round trip (a non-string key, a tuple, a subclass)."""


def _json_copy(values: Mapping[str, Any]) -> dict[str, Any]:
    """``json.loads(json.dumps(values))``, made without the text when ``values`` is plain JSON
    data (string keys; dicts, lists and JSON scalars of exactly those types): the same result,
    in less than half the time on every render. Anything else takes the round trip."""
    try:
        return _copy_map(values)
    except _NotPlain:
        return json.loads(json.dumps(values))  # type: ignore[no-any-return]


def _copy_map(node: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.__class__ is not str:
            raise _NotPlain
        out[key] = _copy_node(value)
    return out


def _copy_node(value: Any) -> Any:
    cls = value.__class__
    if cls in _JSON_LEAVES:
        return value
    if cls is dict:
        return _copy_map(value)
    if cls is list:
        return [_copy_node(v) for v in value]
    raise _NotPlain


#: Go prints a float64 of this magnitude or more in exponent form (``1.048576e+06``).
_EXPONENT_FROM = 10**6


def for_engine(values: Mapping[str, Any], effective: Effective, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """What the engine is handed for ``values`` (a :func:`helm_values` result): without the
    leaves that equal the chart's own defaults (Helm supplies those itself, and a default
    handed back as a user value takes another path through Helm's coalesce - a subchart's
    default erased by a null among the parent's defaults, say), and with big ``--set``
    integers as Helm prints them (:func:`as_printed`). ``values`` is not changed."""
    return as_printed(_without_defaults(values, defaults), effective)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON types throughout (``1``, ``1.0`` and ``True`` differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    return bool(a == b)


def _without_defaults(values: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is not None and key in defaults:
            default = defaults[key]
            if isinstance(value, dict) and _is_map(default):
                rest = _without_defaults(value, default)
                if rest or not value:
                    out[key] = rest
                continue
            if _same(value, default):
                continue
        out[key] = value
    return out


def _is_map(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def as_printed(values: dict[str, Any], effective: Effective) -> dict[str, Any]:
    """``--set a=1048576`` is an int64 in Helm, printed ``1048576``; helm-python-sdk can only
    hand its engine JSON numbers, which Go reads as float64 and prints ``1.048576e+06``. So
    an integer a ``--set`` expression wrote, at or above a million in size, goes to the
    engine as its decimal text: templates print it (``{{ .Values.a }}``, ``quote``,
    ``toString``) exactly as Helm does, and arithmetic (``int``, ``add``) reads it back.
    What still differs (README, "Differences from Helm"): ``toYaml``/``toJson`` quote it.
    Integers from files and ``--set-json`` are float64 in Helm too, and stay numbers.

    For the engine only (after validation): returns a copy of ``values`` where needed."""
    if not _has_big_int(values):
        return values  # nothing to print differently: no walk, no copy
    values = _json_copy(values)
    stack: list[tuple[tuple[Any, ...], Any]] = [((), values)]
    while stack:
        path, node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if isinstance(value, (dict, list)):
                stack.append((path + (key,), value))
            elif type(value) is int and abs(value) >= _EXPONENT_FROM and _from_set_flag(effective, path + (key,)):
                node[key] = str(value)
    return values


def _has_big_int(values: Any) -> bool:
    stack = [values]
    while stack:
        node = stack.pop()
        for value in node.values() if isinstance(node, dict) else node:
            if isinstance(value, (dict, list)):
                stack.append(value)
            elif type(value) is int and abs(value) >= _EXPONENT_FROM:
                return True
    return False


def _from_set_flag(effective: Effective, path: tuple[Any, ...]) -> bool:
    for layer in reversed(effective.layers):
        if layer.origins is None:
            continue
        found = layer.origins(path)
        return found is not None and found[1].startswith("set:--set ")
    return False


def _null_dropped_defaults(values: dict[str, Any], defaults: Mapping[str, Any]) -> None:
    for key, default in defaults.items():
        if default is None or key.startswith("_"):
            continue
        if key not in values:
            values[key] = None
        else:
            value = values[key]
            if isinstance(value, dict) and _is_map(default):
                _null_dropped_defaults(value, default)


_KUBE_VERSIONS_OK: Memo[tuple[str, str], bool] = Memo(256)


def check_kube_version(chart: LoadedChart, kube_version: str) -> None:
    """Helm's install-time check of the chart's ``kubeVersion`` against the target version
    (a pair that passed is remembered)."""
    passed = (kube_version, str(chart.kube_version or ""))
    if _KUBE_VERSIONS_OK.get(passed):
        return
    _check_kube_version(chart, kube_version)
    _KUBE_VERSIONS_OK.put(passed, True)


def _check_kube_version(chart: LoadedChart, kube_version: str) -> None:
    key = version_key(kube_version if kube_version.startswith("v") else "v" + kube_version)
    if key is None:
        raise RenderError(f"--kube-version {kube_version!r} is not a version like 1.36.0")
    if not chart.kube_version:
        return
    try:
        allowed = parse_constraint(str(chart.kube_version)).allows(key)
    except ConstraintError as exc:
        raise KubeVersionError(f"chart {chart.name}@{chart.version}: {exc}") from None
    if not allowed:
        shown = kube_version if kube_version.startswith("v") else "v" + kube_version
        raise KubeVersionError(
            f"chart {chart.name}@{chart.version} requires kubeVersion: {chart.kube_version} "
            f"which is incompatible with Kubernetes {shown}"
        )


_VALID_NAMES: Memo[str, bool] = Memo(256)


def check_release_name(name: str) -> None:
    """Helm's check of a release name (a native call: its answer is remembered per name)."""
    if _VALID_NAMES.get(name):
        return
    try:
        helm.validate_release_name(name)
    except helm.HelmError as exc:
        raise RenderError(f"release name {name!r}: {exc}") from None
    _VALID_NAMES.put(name, True)


_RENDERS_LOCK = threading.Lock()
_renders_done = 0


def _count_render() -> None:
    global _renders_done
    with _RENDERS_LOCK:
        _renders_done += 1


def renders_done() -> int:
    """How many times this process has called Helm's engine (:func:`render`): what a test
    counts to prove a render was, or was not, made."""
    return _renders_done


def render(
    chart: LoadedChart,
    values: Mapping[str, Any],
    options: RenderOptions = RenderOptions(),
    *,
    prevalidated: bool = False,
) -> dict[str, str]:
    """Render every template of ``chart``: ``{template path: text}`` as Helm returns it
    (partials excluded; ``NOTES.txt`` and empty outputs included — see
    :mod:`specmerge.render.manifests` for the ``helm template`` view).

    Helm checks ``values`` against the chart's ``values.schema.json`` unless
    ``prevalidated`` says the caller already did (the pipeline does, with attribution);
    then the schema-less handle :attr:`LoadedChart.prevalidated` is rendered instead.

    Raises :class:`TemplateError` for a template that fails (the message is Helm's, naming
    the template and line), :class:`KubeVersionError` when the chart excludes the target
    Kubernetes version, :class:`RenderError` for bad options.
    """
    check_kube_version(chart, options.kube_version)
    check_release_name(options.name)
    try:
        handle = chart.prevalidated if prevalidated else chart.chart
        _count_render()
        out = _native.call_string("helm_render", handle._raw(), json.dumps(values), json.dumps(options.native()))
    except helm.HelmRenderError as exc:
        raise TemplateError(f"chart {chart.name}@{chart.version}: template error: {exc}") from None
    except helm.HelmValuesError as exc:
        raise TemplateError(f"chart {chart.name}@{chart.version}: values rejected by Helm: {exc}") from None
    except helm.HelmInvalidArgError as exc:
        raise RenderError(f"render options: {exc}") from None
    manifests: dict[str, str] = json.loads(out)
    return manifests


__all__: Sequence[str] = [
    "DEFAULT_KUBE_VERSION", "RenderOptions", "as_printed", "check_kube_version", "check_release_name", "for_engine",
    "helm_values", "render", "renders_done"
]
