"""``specmerge channel show|list`` and ``specmerge channel-server``.

``show`` resolves a channel request exactly as the operator does (server -> not-modified
-> cache -> embedded, see :mod:`specmerge.channels.resolve`) and prints the spec with a
header saying which source answered and why. Chart credentials are masked. Exit codes: 0
a release was found (even from a fallback; the header says so), 2 bad input or no
release anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..channels import (
    ChannelClient,
    ChannelRequest,
    ChannelResult,
    ChannelSpecError,
    DirectoryCache,
    License,
    ReleaseNotFound,
    Resolver,
    RetryPolicy,
    channel_schema,
    default_cache_dir,
    embedded_dir,
    latest,
    load_dir,
    read_license_file,
)
from ..core import Redactor, to_json, to_yaml
from .errors import CliError, cli_errors
from .options import LicenseFile
from .options import check_output, listen

channel_app = typer.Typer(help="Release channels: show the release a site would use, list embedded releases.",
                          no_args_is_help=True)

Output = Annotated[str, typer.Option("-o", "--output", help="yaml or json.")]
OUTPUTS = ("yaml", "json")


def _license(path: Path | None) -> License | None:
    return read_license_file(path) if path is not None else None


def render_show(result: ChannelResult, output: str) -> str:
    """What ``channel show`` prints: the masked spec, with the result as a YAML comment
    header (yaml) or beside it (json)."""
    spec = Redactor(channel_schema().schema).mask(result.spec.to_dict())
    if output == "json":
        return to_json({"result": result.to_dict(), "spec": spec})
    head = [
        f"# release: {result.channel} {result.version} ({result.release_id})",
        f"# source:  {result.source} {result.origin}",
    ]
    if result.reason:
        head.append(f"# reason:  {result.reason}")
    if result.cache_error:
        head.append(f"# cache:   not updated: {result.cache_error}")
    return "\n".join(head) + "\n" + to_yaml(spec)


@channel_app.command("show")
@cli_errors
def show_command(
    channel: Annotated[str, typer.Option("--channel", help="Channel name.")] = "stable",
    release: Annotated[str | None, typer.Option("--release", help="Pin a releaseId or version.")] = None,
    server: Annotated[
        str | None, typer.Option("--server", envvar="SPECMERGE_CHANNEL_SERVER", help="Channel server base URL.")
    ] = None,
    airgapped: Annotated[
        bool, typer.Option("--airgapped", envvar="SPECMERGE_AIRGAPPED", help="Never open a network connection.")
    ] = False,
    license_file: LicenseFile = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Last-good cache directory.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither read nor write the last-good cache.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Total seconds for the fetch, retries included.")] = 20.0,
    output: Output = "yaml",
) -> None:
    """Print the release this site would use, which source answered, and why."""
    check_output(output, OUTPUTS)
    if timeout <= 0:
        raise CliError("--timeout must be positive")
    request = ChannelRequest(channel, release)
    license = _license(license_file)
    client = None
    if server and not airgapped:
        try:
            client = ChannelClient(server, license, policy=RetryPolicy(total=timeout))
        except ValueError as exc:
            raise CliError(f"--server: {exc}") from None
    cache = None if no_cache else DirectoryCache(cache_dir or default_cache_dir())
    try:
        result = Resolver(client, cache, airgapped=airgapped).resolve(request)
    finally:
        if client is not None:
            client.close()
    sys.stdout.write(render_show(result, output))


@channel_app.command("list")
@cli_errors
def list_command(
    directory: Annotated[Path | None, typer.Option("--dir", help="Channels directory (default: embedded).")] = None,
    output: Output = "yaml",
) -> None:
    """List the releases in a channels directory (the embedded ones by default), latest marked."""
    check_output(output, OUTPUTS)
    root = directory or embedded_dir()
    try:
        specs = load_dir(root)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    latest_ids = {latest(specs, c).release_id for c in {s.channel for s in specs}}
    rows = [
        {
            "channel": s.channel,
            "version": s.version,
            "releaseId": s.release_id,
            "publishedAt": s.published_at,
            "latest": s.release_id in latest_ids,
        }
        for s in specs
    ]
    if output == "json":
        sys.stdout.write(to_json({"directory": str(root), "releases": rows}))
        return
    header = ("CHANNEL", "VERSION", "RELEASE ID", "PUBLISHED", "")
    table = [header] + [
        (r["channel"], r["version"], r["releaseId"], r["publishedAt"], "latest" if r["latest"] else "") for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        sys.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n")


@cli_errors
def channel_server_command(
    directory: Annotated[Path, typer.Option("--dir", help="Channels directory to serve.")] = Path("channels"),
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0 picks a free one).")] = 8480,
    license_file: LicenseFile = None,
    default_channel: Annotated[str, typer.Option("--default-channel", help="Channel when none is asked.")] = "stable",
) -> None:
    """Serve a channels directory on the channel API paths (the airgapped mirror).

    Prints one line with the URL it listens on, then serves until interrupted."""
    from .._serve import serve, url_of
    from ..channels.server import create_app

    license = _license(license_file)
    try:
        app = create_app(directory, license, default_channel)
    except (ChannelSpecError, ReleaseNotFound) as exc:
        raise CliError(f"--dir {directory}: {exc}") from None
    except FileNotFoundError as exc:
        raise CliError(f"--dir: {exc}") from None
    sock = listen(host, port)
    auth = "license required" if license else "no license check"
    print(f"channel-server: serving {directory} on {url_of(sock)} ({auth})", flush=True)
    _report_incumbent_problems(directory)
    serve(app, sock)


def _report_incumbent_problems(directory: Path) -> None:
    """One stderr line per spec an incumbent operator's client could not load (channels.compat)."""
    from ..channels import incumbent_problems
    from ..channels import load_dir

    for spec in load_dir(Path(directory)):
        problems = incumbent_problems(spec)
        if problems:
            print(f"channel-server: an incumbent (W&B operator v1) client could not load {spec.channel}/{spec.version}: "
                  + "; ".join(problems), file=sys.stderr, flush=True)


__all__ = ["channel_app", "channel_server_command", "render_show"]
