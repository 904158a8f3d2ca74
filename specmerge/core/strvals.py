"""Helm's strvals: how one ``--set*`` expression is read and applied into a map (pure).

A reading of Helm's pkg/strvals, written for Python (the parity tests run our own table of
Helm's strvals cases through both tools): keys separated by ``.``, list indexes in ``[]``,
``{a,b}`` lists, several assignments separated by ``,``, ``\\`` escaping the next character
(not for ``--set-literal``, whose value is the rest of the text); ``--set-json`` takes one
JSON value per key. An index edits the list that is there, a path through a scalar fails,
and Helm's limits hold (:data:`MAX_INDEX`, :data:`MAX_NESTED_NAME_LEVEL`).

:func:`apply_expression` applies one expression into a map and returns the paths it wrote;
:func:`assignments` splits one into ``(key, value text)`` pairs without applying it (to
name keys in messages). A :class:`StrvalsError` never holds a value (values may be
secrets), only keys and positions. How the flags compose with ``-f`` files is
:mod:`specmerge.core.setflags`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..errors import InputError
from .loaders import json_problem
from .merge import type_name
from .paths import Path, to_dotted

#: Helm's limits (strvals.MaxIndex, strvals.MaxNestedNameLevel).
MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30

_INT = re.compile(r"[+-]?[0-9]+\Z")
_INT64 = (-(1 << 63), (1 << 63) - 1)


class StrvalsError(InputError):
    """A parse failure (the flag must change); ``str()`` never holds a value, only keys and
    positions. :func:`specmerge.core.setflags.apply_flag` reports it as a ``LayerInputError``
    naming the flag."""


class _End(Exception):
    """The expression is used up (Go's io.EOF)."""


class _NotList(Exception):
    """No ``{`` where a ``{a,b}`` list could start: the value is read as text."""


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
            raise StrvalsError(f"key {key!r} has no value")
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
            value, ended = self._value()
            self._set(data, key, value, leaf=path)
            if ended:
                raise _End
            return
        if last == ",":
            self._set(data, key, "", leaf=path)
            raise StrvalsError(f"key {key!r} has no value (cannot end with ,)")
        # last == "."
        level += 1
        if level > MAX_NESTED_NAME_LEVEL:
            raise StrvalsError(
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
            raise StrvalsError(f"key map {key!r} has no value")
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
            raise StrvalsError(f"{_dotted(path)} holds a value of type {type_name(node)}, not a map: cannot set a key under it")
        return node

    @staticmethod
    def _expect_list(node: Any, path: Path) -> list[Any]:
        if not isinstance(node, list):
            raise StrvalsError(f"{_dotted(path)} holds a value of type {type_name(node)}, not a list: cannot index it")
        return node

    # -- lists ----------------------------------------------------------------------------

    def _index(self, path: Path) -> int:
        text, last = self._until("]")
        if last is None:
            raise _End  # Helm: runesUntil's EOF ends the expression
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise StrvalsError(f"error parsing index of {_dotted(path)}: {text!r} is not an integer")
        return int(text)

    def _set_index(self, lst: list[Any], index: int, value: Any, path: Path, leaf: bool) -> list[Any]:
        if index < 0:
            raise StrvalsError(f"negative {index} index not allowed ({_dotted(path)})")
        if index > MAX_INDEX:
            raise StrvalsError(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
        if len(lst) <= index:
            lst = lst + [None] * (index + 1 - len(lst))
        lst[index] = value
        if leaf:
            self.written.append(path + (index,))
        return lst

    def _list_item(self, lst: list[Any], index: int, level: int, path: Path) -> list[Any]:
        if index < 0:
            raise StrvalsError(f"negative {index} index not allowed ({_dotted(path)})")
        rest, last = self._until("[.=")
        if rest:
            raise StrvalsError(f"unexpected data at end of array index of {_dotted(path)}")
        if last is None:
            raise _End
        here = path + (index,)
        if last == "=":
            return self._set_index(lst, index, self._value()[0], path, True)
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

    def _value(self) -> tuple[Any, bool]:
        """The value after ``=``, and whether the expression ended right there (an empty last
        value: Helm sets ``""`` and stops)."""
        if self.json:
            return self._json_value(), False
        if self.literal:
            value, self.i = self.s[self.i:], len(self.s)
            return value, False
        try:
            return self._value_list(), False
        except _End:
            return "", True
        except _NotList:
            text, _ = self._until(",")
            return self.reader(text), False

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
                raise StrvalsError("list must terminate with '}'")
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

    def _json_value(self) -> Any:
        """One JSON value (an empty one is null), and the blanks and comma after it."""
        if self._empty_value():
            return None
        try:
            value, end = _JSON.raw_decode(self.s, self.i)
        except ValueError as exc:
            raise StrvalsError(f"invalid JSON value at character {self.i + 1}: {_reason(exc)}") from None
        check_finite(value)
        self.i = end
        self._empty_value()
        return value


def _reason(exc: ValueError) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "not JSON"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def check_finite(value: Any) -> None:
    """Go's decoder refuses numbers out of float64's range (Python reads ``1e400`` as inf)."""
    problem = json_problem(value)
    if problem is not None:
        raise StrvalsError("a JSON number out of range")


def _dotted(path: Path) -> str:
    return to_dotted(path) if path else "."


def assignments(kind: str, expr: str) -> list[tuple[str, str | None]]:
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


def apply_expression(data: dict[str, Any], text: str, kind: str, reader: Callable[[str], Any]) -> list[Path]:
    """Apply one ``--<kind>`` expression (not the whole-object ``--set-json {...}`` form: see
    :func:`json_object`) into ``data`` in place; the paths it set. ``reader`` turns a value's
    text into the value (:func:`typed_value`, or a file's contents for ``--set-file``).
    Raises :class:`StrvalsError` (or ``RecursionError`` on absurd nesting)."""
    parser = _Parser(text, data, kind, reader)
    parser.parse()
    return parser.written


def json_object(text: str) -> dict[str, Any]:
    """The whole-object form of ``--set-json``: one JSON object, finite numbers only."""
    try:
        obj = _JSON.decode(text.strip())
    except ValueError as exc:
        raise StrvalsError(f"invalid JSON object: {_reason(exc)}") from None
    if not isinstance(obj, dict):
        raise StrvalsError("the whole-object form takes a JSON object")
    check_finite(obj)
    return obj


__all__ = [
    "MAX_INDEX", "MAX_NESTED_NAME_LEVEL", "StrvalsError", "apply_expression", "assignments", "check_finite",
    "json_object", "typed_value",
]
