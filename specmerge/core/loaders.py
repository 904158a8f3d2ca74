"""Turning text into layers: YAML and JSON files, and Helm's ``--set`` family of flags.

YAML is read the way Helm reads it (YAML 1.1 through go-yaml v2): ``yes``/``on`` are
booleans, ``0123`` is octal, timestamps stay strings. The fast path uses ruamel.yaml's C
loader; line and column per key come from a round-trip parse that runs lazily, only when
an error or ``explain`` asks for a position (see :class:`specmerge.core.layer.Positions`).

``--set``, ``--set-string``, ``--set-json``, ``--set-literal`` and ``--set-file`` are parsed
by Helm's own strvals parser (helm-python-sdk), so ``a=0123`` stays a string and ``a=null``
is a null, exactly as in Helm. All flags of one kind form one layer (Helm parses them into
one map, in order), and the kinds stack in Helm's order: json, set, string, file, literal.

Bad input raises :class:`LayerInputError`, which names the source and, where it has one,
the line: invalid YAML, duplicate or non-string keys, several documents where one is
expected, a top level that is not a map, alias expansion past a cap (an alias bomb),
nesting deeper than :data:`MAX_DEPTH`, a file over :data:`MAX_BYTES`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path as FsPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .layer import Layer, Position, Positions
from .merge import type_name
from .paths import Path, to_dotted, to_pointer
from .secrets import scrub_tokens

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 256
MAX_EXPANDED_NODES = 1_000_000

SET_KINDS: tuple[str, ...] = ("set-json", "set", "set-string", "set-file", "set-literal")


class LayerInputError(ValueError):
    """Input that cannot become a layer. ``str()`` is ``source[:line[:col]]: message``."""

    def __init__(self, source: str, message: str, line: int | None = None, col: int | None = None):
        self.source, self.reason, self.line, self.col = source, message, line, col
        where = source if line is None else f"{source}:{line}" + (f":{col}" if col else "")
        super().__init__(f"{where}: {message}")


def _timestamp_as_text(constructor: Any, node: Any) -> str:
    return str(constructor.construct_scalar(node))


def _yaml(typ: str) -> YAML:
    y = YAML(typ=typ)
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


def _plain(source: str, root: Any, text: str | None) -> dict[str, Any]:
    """Check a loaded document and copy it into plain dicts/lists, breaking alias sharing.

    Expansion size is counted with memoisation by identity first, so an alias bomb is
    refused before anything is expanded.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def where(path: Path) -> tuple[int | None, int | None]:
        pos = Positions(compute=lambda: _positions_of(text)).find(path) if text else None
        return (pos[1][0], pos[1][1]) if pos else (None, None)

    def size(node: Any, path: Path, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise LayerInputError(source, f"nesting deeper than {MAX_DEPTH} levels", *where(path))
        if not isinstance(node, (Mapping, list)):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise LayerInputError(
                source, f"recursive alias at {to_dotted(path)}: a value contains itself", *where(path)
            )
        active.add(key)
        total = 1
        if isinstance(node, Mapping):
            for k, v in node.items():
                if not isinstance(k, str):
                    raise LayerInputError(
                        source,
                        f"key {k!r} under {to_dotted(path)} is read as {type_name(k)} "
                        "(YAML 1.1, as Helm reads it); values keys must be strings: quote it",
                        *where(path + (k,)),
                    )
                total += size(v, path + (k,), depth + 1)
        else:
            for i, v in enumerate(node):
                total += size(v, path + (i,), depth + 1)
        active.discard(key)
        sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            raise LayerInputError(
                source,
                f"alias expansion at {to_dotted(path)} exceeds {MAX_EXPANDED_NODES} nodes "
                "(an alias bomb?)",
                *where(path),
            )
        return total

    if root is None:
        return {}
    if not isinstance(root, Mapping):
        raise LayerInputError(source, f"the top level must be a map of values, not a {type_name(root)}", 1, 1)
    size(root, (), 0)

    def copy(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {k: copy(v) for k, v in node.items()}
        if isinstance(node, list):
            return [copy(v) for v in node]
        return node

    return copy(root)


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
        raise LayerInputError(source, f"nesting deeper than {MAX_DEPTH} levels") from None
    return _plain(source, root, text)


def yaml_layer(name: str, source: str, text: str) -> Layer:
    """A layer from YAML text; positions are parsed on first use."""
    values = parse_yaml(text, source)
    return Layer(name, source, values, Positions(compute=lambda: _positions_of(text)))


def read_text(path: str | os.PathLike[str], source: str) -> str:
    """A file's text, refusing files over :data:`MAX_BYTES` before reading them."""
    p = FsPath(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise LayerInputError(source, f"file is {size} bytes, over the {MAX_BYTES} byte limit")
        data = p.read_bytes()
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
        raise LayerInputError(source, f"nesting deeper than {MAX_DEPTH} levels") from None
    problem = json_problem(root, allow_nan=allow_nan)
    if problem is not None:
        raise LayerInputError(source, f"{to_pointer(problem[0])}: {problem[1]}")
    return _plain(source, root, None)


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


# --- Helm's --set family --------------------------------------------------------------


def _strvals(kind: str, expression: str) -> dict[str, Any]:
    import helm_python as helm

    parser = {
        "set": helm.parse_set_string,
        "set-string": helm.parse_set_string_values,
        "set-json": helm.parse_set_json,
        "set-literal": helm.parse_set_literal,
        "set-file": helm.parse_set_file,
    }[kind]
    return parser(expression)


def _pairs(kind: str, expr: str) -> list[tuple[str, str | None]]:
    """``(key, value text)`` of each assignment in one flag, as the flag's parser splits it:
    commas outside braces (escaped ones too) for ``--set``; JSON values for ``--set-json``
    (whose strings may hold commas); the whole expression for ``--set-literal``. The
    whole-object ``--set-json '{...}'`` form is one value with the key ``{...}``; after a
    value that is not JSON, the rest of the flag is taken as that value."""
    if kind == "set-literal":
        key, eq, value = expr.partition("=")
        return [(key, value if eq else None)]
    if kind != "set-json":
        return [(k, v if eq else None) for k, eq, v in (p.partition("=") for p in _split_unescaped(expr))]
    if expr.lstrip().startswith("{"):
        return [("{...}", expr)]
    pairs: list[tuple[str, str | None]] = []
    decoder, i = json.JSONDecoder(), 0
    while i < len(expr):
        eq = expr.find("=", i)
        if eq < 0:
            pairs.append((expr[i:], None))
            break
        start = eq + 1
        while start < len(expr) and expr[start] in " \t":
            start += 1
        try:
            _, end = decoder.raw_decode(expr, start)
        except ValueError:
            pairs.append((expr[i:eq], expr[eq + 1:]))  # not JSON: the rest is one value
            break
        pairs.append((expr[i:eq], expr[eq + 1:end]))
        i = end
        while i < len(expr) and expr[i] in " ,\t":
            i += 1
    return pairs


def _keys_of(kind: str, expressions: Sequence[str]) -> str:
    """The flags without their values (values may be secrets): ``--set a.b,c[0]``."""
    return ",".join(key for expr in expressions for key, _ in _pairs(kind, expr))


def _without_values(detail: str, kind: str, expressions: Sequence[str]) -> str:
    """A parser's message with every value of the flags - in any spelling a message may use
    (Go quotes strings with escapes) - replaced by ``<value>``."""
    return scrub_tokens(detail, [v for expr in expressions for _, v in _pairs(kind, expr) if v], "<value>")


def _split_unescaped(expr: str) -> list[str]:
    out, cur, depth, escaped = [], [], 0, False
    for ch in expr:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            cur.append(ch)
            escaped = True
        elif ch == "{":
            depth += 1
            cur.append(ch)
        elif ch == "}":
            depth = max(0, depth - 1)
            cur.append(ch)
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p for p in out if p]


def set_layer(kind: str, expressions: Sequence[str], name: str = "set") -> Layer:
    """One layer from all ``--<kind>`` flags, parsed into one map as Helm does."""
    if kind not in SET_KINDS:
        raise ValueError(f"unknown flag kind {kind!r}")
    source = f"set:--{kind} {_keys_of(kind, expressions)}"
    values: dict[str, Any] = {}
    if kind in ("set", "set-string"):
        joined = ",".join(expressions)
        chunks = [joined] if joined else []
    else:
        chunks = list(expressions)
    for chunk in chunks:
        try:
            parsed = _strvals(kind, chunk)
        except Exception as exc:  # helm_python raises HelmValuesError/HelmIOError subclasses
            detail = _without_values(str(exc), kind, expressions)  # never echo a value: it may be a secret
            raise LayerInputError(f"set:--{kind} {_keys_of(kind, [chunk])}", f"cannot parse: {detail}") from None
        parsed = _plain(source, parsed, None)
        values = _overlay(values, parsed)
    return Layer(name, source, values)


def _overlay(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's MergeMaps for flags of one kind: maps recurse, all else (nulls too) replaces."""
    out = dict(base)
    for k, v in top.items():
        out[k] = _overlay(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def set_layers(flags: Mapping[str, Iterable[str]], name: str = "set") -> list[Layer]:
    """The ``--set*`` layers in Helm's order, skipping kinds with no flags."""
    out = []
    for kind in SET_KINDS:
        exprs = list(flags.get(kind, ()))
        if exprs:
            out.append(set_layer(kind, exprs, name))
    return out
