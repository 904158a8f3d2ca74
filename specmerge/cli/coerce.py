"""Typer's option coercion, without pydantic where the value already is what Typer returns.

Typer (0.29) coerces every option value through a pydantic ``TypeAdapter`` built on first
use: importing pydantic and building an adapter per option costs ~100 ms of every
``specmerge`` run, for values that need no conversion (a string for a ``str`` option, a
bool for a flag, a path string for a ``Path``, nothing for an absent option).
:func:`install` gives each parameter of a command tree a :class:`PlainFirst` coercion that
answers exactly those cases itself, with the result Typer's adapter gives, and hands every
other value (a string for a ``float``, an environment variable for a flag ...) to that
adapter, built then. The options themselves stay declared once, by Typer; a Typer without
this internal is left as it is (slower, same behaviour).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer._click import Command, Context
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import TyperGroup

#: "no plain answer: ask Typer's adapter"
_ASK = object()


def _plain_leaf(annotation: Any, info: Any, value: Any, param: Any, ctx: Context) -> Any:
    """What Typer's adapter returns for ``value``, where that needs no conversion; else ``_ASK``."""
    if info.parser is not None:
        return _ASK
    if annotation is str or annotation is bool:
        return value if type(value) is annotation else _ASK
    if annotation is int:
        if type(value) is str and value.isascii() and value.isdigit():
            value = int(value)
        if type(value) is not int or info.clamp:
            return _ASK
        in_range = (info.min is None or value >= info.min) and (info.max is None or value <= info.max)
        return value if in_range else _ASK
    if annotation is float:
        return value if type(value) is float and info.min is None and info.max is None else _ASK
    if annotation is Path and type(value) is str and info.path_type is None and not info.allow_dash:
        # Typer's own checks (exists, readable, ...) and messages, on the text as given;
        # the adapter's Path(text) is what it returns for a string
        return Path(coerce_cli_path(value, info, path_type=None, param=param, ctx=ctx))
    return _ASK


@dataclass(frozen=True)
class PlainFirst(RuntimeParam):
    """Coercion of one parameter: plain values here, the rest by Typer's adapter."""

    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
        annotation, info = self.annotation, self.parameter_info
        if self.descriptor.is_list and isinstance(value, (list, tuple)):
            item = self.descriptor.annotation.__args__[0]
            out = [_plain_leaf(item, info, v, param, ctx) for v in value]
            if _ASK not in out:
                return out
        elif not self.descriptor.is_list and not self.descriptor.is_tuple:
            got = _plain_leaf(annotation, info, value, param, ctx)
            if got is not _ASK:
                return got
        return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)


def _plain_first(param: Any) -> None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None and descriptor.file_annotation is None and getattr(param, "_runtime_param", 0) is None:
        param._runtime_param = PlainFirst(descriptor.parameter_info, descriptor.annotation, descriptor)


def install(command: Command) -> Command:
    """``command`` (and every command under it) with :class:`PlainFirst` coercion, its
    ``--help`` option too (which click makes on first use, for the context it is used in)."""
    for param in command.params:
        _plain_first(param)
    made = command.get_help_option

    def help_option(ctx: Context) -> Any:
        option = made(ctx)
        _plain_first(option)
        return option

    command.get_help_option = help_option  # type: ignore[method-assign]
    for sub in getattr(command, "commands", {}).values():  # a group's
        install(sub)
    return command


class PlainFirstGroup(TyperGroup):
    """Typer's group class for an application whose commands coerce with :class:`PlainFirst`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install(self)
