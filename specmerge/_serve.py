"""Serving an ASGI app on a socket of our own: the one place the listening socket is made.

Both HTTP front doors use it - ``specmerge channel-server`` (:mod:`specmerge.channels.server`)
and ``specmerge serve`` (:mod:`specmerge.service`) - so neither imports the other. The
socket is bound before uvicorn starts, so the command can print the URL it really listens
on (``port=0`` picks a free one) and a busy port is a clear error, not a uvicorn log line.
"""

from __future__ import annotations

import socket
from typing import Any


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (``port=0`` picks a free one), with TCP_NODELAY."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit this on Linux. Without it, uvicorn's separate header and body
    # writes meet the client's delayed ACK and every keep-alive 200 waits ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def url_of(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (an IPv6 host in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(app: Any, sock: socket.socket) -> None:
    """Run the ASGI ``app`` on ``sock`` with uvicorn until interrupted (quiet: warnings only)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


__all__ = ["bind", "serve", "url_of"]
