"""Helm's ``-f`` / ``--set*`` composition: one map, built exactly as ``helm template`` builds it.

Helm's ``MergeValues`` (pkg/cli/values/options.go) merges the ``-f`` files in flag order
(maps deep, anything else - a null too - replaces), then applies every ``--set-json``,
``--set``, ``--set-string``, ``--set-file`` and ``--set-literal`` expression, in that order
of kinds and in flag order within a kind, *into* that map by the strvals rules
(pkg/strvals): an index edits the list that is there, a path through a scalar fails, each
flag is parsed on its own. This module is a reading of those rules, written for Python; the
parity tests run our own table of Helm's strvals cases through both tools.

The result is one :class:`~specmerge.core.layer.Layer` (the *group*) whose provenance is
per leaf: a path an expression wrote names that flag (``set:--set image.tag``); any other
path names the file and line that supplied it. A null in the group deletes only what a
lower layer has (:attr:`Layer.keep_nulls`), as Helm's coalesce does.

Typing follows Helm: ``--set`` turns ``true``/``false``/``null`` (any case), ``0`` and
integers that do not start with ``0`` into booleans, null and integers (``0123`` stays a
string); ``--set-string``, ``--set-file`` and ``--set-literal`` give strings; ``--set-json``
takes one JSON value per key, or a whole JSON object merged like a file.

Errors never echo a value (values may be secrets): a :class:`LayerInputError` names the
flag's keys and what is wrong.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .layer import Layer, Positions
from .loaders import MAX_BYTES, LayerInputError, _plain, _positions_of, _yaml, _yaml_error, json_problem, read_text
from .merge import _ABSENT, _copy, _probe, type_name
from .paths import Path

#: Helm's limits (strvals.MaxIndex, strvals.MaxNestedNameLevel).
MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30

#: Helm's order of the ``--set*`` kinds in MergeValues.
SET_KINDS: tuple[str, ...] = ("set-json", "set", "set-string", "set-file", "set-literal")

_INT = re.compile(r"[+-]?[0-9]+\Z")
_INT64 = (-(1 << 63), (1 << 63) - 1)


class _StrvalsError(Exception):
    """A parse failure; ``str()`` never holds a value, only keys and positions."""


class _End(Exception):
    """The expression is used up (Go's io.EOF)."""


class _NotList(Exception):
    pass


def typed_value(text: str, as_string: bool) -> Any:
    """Helm's ``typedVal``: what ``--set`` makes of a value's text."""
    if as_string:
        return text
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and _INT.match(text):
        n = int(text)
        if _INT64[0] <= n <= _INT64[1]:
            return n
    return text


class _Parser:
    """One expression applied into ``data``. ``written`` collects the paths it set."""

    def __init__(self, text: str, data: dict[str, Any], kind: str, reader: Callable[[str], Any]):
        self.s, self.i = text, 0
        self.data, self.kind, self.reader = data, kind, reader
        self.literal = kind == "set-literal"
        self.json = kind == "set-json"
        self.written: list[Path] = []

    # -- scanning ------------------------------------------------------------------------

    def _until(self, stop: str) -> tuple[str, str | None]:
        """Runes up to one in ``stop`` (consumed, returned), ``\\`` escaping the next one
        (not for --set-literal). ``None`` as the stop rune means the end was reached."""
        out: list[str] = []
        s, n = self.s, len(self.s)
        while self.i < n:
            ch = s[self.i]
            self.i += 1
            if ch in stop:
                return "".join(out), ch
            if ch == "\\" and not self.literal:
                if self.i >= n:
                    return "".join(out), None
                out.append(s[self.i])
                self.i += 1
                continue
            out.append(ch)
        return "".join(out), None

    def parse(self) -> None:
        while True:
            try:
                self._key(self.data, 0, ())
            except _End:
                return

    # -- keys -----------------------------------------------------------------------------

    def _key(self, data: dict[str, Any], level: int, at: Path) -> None:
        key, last = self._until("=[." if self.literal else "=[,.")
        if last is None:
            if not key:
                raise _End
            raise _StrvalsError(f"key {key!r} has no value")
        path = at + (key,)
        if last == "[":
            index = self._index(path)
            lst: list[Any] = []
            if key in data:
                lst = self._expect_list(data[key], path)
            try:
                lst = self._list_item(lst, index, level, path)
            finally:
                self._set(data, key, lst)
            return
        if last == "=":
            if self.json:
                self._json_value(lambda v: self._set(data, key, v, leaf=path))
                return
            if self.literal:
                value = self.s[self.i:]
                self.i = len(self.s)
                self._set(data, key, value, leaf=path)
                return
            try:
                items = self._value_list()
            except _End:
                self._set(data, key, "", leaf=path)
                raise
            except _NotList:
                text, _ = self._until(",")
                self._set(data, key, self.reader(text), leaf=path)
                return
            self._set(data, key, items, leaf=path)
            return
        if last == ",":
            self._set(data, key, "", leaf=path)
            raise _StrvalsError(f"key {key!r} has no value (cannot end with ,)")
        # last == "."
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            raise _StrvalsError(
                f"value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
            )
        inner: dict[str, Any] = {}
        if key in data:
            inner = self._expect_map(data[key], path)
        try:
            self._key(inner, level, path)
        except _End:
            if inner:
                self._set(data, key, inner)
            raise
        if not inner:
            raise _StrvalsError(f"key map {key!r} has no value")
        self._set(data, key, inner)

    def _set(self, data: dict[str, Any], key: str, value: Any, leaf: Path | None = None) -> None:
        if not key:
            return  # Helm ignores an empty key
        data[key] = value
        if leaf is not None:
            self.written.append(leaf)

    @staticmethod
    def _expect_map(node: Any, path: Path) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise _StrvalsError(f"{_dotted(path)} holds a value of type {type_name(node)}, not a map: cannot set a key under it")
        return node

    @staticmethod
    def _expect_list(node: Any, path: Path) -> list[Any]:
        if not isinstance(node, list):
            raise _StrvalsError(f"{_dotted(path)} holds a value of type {type_name(node)}, not a list: cannot index it")
        return node

    # -- lists ----------------------------------------------------------------------------

    def _index(self, path: Path) -> int:
        text, last = self._until("]")
        if last is None:
            raise _End  # Helm: runesUntil's EOF ends the expression
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise _StrvalsError(f"error parsing index of {_dotted(path)}: {text!r} is not an integer")
        return int(text)

    def _set_index(self, lst: list[Any], index: int, value: Any, path: Path, leaf: bool) -> list[Any]:
        if index < 0:
            raise _StrvalsError(f"negative {index} index not allowed ({_dotted(path)})")
        if index > MAX_INDEX:
            raise _StrvalsError(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
        if len(lst) <= index:
            lst = lst + [None] * (index + 1 - len(lst))
        lst[index] = value
        if leaf:
            self.written.append(path + (index,))
        return lst

    def _list_item(self, lst: list[Any], index: int, level: int, path: Path) -> list[Any]:
        if index < 0:
            raise _StrvalsError(f"negative {index} index not allowed ({_dotted(path)})")
        rest, last = self._until("[.=")
        if rest:
            raise _StrvalsError(f"unexpected data at end of array index of {_dotted(path)}")
        if last is None:
            raise _End
        here = path + (index,)
        if last == "=":
            if self.json:
                box: list[Any] = []
                self._json_value(box.append)
                return self._set_index(lst, index, box[0], path, True)
            if self.literal:
                value = self.s[self.i:]
                self.i = len(self.s)
                return self._set_index(lst, index, value, path, True)
            try:
                items = self._value_list()
            except _End:
                return self._set_index(lst, index, "", path, True)
            except _NotList:
                text, _ = self._until(",")
                return self._set_index(lst, index, self.reader(text), path, True)
            return self._set_index(lst, index, items, path, True)
        if last == "[":
            nested_index = self._index(here)
            current: list[Any] = []
            if len(lst) > index and lst[index] is not None:
                current = self._expect_list(lst[index], here)
            inner_list = self._list_item(current, nested_index, level, here)
            return self._set_index(lst, index, inner_list, path, False)
        # last == "."
        inner: dict[str, Any] = {}
        if len(lst) > index:
            if isinstance(lst[index], dict):
                inner = lst[index]
            else:
                lst[index] = inner  # Helm: indices out of order start an empty map
        self._key(inner, level, here)
        return self._set_index(lst, index, inner, path, False)

    def _value_list(self) -> list[Any]:
        """``{a,b}``; raises ``_NotList`` (nothing consumed) or ``_End``."""
        if self.i >= len(self.s):
            raise _End
        if self.s[self.i] != "{":
            raise _NotList
        self.i += 1
        items: list[Any] = []
        while True:
            text, last = self._until(",}")
            if last is None:
                raise _StrvalsError("list must terminate with '}'")
            items.append(self.reader(text))
            if last == "}":
                if self.i < len(self.s) and self.s[self.i] == ",":
                    self.i += 1
                return items

    # -- JSON values ----------------------------------------------------------------------

    def _empty_value(self) -> bool:
        """Skip blanks; True at the end or a comma (consumed), False before anything else."""
        s, n = self.s, len(self.s)
        while self.i < n:
            ch = s[self.i]
            if ch == ",":
                self.i += 1
                return True
            if not ch.isspace():
                return False
            self.i += 1
        return True

    def _json_value(self, put: Callable[[Any], None]) -> None:
        if self._empty_value():
            put(None)
            return
        try:
            value, end = _JSON.raw_decode(self.s, self.i)
        except ValueError as exc:
            raise _StrvalsError(f"invalid JSON value at character {self.i + 1}: {_reason(exc)}") from None
        _finite(value)
        put(value)
        self.i = end
        self._empty_value()


def _reason(exc: ValueError) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "not JSON"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def _finite(value: Any) -> None:
    """Go's decoder refuses numbers out of float64's range (Python reads ``1e400`` as inf)."""
    problem = json_problem(value)
    if problem is not None:
        raise _StrvalsError("a JSON number out of range")


def _dotted(path: Path) -> str:
    from .paths import to_dotted

    return to_dotted(path) if path else "."


# --- -f files, as Helm v4 reads them ---------------------------------------------------


def _helm_key(key: Any) -> Any:
    """sigs.k8s.io/yaml's key spelling of an integer: ``8080`` -> ``"8080"`` (Helm reads
    YAML through JSON, whose keys are strings). Other keys are left for
    :func:`specmerge.core.loaders._plain` to refuse with its message: a boolean key (an
    unquoted ``on:``) Helm silently renames to ``"true"``; we refuse it (README)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    return key


def _string_keys(root: Any, source: str) -> Any:
    """``root`` with integer keys spelled as Helm spells them; each distinct
    node converted once (aliases stay shared, so the alias-bomb check still sees them)."""
    done: dict[int, Any] = {}

    def conv(node: Any) -> Any:
        if not isinstance(node, (Mapping, list)):
            return node
        hit = done.get(id(node))
        if hit is not None:
            return hit
        if isinstance(node, list):
            out_list: list[Any] = []
            done[id(node)] = out_list
            out_list.extend(conv(v) for v in node)
            return out_list
        out: dict[Any, Any] = {}
        done[id(node)] = out
        for k, v in node.items():
            key = _helm_key(k)
            if key in out:
                raise LayerInputError(source, f"key {key!r} appears twice once read as Helm reads keys")
            out[key] = conv(v)
        return out

    def needs(node: Any, seen: set[int]) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if isinstance(n, Mapping):
                if any(not isinstance(k, str) for k in n):
                    return True
                stack.extend(v for v in n.values() if isinstance(v, (Mapping, list)))
            elif isinstance(n, list):
                stack.extend(v for v in n if isinstance(v, (Mapping, list)))
        return False

    if not needs(root, set()):
        return root
    try:
        return conv(root)
    except RecursionError:
        raise LayerInputError(source, "nesting too deep") from None


def parse_values_file(text: str, source: str) -> dict[str, Any]:
    """A ``-f`` file as Helm v4 reads it: every YAML document, merged in order (Helm's
    ``LoadValues``), integer keys read as strings. An empty or comment-only
    document adds nothing; a document that is not a map is an error."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise LayerInputError(source, f"larger than the {MAX_BYTES} byte limit")
    try:
        docs = list(_yaml("safe").load_all(text))
    except Exception as exc:  # ruamel's YAMLError, or RecursionError on deep nesting
        from ruamel.yaml.error import YAMLError

        if isinstance(exc, YAMLError):
            raise _yaml_error(source, exc) from None
        if isinstance(exc, RecursionError):
            raise LayerInputError(source, "nesting too deep") from None
        raise
    values: dict[str, Any] = {}
    for n, doc in enumerate(docs):
        where = source if len(docs) == 1 else f"{source} (document {n + 1})"
        try:
            plain = _plain(where, _string_keys(doc, where), text if len(docs) == 1 else None)
        except LayerInputError as exc:
            if len(docs) == 1:
                raise
            raise LayerInputError(where, exc.reason) from None  # its line would count from the document
        merge_maps(values, plain)
    return values


def values_file_layer(path: str | os.PathLike[str], display: str | None = None, name: str = "file") -> Layer:
    """A layer from one ``-f`` file (see :func:`parse_values_file`); line numbers on demand."""
    source = f"file:{display or os.fspath(path)}"
    text = read_text(path, source)
    return Layer(name, source, parse_values_file(text, source), Positions(compute=lambda: _positions_of(text)))


# --- the group --------------------------------------------------------------------------


@dataclass(frozen=True)
class SetFlag:
    """One ``--<kind> expression`` from the command line."""

    kind: str
    expression: str

    @property
    def keys(self) -> str:
        """The expression without its values (values may be secrets): ``a.b,c[0]``."""
        return ",".join(k for k, _ in _pairs(self.kind, self.expression))

    @property
    def source(self) -> str:
        return f"set:--{self.kind} {self.keys}"


def _pairs(kind: str, expr: str) -> list[tuple[str, str | None]]:
    """``(key, value text)`` of each assignment, as the flag's parser splits it (used to
    name keys in messages and to know every spelling of a value)."""
    if kind == "set-json" and expr.strip().startswith("{"):
        try:
            obj = json.loads(expr)
        except ValueError:
            return [("{...}", expr)]
        return [(k, expr) for k in obj] if isinstance(obj, dict) else [("{...}", expr)]
    if kind == "set-literal":
        key, eq, value = expr.partition("=")
        return [(key, value if eq else None)]
    if kind == "set-json":
        pairs: list[tuple[str, str | None]] = []
        i = 0
        while i < len(expr):
            eq = expr.find("=", i)
            if eq < 0:
                pairs.append((expr[i:], None))
                break
            start = eq + 1
            while start < len(expr) and expr[start] in " \t":
                start += 1
            try:
                _, end = _JSON.raw_decode(expr, start)
            except ValueError:
                pairs.append((expr[i:eq], expr[eq + 1:]))
                break
            pairs.append((expr[i:eq], expr[eq + 1:end]))
            i = end
            while i < len(expr) and expr[i] in " ,\t":
                i += 1
        return pairs
    out: list[tuple[str, str | None]] = []
    for part in _split_unescaped(expr):
        k, eq, v = part.partition("=")
        out.append((k, v if eq else None))
    return out


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


def merge_maps(
    base: dict[str, Any], top: Mapping[str, Any], at: Path = (), written: list[Path] | None = None
) -> dict[str, Any]:
    """Helm's ``MergeMaps``: maps recurse when both sides are maps; anything else - a null
    too - replaces. ``base`` is updated in place (it is the group's own copy) and returned;
    ``written`` collects the paths ``top`` replaced."""
    for k, v in top.items():
        cur = base.get(k)
        if isinstance(v, dict) and isinstance(cur, dict):
            merge_maps(cur, v, at + (k,), written)
        else:
            base[k] = _copy(v)
            if written is not None:
                written.append(at + (k,))
    return base


def _finite_or_fail(flag: SetFlag, value: Any) -> None:
    try:
        _finite(value)
    except _StrvalsError as exc:
        raise LayerInputError(flag.source, f"cannot parse: {exc}") from None


def _file_reader(flag: SetFlag) -> Callable[[str], Any]:
    def read(path: str) -> str:
        return read_text(os.path.expanduser(path), flag.source)

    return read


def apply_flag(data: dict[str, Any], flag: SetFlag) -> list[Path]:
    """Apply one expression into ``data`` (in place) and return the paths it wrote.
    Raises :class:`LayerInputError` naming the flag's keys (never its values)."""
    if flag.kind not in SET_KINDS:
        raise ValueError(f"unknown flag kind {flag.kind!r}")
    if flag.kind == "set-json" and flag.expression.strip().startswith("{"):
        try:
            obj = _JSON.decode(flag.expression.strip())
        except ValueError as exc:
            raise LayerInputError(flag.source, f"cannot parse: invalid JSON object: {_reason(exc)}") from None
        if not isinstance(obj, dict):
            raise LayerInputError(flag.source, "cannot parse: the whole-object form takes a JSON object")
        _finite_or_fail(flag, obj)
        written: list[Path] = []
        merge_maps(data, obj, (), written)
        return written
    if flag.kind == "set-file":
        reader: Callable[[str], Any] = _file_reader(flag)
    else:
        as_string = flag.kind == "set-string"
        reader = lambda text: typed_value(text, as_string)  # noqa: E731
    parser = _Parser(flag.expression, data, flag.kind, reader)
    try:
        parser.parse()
    except _StrvalsError as exc:
        raise LayerInputError(flag.source, f"cannot parse: {exc}") from None
    except RecursionError:
        raise LayerInputError(flag.source, "cannot parse: nested too deeply") from None
    return parser.written


class GroupOrigins:
    """Per-leaf provenance of the group: which flag or file (and line) supplied a path."""

    __slots__ = ("files", "written")

    def __init__(self, files: Sequence[Layer], written: Mapping[Path, SetFlag]):
        self.files = tuple(files)
        self.written = dict(written)

    def flag_at(self, path: Path) -> SetFlag | None:
        """The flag that last wrote ``path`` or the nearest ancestor of it."""
        for n in range(len(path), 0, -1):
            hit = self.written.get(path[:n])
            if hit is not None:
                return hit
        return None

    def history(self, path: Path, value: Any) -> list[tuple[str, str, Any]]:
        """What the group's members said at ``path``, highest first: ``(name, locator,
        value)``; the first is the group's own ``value``, the rest the file values it hid
        (down to a file that cut the path off with a non-map above it)."""
        out: list[tuple[str, str, Any]] = []
        flag = self.written.get(path)
        if flag is not None:
            out.append(("set", flag.source, value))
        elif self.flag_at(path) is not None:
            return [("set", self.flag_at(path).source, value)]  # type: ignore[union-attr]
        for layer in reversed(self.files):
            found = _probe(layer.values, path)
            if found is _ABSENT:
                continue
            if isinstance(found, tuple):
                break
            out.append(("file", layer.locate(path), value if not out else found))
        return out

    def __call__(self, path: Path) -> tuple[str, str] | None:
        flag = self.flag_at(path)
        if flag is not None:
            return "set", flag.source
        for layer in reversed(self.files):
            found = _probe(layer.values, path)
            if found is _ABSENT or isinstance(found, tuple):
                continue
            return "file", layer.locate(path)
        for written, flag in reversed(self.written.items()):  # a list or map a flag built
            if written[: len(path)] == path:
                return "set", flag.source
        return None


#: The name of the CLI's group layer holding both files and flags (per leaf, provenance
#: says ``file`` or ``set``); a group of files only is named ``file``, of flags only ``set``.
GROUP = "values"


def compose(files: Sequence[Layer], flags: Sequence[SetFlag], name: str | None = None) -> Layer | None:
    """The group layer of ``-f`` files (already loaded, in flag order) and ``--set*`` flags
    (in Helm's order: see :func:`helm_order`); ``None`` when there is neither."""
    if not files and not flags:
        return None
    if name is None:
        name = GROUP if files and flags else "file" if files else "set"
    data: dict[str, Any] = {}
    for layer in files:
        merge_maps(data, layer.values)
    written: dict[Path, SetFlag] = {}
    for flag in flags:
        for path in apply_flag(data, flag):
            for old in [p for p in written if p[: len(path)] == path and len(p) > len(path)]:
                del written[old]  # what was under the path is gone
            written[path] = flag
    source = " ".join([*(f.source for f in files), *(f.source for f in flags)])
    return Layer(name, source, data, origins=GroupOrigins(files, written), keep_nulls=True)


def helm_order(flags: Mapping[str, Iterable[str]]) -> list[SetFlag]:
    """``{kind: [expression, ...]}`` as the flags Helm applies, in Helm's order."""
    unknown = set(flags) - set(SET_KINDS)
    if unknown:
        raise ValueError(f"unknown flag kind(s): {', '.join(sorted(unknown))}")
    return [SetFlag(kind, e) for kind in SET_KINDS for e in flags.get(kind, ())]
