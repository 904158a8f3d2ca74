"""The manifest diff: per resource (kind, namespace, name), a unified diff of the rendered
YAML, like helm-diff. Pure.

Both sides are renders of *masked* values (design.md §5: each secret its keyed placeholder,
so whatever a template does to a secret it did to the placeholder) and go through
:func:`specmerge.render.documents` (Helm's split and order) and
:func:`specmerge.render.mask_secrets` (Secret data as ``<redacted hmac:…>``; a side that
fell back to its real render is also scrubbed) before they are compared, so a changed
secret shows as a changed placeholder and never as text, unless the redactor reveals. A
resource whose masked text is the same on both sides but whose real render differs (a
template that keeps only part of a secret, or branches on it) is reported too: each field
that differs in the real renders, as the keyed hashes of its old and new values. A document without ``kind``/``metadata.name`` is
keyed by its template and position. Resources without a namespace get ``default_namespace``
(the release namespace), as Helm would apply them. Output is sorted by kind, namespace,
name.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..core import Redactor, load_yaml_1_1, redact, to_dotted
from ..render import Document, documents, mask_secrets
from .model import ManifestChange

Key = tuple[str, str, str]


def _key(doc: Document, default_namespace: str) -> Key:
    try:
        obj = YAML(typ="safe").load(doc.text)
    except YAMLError:
        obj = None
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if isinstance(obj, dict) and isinstance(obj.get("kind"), str) and isinstance(meta, dict) and meta.get("name"):
        ns = meta.get("namespace") or default_namespace
        return (obj["kind"], str(ns), str(meta["name"]))
    return ("(unparsed)", "", f"{doc.template}#{doc.index}")


def resources(
    rendered: Mapping[str, str] | None, redactor: Redactor, default_namespace: str, scrub: bool = True
) -> dict[Key, Document]:
    """The masked documents of a render, keyed by resource. Later duplicates get a suffix."""
    out: dict[Key, Document] = {}
    for doc in mask_secrets(documents(rendered or {}), redactor, scrub=scrub):
        key = _key(doc, default_namespace)
        while key in out:
            key = (key[0], key[1], key[2] + "~")
        out[key] = doc
    return out


def _unified(old: Document | None, new: Document | None, key: Key, context: int) -> str:
    a = (old.header() if old else "").splitlines(keepends=True)
    b = (new.header() if new else "").splitlines(keepends=True)
    name = "/".join(p for p in key if p)
    lines = difflib.unified_diff(
        a, b, fromfile=f"a/{name}" if old else "/dev/null", tofile=f"b/{name}" if new else "/dev/null", n=context
    )
    return "".join(l if l.endswith("\n") else l + "\n" for l in lines)


RealRender = Callable[[], Mapping[str, str] | None]


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> dict[tuple[str | int, ...], Any]:
    if isinstance(node, dict) and node:
        return {p: v for k, child in node.items() for p, v in _leaves(child, path + (str(k),)).items()}
    if isinstance(node, list) and node:
        return {p: v for i, child in enumerate(node) for p, v in _leaves(child, path + (i,)).items()}
    return {path: node}


def _parsed(text: str) -> Any:
    try:
        return load_yaml_1_1(text)
    except YAMLError:
        return _UNREADABLE


_UNREADABLE = object()
_ABSENT = "(absent)"


def secret_derived_changes(old_text: str, new_text: str) -> list[str]:
    """``path: <old hash> -> <new hash>`` for each field that differs between two real
    renders of a resource (``(document)`` when one side cannot be read): keyed hashes only."""
    a, b = _parsed(old_text), _parsed(new_text)
    if a is _UNREADABLE or b is _UNREADABLE:
        return [f"(document): {redact(old_text)} -> {redact(new_text)}"]
    la, lb = _leaves(a), _leaves(b)
    out = []
    for path in sorted(set(la) | set(lb), key=lambda p: to_dotted(p)):
        va, vb = la.get(path, _ABSENT), lb.get(path, _ABSENT)
        if va != vb or type(va) is not type(vb):
            old = _ABSENT if path not in la else redact(va)
            new = _ABSENT if path not in lb else redact(vb)
            out.append(f"{to_dotted(path) or '(document)'}: {old} -> {new}")
    return out


def _real_docs(real: RealRender | None) -> dict[tuple[str, int], Document] | None:
    if real is None:
        return None
    rendered = real()
    return None if rendered is None else {(d.template, d.index): d for d in documents(rendered)}


def _hashed_change(a: Document, b: Document, key: Key, old_real: dict[tuple[str, int], Document] | None,
                   new_real: dict[tuple[str, int], Document] | None) -> str | None:
    """The report of fields that only the real renders show changed, or ``None``."""
    if old_real is None or new_real is None:
        return None
    ra, rb = old_real.get((a.template, a.index)), new_real.get((b.template, b.index))
    if ra is None or rb is None or ra.text == rb.text:
        return None
    name = "/".join(p for p in key if p)
    lines = [f"--- a/{name}\n", f"+++ b/{name}\n",
             "# fields derived from secrets changed (keyed hashes of the real render's values):\n"]
    lines += [f"#   {line}\n" for line in secret_derived_changes(ra.text, rb.text)]
    return "".join(lines)


def diff_manifests(
    old: Mapping[str, str] | None,
    new: Mapping[str, str] | None,
    redactor: Redactor,
    *,
    old_namespace: str = "default",
    new_namespace: str = "default",
    context: int = 3,
    scrub_old: bool = True,
    scrub_new: bool = True,
    old_real: RealRender | None = None,
    new_real: RealRender | None = None,
) -> tuple[ManifestChange, ...]:
    """Resources added, removed or changed between two renders (module contract). ``old`` and
    ``new`` are masked renders (``scrub_*``: a fallback real render, scrubbed as text);
    ``*_real`` give the real renders, compared for resources whose masked text is equal."""
    before = resources(old, redactor, old_namespace, scrub_old)
    after = resources(new, redactor, new_namespace, scrub_new)
    reals: list[dict[tuple[str, int], Document] | None] = []
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and a.text == b.text:
            if not reals:
                reals = [_real_docs(old_real), _real_docs(new_real)]
            hashed = _hashed_change(a, b, key, reals[0], reals[1])
            if hashed is not None:
                out.append(ManifestChange(key[0], key[1], key[2], "changed", hashed))
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        out.append(ManifestChange(key[0], key[1], key[2], change, _unified(a, b, key, context)))  # type: ignore[arg-type]
    return tuple(out)
