"""Helm's ``-f`` / ``--set*`` composition: one map, built exactly as ``helm template`` builds it.

Helm's ``MergeValues`` (pkg/cli/values/options.go) merges the ``-f`` files in flag order
(maps deep, anything else - a null too - replaces), then applies every ``--set-json``,
``--set``, ``--set-string``, ``--set-file`` and ``--set-literal`` expression, in that order
of kinds and in flag order within a kind, *into* that map by the strvals rules
(pkg/strvals): an index edits the list that is there, a path through a scalar fails, each
flag is parsed on its own. The strvals reading itself is :mod:`specmerge.core.strvals`; this
module composes: ``-f`` files as Helm v4 reads them, then the flags, into one group layer.

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

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .layer import Layer, Positions
from .loaders import MAX_BYTES, LayerInputError, _checked_copy, _positions_of, _yaml, _yaml_error, read_text
from .merge import _copy
from .provenance import _ABSENT, _probe
from .paths import Path
from .strvals import StrvalsError, apply_expression, assignments, json_object, typed_value

#: Helm's order of the ``--set*`` kinds in MergeValues.
SET_KINDS: tuple[str, ...] = ("set-json", "set", "set-string", "set-file", "set-literal")


# --- -f files, as Helm v4 reads them ---------------------------------------------------


def _helm_key(key: Any) -> Any:
    """sigs.k8s.io/yaml's key spelling of an integer: ``8080`` -> ``"8080"`` (Helm reads
    YAML through JSON, whose keys are strings). Other keys are left for
    :func:`specmerge.core.loaders._checked_copy` to refuse with its message: a boolean key (an
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
            plain = _checked_copy(where, _string_keys(doc, where), text if len(docs) == 1 else None)
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
        return ",".join(k for k, _ in assignments(self.kind, self.expression))

    @property
    def source(self) -> str:
        return f"set:--{self.kind} {self.keys}"




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


def _file_reader(flag: SetFlag) -> Callable[[str], Any]:
    def read(path: str) -> str:
        return read_text(os.path.expanduser(path), flag.source)

    return read


def apply_flag(data: dict[str, Any], flag: SetFlag) -> list[Path]:
    """Apply one expression into ``data`` (in place) and return the paths it wrote.
    Raises :class:`LayerInputError` naming the flag's keys (never its values)."""
    if flag.kind not in SET_KINDS:
        raise ValueError(f"unknown flag kind {flag.kind!r}")
    if flag.kind == "set-file":
        reader: Callable[[str], Any] = _file_reader(flag)
    else:
        as_string = flag.kind == "set-string"
        reader = lambda text: typed_value(text, as_string)  # noqa: E731
    try:
        if flag.kind == "set-json" and flag.expression.strip().startswith("{"):
            written: list[Path] = []
            merge_maps(data, json_object(flag.expression), (), written)
            return written
        return apply_expression(data, flag.expression, flag.kind, reader)
    except StrvalsError as exc:
        raise LayerInputError(flag.source, f"cannot parse: {exc}") from None
    except RecursionError:
        raise LayerInputError(flag.source, "cannot parse: nested too deeply") from None


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


__all__ = [
    "GROUP", "SET_KINDS", "GroupOrigins", "SetFlag", "apply_flag", "compose", "helm_order", "merge_maps",
    "parse_values_file", "typed_value", "values_file_layer",
]
