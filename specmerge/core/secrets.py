"""What counts as a secret, and the one way every output hides it (design.md §5).

A value is sensitive when

- its schema node (or an ancestor's) says ``"writeOnly": true`` or ``"x-sensitive": true``
  (the schema walk, and the key rule below, are :mod:`specmerge.core.sensitive`);
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

A redactor *learns* the secrets of a tree (:meth:`Redactor.learn`: a walk that copies
nothing) so that :meth:`Redactor.scrub` can hunt them in free text; the ``mask*`` methods
learn the same way, on the same walk (:meth:`Redactor._visit`) that builds their masked
copy, so a masked output and the scrubbing of text next to it never disagree. Rendered manifests are not scrubbed: they are rendered from
:meth:`Redactor.mask_for_render` (design.md §5, :func:`specmerge.pipeline.render_shown`).
Free text (an error, a log line, a schema message, the fallback render of a template that
refused a placeholder) is scrubbed of the sensitive strings the redactor has seen, in every
spelling :func:`spellings` lists - but only of strings of at least :data:`MIN_SCRUB_LEN`
characters that do not come from the chart's own defaults (``public``): a chart default is published in its values.yaml, and
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
from urllib.parse import quote, quote_plus

from .memo import Memo
from .paths import Path, to_dotted
from .sensitive import MEMO_SCHEMAS, SchemaMemo, is_sensitive_key, resolve_ref, schema_memo
from .text import canonical_json

#: Free text is scrubbed only of secrets at least this long (design.md §5).
MIN_SCRUB_LEN = 8

PLACEHOLDER = re.compile(r"<redacted hmac:[0-9a-f]{8}>")


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


def redact(value: Any) -> str:
    """``<redacted hmac:xxxxxxxx>`` for any JSON value (a YAML date is its ``str``): the HMAC
    is over the value's canonical JSON, so equal values have equal placeholders."""
    return f"<redacted hmac:{keyed_hexdigest(canonical_json(value, lenient=True).encode())[:8]}>"


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


# -- the redactor ---------------------------------------------------------------------------

#: Schema memos by schema (kept under this name: tests and benches look at it).
_memo = schema_memo
#: The public texts of a chart's values, per (values, schema): see :meth:`Redactor.publish`.
_PUBLIC: Memo[tuple[int, int], tuple[Any, Any, frozenset[str]]] = Memo(MEMO_SCHEMAS)


def _redacted(value: Any) -> Any:
    """A sensitive value wholesale: maps keep their keys, nulls stay, anything else (a list
    too) is one placeholder."""
    if isinstance(value, Mapping):
        return {k: _redacted(v) for k, v in value.items()}
    return None if value is None else redact(value)


def _placeholders(value: Any) -> Any:
    """A sensitive value as templates get it in the masked render: each string and number
    its placeholder; maps and lists keep their shape; ``""``, booleans and nulls stay (a
    template's ``if``/``default`` must take the same branch as with the real value)."""
    if isinstance(value, Mapping):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    if value is None or isinstance(value, bool) or value == "":
        return value
    return redact(value)


#: Leaf types a walk passes as they are (no ABC check for them: most leaves are these).
_SCALARS = frozenset({int, float, bool, type(None)})


class Redactor:
    """Masks sensitive values for output, by key name, schema annotation and shape, and
    scrubs the secrets it has learned from free text."""

    def __init__(self, schema: Mapping[str, Any] | None = None, *, reveal: bool = False) -> None:
        self.schema = schema
        self.reveal = reveal
        self._seen: set[str] = set()  # sensitive texts seen (scrubbed when long enough)
        self._public: set[str] = set()  # sensitive texts of the chart's defaults
        self._short: dict[Path, str] = {}  # sensitive texts too short to hunt in free text
        self._shape_paths: set[Path] = set()  # made sensitive by the tree's shape (env lists)
        self._memo: SchemaMemo = schema_memo(schema)

    def is_sensitive(self, path: Path) -> bool:
        """Whether the value at ``path`` (or an ancestor of it) is a secret: by key, by schema
        (answers remembered per schema object: :class:`~specmerge.core.sensitive.SchemaMemo`),
        or, for a tree this redactor has learned (or masked), by the env-list shape."""
        if self._shape_paths and any(path[:n] in self._shape_paths for n in range(len(path) + 1)):
            return True
        return self._memo.sensitive(path)

    def _walk(self, path: Path) -> bool:
        """The uncached schema walk (no memo, no shapes)."""
        return self._memo.walk(path)

    # -- learning ------------------------------------------------------------------
    def learn(self, tree: Any, base: Path = ()) -> None:
        """Remember the sensitive strings of ``tree`` (found at ``base``) so :meth:`scrub` can
        hide them, and its env-list shapes for :meth:`is_sensitive`: a walk, no copy. Given an
        effective spec (anything with ``with_controls`` and ``layers``), its ``chart`` layer's values
        are public: they are masked as values but not hunted for in free text."""
        full, layers = getattr(tree, "with_controls", None), getattr(tree, "layers", None)
        if full is not None and layers is not None:
            self._visit(full, base, None)
            self.publish_chart(layers)
        else:
            self._visit(tree, base, None)

    def _visit(self, tree: Any, base: Path, hide: Callable[[Any], Any] | None, reveal: bool = False) -> Any:
        """The one walk of a tree: it learns the tree's secrets and env-list shapes and, given
        ``hide``, returns a copy with ``hide`` applied to each sensitive subtree and URL
        passwords masked (nothing hidden when ``reveal``). Without ``hide`` it copies nothing.
        (Plain loops and exact-type checks first: it runs on every node of every render.)"""
        if self.is_sensitive(base):
            self._note(tree, base)
            return tree if hide is None or reveal else hide(tree)
        kind = type(tree)
        if kind is str:
            return self._text(tree, base, hide is not None and not reveal)
        if kind in _SCALARS:
            return tree
        if kind is dict or isinstance(tree, Mapping):
            if hide is None:
                for k, v in tree.items():
                    self._visit(v, base + (k,), None)
                return None
            return {k: self._visit(v, base + (k,), hide, reveal) for k, v in tree.items()}
        if kind is list or isinstance(tree, list):
            self._shape(tree, base)
            if hide is None:
                for i, v in enumerate(tree):
                    self._visit(v, base + (i,), None)
                return None
            return [self._visit(v, base + (i,), hide, reveal) for i, v in enumerate(tree)]
        if isinstance(tree, str):
            return self._text(tree, base, hide is not None and not reveal)
        return tree

    def _text(self, text: str, base: Path, hide: bool) -> str:
        """A string leaf of :meth:`_visit`: a URL's password is learned (and masked when ``hide``)."""
        password = url_password(text)
        if password is None:
            return text
        self._note(password, base)
        return mask_url(text) if hide else text

    def _note(self, value: Any, path: Path) -> None:
        """Remember each scalar text of a sensitive value, by its own path."""
        if isinstance(value, Mapping):
            for k, v in value.items():
                self._note(v, path + (k,))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._note(v, path + (i,))
        elif value is not None and not isinstance(value, bool):
            text = str(value)
            if len(text) >= MIN_SCRUB_LEN:
                self._seen.update(s for s in spellings(text) if len(s) >= MIN_SCRUB_LEN)
            elif text:
                self._short[path] = text

    def _shape(self, tree: list[Any], base: Path) -> None:
        """Mark the ``value`` of each ``{name: <sensitive word>, value}`` item sensitive."""
        for i, item in enumerate(tree):
            if isinstance(item, Mapping) and "value" in item and is_sensitive_key(item.get("name")):
                self._shape_paths.add(base + (i, "value"))

    # -- masking -------------------------------------------------------------------
    def mask(self, tree: Any, base: Path = ()) -> Any:
        """A copy of ``tree`` (found at ``base``) with every sensitive value redacted (shown as
        it is when ``reveal``). Learns ``tree`` on the way, as :meth:`learn` does."""
        return self._visit(tree, base, _redacted, self.reveal)

    def mask_value(self, value: Any, path: Path = ()) -> Any:
        """Redact ``value`` wholesale (it is known to be sensitive); maps keep their keys.
        Learns its texts."""
        self._note(value, path)
        return value if self.reveal else _redacted(value)

    def mask_for_render(self, tree: Any, base: Path = ()) -> Any:
        """The values a masked render is given (design.md §5): ``tree`` with each sensitive
        string or number replaced by its placeholder (see :func:`_placeholders`) and URL
        passwords by theirs. Not affected by ``reveal``. Learns ``tree`` on the way."""
        return self._visit(tree, base, _placeholders)

    # -- public texts and scrubbing ------------------------------------------------
    def publish_chart(self, layers: Iterable[Any]) -> None:
        """Declare the sensitive strings of the ``chart`` layers' values public."""
        for layer in layers:
            if getattr(layer, "name", None) == "chart":
                self.publish(layer.values)

    def publish(self, tree: Any) -> None:
        """Declare the sensitive strings of ``tree`` public (a chart's own defaults). A chart's
        values object is shared and never mutated: its answer is kept per (values, schema)."""
        key = (id(tree), id(self.schema))
        hit = _PUBLIC.get(key)
        if hit is None or hit[0] is not tree or hit[1] is not self.schema:
            probe = Redactor(self.schema)
            probe.learn(tree)
            hit = _PUBLIC.put(key, (tree, self.schema, frozenset(probe._seen | set(probe._short.values()))))
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


__all__ = [
    "MIN_SCRUB_LEN", "PLACEHOLDER", "Redactor", "is_sensitive_key", "keyed_hexdigest", "mask_url", "redact",
    "redaction_key", "resolve_ref", "scrub_tokens", "spellings", "url_password", "use_key_source",
]
