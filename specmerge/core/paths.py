"""Paths into a values tree, and their two spellings.

A path is a tuple of map keys (``str``) and list indexes (``int``). Machine output spells
it as a JSON Pointer (RFC 6901: ``/global/mysql/host``, ``/app/env/2``); people read the
dotted form (``global.mysql.host``, ``app.env[2]``). Keys that contain ``.``, ``[``, ``]``
or ``"`` are quoted in the dotted form (``annotations["a.b/c"]``) so it parses back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from .memo import Memo

Key: TypeAlias = str | int
Path: TypeAlias = tuple[Key, ...]

_MISSING = object()


#: Paths whose keys add up to more characters than this are spelled afresh, not remembered:
#: the caches below hold what requests send, and must not let a client pin memory with long keys.
CACHE_PATH_CHARS = 256


def short(path: Path) -> bool:
    """Whether ``path`` is small enough to keep in a cache (see :data:`CACHE_PATH_CHARS`)."""
    return len(path) <= 32 and sum(len(k) if isinstance(k, str) else 8 for k in path) <= CACHE_PATH_CHARS


# Both spellings are pure functions of a (hashable) path, and a service spells the same
# chart's paths on every request: remembered, they cost a dict lookup. Only short paths are
# kept, at most _SPELLINGS of each; a full memo starts again (core.memo), so a request with a
# huge list cannot leave it full of its own paths for good.
_SPELLINGS = 1 << 14
_POINTERS: Memo[Path, str] = Memo(_SPELLINGS)
_DOTTED: Memo[Path, str] = Memo(_SPELLINGS)


def _remembered(table: Memo[Path, str], path: Path, spell: Callable[[Path], str]) -> str:
    hit = table.get(path)
    if hit is None:
        hit = spell(path)
        if short(path):
            table.put(path, hit)
    return hit


def to_pointer(path: Path) -> str:
    """``("a", "b/c", 0)`` -> ``/a/b~1c/0``; the root is ``""``."""
    return _remembered(_POINTERS, path, _pointer)


def to_dotted(path: Path) -> str:
    """``("global", "mysql", "host")`` -> ``global.mysql.host``; ``("app","env",2)`` -> ``app.env[2]``."""
    return _remembered(_DOTTED, path, _dotted)


def _pointer(path: Path) -> str:
    return "".join("/" + str(k).replace("~", "~0").replace("/", "~1") for k in path)


def from_pointer(pointer: str) -> Path:
    """Parse a JSON Pointer. Segments made only of digits become list indexes.

    A values map may have a key like ``"0"``; callers that need to tell the two apart
    resolve against a tree with :func:`resolve_pointer`.
    """
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON Pointer must start with '/': {pointer!r}")
    out: list[Key] = []
    for raw in pointer[1:].split("/"):
        seg = raw.replace("~1", "/").replace("~0", "~")
        out.append(int(seg) if seg.isdigit() and (seg == "0" or not seg.startswith("0")) else seg)
    return tuple(out)


def resolve_pointer(tree: Any, pointer: str) -> Path:
    """Parse ``pointer`` against ``tree``: a digit segment is an index only inside a list."""
    path: list[Key] = []
    node = tree
    for seg in from_pointer(pointer):
        if isinstance(node, list) and isinstance(seg, int):
            path.append(seg)
            node = node[seg] if seg < len(node) else None
        else:
            key = str(seg)
            path.append(key)
            node = node.get(key) if isinstance(node, Mapping) else None
    return tuple(path)


_PLAIN = re.compile(r"^[^.\[\]\"]+$")


def _dotted(path: Path) -> str:
    parts: list[str] = []
    for k in path:
        if isinstance(k, int):
            parts.append(f"[{k}]")
        elif _PLAIN.match(k):
            parts.append(("." if parts else "") + k)
        else:
            parts.append('["' + k.replace("\\", "\\\\").replace('"', '\\"') + '"]')
    return "".join(parts) or "."


_TOKEN = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def from_dotted(text: str) -> Path:
    """Inverse of :func:`to_dotted`; ``.`` (or empty) is the root. Accepts a JSON Pointer too."""
    if text in ("", "."):
        return ()
    if text.startswith("/"):
        return from_pointer(text)
    out: list[Key] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse path {text!r} at character {pos + 1}")
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(int(m.group(2)))
        else:
            out.append(re.sub(r"\\(.)", r"\1", m.group(3)))
        pos = m.end()
    return tuple(out)


def get_at(tree: Any, path: Path, default: Any = _MISSING) -> Any:
    """The node at ``path``; ``default`` (or KeyError) when a step is missing."""
    node = tree
    for k in path:
        if isinstance(k, int) and isinstance(node, list) and 0 <= k < len(node):
            node = node[k]
        elif isinstance(k, str) and isinstance(node, Mapping) and k in node:
            node = node[k]
        else:
            if default is _MISSING:
                raise KeyError(to_dotted(path))
            return default
    return node
