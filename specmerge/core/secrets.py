"""What counts as a secret, and the one way every output hides it (design.md §5).

A value is sensitive when

- its schema node (or an ancestor's) says ``"writeOnly": true`` or ``"x-sensitive": true``
  (the walk follows ``$ref`` - JSON Pointers, percent-encoded or not, ``$anchor``/``$id``
  names - ``allOf``/``anyOf``/``oneOf``, ``if``/``then``/``else``, ``dependentSchemas`` and
  draft-07 ``dependencies``, ``properties`` *and* every matching ``patternProperties``,
  ``prefixItems`` and tuple ``items``/``additionalItems``);
- a key on its path matches :func:`is_sensitive_key` (``password``, ``passwd``, ``pwd``,
  ``passphrase``, ``secret(s)``, ``token(s)``, ``credential(s)``, ``license``/``licenseKey``,
  ``privateKeyPem``, ``tls.key`` ...: whole key, suffix or plural, case and ``_``/``-``
  ignored);
- it is the ``value`` of a ``{name, value}`` list item whose ``name`` is such a word (the
  Kubernetes env-var shape: ``{name: AWS_SECRET_ACCESS_KEY, value: ...}``);
- or it is the password of a URL (``redis://:pw@host``): only that part is hidden.

Everything under a sensitive key is sensitive. A sensitive value prints as
``<redacted hmac:xxxxxxxx>``: the first 8 hex digits of an HMAC-SHA256 of its canonical
JSON, keyed per installation (:func:`redaction_key`, see :mod:`specmerge.keys`), so a
change stays visible but a reader cannot test guesses offline. :class:`Redactor` is the only
place that decides this; the CLI, the HTTP API, logs, warnings, violations and error text
all go through it, and only an explicit ``reveal=True`` (``--show-secrets`` / authorised
``?showSecrets=true``) turns it off.

Rendered manifests are not scrubbed: they are rendered from :meth:`Redactor.mask_for_render`
(design.md §5, :func:`specmerge.pipeline.render_shown`). Free text (an error, a log line, a
schema message, the fallback render of a template that refused a placeholder) is scrubbed
of the sensitive strings the redactor has seen, in every spelling :func:`spellings` lists -
but only of strings of at least :data:`MIN_SCRUB_LEN` characters that do not come from the
chart's own defaults (``public``): a chart default is published in its values.yaml, and
hunting a short or common word ("admin", the product's name) corrupts unrelated text. Such
a short secret is still masked wherever it is a value, and :meth:`Redactor.weak` lists it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote

from .paths import Path, short, to_dotted

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
#: Free text is scrubbed only of secrets at least this long (design.md §5).
MIN_SCRUB_LEN = 8

#: Keys that end like a secret but hold the *name* of a Kubernetes Secret, never its data
#: (``existingSecret: platform-mysql``, ``imagePullSecrets: [{name: regcred}]``). Masking them
#: would hide which Secret a site uses and protect nothing; a schema can still mark one.
REFERENCE_SUFFIXES: tuple[str, ...] = ("existingsecret", "pullsecret", "pullsecrets")

PLACEHOLDER = re.compile(r"<redacted hmac:[0-9a-f]{8}>")


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
    return any(k.endswith(s) or k.endswith(s + "s") for s in SENSITIVE_KEYS)


# -- the per-installation key ---------------------------------------------------------------

KeySource = Callable[[], bytes]
_KEY_LOCK = threading.Lock()
_key: bytes | None = None
_key_source: KeySource | None = None


def use_key_source(source: KeySource | None) -> None:
    """Where :func:`redaction_key` comes from (a file, a Kubernetes Secret); ``None``: the
    default of :mod:`specmerge.keys`. The key is read once, on first use."""
    global _key, _key_source
    with _KEY_LOCK:
        _key_source, _key = source, None


def redaction_key() -> bytes:
    """The installation's key for placeholders and digests that cover secrets."""
    global _key
    with _KEY_LOCK:
        if _key is None:
            if _key_source is None:
                from ..keys import default_key_source  # I/O lives at the edge

                _key = default_key_source()()
            else:
                _key = _key_source()
        return _key


def keyed_hexdigest(data: bytes) -> str:
    """HMAC-SHA256 of ``data`` with the installation key, in hex: for ETags and digests
    over documents that hold secrets."""
    return hmac.new(redaction_key(), data, hashlib.sha256).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def redact(value: Any) -> str:
    """``<redacted hmac:xxxxxxxx>`` for any JSON value (a YAML date is its ``str``)."""
    return f"<redacted hmac:{keyed_hexdigest(canonical_json(value).encode())[:8]}>"


# -- spellings and scrubbing ------------------------------------------------------------------

def _go_json(text: str) -> str:
    """``text`` as Go's ``json.Marshal`` (Helm's ``toJson``) writes it, without the quotes."""
    out = json.dumps(text, ensure_ascii=False)[1:-1]
    return out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.lru_cache(maxsize=4096)
def spellings(secret: str) -> frozenset[str]:
    """The ways a secret string shows up in text that :meth:`Redactor.scrub` must find: as is;
    base64-encoded (``b64enc``); JSON-escaped (Python's and Go's ``toJson``), YAML
    single-quoted, URL-quoted (``urlquery``, ``%``-escapes); each of its lines (a multi-line
    value in a block scalar); and, for a value with spaces, each run of 8 or more characters
    between them (YAML folds long strings at spaces)."""
    out = {secret, base64.b64encode(secret.encode()).decode(), json.dumps(secret)[1:-1], _go_json(secret),
           secret.replace("'", "''"), quote_plus(secret), quote(secret, safe="")}
    out.update(line.strip() for line in secret.splitlines())
    if " " in secret:
        out.update(part for part in secret.split() if len(part) >= MIN_SCRUB_LEN)
    return frozenset(out)


_WORD = re.compile(r"\w")


def scrub_tokens(text: str, values: Iterable[str], replacement: str) -> str:
    """``text`` with each of ``values`` (in every :func:`spellings` form) replaced where it is
    not part of a longer word: a one-letter value ``x`` must not turn ``index`` into
    ``inde<value>``. Longest spellings first."""
    spelled = {s for v in values if v for s in spellings(v) if s}
    for s in sorted(spelled, key=len, reverse=True):
        if s not in text:
            continue
        left = r"(?<!\w)" if _WORD.match(s[0]) else ""
        right = r"(?!\w)" if _WORD.match(s[-1]) else ""
        text = re.sub(left + re.escape(s) + right, lambda _m: replacement, text)
    return text


# -- URLs with passwords ------------------------------------------------------------------------

_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)([^/?#\s]+)(@)")


def url_password(text: str) -> str | None:
    """The password part of ``scheme://user:password@host...``, or ``None``. (A placeholder
    has a space, so a masked URL has no password to find: masking is idempotent.)"""
    m = _URL_PASSWORD.match(text)
    return m.group(2) if m else None


def mask_url(text: str) -> str:
    """``text`` with a URL's password replaced by its placeholder (unchanged if none)."""
    m = _URL_PASSWORD.match(text)
    if m is None:
        return text
    return m.group(1) + redact(m.group(2)) + m.group(3) + text[m.end():]


# -- the schema walk -----------------------------------------------------------------------------

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


def _names(schema: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
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
    names = _names(root) if names is None else names
    if ref in names:
        return names[ref]
    base, _, fragment = ref.partition("#")
    node: Mapping[str, Any] | None = root if not base else names.get(base)
    if node is None:
        return None
    if fragment and not fragment.startswith("/"):
        return names.get("#" + unquote(fragment))
    return _pointer(node, fragment)


_APPLIERS = ("allOf", "anyOf", "oneOf")
_CONDITIONAL = ("if", "then", "else")


class _Memo:
    """``path -> sensitive`` for one schema object, and the schema's ``$id``/anchor names. A
    loaded chart's schema is shared and never mutated (charts are cached by digest), so an
    answer stays true; the memo holds the schema so its ``id`` is not reused while the memo
    lives, and starts again when it holds :data:`_MEMO_PATHS` short paths (list indexes and
    request keys make the path space unbounded: a memo that stopped growing would stay full of
    one request's paths). Bounded by count: at most 16 schemas x 20,000 paths of <= 32 keys
    and <= 256 characters."""

    __slots__ = ("schema", "answers", "names")

    def __init__(self, schema: Mapping[str, Any] | None) -> None:
        self.schema = schema
        self.answers: dict[Path, bool] = {}
        self.names = _names(schema)

    def remember(self, path: Path, answer: bool) -> None:
        if short(path):  # long keys are not kept: see paths.short
            if len(self.answers) >= _MEMO_PATHS:  # full: start again, never stay full (core.memo)
                self.answers.clear()
            self.answers[path] = answer


_MEMO_PATHS = 20_000
_MEMO_SCHEMAS = 16
_MEMOS: dict[int, _Memo] = {}
_MEMO_LOCK = threading.Lock()
_PUBLIC: dict[tuple[int, int], tuple[Any, Any, frozenset[str]]] = {}  # see Redactor.publish


def _memo(schema: Mapping[str, Any] | None) -> _Memo:
    with _MEMO_LOCK:
        memo = _MEMOS.get(id(schema))
        if memo is None or memo.schema is not schema:
            if len(_MEMOS) >= _MEMO_SCHEMAS:
                _MEMOS.clear()
            memo = _MEMOS[id(schema)] = _Memo(schema)
        return memo


def _texts(value: Any) -> Iterable[str]:
    """The scalar texts of a sensitive value (what free text could quote)."""
    if isinstance(value, Mapping):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


class Redactor:
    """Masks sensitive values for output, by key name, schema annotation and shape."""

    def __init__(self, schema: Mapping[str, Any] | None = None, *, reveal: bool = False) -> None:
        self.schema = schema
        self.reveal = reveal
        self._seen: set[str] = set()  # sensitive texts seen (scrubbed when long enough)
        self._public: set[str] = set()  # sensitive texts of the chart's defaults
        self._short: dict[Path, str] = {}  # sensitive texts too short to hunt in free text
        self._shape_paths: set[Path] = set()  # made sensitive by the tree's shape (env lists)
        self._memo = _memo(schema)

    # -- schema walk ---------------------------------------------------------------
    def _expand(self, nodes: Iterable[Any]) -> list[Mapping[str, Any]]:
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
            for key in ("$ref", "$dynamicRef"):
                ref = node.get(key)
                if isinstance(ref, str) and self.schema is not None:
                    target = resolve_ref(self.schema, ref, self._memo.names)
                    if target is not None:
                        stack.append(target)
            for key in _APPLIERS:
                subs = node.get(key)
                if isinstance(subs, list):
                    stack.extend(s for s in subs if isinstance(s, Mapping))
            stack.extend(node[key] for key in _CONDITIONAL if isinstance(node.get(key), Mapping))
            for key in ("dependentSchemas", "dependencies"):
                deps = node.get(key)
                if isinstance(deps, Mapping):
                    stack.extend(s for s in deps.values() if isinstance(s, Mapping))
        return out

    @staticmethod
    def _items(node: Mapping[str, Any], index: int) -> Any:
        prefix = node.get("prefixItems")
        items = node.get("items")
        if isinstance(prefix, list):
            return prefix[index] if index < len(prefix) else items
        if isinstance(items, list):  # draft-07 tuple form
            return items[index] if index < len(items) else node.get("additionalItems")
        return items if items is not None else node.get("unevaluatedItems")

    def _children(self, nodes: list[Mapping[str, Any]], key: str | int) -> list[Mapping[str, Any]]:
        out: list[Any] = []
        for node in nodes:
            if isinstance(key, int):
                out.append(self._items(node, key))
                continue
            matched = False
            props = node.get("properties")
            if isinstance(props, Mapping) and key in props:
                out.append(props[key])
                matched = True
            pats = node.get("patternProperties")
            if isinstance(pats, Mapping):
                for pat, sub in pats.items():
                    try:
                        if re.search(pat, key):
                            out.append(sub)
                            matched = True
                    except re.error:
                        continue
            if not matched:
                extra = node.get("additionalProperties")
                out.append(extra if extra is not None else node.get("unevaluatedProperties"))
        return self._expand(out)

    @staticmethod
    def _flagged(nodes: list[Mapping[str, Any]]) -> bool:
        return any(n.get("writeOnly") is True or n.get("x-sensitive") is True for n in nodes)

    def is_sensitive(self, path: Path) -> bool:
        """Whether the value at ``path`` (or an ancestor of it) is a secret: by key, by schema,
        or (for a tree this redactor has masked or learned) by the env-list shape.

        Answers are remembered per schema object (see :class:`_Memo`): a preview asks about
        every leaf several times, and the schema walk from the root was most of its cost.
        """
        if self._shape_paths and any(path[:n] in self._shape_paths for n in range(len(path) + 1)):
            return True
        hit = self._memo.answers.get(path)
        if hit is None:
            hit = self._walk(path)
            self._memo.remember(path, hit)
        return hit

    def _walk(self, path: Path) -> bool:
        if any(is_sensitive_key(k) for k in path):
            return True
        if self.schema is None:
            return False
        nodes = self._expand([self.schema])
        for key in path:
            nodes = self._children(nodes, key)
            if not nodes:
                return False
            if self._flagged(nodes):
                return True
        return False

    # -- masking -------------------------------------------------------------------
    def _note(self, value: Any, path: Path = ()) -> None:
        for text in _texts(value):
            if len(text) >= MIN_SCRUB_LEN:
                self._seen.update(s for s in spellings(text) if len(s) >= MIN_SCRUB_LEN)
            elif text:
                self._short[path] = text

    def mask_value(self, value: Any, path: Path = ()) -> Any:
        """Redact ``value`` wholesale (it is known to be sensitive); maps keep their keys."""
        self._note(value, path)
        if self.reveal:
            return value
        if isinstance(value, Mapping):
            return {k: self.mask_value(v, path + (k,)) for k, v in value.items()}
        if value is None:
            return None
        return redact(value)

    def _render_value(self, value: Any, path: Path) -> Any:
        """A sensitive value as templates get it in the masked render: each string and number
        its placeholder; maps and lists keep their shape; ``""``, booleans and nulls stay (a
        template's ``if``/``default`` must take the same branch as with the real value)."""
        if isinstance(value, Mapping):
            return {k: self._render_value(v, path + (k,)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render_value(v, path + (i,)) for i, v in enumerate(value)]
        self._note(value, path)
        if value is None or isinstance(value, bool) or value == "":
            return value
        return redact(value)

    def _shape(self, tree: list[Any], base: Path) -> None:
        """Mark the ``value`` of each ``{name: <sensitive word>, value}`` item sensitive."""
        for i, item in enumerate(tree):
            if isinstance(item, Mapping) and "value" in item and is_sensitive_key(item.get("name")):
                self._shape_paths.add(base + (i, "value"))

    def _walk_tree(self, tree: Any, base: Path, leaf: Callable[[Any, Path], Any]) -> Any:
        if self.is_sensitive(base):
            return leaf(tree, base)
        if isinstance(tree, Mapping):
            return {k: self._walk_tree(v, base + (k,), leaf) for k, v in tree.items()}
        if isinstance(tree, list):
            self._shape(tree, base)
            return [self._walk_tree(v, base + (i,), leaf) for i, v in enumerate(tree)]
        if isinstance(tree, str):
            password = url_password(tree)
            if password is not None:
                self._note(password, base)
                return tree if self.reveal else mask_url(tree)
        return tree

    def mask(self, tree: Any, base: Path = ()) -> Any:
        """A copy of ``tree`` (found at ``base``) with every sensitive value redacted."""
        return self._walk_tree(tree, base, self.mask_value)

    def mask_for_render(self, tree: Any, base: Path = ()) -> Any:
        """The values a masked render is given (design.md §5): ``tree`` with each sensitive
        string or number replaced by its placeholder (see :meth:`_render_value`) and URL
        passwords by theirs. Not affected by ``reveal``."""
        reveal, self.reveal = self.reveal, False
        try:
            return self._walk_tree(tree, base, self._render_value)
        finally:
            self.reveal = reveal

    def learn(self, tree: Any, base: Path = ()) -> None:
        """Remember the sensitive strings of ``tree`` so :meth:`scrub` can hide them. Given an
        effective spec (anything with ``full`` and ``layers``), its ``chart`` layer's values
        are public: they are masked as values but not hunted for in free text."""
        full, layers = getattr(tree, "full", None), getattr(tree, "layers", None)
        if full is not None and layers is not None:
            self.learn(full, base)
            self.publish_chart(layers)
            return
        self._walk_tree(tree, base, lambda v, p: self._note(v, p))

    def publish_chart(self, layers: Iterable[Any]) -> None:
        """Declare the sensitive strings of the ``chart`` layers' values public."""
        for layer in layers:
            if getattr(layer, "name", None) == "chart":
                self.publish(layer.values)

    def publish(self, tree: Any) -> None:
        """Declare the sensitive strings of ``tree`` public (a chart's own defaults). A chart's
        values object is shared and never mutated: its answer is kept per (values, schema)."""
        key = (id(tree), id(self.schema))
        with _MEMO_LOCK:
            hit = _PUBLIC.get(key)
        if hit is None or hit[0] is not tree or hit[1] is not self.schema:
            probe = Redactor(self.schema)
            probe.learn(tree)
            hit = (tree, self.schema, frozenset(probe._seen | set(probe._short.values())))
            with _MEMO_LOCK:
                if len(_PUBLIC) >= _MEMO_SCHEMAS:
                    _PUBLIC.clear()
                _PUBLIC[key] = hit
        self._public.update(hit[2])

    def weak(self) -> list[str]:
        """Dotted paths of sensitive values (not chart defaults) shorter than
        :data:`MIN_SCRUB_LEN`: masked as values, but not hunted for in free text."""
        return sorted({to_dotted(p) for p, text in self._short.items() if text not in self._public})

    def weak_warnings(self) -> list[str]:
        return [f"the secret at {p} is shorter than {MIN_SCRUB_LEN} characters (weak): it is masked as a "
                f"value but not searched for in error text" for p in self.weak()]

    def scrub(self, text: str) -> str:
        """``text`` with every (non-public) sensitive string this redactor has seen replaced."""
        if self.reveal or not self._seen:
            return text
        for secret in sorted(self._seen - self._public, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, redact(secret))
        return text
