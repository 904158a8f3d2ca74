"""Options shared by the commands that take layers, spelled as Helm spells them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core import Layer

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
