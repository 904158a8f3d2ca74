"""What counts as a secret, and the one way every output hides it (design.md §5).

A value is sensitive when its schema node (or an ancestor's) says ``"writeOnly": true``
or ``"x-sensitive": true``, or when a key on its path matches, case-insensitively as the
whole key or as its suffix, one of :data:`SENSITIVE_KEYS`. Everything under a sensitive
key is sensitive. A sensitive value prints as ``<redacted sha256:xxxxxxxx>`` (the first 8
hex digits of the SHA-256 of its canonical JSON), so a change stays visible while the value
does not. :class:`Redactor` is the only place that decides this; the CLI, the HTTP API,
logs, warnings, violations and error text all go through it, and only an explicit
``reveal=True`` (``--show-secrets`` / authorised ``?showSecrets=true``) turns it off.

Free text (an error from Helm, a schema message, a rendered manifest) is scrubbed of the
sensitive strings the redactor has seen, in every spelling :func:`spellings` lists (base64,
escaped, line by line). Strings shorter than :data:`MIN_SCRUB_LEN` are masked in structured
output but not hunted for in free text, where they would blank out unrelated words.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from .paths import Path, short

SENSITIVE_KEYS: tuple[str, ...] = (
    "password",
    "secret",
    "secretkey",
    "accesskey",
    "token",
    "apikey",
    "license",
    "privatekey",
    "credentials",
)
MIN_SCRUB_LEN = 4

#: Keys that end like a secret but hold the *name* of a Kubernetes Secret, never its data
#: (``existingSecret: platform-mysql``). Masking them would hide which Secret a site uses
#: and protect nothing; a schema can still mark one sensitive.
REFERENCE_SUFFIXES: tuple[str, ...] = ("existingsecret",)


def is_sensitive_key(key: object) -> bool:
    """``True`` for ``password``, ``mysqlPassword``, ``AWS_SECRET_ACCESS_KEY``-like keys."""
    if not isinstance(key, str):
        return False
    k = key.lower().replace("_", "").replace("-", "")
    if any(k.endswith(s) for s in REFERENCE_SUFFIXES):
        return False
    return any(k.endswith(s) for s in SENSITIVE_KEYS)


def spellings(secret: str) -> set[str]:
    """The ways a secret string shows up in text that :meth:`Redactor.scrub` must find: as is;
    base64-encoded (a chart's ``b64enc`` into a Secret); JSON- and YAML-escaped (quotes,
    backslashes, newlines as a template or a schema message writes them); each of its lines
    (a multi-line value in a block scalar); and, for a value with spaces, each run of 8 or
    more characters between them (YAML folds long strings at spaces)."""
    out = {secret, base64.b64encode(secret.encode()).decode(), json.dumps(secret)[1:-1], secret.replace("'", "''")}
    out.update(line.strip() for line in secret.splitlines())
    if " " in secret:
        out.update(part for part in secret.split() if len(part) >= 8)
    return out


def redact(value: Any) -> str:
    """``<redacted sha256:xxxxxxxx>`` for any JSON value."""
    canon = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return f"<redacted sha256:{hashlib.sha256(canon.encode()).hexdigest()[:8]}>"


def _resolve_ref(root: Mapping[str, Any], ref: str) -> Mapping[str, Any] | None:
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in ref[1:].lstrip("/").split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Mapping) else None


class _Memo:
    """``path -> sensitive`` for one schema object. A loaded chart's schema is shared and never
    mutated (charts are cached by digest), so an answer stays true; the memo holds the schema
    so its ``id`` is not reused while the memo lives, and starts again when it holds
    :data:`_MEMO_PATHS` short paths (list indexes and request keys make the path space
    unbounded: a memo that stopped growing would stay full of one request's paths). Bounded by count: at most 16 schemas x 20,000 paths of <= 32 keys
    and <= 256 characters (tens of MB at worst)."""

    __slots__ = ("schema", "answers")

    def __init__(self, schema: Mapping[str, Any] | None) -> None:
        self.schema = schema
        self.answers: dict[Path, bool] = {}

    def remember(self, path: Path, answer: bool) -> None:
        if short(path):  # long keys are not kept: see paths.short
            if len(self.answers) >= _MEMO_PATHS:  # full: start again, never stay full (core.memo)
                self.answers.clear()
            self.answers[path] = answer


_MEMO_PATHS = 20_000
_MEMO_SCHEMAS = 16
_MEMOS: dict[int, _Memo] = {}
_MEMO_LOCK = threading.Lock()


def _memo(schema: Mapping[str, Any] | None) -> _Memo:
    with _MEMO_LOCK:
        memo = _MEMOS.get(id(schema))
        if memo is None or memo.schema is not schema:
            if len(_MEMOS) >= _MEMO_SCHEMAS:
                _MEMOS.clear()
            memo = _MEMOS[id(schema)] = _Memo(schema)
        return memo


class Redactor:
    """Masks sensitive values for output, by key name and by schema annotation."""

    def __init__(self, schema: Mapping[str, Any] | None = None, *, reveal: bool = False) -> None:
        self.schema = schema
        self.reveal = reveal
        self._seen: set[str] = set()
        self._memo = _memo(schema)

    # -- schema walk ---------------------------------------------------------------
    def _expand(self, nodes: Iterable[Any]) -> list[Mapping[str, Any]]:
        """The nodes plus everything they pull in through $ref/allOf/anyOf/oneOf."""
        out: list[Mapping[str, Any]] = []
        stack = [n for n in nodes if isinstance(n, Mapping)]
        seen: set[int] = set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            out.append(node)
            ref = node.get("$ref")
            if isinstance(ref, str) and self.schema is not None:
                target = _resolve_ref(self.schema, ref)
                if target is not None:
                    stack.append(target)
            for key in ("allOf", "anyOf", "oneOf"):
                subs = node.get(key)
                if isinstance(subs, list):
                    stack.extend(s for s in subs if isinstance(s, Mapping))
            for key in ("then", "else"):
                if isinstance(node.get(key), Mapping):
                    stack.append(node[key])
        return out

    def _children(self, nodes: list[Mapping[str, Any]], key: str | int) -> list[Mapping[str, Any]]:
        out: list[Any] = []
        for node in nodes:
            if isinstance(key, int):
                prefix = node.get("prefixItems")
                if isinstance(prefix, list) and key < len(prefix):
                    out.append(prefix[key])
                elif isinstance(node.get("items"), Mapping):
                    out.append(node["items"])
                continue
            props = node.get("properties")
            if isinstance(props, Mapping) and key in props:
                out.append(props[key])
                continue
            matched = False
            pats = node.get("patternProperties")
            if isinstance(pats, Mapping):
                for pat, sub in pats.items():
                    try:
                        if re.search(pat, key):
                            out.append(sub)
                            matched = True
                    except re.error:
                        continue
            if not matched and isinstance(node.get("additionalProperties"), Mapping):
                out.append(node["additionalProperties"])
        return self._expand(out)

    @staticmethod
    def _flagged(nodes: list[Mapping[str, Any]]) -> bool:
        return any(n.get("writeOnly") is True or n.get("x-sensitive") is True for n in nodes)

    def is_sensitive(self, path: Path) -> bool:
        """Whether the value at ``path`` (or an ancestor of it) is a secret.

        Answers are remembered per schema object (see :class:`_Memo`): a preview asks about
        every leaf several times, and the schema walk from the root was most of its cost.
        """
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
    def _note(self, value: Any) -> None:
        if isinstance(value, Mapping):
            for v in value.values():
                self._note(v)
        elif isinstance(value, list):
            for v in value:
                self._note(v)
        elif value is not None and not isinstance(value, bool):
            text = str(value)
            if len(text) >= MIN_SCRUB_LEN:
                self._seen.update(s for s in spellings(text) if len(s) >= MIN_SCRUB_LEN)

    def mask_value(self, value: Any) -> Any:
        """Redact ``value`` wholesale (it is known to be sensitive); maps keep their keys."""
        self._note(value)
        if self.reveal:
            return value
        if isinstance(value, Mapping):
            return {k: self.mask_value(v) for k, v in value.items()}
        if value is None:
            return None
        return redact(value)

    def mask(self, tree: Any, base: Path = ()) -> Any:
        """A copy of ``tree`` (found at ``base``) with every sensitive value redacted."""
        if self.is_sensitive(base):
            return self.mask_value(tree)
        if isinstance(tree, Mapping):
            return {k: self.mask(v, base + (k,)) for k, v in tree.items()}
        if isinstance(tree, list):
            return [self.mask(v, base + (i,)) for i, v in enumerate(tree)]
        return tree

    def learn(self, tree: Any, base: Path = ()) -> None:
        """Remember the sensitive strings of ``tree`` so :meth:`scrub` can hide them."""
        self.mask(tree, base)

    def scrub(self, text: str) -> str:
        """``text`` with every sensitive string this redactor has seen replaced."""
        if self.reveal or not self._seen:
            return text
        for secret in sorted(self._seen, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, redact(secret))
        return text
