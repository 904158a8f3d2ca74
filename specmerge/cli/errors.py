"""How the CLI fails: one line on stderr naming what is wrong and where, and an exit code.

This is the one place errors become exit codes (:func:`cli_errors`, on every command). It
maps the package's exception tree (:mod:`specmerge.errors`):

* :class:`~specmerge.errors.InputError` (a bad file, flag, chart reference, template,
  schema, channel request ...): ``error: <message>``, exit 2;
* :class:`~specmerge.errors.UnavailableError` (an unreachable cluster, channel server or
  chart repository): ``error: <message>``, exit 2 as well - no command tells an outage
  apart from bad input by its exit code today (:data:`EXIT_CODES` is where that would change);
* anything else is a bug and keeps its traceback.

Messages are the exceptions' own: they say what and where, and never carry credentials.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from ..errors import InputError, SpecmergeError, UnavailableError

F = TypeVar("F", bound=Callable[..., Any])

#: Exit codes shared by every command.
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

#: Exit code of each branch of the exception tree (the first matching class wins).
EXIT_CODES: tuple[tuple[type[SpecmergeError], int], ...] = (
    (InputError, EXIT_ERROR),
    (UnavailableError, EXIT_ERROR),
    (SpecmergeError, EXIT_ERROR),
)


class CliError(InputError):
    """An input or usage problem the user can fix; the message says what and where."""


def exit_code(exc: SpecmergeError) -> int:
    """The exit code for ``exc`` (:data:`EXIT_CODES`)."""
    return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))


def cli_errors(fn: F) -> F:
    """Run a command; a :class:`~specmerge.errors.SpecmergeError` becomes ``error: <message>``
    on stderr and its exit code. Applying it twice wraps once (so stacked uses are harmless)."""
    if getattr(fn, "_cli_errors", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpecmergeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(exit_code(exc)) from None

    wrapper._cli_errors = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]

__all__ = ["EXIT_CODES", "EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "CliError", "cli_errors", "exit_code"]
