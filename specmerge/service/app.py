"""The FastAPI app: settings and shared state, the routers (:mod:`.routes`), the error
handlers (:mod:`.problems`, the one status mapping) and the guard around it all
(:mod:`.middleware`). The logic lives in :mod:`.specs` (pipeline), :mod:`.values_edit`
(pure edits) and the store backends.

Status codes: 200; 400 malformed JSON; 401 no/bad bearer token; 403 not allowed (write,
or ``showSecrets``); 404 no stored values; 412 stale ``If-Match``; 413 body over the limit;
415 PATCH not ``application/merge-patch+json``; 422 invalid request or would-be spec;
428 write without ``If-Match``/``If-None-Match``; 503 not ready; 504 timeout.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from .middleware import Guard
from .problems import install_handlers
from .routes import ROUTERS
from .routes.console import mount_console
from .routes.deps import admit_with
from .state import Runtime, Service

CORS_METHODS = ["GET", "PUT", "PATCH", "POST"]
CORS_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match"]


def create_app(service: Service) -> Guard:
    """The service's ASGI app: FastAPI with every router, inside the :class:`.middleware.Guard`."""
    s = service.settings
    app = FastAPI(title="specmerge", version="1", docs_url=None, redoc_url=None,
                  description="Preview effective Helm values with provenance; store the console (user) layer.")
    app.state.runtime = Runtime.of(service)
    if s.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(s.cors_origins), allow_methods=CORS_METHODS,
                           allow_headers=CORS_HEADERS, expose_headers=["ETag", "X-Request-Id"])
    install_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    mount_console(app)
    return Guard(app, service.metrics, s.body_limit, s.request_timeout, admit_with(service.auth))


__all__ = ["Service", "create_app"]
