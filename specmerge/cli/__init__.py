"""specmerge's command line: thin wrappers over the core and the pipeline.

Each command lives in its own module and registers here; exit codes are 0 ok,
1 findings (violations, differences), 2 bad input or usage.

Start-up is lazy: :func:`main` imports only the module of the command it runs (``render``
loads Helm's library, ``merge`` does not), and ``--version`` imports nothing but the
package. :data:`app`, the whole Typer application with every command (for tests and
embedding), is built on first access.
"""

from __future__ import annotations

import sys
from importlib import import_module

#: ``typing`` costs a fresh interpreter ~10 ms (re, enum, functools): a command a daemon runs
#: pays only this module and the client's, so they stay without it (mypy reads this name).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    import typer

#: command name -> (module, attribute) of a command function
COMMANDS: dict[str, tuple[str, str]] = {
    "merge": ("merge_cmd", "merge_command"),
    "channel-server": ("channel_cmd", "channel_server_command"),
    "render": ("render_cmd", "render_command"),
    "serve": ("serve_cmd", "serve_command"),
    "diff": ("diff_cmd", "diff_command"),
    "explain": ("explain_cmd", "explain_command"),
    "validate": ("validate_cmd", "validate_command"),
    "preflight": ("preflight_cmd", "preflight_command"),
    "operator": ("operator_cmd", "operator_command"),
}
#: group name -> (module, attribute) of a Typer sub-application
GROUPS: dict[str, tuple[str, str]] = {
    "channel": ("channel_cmd", "channel_app"),
    "daemon": ("daemon_cmd", "daemon_app"),
    "show": ("render_cmd", "show_app"),
}
HELP = "The effective spec of a Helm-charted app from ordered layers, with provenance."


def _print_version(value: bool) -> None:
    if value:
        import typer

        typer.echo(f"specmerge {_version()}")
        raise typer.Exit(0)


def _version() -> str:
    from .. import __version__

    return __version__


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer application with every command, or with only the command/group ``only``
    (help and errors then read as for the full application, for that command)."""
    import typer

    try:
        from .coerce import PlainFirstGroup as group
    except ImportError:  # another Typer: its own coercion throughout (see plain_first)
        group = None
    app = typer.Typer(
        name="specmerge", help=HELP, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
        cls=group,
    )
    for name, (module, attr) in COMMANDS.items():
        if only is None or only == name:
            app.command(name)(getattr(import_module(f".{module}", __name__), attr))
    for name, (module, attr) in GROUPS.items():
        if only is None or only == name:
            app.add_typer(getattr(import_module(f".{module}", __name__), attr), name=name)

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version."),
    ) -> None:
        """The effective spec of a Helm-charted app from ordered layers, with provenance."""

    return app


def plain_first(command: Any) -> Any:
    """``command`` with :mod:`specmerge.cli.coerce`'s coercion (no pydantic for plain values),
    when this Typer has the internals it builds on; else as it is."""
    try:
        from .coerce import install
    except ImportError:
        return command
    return install(command)


def __getattr__(name: str) -> Any:
    if name == "app":
        built = build_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_of(argv: list[str]) -> str | None:
    """The command an argument list runs (the first word that names one), if any."""
    for arg in argv:
        if arg in COMMANDS or arg in GROUPS:
            return arg
        if not arg.startswith("-"):
            return None
    return None


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:
        sys.stdout.write(f"specmerge {_version()}\n")
        return
    command = _command_of(argv)
    from .daemon.client import via_daemon  # builtin modules only: the resident process, if one runs

    status = via_daemon(command, argv)
    if status is not None:
        raise SystemExit(status)
    build_app(command)(prog_name="specmerge")
