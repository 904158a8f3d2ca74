"""The operator's Prometheus metrics (one registry per process) and its small HTTP server:
``/metrics``, ``/healthz`` (the process runs) and ``/readyz`` (every informer has synced)."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
RECONCILES = Counter("specmerge_operator_reconciles", "Reconcile passes by result.", ["result"], registry=REGISTRY)
RECONCILE_SECONDS = Histogram("specmerge_operator_reconcile_seconds", "Duration of a reconcile pass.",
                              registry=REGISTRY)
QUEUE_DEPTH = Gauge("specmerge_operator_queue_depth", "Keys waiting in the work queue.", registry=REGISTRY)
HELM_CALLS = Counter("specmerge_operator_helm_calls", "Helm actions by action and outcome.",
                     ["action", "outcome"], registry=REGISTRY)
API_REQUESTS = Counter("specmerge_operator_api_requests", "Requests to the apiserver by verb.", ["verb"],
                       registry=REGISTRY)
CHANNEL_POLLS = Counter("specmerge_operator_channel_polls", "Channel resolutions by channel and source.",
                        ["channel", "source"], registry=REGISTRY)
LEADER = Gauge("specmerge_operator_leader", "1 while this replica holds the Lease.", registry=REGISTRY)


class _Handler(http.server.BaseHTTPRequestHandler):
    ready: Callable[[], bool] = staticmethod(lambda: False)

    def log_message(self, *args: object) -> None:  # access logs would be noise in the JSON log
        return

    def _reply(self, code: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/metrics":
            self._reply(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self._reply(200, b"ok\n")
        elif self.path == "/readyz":
            ok = self.ready()
            self._reply(200 if ok else 503, b"ok\n" if ok else b"informers not synced\n")
        else:
            self._reply(404, b"not found\n")


def serve(host: str, port: int, ready: Callable[[], bool]) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start the metrics/health server in a daemon thread; returns it and its URL."""
    handler = type("Handler", (_Handler,), {"ready": staticmethod(ready)})
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    bound = server.socket.getsockname()
    shown = f"[{bound[0]}]" if server.address_family == socket.AF_INET6 else bound[0]
    return server, f"http://{shown}:{bound[1]}"
