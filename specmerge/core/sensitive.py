"""Which paths hold secrets: sensitive key names and the schema walk (design.md §5).

A path is sensitive when a key on it matches :func:`is_sensitive_key`, or when its schema
node or an ancestor's says ``"writeOnly": true`` or ``"x-sensitive": true``. The walk
follows ``$ref``/``$dynamicRef`` (JSON Pointers, percent-encoded or not, ``$anchor``/``$id``
names), ``allOf``/``anyOf``/``oneOf``, ``if``/``then``/``else``, ``dependentSchemas`` and
draft-07 ``dependencies``, ``properties`` *and* every matching ``patternProperties``,
``prefixItems`` and tuple ``items``/``additionalItems``, then ``additionalProperties`` /
``unevaluatedProperties`` / ``unevaluatedItems``.

:class:`SchemaMemo` remembers the answers per schema object: a preview asks about every
leaf several times, and the walk from the root was most of its cost. The rules that depend
on the values themselves (the env-list shape, URL passwords) and everything about masking
are :class:`specmerge.core.secrets.Redactor`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from .memo import Memo
from .paths import Path, short

#: Words a key (case, ``_`` and ``-`` ignored) may be, end with, or end with plus ``s``.
SENSITIVE_KEYS: tuple[str, ...] = (
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "secretkey",
    "accesskey",
    "token",
    "apikey",
    "license",
    "licence",
    "licensekey",
    "privatekey",
    "credential",
    "pem",
)

#: Keys that end like a secret but hold the *name* of a Kubernetes Secret, never its data
#: (``existingSecret: platform-mysql``, ``imagePullSecrets: [{name: regcred}]``). Masking them
#: would hide which Secret a site uses and protect nothing; a schema can still mark one.
REFERENCE_SUFFIXES: tuple[str, ...] = ("existingsecret", "pullsecret", "pullsecrets")


def is_sensitive_key(key: object) -> bool:
    """``True`` for ``password``, ``mysqlPassword``, ``AWS_SECRET_ACCESS_KEY``, ``tls.key``,
    ``apiTokens``-like keys; ``False`` for references (``existingSecret``) and others."""
    if not isinstance(key, str):
        return False
    lower = key.lower()
    if lower.endswith(".key"):
        return True
    k = lower.replace("_", "").replace("-", "").replace(".", "")
    if k.endswith(REFERENCE_SUFFIXES):
        return False
    return k.endswith(_SENSITIVE_ENDINGS)


#: Every word of :data:`SENSITIVE_KEYS` and its plural: one C-level ``endswith``.
_SENSITIVE_ENDINGS: tuple[str, ...] = SENSITIVE_KEYS + tuple(s + "s" for s in SENSITIVE_KEYS)


# -- references -----------------------------------------------------------------------------

def _pointer(node: Any, fragment: str) -> Mapping[str, Any] | None:
    for part in fragment.lstrip("/").split("/") if fragment.strip("/") else []:
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            return None
    return node if isinstance(node, Mapping) else None


def schema_names(schema: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """Every ``$id`` (as written) and ``$anchor``/``$dynamicAnchor``/draft-07 ``"$id": "#a"``
    (as ``#name``) of ``schema``, to the node that declares it."""
    out: dict[str, Mapping[str, Any]] = {}
    stack: list[Any] = [schema] if schema is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for key in ("$anchor", "$dynamicAnchor"):
                if isinstance(node.get(key), str):
                    out.setdefault("#" + node[key], node)
            if isinstance(node.get("$id"), str):
                out.setdefault(node["$id"], node)
                out.setdefault(node["$id"].rstrip("#"), node)
            stack.extend(v for k, v in node.items() if k not in ("const", "enum", "default", "examples"))
        elif isinstance(node, list):
            stack.extend(node)
    return out


def resolve_ref(root: Mapping[str, Any], ref: str, names: Mapping[str, Mapping[str, Any]] | None = None) -> Mapping[str, Any] | None:
    """The node ``ref`` points at within ``root``: a (percent-encoded) JSON Pointer fragment,
    an anchor, or an ``$id`` with an optional pointer; ``None`` when it points nowhere here."""
    names = schema_names(root) if names is None else names
    if ref in names:
        return names[ref]
    base, _, fragment = ref.partition("#")
    node: Mapping[str, Any] | None = root if not base else names.get(base)
    if node is None:
        return None
    if fragment and not fragment.startswith("/"):
        return names.get("#" + unquote(fragment))
    return _pointer(node, fragment)


# -- the walk -------------------------------------------------------------------------------

_APPLIERS = ("allOf", "anyOf", "oneOf")
_CONDITIONAL = ("if", "then", "else")


def _items(node: Mapping[str, Any], index: int) -> Any:
    prefix = node.get("prefixItems")
    items = node.get("items")
    if isinstance(prefix, list):
        return prefix[index] if index < len(prefix) else items
    if isinstance(items, list):  # draft-07 tuple form
        return items[index] if index < len(items) else node.get("additionalItems")
    return items if items is not None else node.get("unevaluatedItems")


def _properties(node: Mapping[str, Any], key: str) -> list[Any]:
    """The subschemas of ``node`` that apply to its property ``key``."""
    out: list[Any] = []
    props = node.get("properties")
    if isinstance(props, Mapping) and key in props:
        out.append(props[key])
    pats = node.get("patternProperties")
    if isinstance(pats, Mapping):
        for pat, sub in pats.items():
            try:
                if re.search(pat, key):
                    out.append(sub)
            except re.error:
                continue
    if not out:
        extra = node.get("additionalProperties")
        out.append(extra if extra is not None else node.get("unevaluatedProperties"))
    return out


def _flagged(nodes: list[Mapping[str, Any]]) -> bool:
    return any(n.get("writeOnly") is True or n.get("x-sensitive") is True for n in nodes)


class SchemaMemo:
    """One schema object, its ``$id``/anchor names, and the answers ``path -> sensitive``.

    A loaded chart's schema is shared and never mutated (charts are cached by digest), so an
    answer stays true; the memo holds the schema so its ``id`` is not reused while the memo
    lives. Only short paths are remembered (:func:`~specmerge.core.paths.short`), at most
    :data:`MEMO_PATHS` of them in a :class:`~specmerge.core.memo.Memo` that starts again
    when full: list indexes and request keys make the path space unbounded.

    A short path is answered from its parent's answer and the schema nodes that apply at the
    parent (remembered too, in :attr:`reached`): one step of the walk, not the walk from the
    root, so the first masking of a tree costs one step per node. It is :meth:`walk`'s answer."""

    __slots__ = ("schema", "answers", "names", "reached")

    def __init__(self, schema: Mapping[str, Any] | None) -> None:
        self.schema = schema
        self.answers: Memo[Path, bool] = Memo(MEMO_PATHS)
        self.names = schema_names(schema)
        #: The expanded schema nodes that apply at a short path (empty: the schema says nothing there).
        self.reached: Memo[Path, list[Mapping[str, Any]]] = Memo(MEMO_PATHS)

    def sensitive(self, path: Path) -> bool:
        """Whether the schema or a key name marks ``path`` (or an ancestor) sensitive."""
        hit = self.answers.get(path)
        if hit is None:
            if not short(path):  # long keys are not kept: see paths.short
                return self.walk(path)
            hit = self.answers.put(path, self._step(path))
        return hit

    def _step(self, path: Path) -> bool:
        """:meth:`walk`'s answer for a short path: an ancestor's answer or key, else a flag on
        the schema nodes one step below the parent's (the root's own flags count for nothing)."""
        if not path:
            return False
        if self.sensitive(path[:-1]) or is_sensitive_key(path[-1]):
            return True
        nodes = self._nodes(path)
        return bool(nodes) and _flagged(nodes)

    def _nodes(self, path: Path) -> list[Mapping[str, Any]]:
        hit = self.reached.get(path)
        if hit is not None:
            return hit
        if not path:
            nodes = self.expand([self.schema]) if self.schema is not None else []
        else:
            nodes = self._below(self._nodes(path[:-1]), path[-1])
        return self.reached.put(path, nodes)

    def _below(self, nodes: list[Mapping[str, Any]], key: Any) -> list[Mapping[str, Any]]:
        """The expanded nodes that apply one step below ``nodes``, at ``key``."""
        if not nodes:
            return []
        if isinstance(key, int):
            return self.expand(_items(n, key) for n in nodes)
        return self.expand(sub for n in nodes for sub in _properties(n, key))

    def walk(self, path: Path) -> bool:
        """The uncached answer: key names, then the schema from the root down ``path``."""
        if any(is_sensitive_key(k) for k in path):
            return True
        if self.schema is None:
            return False
        nodes = self.expand([self.schema])
        for key in path:
            nodes = self._below(nodes, key)
            if not nodes:
                return False
            if _flagged(nodes):
                return True
        return False

    def expand(self, nodes: Iterable[Any]) -> list[Mapping[str, Any]]:
        """The nodes plus everything they pull in (``$ref``, combinators, conditionals,
        dependent schemas)."""
        out: list[Mapping[str, Any]] = []
        stack = [n for n in nodes if isinstance(n, Mapping)]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            out.append(node)
            stack.extend(self._pulled_in(node))
        return out

    def _pulled_in(self, node: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
        for key in ("$ref", "$dynamicRef"):
            ref = node.get(key)
            if isinstance(ref, str) and self.schema is not None:
                target = resolve_ref(self.schema, ref, self.names)
                if target is not None:
                    yield target
        for key in _APPLIERS:
            subs = node.get(key)
            if isinstance(subs, list):
                yield from (s for s in subs if isinstance(s, Mapping))
        yield from (node[key] for key in _CONDITIONAL if isinstance(node.get(key), Mapping))
        for key in ("dependentSchemas", "dependencies"):
            deps = node.get(key)
            if isinstance(deps, Mapping):
                yield from (s for s in deps.values() if isinstance(s, Mapping))


#: Bounds of the process-wide memos: at most MEMO_SCHEMAS schemas x MEMO_PATHS short paths.
MEMO_PATHS = 20_000
MEMO_SCHEMAS = 16
_MEMOS: Memo[int, SchemaMemo] = Memo(MEMO_SCHEMAS)


def schema_memo(schema: Mapping[str, Any] | None) -> SchemaMemo:
    """The shared memo of ``schema`` (by identity; a lost race only builds a second one)."""
    memo = _MEMOS.get(id(schema))
    if memo is None or memo.schema is not schema:
        memo = _MEMOS.put(id(schema), SchemaMemo(schema))
    return memo


__all__ = [
    "MEMO_PATHS", "MEMO_SCHEMAS", "REFERENCE_SUFFIXES", "SENSITIVE_KEYS", "SchemaMemo", "is_sensitive_key",
    "resolve_ref", "schema_memo", "schema_names",
]
