"""The renders of a valid spec (design.md §5): the real one (only ever applied) and the one
every output shows (:class:`Shown`: from the masked values, or a scrubbed fallback), each
made at most once, both through the render guard (:func:`guarded`)."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

from ..core import Effective, Redactor
from ..core import Path as VPath
from ..core import get_at, to_dotted
from ..core import MIN_SCRUB_LEN
from ..render import (
    Document,
    LoadedChart,
    RenderError,
    RenderOptions,
    TemplateError,
    documents,
    helm_values,
    mask_secrets,
    render,
)
from ..render.guard import check_render


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
        self.helm_values = values if values is not None else helm_values(effective, chart.values)
        self._real: dict[str, str] | None = None
        self._shown: Shown | None = None
        self._lock = threading.Lock()

    def real(self) -> dict[str, str]:
        """``{template: text}`` exactly as Helm renders the real values. Never print it."""
        with self._lock:
            if self._real is None:
                self._real = render_effective(self.chart, self.effective, self.options, self.helm_values)
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
        masked = Redactor(self.chart.schema).mask_for_render(self.helm_values)
        if masked == self.helm_values:  # no secret: the real render is the masked one
            self._real = render_effective(self.chart, self.effective, self.options, self.helm_values)
            return Shown(self._real)
        try:
            masked_render = engine_render(self.chart, self.effective, self.options, masked)
        except TemplateError as refused:
            masked_error = refused  # its text quotes placeholders, never secrets
        else:
            return Shown(guarded(self.chart, self.effective, self.options, masked, masked_render))
        scrub = scrubber(self.chart, self.effective)
        try:
            self._real = render_effective(self.chart, self.effective, self.options, self.helm_values)
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
        paths = differing_leaves(self.helm_values, masked)
        if len(paths) > FALLBACK_SEARCH:
            return [], self._real
        needed, best = list(paths), self._real
        for path in paths:
            trial = [p for p in needed if p != path]
            try:
                best = engine_render(self.chart, self.effective, self.options, with_values_at(masked, self.helm_values, trial))
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
    from ..render import for_engine

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
