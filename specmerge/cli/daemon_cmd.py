"""``specmerge daemon start | status | stop | run``: the resident process of the read-only commands.

``render``, ``show``, ``merge``, ``explain``, ``validate`` and ``diff`` (not ``--live``) hand
themselves to a running daemon and fall back to running in their own process; by default
the first of them starts one in the background, except in CI (``$SPECMERGE_DAEMON``: auto,
on, off). These commands manage it explicitly. Exit codes: 0 ok; 1 ``status``: none runs,
``stop``: one still runs its command after 10 s; 2 it cannot be started (the message says why).
"""

from __future__ import annotations

import os

import typer

from .daemon import spawn, where
from .errors import EXIT_FINDINGS, CliError, cli_errors

daemon_app = typer.Typer(help="The resident process that runs render, merge, explain, validate and diff fast.",
                         no_args_is_help=True)


def _path() -> str:
    try:
        return where.checked_socket(where.socket_path())
    except OSError as exc:
        raise CliError(f"daemon: {exc}") from None


def _describe(info: dict[str, str]) -> str:
    now = "one running now" if info["running"] == "1" else "none running now"
    return (f"specmerge daemon: running, pid {info['pid']}, up {info['up']} s, {info['commands']} commands run "
            f"({now}), exits after {info['idle']} s idle; socket {info['socket']}")


@daemon_app.command("start")
@cli_errors
def start_command() -> None:
    """Start this environment's daemon (if none runs) and wait until it answers."""
    path = _path()
    info = spawn.status(path)
    if info is None:
        try:
            spawn.spawn(wait=True)
        except (OSError, RuntimeError, where.Unsafe) as exc:
            raise CliError(f"daemon: {exc}") from None
        info = spawn.status(path)
    if info is None:
        raise CliError(f"daemon: started, but nothing answers at {path}")
    typer.echo(_describe(info))


@daemon_app.command("status")
@cli_errors
def status_command() -> None:
    """Whether this environment's daemon runs (exit 1 if not)."""
    path = _path()
    info = spawn.status(path)
    if info is None:
        typer.echo(f"specmerge daemon: not running (socket {path})")
        raise typer.Exit(EXIT_FINDINGS)
    typer.echo(_describe(info))


@daemon_app.command("stop")
@cli_errors
def stop_command() -> None:
    """Stop this environment's daemon (the command it runs, if any, finishes first)."""
    path = _path()
    outcome = spawn.stop(path)
    if outcome == "still running":
        typer.echo(f"specmerge daemon: asked to stop; still running a command (socket {path}), it exits when "
                   "that ends")
        raise typer.Exit(EXIT_FINDINGS)
    typer.echo(f"specmerge daemon: {outcome}")


@daemon_app.command("run")
@cli_errors
def run_command() -> None:
    """Serve in the foreground (for a supervisor, or to watch it); exits when idle or stopped."""
    from .daemon.server import main

    path = _path()
    try:
        where.checked_dir(os.path.dirname(path), create=True)
        lock = where.take_lock(path + ".lock")
        if lock is None:
            raise CliError(f"daemon: one already serves {path}")
        status = main(path, lock)
    except (OSError, where.Unsafe) as exc:
        raise CliError(f"daemon: {exc}") from None
    raise typer.Exit(status)
