"""Options and checks shared by several commands, so no command imports another.

The layer options are spelled as Helm spells them (``-f``, ``--set*``); ``-o/--output``
is checked by :func:`check_output`; the servers (``serve``, ``channel-server``) get their
listening socket from :func:`listen`."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from ..core import Layer
from .errors import CliError

ValuesFiles = Annotated[
    list[Path] | None,
    typer.Option("-f", "--values", help="YAML/JSON values file; repeat, later files win.", show_default=False),
]
SetValues = Annotated[
    list[str] | None, typer.Option("--set", help="key=value, Helm's --set syntax.", show_default=False)
]
SetString = Annotated[
    list[str] | None, typer.Option("--set-string", help="key=value, kept as a string.", show_default=False)
]
SetJson = Annotated[
    list[str] | None, typer.Option("--set-json", help="key=<json>, Helm's --set-json.", show_default=False)
]
SetFile = Annotated[
    list[str] | None, typer.Option("--set-file", help="key=path, the file's text.", show_default=False)
]
SetLiteral = Annotated[
    list[str] | None, typer.Option("--set-literal", help="key=value, verbatim.", show_default=False)
]
ShowSecrets = Annotated[
    bool, typer.Option("--show-secrets", help="Print sensitive values instead of <redacted hmac:…>.")
]
OutputOpt = Annotated[str, typer.Option("-o", "--output", help="text, json or yaml.")]
ChannelServerUrl = Annotated[
    str | None, typer.Option("--channel-server", envvar="SPECMERGE_CHANNEL_SERVER", help="Channel server base URL.")
]
LicenseFile = Annotated[
    Path | None,
    typer.Option("--license-file", envvar="SPECMERGE_LICENSE_FILE", help="File holding the license (never printed)."),
]

#: What ``-o/--output`` takes unless a command says otherwise.
OUTPUTS = ("text", "json", "yaml")


def check_output(output: str, allowed: Sequence[str] = OUTPUTS) -> None:
    """``-o/--output`` is one of ``allowed``, else :class:`CliError` listing them."""
    if output not in allowed:
        listed = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        raise CliError(f"--output must be {listed}, not {output!r}")


def listen(host: str, port: int) -> socket.socket:
    """A listening socket for a server command; a busy or bad address is a :class:`CliError`."""
    from .._serve import bind

    try:
        return bind(host, port)
    except OSError as exc:
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except OverflowError:  # a port outside 0-65535 (serve's settings check it first; channel-server does not)
        raise CliError(f"cannot listen on {host}:{port}: the port must be 0-65535") from None


def cli_layers(
    values: list[Path] | None,
    set_: list[str] | None,
    set_string: list[str] | None,
    set_json: list[str] | None,
    set_file: list[str] | None,
    set_literal: list[str] | None,
) -> list[Layer]:
    """The CLI's values as Helm's MergeValues builds them: one group layer (none without
    flags) - the -f files merged in flag order, then each --set* expression applied into
    that map in Helm's order of kinds (design.md §2)."""
    from ..core import compose, helm_order, values_file_layer

    files = [values_file_layer(p) for p in values or ()]
    flags = helm_order(
        {
            "set-json": set_json or (),
            "set": set_ or (),
            "set-string": set_string or (),
            "set-file": set_file or (),
            "set-literal": set_literal or (),
        }
    )
    group = compose(files, flags)
    return [group] if group is not None else []
