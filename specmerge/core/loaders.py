"""Turning text into layers: YAML and JSON files.

YAML is read the way Helm reads it (YAML 1.1 through go-yaml v2): ``yes``/``on`` are
booleans, ``0123`` is octal, timestamps stay strings. The fast path uses ruamel.yaml's C
loader (``_ruamel_yaml`` from ruamel.yaml.clib, a declared dependency; without it every read
is about 6x slower, and stderr says so once per process); line and column per key come from
a round-trip parse that runs lazily, only when an error or ``explain`` asks for a position
(see :class:`specmerge.core.layer.Positions`).

Helm's ``-f``/``--set*`` composition (one map, the flags applied into it) lives in
:mod:`specmerge.core.setflags`.

Bad input raises :class:`LayerInputError`, which names the source and, where it has one,
the line: invalid YAML, duplicate or non-string keys, several documents where one is
expected, a top level that is not a map, alias expansion past a cap (an alias bomb),
nesting deeper than :data:`MAX_DEPTH`, a file over :data:`MAX_BYTES`.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ..errors import InputError
from .layer import Layer, Position, Positions
from .merge import _copy, type_name
from .paths import Path, to_dotted, to_pointer

MAX_BYTES = 16 * 1024 * 1024
#: The one nesting limit (maps and lists) for every input: files, --set-json, request bodies,
#: and values that arrive already parsed (a CR from the apiserver, see :func:`too_deep`).
#: Well inside what the validator, the YAML reader and Helm handle.
MAX_DEPTH = 200
MAX_EXPANDED_NODES = 1_000_000


class LayerInputError(InputError, ValueError):
    """Input that cannot become a layer. ``str()`` is ``source[:line[:col]]: message``."""

    def __init__(self, source: str, message: str, line: int | None = None, col: int | None = None):
        self.source, self.reason, self.line, self.col = source, message, line, col
        where = source if line is None else f"{source}:{line}" + (f":{col}" if col else "")
        super().__init__(f"{where}: {message}")


class TooDeep(LayerInputError):
    """Input nested deeper than :data:`MAX_DEPTH` (a request gets 422, the CLI exit 2)."""

    def __init__(self, source: str, line: int | None = None, col: int | None = None):
        super().__init__(source, TOO_DEEP, line, col)


TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"


def too_deep(values: Any) -> Path | None:
    """The path of the first value nested deeper than :data:`MAX_DEPTH` in already-parsed
    values, or ``None``. Iterative: it cannot itself hit Python's recursion limit."""
    stack: list[tuple[Path, Any]] = [((), values)]
    while stack:
        path, node = stack.pop()
        if len(path) > MAX_DEPTH:
            return path
        items = node.items() if isinstance(node, Mapping) else enumerate(node) if isinstance(node, list) else ()
        last = len(path) == MAX_DEPTH  # any child of this node is one level too deep
        stack.extend((path + (k,), v) for k, v in items if last or isinstance(v, (Mapping, list)))
    return None


def _timestamp_as_text(constructor: Any, node: Any) -> str:
    return str(constructor.construct_scalar(node))


@functools.cache
def _note_pure_loader() -> None:
    print(
        "specmerge: ruamel.yaml's C loader (_ruamel_yaml, package ruamel.yaml.clib) is not installed: "
        "YAML is read by the pure-Python loader, several times slower",
        file=sys.stderr,
    )


def c_loader_available() -> bool:
    """Whether ruamel.yaml reads with its C (libyaml) parser here."""
    return YAML(typ="safe").Parser.__name__ == "CParser"


def _yaml(typ: str) -> YAML:
    y = YAML(typ=typ)
    if typ == "safe" and y.Parser.__name__ != "CParser":
        _note_pure_loader()
    y.version = (1, 1)
    y.allow_duplicate_keys = False
    y.constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
    return y


def load_yaml_1_1(text: str) -> Any:
    """One YAML document read as Helm's go-yaml reads it (YAML 1.1: ``0400`` is octal, ``yes``
    a boolean; timestamps stay text), without the layer checks: for rendered manifests.
    Raises ruamel's ``YAMLError`` (duplicate keys included)."""
    return _yaml("safe").load(text)


def _positions_of(text: str) -> dict[Path, Position]:
    """Line/column (1-based) of every key and list item, from a round-trip parse."""
    try:
        doc = _yaml("rt").load(text)
    except (YAMLError, RecursionError):
        return {}
    table: dict[Path, Position] = {}
    stack: list[tuple[Path, Any]] = [((), doc)]
    seen: set[int] = set()  # an alias is positioned at its anchor; never walk it twice
    while stack:
        path, node = stack.pop()
        if isinstance(node, (Mapping, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
        lc = getattr(node, "lc", None)
        if isinstance(node, Mapping):
            for k, v in node.items():
                if lc is not None:
                    line, col = lc.key(k)
                    table[path + (k,)] = (line + 1, col + 1)
                stack.append((path + (k,), v))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if lc is not None:
                    line, col = lc.item(i)
                    table[path + (i,)] = (line + 1, col + 1)
                stack.append((path + (i,), v))
    return table


class _Expansion:
    """The checks of one loaded document, made before anything is copied: string keys, depth,
    no value containing itself, and alias expansion under :data:`MAX_EXPANDED_NODES`.

    Sizes are counted with memoisation by identity, so an alias bomb (a few lines that
    expand to billions of nodes) is refused in time proportional to its text."""

    __slots__ = ("source", "text", "sizes", "active")

    def __init__(self, source: str, text: str | None) -> None:
        self.source, self.text = source, text
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()  # the nodes on the current path (a cycle is an error)

    def where(self, path: Path) -> tuple[int | None, int | None]:
        text = self.text
        pos = Positions(compute=lambda: _positions_of(text)).find(path) if text else None
        return (pos[1][0], pos[1][1]) if pos else (None, None)

    def size(self, node: Any, path: Path, depth: int) -> int:
        """Nodes in ``node`` once every alias is expanded; raises on the first problem."""
        if depth > MAX_DEPTH:
            raise TooDeep(self.source, *self.where(path))
        if not isinstance(node, (Mapping, list)):
            return 1
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in self.active:
            raise self.error(f"recursive alias at {to_dotted(path)}: a value contains itself", path)
        self.active.add(key)
        total = 1 + sum(self.size(v, path + (k,), depth + 1) for k, v in self.children(node, path))
        self.active.discard(key)
        self.sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            raise self.error(f"alias expansion at {to_dotted(path)} exceeds {MAX_EXPANDED_NODES} nodes (an alias bomb?)", path)
        return total

    def children(self, node: Mapping[Any, Any] | list[Any], path: Path) -> Iterator[tuple[Any, Any]]:
        if isinstance(node, list):
            yield from enumerate(node)
            return
        for k, v in node.items():
            if not isinstance(k, str):
                raise self.error(
                    f"key {k!r} under {to_dotted(path)} is read as {type_name(k)} "
                    "(YAML 1.1, as Helm reads it); values keys must be strings: quote it",
                    path + (k,),
                )
            yield k, v

    def error(self, message: str, path: Path) -> LayerInputError:
        return LayerInputError(self.source, message, *self.where(path))


def _checked_copy(source: str, root: Any, text: str | None) -> dict[str, Any]:
    """A loaded document checked (see :class:`_Expansion`; the top level must be a map) and
    copied into plain dicts and lists, alias sharing broken. ``text`` locates errors."""
    if root is None:
        return {}
    if not isinstance(root, Mapping):
        raise LayerInputError(source, f"the top level must be a map of values, not a {type_name(root)}", 1, 1)
    _Expansion(source, text).size(root, (), 0)
    return _copy(root)


#: A tag or alias name in a parser's message: it is written where a value goes (``password:
#: !Hunter2``), so it is never echoed.
_NAMED = re.compile(r"""((?:the )?(?:tag|alias))\s+(?:'[^']*'|"[^"]*"|\S+)""")


def _yaml_error(source: str, exc: YAMLError) -> LayerInputError:
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = _NAMED.sub(r"\1 (name not shown: it stands where a value, maybe a secret, goes)", exc.problem or str(exc))
        context = f" ({exc.context})" if exc.context else ""
        if "DuplicateKey" in type(exc).__name__:
            first = exc.context_mark
            problem = (exc.problem or "duplicate key").split(" with value")[0]
            context = f" (first defined at line {first.line + 1})" if first else ""
        if "expected a single document" in (exc.problem or "") or "expected a single document" in str(exc):
            problem, context = "several YAML documents where one is expected", ""
        if mark is not None:
            return LayerInputError(source, f"invalid YAML: {problem}{context}", mark.line + 1, mark.column + 1)
        return LayerInputError(source, f"invalid YAML: {problem}{context}")
    return LayerInputError(source, f"invalid YAML: {exc}")


def parse_yaml(text: str, source: str) -> dict[str, Any]:
    """One YAML document as plain values (checked as described in the module docstring)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise LayerInputError(source, f"larger than the {MAX_BYTES} byte limit")
    try:
        root = _yaml("safe").load(text)
    except YAMLError as exc:
        raise _yaml_error(source, exc) from None
    except RecursionError:
        raise TooDeep(source) from None
    return _checked_copy(source, root, text)


def text_positions(text: str) -> Positions:
    """Line and column of each key and item of the YAML ``text``, parsed on first use (nothing
    is read now: for values another reader already took, as Helm's reading of a chart's defaults)."""
    return Positions(compute=lambda: _positions_of(text))


def yaml_layer(name: str, source: str, text: str) -> Layer:
    """A layer from YAML text; positions are parsed on first use."""
    values = parse_yaml(text, source)
    return Layer(name, source, values, text_positions(text))


def read_text(path: str | os.PathLike[str], source: str) -> str:
    """A file's text, refusing files over :data:`MAX_BYTES`: a regular file by its size before
    reading it, anything else (``/dev/zero``, a pipe) by reading at most one byte more.
    ``-`` is standard input, as in Helm's ``-f -``."""
    try:
        with (open(sys.stdin.fileno(), "rb", closefd=False) if os.fspath(path) == "-" else open(path, "rb")) as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:
                raise LayerInputError(source, f"file is {size} bytes, over the {MAX_BYTES} byte limit")
            data = f.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise LayerInputError(source, f"file is over the {MAX_BYTES} byte limit")
    except LayerInputError:
        raise
    except OSError as exc:
        raise LayerInputError(source, f"cannot read file: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayerInputError(source, f"not UTF-8 text (byte {exc.start})") from None


def file_layer(path: str | os.PathLike[str], name: str = "file", display: str | None = None) -> Layer:
    """A layer from a YAML or JSON file (JSON is read as YAML, which it is)."""
    source = f"file:{display or os.fspath(path)}"
    return yaml_layer(name, source, read_text(path, source))


def parse_json(text: str, source: str, *, allow_nan: bool = False) -> dict[str, Any]:
    """A JSON object as plain values; duplicate keys, non-objects and what :func:`json_problem`
    finds are errors. ``allow_nan`` takes ``NaN``/``Infinity`` (documents specmerge itself
    stored before it refused them at the door must stay readable)."""
    def no_dupes(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise LayerInputError(source, f"duplicate key {k!r}")
            out[k] = v
        return out

    if len(text) > MAX_BYTES:
        raise LayerInputError(source, f"larger than the {MAX_BYTES} byte limit")
    try:
        root = json.loads(text, object_pairs_hook=no_dupes)
    except json.JSONDecodeError as exc:
        raise LayerInputError(source, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise TooDeep(source) from None
    if root is None:  # JSON `null` is not "no values" (as an empty YAML file is): a PUT of null must not wipe them
        raise LayerInputError(source, "the top level must be a map of values, not null", 1, 1)
    problem = json_problem(root, allow_nan=allow_nan)
    if problem is not None:
        raise LayerInputError(source, f"{to_pointer(problem[0])}: {problem[1]}")
    return _checked_copy(source, root, None)


def json_problem(values: Any, *, allow_nan: bool = False) -> tuple[Path, str] | None:
    """The first value Python's JSON parser takes but JSON text cannot carry, and why:
    ``NaN``/``Infinity`` (not numbers in RFC 8259) and strings or keys with a lone
    surrogate escape (``"\\ud800"``: no UTF-8 spelling, so nothing can store or send it)."""
    stack: list[tuple[Path, Any]] = [((), values)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            for k, v in node.items():
                if isinstance(k, str) and not _utf8(k):
                    return path, f"key {ascii(k)} has a lone surrogate (not UTF-8)"
                stack.append((path + (k,), v))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))
        elif isinstance(node, float) and not allow_nan and not math.isfinite(node):
            return path, f"{json.dumps(node)} is not a JSON number (RFC 8259); quote it if you mean the string"
        elif isinstance(node, str) and not _utf8(node):
            return path, "string has a lone surrogate (not UTF-8)"
    return None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
