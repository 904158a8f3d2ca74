"""How the CLI fails: one line on stderr naming what is wrong and where, exit code 2."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ..core import LayerInputError, SchemaError
from ..errors import InputError

F = TypeVar("F", bound=Callable[..., Any])

#: Exit codes shared by every command.
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class CliError(InputError):
    """An input or usage problem the user can fix; the message says what and where."""


def handles_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (LayerInputError, SchemaError, CliError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]
