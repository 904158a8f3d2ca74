r"""The render guard (design.md §5a): values are data, never structure.

A template that prints a value unquoted (``name: {{ .Values.app.serviceAccount.name }}``)
lets a value that holds a line break and ``---`` add whole objects to the render (a
cluster-admin ClusterRoleBinding from a console field). :func:`check_render` refuses a
render whose objects differ from what the chart makes *for the same release* from values
that cannot carry structure, naming the layer and the value.

How it decides, for the layers that are not the chart's own (every layer except ``chart``,
``channel`` and ``operator``; a layer a request supplies is never trusted, whatever its
name):

1. **Taint.** Every string value and map key those layers put into the effective values
   is *inert* when it cannot change YAML structure wherever a template prints it: one line,
   no flow or quoting indicators, no comment (`` #``), no ``: `` and no template braces
   (``tpl``) - see :func:`inert`. Others are *tainted*.
2. **Reference render.** With no tainted value the render *is* the reference (an inert
   value printed anywhere stays one scalar), so nothing more is done: the common case costs
   nothing. Otherwise each tainted value (or key) is replaced by a unique inert token
   (``zqg<n>q``: non-empty, a DNS label) and the chart is rendered again. Inert values stay,
   so the chart's control flow (``eq .Values.x "s3"``, ``if .Values.enabled``) is the same.
3. **Compare.** Per template, the real render must have the same number of documents, of
   the same kinds in the same order, and every object's ``metadata.name`` and
   ``metadata.namespace`` must be the reference's, except that where the reference has a
   token the value was printed (a value used as a name is allowed: the chart put it there,
   ``trunc`` and suffixes included), so only the chart's text before the token must match. A difference is reported for the tainted values whose token the differing
   template printed (all tainted values when none did, e.g. through ``tpl``).
4. **Kinds.** When there are tainted values, every object's kind must also be one the
   chart's templates spell literally (a ``kind:`` key in block, flow or JSON style,
   subcharts included); a chart whose templates compute a kind (``kind: {{ ... }}``) skips
   this check. It is checked first (cheap) and is what is left when the tokens make the
   reference render fail (a template that ``fail``\ s on a token).

What the guard does not see: a template that decodes a value into structure
(``b64dec``/``fromJson`` of an inert-looking string) can still add objects of kinds the
chart already makes; the bundled chart does neither, and quotes what it prints.

Errors never quote a value (it may be a secret): they name the layer, its source and the
value's path.
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from ..core import Effective, Layer, Path, get_at, to_dotted
from ..errors import InputError
from .errors import RenderError
from .manifests import Document, documents
from .sources import LoadedChart

#: Layers the chart's vendor supplies: the chart's defaults, the release channel and the
#: operator's defaults. Everything else (console, CR, CLI files and flags) is guarded.
TRUSTED_LAYERS = frozenset({"chart", "channel", "operator"})
REQUEST_SOURCE = "request:"

# An inert string: starts with a character that begins no YAML indicator, then only
# characters that cannot end a plain scalar, open a flow collection or break the line.
_INERT = re.compile(r"(?:[\w.=+;~^()$/%<@][\w.=+;~^()$/%<>@ :&*!?'\"-]*)?")
_TOKEN = "zqg{}q"
_ABSENT = object()
_MAX_FINDINGS = 8


class ValuesAddStructure(RenderError, InputError):
    """A render refused by the guard: values changed the set of objects, their kinds,
    names or namespaces. ``findings`` are the user-facing lines (no value text)."""

    def __init__(self, findings: Sequence[str]) -> None:
        self.findings = tuple(findings)
        super().__init__(
            "values are data, not structure: the render has objects the chart does not make for this "
            "release; nothing was stored or applied:\n  - " + "\n  - ".join(self.findings)
        )


def inert(text: str) -> bool:
    """Whether ``text`` stays one plain scalar wherever a template prints it unquoted."""
    return (
        _INERT.fullmatch(text) is not None
        and ": " not in text
        and " #" not in text
        and not text.endswith((":", " "))
        and "{{" not in text
    )


def trusted(layer: Layer) -> bool:
    return layer.name in TRUSTED_LAYERS and not layer.source.startswith(REQUEST_SOURCE)


@dataclass(frozen=True)
class Tainted:
    """A tainted value (``key=False``) or map key (``key=True``) at ``path``, the layer that
    put it there and the token that stands for it in the reference render."""

    path: Path
    layer: str
    source: str
    key: bool
    token: str
    text: str

    def describe(self) -> str:
        what = "the key" if self.key else "the value"
        return f"{what} at {to_dotted(self.path) or '(root)'} ({self.layer} layer, {self.source})"


def tainted(effective: Effective, values: Mapping[str, Any]) -> list[Tainted]:
    """The tainted strings and keys the guarded layers put into ``values`` (what Helm gets),
    each once, attributed to the highest layer that has it."""
    found: dict[tuple[Path, bool], Tainted] = {}

    def walk(layer: Layer, node: Any, path: Path) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                child = path + (k,)
                if isinstance(k, str) and not inert(k) and (child, True) not in found \
                        and get_at(values, child, _ABSENT) is not _ABSENT:
                    found[(child, True)] = Tainted(child, layer.name, layer.source, True,
                                                   _TOKEN.format(len(found)), k)
                walk(layer, v, child)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(layer, v, path + (i,))
        elif isinstance(node, str) and not inert(node) and (path, False) not in found \
                and get_at(values, path, None) == node:
            found[(path, False)] = Tainted(path, layer.name, layer.source, False, _TOKEN.format(len(found)), node)

    for layer in reversed(effective.layers):
        if not trusted(layer):
            walk(layer, layer.values, ())
    return list(found.values())


def with_tokens(values: Mapping[str, Any], marks: Iterable[Tainted]) -> dict[str, Any]:
    """A copy of ``values`` with every tainted value and key replaced by its token."""
    out: Any = _copy(values)
    marks = list(marks)
    for m in marks:
        if not m.key:
            parent = get_at(out, m.path[:-1])
            parent[m.path[-1]] = m.token
    for m in sorted((m for m in marks if m.key), key=lambda m: -len(m.path)):
        parent = get_at(out, m.path[:-1])
        parent[m.token] = parent.pop(m.path[-1])
    return dict(out)


def _copy(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_copy(v) for v in node]
    return node


# --- what the chart's templates can emit ------------------------------------------------

# a `kind` key anywhere (block, flow or JSON style); its value up to the end of the scalar
_KIND = re.compile(r"""(?:^|[\s{,])["']?kind["']?[ \t]*:[ \t]*("[^"\n]*"|'[^'\n]*'|[^\s,}#]*)""")
_LITERAL_KIND = re.compile(r"""["']?([A-Za-z][A-Za-z0-9]*)["']?""")
_KINDS: OrderedDict[str, frozenset[str] | None] = OrderedDict()
_KINDS_LOCK = threading.Lock()
_KINDS_MAX = 32


def _templates(chart: Any) -> Iterable[str]:
    """The text of every template of ``chart`` and of its subcharts. The SDK's handle lists
    only the chart's own templates (``dependencies`` are metadata), so subcharts' come from
    the chart's archive form, where Helm saves them as ``<top>/charts/<name>/templates/...``."""
    for t in chart.templates:
        yield str(t.get("data", ""))
    if not chart.dependencies:
        return
    with tempfile.TemporaryDirectory(prefix="specmerge-guard-") as tmp:
        data = FsPath(chart.save(tmp)).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and len(parts) >= 5 and parts[1] == "charts" and "templates" in parts[3:-1]:
                fh = tar.extractfile(member)
                if fh is not None:
                    yield fh.read().decode("utf-8", "replace")


def chart_kinds(chart: LoadedChart) -> frozenset[str] | None:
    """The kinds the chart's templates (and its subcharts') spell literally; ``None`` when
    some template computes a kind. Remembered per chart digest (at most 32 charts)."""
    with _KINDS_LOCK:
        if chart.digest in _KINDS:
            return _KINDS[chart.digest]
    kinds: set[str] | None = set()
    for text in _templates(chart.chart):
        for m in _KIND.finditer(text):
            value = m.group(1)
            if not value or value.startswith(("|", ">")):
                continue  # a `kind:` map key or block text (a CRD's schema), not an object's kind
            lit = _LITERAL_KIND.fullmatch(value)
            if lit is None:
                kinds = None
                break
            kinds.add(lit.group(1))
        if kinds is None:
            break
    result = frozenset(kinds) if kinds is not None else None
    with _KINDS_LOCK:
        _KINDS[chart.digest] = result
        while len(_KINDS) > _KINDS_MAX:
            _KINDS.popitem(last=False)
    return result


# --- comparing renders ------------------------------------------------------------------


@dataclass(frozen=True)
class _Object:
    kind: str
    name: str | None
    namespace: str | None


def _objects(docs: Iterable[Document]) -> dict[str, list[_Object]]:
    """Per template, its documents' kind, name and namespace, in template order."""
    import yaml  # only a render with tainted values gets here: not imported at start-up

    # Names are read as the apiserver's client reads manifests (YAML 1.1, a repeated key's
    # last value wins), with libyaml: ~8x faster than the pure-Python reader on a chart's documents.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    by_template: dict[str, list[tuple[int, _Object]]] = {}
    for d in docs:
        try:
            obj = yaml.load(d.text, Loader=loader)  # noqa: S506 (a safe loader)
        except (yaml.YAMLError, RecursionError):
            obj = None
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        name, ns = meta.get("name"), meta.get("namespace")
        by_template.setdefault(d.template, []).append((d.index, _Object(
            d.kind or "", name if isinstance(name, str) else None, ns if isinstance(ns, str) else None)))
    return {t: [o for _, o in sorted(objs, key=lambda io: io[0])] for t, objs in by_template.items()}


def _same_name(real: str | None, reference: str | None, marks: Sequence[Tainted]) -> bool:
    """Whether ``real`` is the name the chart makes: the reference's exactly, or, where the
    reference printed a token, the chart's own text before it followed by anything (the value
    was printed there, possibly cut by ``trunc`` and followed by the chart's suffix)."""
    if real == reference:
        return True
    if real is None or reference is None:
        return False
    at = [i for i in (reference.find(m.token) for m in marks) if i >= 0]
    return bool(at) and real.startswith(reference[:min(at)])


def _compare(real: dict[str, list[_Object]], reference: dict[str, list[_Object]],
             marks: Sequence[Tainted], printed: Callable[[str], list[Tainted]]) -> list[str]:
    findings = []
    for template in sorted(set(real) | set(reference)):
        got, want = real.get(template, []), reference.get(template, [])
        problem = None
        if [o.kind for o in got] != [o.kind for o in want]:
            problem = (f"{template} renders {len(got)} object(s) ({', '.join(_shown_kind(o.kind) for o in got)}) "
                       f"where the chart makes {len(want)} ({', '.join(_shown_kind(o.kind) for o in want)})")
        else:
            for g, w in zip(got, want):
                if not _same_name(g.namespace, w.namespace, marks):
                    problem = f"{template}: {_shown_kind(g.kind)} is put in another namespace than the chart's"
                elif not _same_name(g.name, w.name, marks):
                    problem = f"{template}: {_shown_kind(g.kind)} has another name than the one the chart makes"
                if problem:
                    break
        if problem:
            culprits = printed(template) or list(marks)
            findings.append(f"{problem}; caused by " + ", ".join(m.describe() for m in culprits))
    return findings


def _kind_findings(docs: Sequence[Document], kinds: frozenset[str] | None, marks: Sequence[Tainted]) -> list[str]:
    if kinds is None:
        return []
    bad = sorted({(d.template, _shown_kind(d.kind)) for d in docs if d.kind and d.kind not in kinds})
    blame = ", ".join(m.describe() for m in marks) or "the values"
    return [f"{template} renders {kind}, a kind none of the chart's templates makes; caused by {blame}"
            for template, kind in bad]


def _shown_kind(kind: str | None) -> str:
    """A kind as a message may show it: values wrote it, so only a plain word is quoted."""
    if kind and _LITERAL_KIND.fullmatch(kind) and len(kind) <= 63:
        return f"{'an' if kind[0] in 'AEIOU' else 'a'} {kind}"
    return "an object of another kind"


def check_render(
    chart: LoadedChart,
    effective: Effective,
    values: Mapping[str, Any],
    rendered: Mapping[str, str],
    render_reference: Callable[[dict[str, Any]], Mapping[str, str]],
) -> None:
    """Raise :class:`ValuesAddStructure` when ``rendered`` (the render of ``values``, the
    Helm values of ``effective``) has objects the chart would not make from inert values.
    ``render_reference(values)`` renders other values the same way (same chart, release
    and capabilities). See the module docstring."""
    marks = tainted(effective, values)
    if not marks:  # inert values cannot add structure (module docstring): the render is the reference
        return
    docs = documents(rendered)
    findings = _kind_findings(docs, chart_kinds(chart), marks)
    if not findings:
        try:
            reference = render_reference(with_tokens(values, marks))
        except RenderError:
            reference = None  # the tokens broke a template: the kinds check above is what is left
        if reference is not None:
            def printed(template: str) -> list[Tainted]:
                text = reference.get(template, "")
                return [m for m in marks if m.token in text]

            findings = _compare(_objects(docs), _objects(documents(reference)), marks, printed)
    if findings:
        raise ValuesAddStructure(findings[:_MAX_FINDINGS] + ([f"... and {len(findings) - _MAX_FINDINGS} more"]
                                                             if len(findings) > _MAX_FINDINGS else []))


__all__ = ["TRUSTED_LAYERS", "Tainted", "ValuesAddStructure", "chart_kinds", "check_render", "inert", "tainted",
           "trusted", "with_tokens"]
