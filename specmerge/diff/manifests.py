"""The manifest diff: per resource (kind, namespace, name), a unified diff of the rendered
YAML, like helm-diff. Pure.

Both sides go through :func:`specmerge.render.documents` (Helm's split and order) and
:func:`specmerge.render.mask_secrets` (Secret data as ``<redacted sha256:…>``, other text
scrubbed) before they are compared, so a changed secret shows as a changed hash and never
as text, unless the redactor reveals. A document without ``kind``/``metadata.name`` is
keyed by its template and position. Resources without a namespace get ``default_namespace``
(the release namespace), as Helm would apply them. Output is sorted by kind, namespace,
name.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..core import Redactor
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


def resources(rendered: Mapping[str, str] | None, redactor: Redactor, default_namespace: str) -> dict[Key, Document]:
    """The masked documents of a render, keyed by resource. Later duplicates get a suffix."""
    out: dict[Key, Document] = {}
    for doc in mask_secrets(documents(rendered or {}), redactor):
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


def diff_manifests(
    old: Mapping[str, str] | None,
    new: Mapping[str, str] | None,
    redactor: Redactor,
    *,
    old_namespace: str = "default",
    new_namespace: str = "default",
    context: int = 3,
) -> tuple[ManifestChange, ...]:
    """Resources added, removed or changed between two renders (module contract)."""
    before = resources(old, redactor, old_namespace)
    after = resources(new, redactor, new_namespace)
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is not None and b is not None and a.text == b.text:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        out.append(ManifestChange(key[0], key[1], key[2], change, _unified(a, b, key, context)))  # type: ignore[arg-type]
    return tuple(out)
