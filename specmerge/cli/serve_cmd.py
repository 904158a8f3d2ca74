"""``specmerge serve``: the HTTP service (preview, console values, health, metrics)."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Annotated

import typer

from .errors import CliError, handles_errors


@handles_errors
def serve_command(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8080; 0 picks a free one).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="YAML/JSON settings file (flags override it).")] = None,
    store_dir: Annotated[str | None, typer.Option("--store-dir", help="Directory backend for console values.")] = None,
    kubeconfig: Annotated[
        str | None, typer.Option("--kubeconfig", help="Secret backend (<name>-spec-user) via this kubeconfig.")
    ] = None,
    in_cluster: Annotated[bool, typer.Option("--in-cluster", help="Secret backend via the pod's service account.")] = False,
    kube_auth: Annotated[
        bool, typer.Option("--kube-auth", help="Check tokens with TokenReview + SubjectAccessReview.")
    ] = False,
    auth_cache_ttl: Annotated[
        float | None, typer.Option("--auth-cache-ttl", help="Seconds --kube-auth remembers a review (default 5; 0 off).")
    ] = None,
    token_file: Annotated[
        str | None, typer.Option("--token-file", help="File holding the bearer token (else $SPECMERGE_TOKEN).")
    ] = None,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="No authentication (loopback hosts only).")] = False,
    allow_reveal: Annotated[
        bool, typer.Option("--allow-reveal", help="Let the token holder use showSecrets=true.")
    ] = False,
    channel: Annotated[str | None, typer.Option("--channel", help="Default release channel.")] = None,
    channel_server: Annotated[
        str | None, typer.Option("--channel-server", envvar="SPECMERGE_CHANNEL_SERVER", help="Channel server base URL.")
    ] = None,
    license_file: Annotated[
        str | None, typer.Option("--license-file", envvar="SPECMERGE_LICENSE_FILE", help="Licence file (never printed).")
    ] = None,
    airgapped: Annotated[bool, typer.Option("--airgapped", help="Never contact a channel server.")] = False,
    body_limit: Annotated[int | None, typer.Option("--body-limit", help="Max request body bytes (default 1 MiB).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Request timeout in seconds (default 30).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes sharing the socket (default 1).")
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="Python log level.")] = "INFO",
) -> None:
    """Serve the HTTP API. Prints one line with the URL, then serves until interrupted."""
    from ..channels.server import bind
    from ..service import create_app, load_settings
    from ..service.build import build_service
    from ..service.settings import SettingsError
    from ..service.workers import LOG_FORMAT

    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)
    flags = dict(
        host=host, port=port, store_dir=store_dir, kubeconfig=kubeconfig, in_cluster=in_cluster or None,
        kube_auth=kube_auth or None, auth_cache_ttl=auth_cache_ttl, token_file=token_file, no_auth=no_auth or None,
        allow_reveal=allow_reveal or None, channel=channel, channel_server=channel_server,
        license_file=license_file, airgapped=airgapped or None, body_limit=body_limit, request_timeout=timeout,
        workers=workers,
    )
    try:
        settings = load_settings(config, **flags)
        service = build_service(settings)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        raise CliError(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"serve: {service.store!r} on http://{shown}:{bound_port}", flush=True)
    if settings.workers > 1:
        from ..service.workers import run_workers

        run_workers(settings, sock, settings.workers, log_level)
        return
    import uvicorn

    from ..service.connections import server_config

    app = create_app(service)
    gc.freeze()  # the long-lived startup objects need no more GC scans: fewer long pauses under load
    uvicorn.Server(server_config(app, settings)).run(sockets=[sock])


__all__ = ["serve_command"]
