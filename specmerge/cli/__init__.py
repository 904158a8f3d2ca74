"""specmerge's command line: thin wrappers over the core and the pipeline.

Each command lives in its own module and registers here; exit codes are 0 ok,
1 findings (violations, differences), 2 bad input or usage.
"""

from __future__ import annotations

import typer

from .channel_cmd import channel_app, channel_server_command
from .diff_cmd import diff_command
from .explain_cmd import explain_command
from .merge_cmd import merge_command
from .operator_cmd import operator_command
from .render_cmd import render_command, show_app
from .serve_cmd import serve_command
from .validate_cmd import validate_command

app = typer.Typer(
    name="specmerge",
    help="The effective spec of a Helm-charted app from ordered layers, with provenance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("merge")(merge_command)
app.add_typer(channel_app, name="channel")
app.command("channel-server")(channel_server_command)
app.command("render")(render_command)
app.add_typer(show_app)
app.command("serve")(serve_command)
app.command("diff")(diff_command)
app.command("explain")(explain_command)
app.command("validate")(validate_command)
app.command("operator")(operator_command)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"specmerge {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version."),
) -> None:
    """The effective spec of a Helm-charted app from ordered layers, with provenance."""


def main() -> None:
    app()
