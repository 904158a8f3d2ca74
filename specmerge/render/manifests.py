r"""From Helm's rendered templates to the manifests ``helm template`` prints. Pure.

:func:`documents` applies Helm v4.2's rules (``releaseutil.SortManifests`` and
``SplitManifests``): partials (``_*.tpl``) and ``NOTES.txt`` are not manifests; a template
whose output is only whitespace is skipped; the rest has leading whitespace removed and is
split with Helm's separator pattern ``(?:^|\s*\n)---\s*`` (which also eats the whitespace
around each separator); whitespace-only pieces are dropped and the others lose their
leading whitespace — trailing whitespace of a piece stays, as in Helm. The order is Helm's
install order: documents by template path and position, stably sorted by kind
(:data:`INSTALL_ORDER`; unknown kinds after the known ones, alphabetically), then the hooks
(documents annotated ``helm.sh/hook``) sorted the same way. A hook whose events Helm does
not know is left out, as Helm leaves it out.
:func:`to_stream` prints them as ``helm template`` does, each as
``---\n# Source: <template>\n<document>\n`` and the whole stream's trailing whitespace
trimmed to one newline: byte for byte ``helm template``'s output
(tests/render/test_render_parity.py), so ``specmerge render | kubectl apply -f -`` creates
Namespaces, CRDs, ServiceAccounts and Secrets before what uses them.

:func:`mask_secrets` is the one place rendered output is masked: every value under a
``Secret``'s ``data``/``stringData`` becomes ``<redacted hmac:…>``. The render it is given
is normally made from masked values (:class:`specmerge.pipeline.Shown`); only the fallback
real render of a template that refused a placeholder is also scrubbed, as free text, of
the sensitive strings the redactor learned from the values. A
Secret keeps the chart's own text except for its ``data``/``stringData`` blocks, which are
rewritten; the result is parsed back and must equal the masked object, else (flow style,
odd indentation) the whole document is re-serialised instead. Either way no byte of the
original values survives: the check compares against the object with every value masked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from ..core import Redactor, load_yaml_1_1, redact, redaction_key, to_yaml

_WS = "\t\n\f\r "  # RE2's \s
_SEP = re.compile(rf"(?:^|[{_WS}]*\n)---[{_WS}]*")


@dataclass(frozen=True)
class Document:
    """One manifest: the template it came from, its index in that template, its text,
    whether it is a hook (``helm.sh/hook`` with events Helm knows) and its kind as Helm reads
    it (``None``: not read yet; ``""``: none or unreadable)."""

    template: str
    index: int
    text: str
    hook: bool = False
    kind: str | None = None

    def header(self) -> str:
        return f"---\n# Source: {self.template}\n{self.text}\n"


def is_manifest_template(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return not base.startswith("_") and not path.endswith("NOTES.txt")


#: Helm's ``releaseutil.InstallOrder`` (v4.2): the order ``helm template`` prints and
#: ``helm install`` creates kinds in.
INSTALL_ORDER: tuple[str, ...] = (
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
    "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
    "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
    "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
)  # fmt: skip
_RANK = {kind: i for i, kind in enumerate(INSTALL_ORDER)}
HOOK_ANNOTATION = "helm.sh/hook"
HOOK_EVENTS = frozenset({"pre-install", "post-install", "pre-delete", "post-delete", "pre-upgrade", "post-upgrade",
                         "pre-rollback", "post-rollback", "test", "test-success"})
_KIND_LINE = re.compile(r"""(?m)^kind:[ \t]+(?:"([^"\\]*)"|'([^']*)'|([^\s"'#\[\]{}&*!|>%@`][^\s#]*))[ \t]*(?:#.*)?$""")


def _head(text: str) -> tuple[str, str | None]:
    """``(kind, hook annotation or None)`` of a document, as Helm's ``SimpleHead`` reads them.
    A plain top-level ``kind:`` line is enough when no hook annotation can be there; other
    documents (flow style, hooks) are parsed. Unparsable text has no kind and no hook: the
    engine's strict check (``--strict``) is where invalid YAML is reported."""
    if HOOK_ANNOTATION not in text:
        m = _KIND_LINE.search(text)
        if m:
            return next(g for g in m.groups() if g is not None), None
    try:
        head = _load(text)
    except YAMLError:
        return "", None
    if not isinstance(head, dict):
        return "", None
    kind = head.get("kind")
    meta = head.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict) or HOOK_ANNOTATION not in annotations:
        return (kind if isinstance(kind, str) else ""), None
    hook = annotations[HOOK_ANNOTATION]  # present but empty/null: "" to Helm, an unknown hook
    return (kind if isinstance(kind, str) else ""), (hook if isinstance(hook, str) else "")


def _by_kind(kind: str) -> tuple[int, str]:
    rank = _RANK.get(kind)
    return (rank, "") if rank is not None else (len(INSTALL_ORDER), kind)


def split_documents(text: str) -> list[str]:
    """``text`` split at Helm's separator pattern. Without ``---`` there is no separator:
    the regex, which starts with an alternation, would still try every position (1.5 ms
    for a 16 KB render), so that common case is answered without it."""
    return _SEP.split(text) if "---" in text else [text]


def documents(rendered: Mapping[str, str]) -> list[Document]:
    """The manifests of a render in ``helm template``'s order (see the module docstring)."""
    generic: list[tuple[str, Document]] = []
    hooks: list[tuple[str, Document]] = []
    for template in sorted(rendered):
        if not is_manifest_template(template):
            continue
        content = rendered[template]
        if not content.strip():
            continue
        pieces = [p.lstrip() for p in split_documents(content.lstrip()) if p.strip()]
        for i, piece in enumerate(pieces):
            kind, hook = _head(piece)
            if hook is None:
                generic.append((kind, Document(template, i, piece, kind=kind)))
            elif all(event.strip().lower() in HOOK_EVENTS for event in hook.split(",")):
                hooks.append((kind, Document(template, i, piece, hook=True, kind=kind)))
    ordered = sorted(generic, key=lambda kd: _by_kind(kd[0])) + sorted(hooks, key=lambda kd: _by_kind(kd[0]))
    return [doc for _, doc in ordered]


def notes(rendered: Mapping[str, str]) -> str | None:
    """The chart's rendered ``NOTES.txt`` (top-level chart only), if any."""
    for template, text in rendered.items():
        if template.count("/") == 2 and template.endswith("/templates/NOTES.txt"):
            return text
    return None


def to_stream(docs: Iterable[Document]) -> str:
    """The YAML stream ``helm template`` prints for these documents: the manifests with the
    stream's surrounding whitespace trimmed and one newline (Helm trims its release
    manifest), then each hook as it is (Helm appends them untrimmed)."""
    docs = list(docs)
    manifests = "".join(d.header() for d in docs if not d.hook).strip() + "\n"
    return manifests + "".join(d.header() for d in docs if d.hook)


def _load(text: str) -> Any:
    return load_yaml_1_1(text)  # as Helm reads it: a full rewrite must not turn 0400 into 400


_DATA_FIELDS = ("data", "stringData")
# Keys left bare: they read as the same string in YAML 1.1 (go-yaml, Helm, kubectl) and 1.2;
# anything else (leading digit or dot, yes/no/on/off/null...) is written as a JSON string.
_PLAIN_KEY = re.compile(r"^[A-Za-z_][-._A-Za-z0-9]*$")
_WORDS_1_1 = frozenset("y yes n no true false on off null".split())


def _key(k: str) -> str:
    return k if _PLAIN_KEY.match(k) and k.lower() not in _WORDS_1_1 else json.dumps(k)


def _masked_block(field: str, masked: Mapping[str, str]) -> str:
    if not masked:
        return f"{field}: {{}}\n"
    return f"{field}:\n" + "".join(f"  {_key(k)}: {v}\n" for k, v in masked.items())


def _edited_secret(text: str, masked_obj: Mapping[str, Any]) -> str | None:
    """``text`` with its top-level ``data``/``stringData`` blocks replaced by the masked ones,
    if that reads back as ``masked_obj``; ``None`` when it does not."""
    if any(not isinstance(k, str) for f in _DATA_FIELDS if isinstance(masked_obj.get(f), Mapping) for k in masked_obj[f]):
        return None  # a key the reader took for a number or boolean: only a full rewrite says what it read
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        field = lines[i].split(":", 1)[0]
        if field in _DATA_FIELDS and isinstance(masked_obj.get(field), Mapping):
            out.append(_masked_block(field, masked_obj[field]))
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i][0] in " \t"):
                i += 1  # the block: indented or blank lines
            continue
        out.append(lines[i])
        i += 1
    edited = "".join(out).rstrip("\n")
    if "#" in edited:  # a comment the parse-back cannot see might quote a value
        return None
    try:
        return edited if _load(edited) == masked_obj else None
    except YAMLError:
        return None


_SECRET_HOLDERS = frozenset({"Secret", "SecretList", "List"})


def _mask_secret_data(obj: Any, secret: bool = False) -> bool:
    """Redact, in place, every ``data``/``stringData`` value of ``obj`` if it is a Secret, and of
    the Secrets in its ``items`` (a ``List`` or ``SecretList``); whether any Secret was found."""
    if not isinstance(obj, dict):
        return False
    kind = obj.get("kind")
    found = secret or kind == "Secret"
    if found:
        for field in _DATA_FIELDS:
            if isinstance(obj.get(field), dict):
                obj[field] = {k: redact(v) for k, v in obj[field].items()}
            elif obj.get(field) is not None:  # not a map (Kubernetes would refuse it): all of it
                obj[field] = redact(obj[field])
    items = obj.get("items")
    if isinstance(items, list):
        for item in items:
            found = _mask_secret_data(item, secret=kind == "SecretList") or found
    return found


def _same(text: str) -> str:
    return text


def mask_secrets(docs: Iterable[Document], redactor: Redactor, *, scrub: bool = True) -> list[Document]:
    """``docs`` with Secret data redacted and (``scrub``) other text scrubbed of the values'
    secrets; identity when revealing. A render of masked values holds no secret to scrub
    (``scrub=False``: its text is left exactly as rendered).

    Any document whose kind is a Secret or a list, or that mentions ``Secret``, is parsed
    (as Helm reads YAML), so a Secret is found however it is spelled (quoted or escaped kind,
    trailing comment, JSON, inside a ``List``). Values can split a template's output into
    more documents (a ``---`` inside a name), carrying a Secret's data into a document with
    another kind or none: so every document of a template that renders a Secret has its
    ``data``/``stringData`` masked, whatever its kind. A document that must be parsed and
    cannot be (duplicate keys included), or that is not a map in such a template, is not shown. What is shown is also scrubbed of the
    values' secrets. A Secret is shown with only its data blocks rewritten when the edit reads
    back right and keeps no comment (a comment could quote a value), else re-serialised whole.
    """
    if redactor.reveal:
        return list(docs)
    docs = list(docs)
    clean = redactor.scrub if scrub else _same
    # the kind is read by _head, which parses what a plain "kind:" line does not settle (escapes, JSON)
    kinds = [doc.kind if doc.kind is not None else _head(doc.text)[0] for doc in docs]
    secret_templates = {doc.template for doc, kind in zip(docs, kinds) if kind in _SECRET_HOLDERS}
    out = []
    for doc in docs:
        in_secret_template = doc.template in secret_templates
        if not in_secret_template and "Secret" not in doc.text:
            out.append(replace(doc, text=clean(doc.text)))
        else:
            out.append(replace(doc, text=clean(secret_masked(doc.text, in_secret_template))))
    return out


#: Documents up to this size have their masked form remembered (parsing a Secret twice costs
#: milliseconds, and a console previews the same Secrets again and again); 256 of them at most.
_CACHED_TEXT = 64 * 1024


def secret_masked(text: str, in_secret_template: bool) -> str:
    """One document with its Secret data masked (see :func:`mask_secrets`), not scrubbed."""
    if len(text) <= _CACHED_TEXT:
        return _secret_masked_cached(text, in_secret_template, redaction_key())
    return _secret_masked(text, in_secret_template)


@functools.lru_cache(maxsize=256)
def _secret_masked_cached(text: str, in_secret_template: bool, key: bytes) -> str:
    return _secret_masked(text, in_secret_template)  # key: placeholders depend on it


def _secret_masked(text: str, in_secret_template: bool) -> str:
    try:
        obj = _load(text)
    except YAMLError:
        obj = None
    if obj is None or (in_secret_template and not isinstance(obj, dict)):  # nothing to mask it by
        return f"# Document not shown: it may hold Secret data and is not a YAML map ({redact(text)})"
    if not _mask_secret_data(obj, secret=in_secret_template):
        return text
    edited = _edited_secret(text, obj) if isinstance(obj, dict) else None
    # the rest (annotations, a ConfigMap beside the Secret in a List) may quote a value too: scrubbed by the caller
    return edited or to_yaml(obj).rstrip("\n")


def write_tree(docs: Iterable[Document], directory: Path) -> list[Path]:
    """Write documents as ``helm template --output-dir`` does: one file per template path,
    each document with its ``---``/``# Source:`` header. Returns the files written."""
    by_template: dict[str, list[Document]] = {}
    for d in docs:
        by_template.setdefault(d.template, []).append(d)
    written = []
    for template, group in by_template.items():
        target = directory / template
        if directory.resolve() not in target.resolve().parents:
            raise ValueError(f"template path {template!r} escapes {directory}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(d.header() for d in group), encoding="utf-8")  # as Helm appends them
        written.append(target)
    return written
