"""``specmerge serve``: the HTTP service (preview, console values, health, metrics)."""

from __future__ import annotations

import gc
import logging
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .errors import cli_errors
from .options import listen

if TYPE_CHECKING:
    from ..service import Service, ServiceSettings

Host = Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")]
Port = Annotated[int | None, typer.Option("--port", help="Port (default 8080; 0 picks a free one).")]
Config = Annotated[Path | None, typer.Option("--config", help="YAML/JSON settings file (flags override it).")]
StoreDir = Annotated[str | None, typer.Option("--store-dir", help="Directory backend for console values.")]
Kubeconfig = Annotated[
    str | None, typer.Option("--kubeconfig", help="Secret backend (<name>-spec-user) via this kubeconfig.")
]
InCluster = Annotated[bool, typer.Option("--in-cluster", help="Secret backend via the pod's service account.")]
KubeAuth = Annotated[bool, typer.Option("--kube-auth", help="Check tokens with TokenReview + SubjectAccessReview.")]
AuthCacheTtl = Annotated[
    float | None, typer.Option("--auth-cache-ttl", help="Seconds --kube-auth remembers a review (default 5; 0 off).")
]
TokenFile = Annotated[
    str | None, typer.Option("--token-file", help="File holding the bearer token (else $SPECMERGE_TOKEN).")
]
NoAuth = Annotated[bool, typer.Option("--no-auth", help="No authentication (loopback hosts only).")]
AllowReveal = Annotated[bool, typer.Option("--allow-reveal", help="Let the token holder use showSecrets=true.")]
Channel = Annotated[str | None, typer.Option("--channel", help="Default release channel.")]
ChannelServer = Annotated[
    str | None, typer.Option("--channel-server", envvar="SPECMERGE_CHANNEL_SERVER", help="Channel server base URL.")
]
LicenseFile = Annotated[
    str | None, typer.Option("--license-file", envvar="SPECMERGE_LICENSE_FILE", help="License file (never printed).")
]
Airgapped = Annotated[bool, typer.Option("--airgapped", help="Never contact a channel server.")]
BodyLimit = Annotated[int | None, typer.Option("--body-limit", help="Max request body bytes (default 1 MiB).")]
Timeout = Annotated[float | None, typer.Option("--timeout", help="Request timeout in seconds (default 30).")]
Workers = Annotated[int | None, typer.Option("--workers", help="Worker processes sharing the socket (default 1).")]
LogLevel = Annotated[str, typer.Option("--log-level", help="Python log level.")]


@cli_errors
def serve_command(
    host: Host = None,
    port: Port = None,
    config: Config = None,
    store_dir: StoreDir = None,
    kubeconfig: Kubeconfig = None,
    in_cluster: InCluster = False,
    kube_auth: KubeAuth = False,
    auth_cache_ttl: AuthCacheTtl = None,
    token_file: TokenFile = None,
    no_auth: NoAuth = False,
    allow_reveal: AllowReveal = False,
    channel: Channel = None,
    channel_server: ChannelServer = None,
    license_file: LicenseFile = None,
    airgapped: Airgapped = False,
    body_limit: BodyLimit = None,
    timeout: Timeout = None,
    workers: Workers = None,
    log_level: LogLevel = "INFO",
) -> None:
    """Serve the HTTP API. Prints one line with the URL, then serves until interrupted."""
    from ..service import load_settings
    from ..service.build import build_service
    from ..service.workers import LOG_FORMAT

    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)
    flags = dict(
        host=host, port=port, store_dir=store_dir, kubeconfig=kubeconfig, in_cluster=in_cluster or None,
        kube_auth=kube_auth or None, auth_cache_ttl=auth_cache_ttl, token_file=token_file, no_auth=no_auth or None,
        allow_reveal=allow_reveal or None, channel=channel, channel_server=channel_server,
        license_file=license_file, airgapped=airgapped or None, body_limit=body_limit, request_timeout=timeout,
        workers=workers,
    )
    settings = load_settings(config, **flags)  # a SettingsError is bad input: exit 2
    service = build_service(settings)
    sock = listen(settings.host, settings.port)
    run(service, settings, sock, log_level)


def run(service: Service, settings: ServiceSettings, sock: socket.socket, log_level: str) -> None:
    """Announce the URL, then serve on ``sock``: in this process, or in ``settings.workers``
    worker processes sharing it."""
    from .._serve import url_of
    from ..service import create_app

    print(f"serve: {service.store!r} on {url_of(sock)}", flush=True)
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
