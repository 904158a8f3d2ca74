"""Several service processes on one listening socket (``specmerge serve --workers N``).

A preview is CPU-bound Python, so one process serves one preview at a time whatever its
thread count; N processes serve N. The parent checks the settings, binds the socket and
hands both to uvicorn's multiprocess supervisor, which spawns the workers, restarts one
that dies and stops them all on SIGINT/SIGTERM. Each worker rebuilds the service from the
settings (passed in :data:`SETTINGS_ENV`; spawned processes inherit the environment) in
:func:`worker_app`. Nothing else is shared: the directory store locks across processes and
the Secret store compares resourceVersions, so workers never lose each other's writes.

Metrics are summed over the workers with prometheus-client's multiprocess mode: the parent
points :data:`PROMETHEUS_DIR_ENV` at a fresh directory before any worker imports
prometheus-client, and every worker's ``/metrics`` reads all workers' files.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import shutil
import socket
import tempfile
from typing import Any

from .settings import ServiceSettings, load_settings

SETTINGS_ENV = "SPECMERGE_SERVE_SETTINGS"
LOG_LEVEL_ENV = "SPECMERGE_SERVE_LOG_LEVEL"
PROMETHEUS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def settings_to_env(settings: ServiceSettings) -> str:
    return json.dumps(dataclasses.asdict(settings))


def settings_from_env(text: str) -> ServiceSettings:
    data: dict[str, Any] = json.loads(text)
    data["cors_origins"] = tuple(data.get("cors_origins") or ())
    return load_settings(None, **data)


def worker_app() -> Any:
    """The ASGI app of one worker (uvicorn's ``factory=True`` entry point)."""
    from .app import create_app
    from .build import build_service

    logging.basicConfig(level=os.environ.get(LOG_LEVEL_ENV, "INFO"), format=LOG_FORMAT)
    app = create_app(build_service(settings_from_env(os.environ[SETTINGS_ENV])))
    gc.freeze()  # start-up objects (chart, schema, channels) need no more GC scans
    return app


def run_workers(settings: ServiceSettings, sock: socket.socket, workers: int, log_level: str) -> None:
    """Serve on ``sock`` with ``workers`` processes until SIGINT/SIGTERM."""
    from uvicorn.supervisors import Multiprocess

    from .connections import TAKING_TURNS, server_config

    metrics_dir = tempfile.mkdtemp(prefix="specmerge-metrics-")
    passed = {SETTINGS_ENV: settings_to_env(settings), LOG_LEVEL_ENV: log_level.upper(), PROMETHEUS_DIR_ENV: metrics_dir}
    saved = {name: os.environ.get(name) for name in passed}
    os.environ.update(passed)
    try:
        config = server_config(f"{__name__}:worker_app", settings, factory=True, workers=workers, loop=TAKING_TURNS)
        Multiprocess(config, sockets=[sock]).run()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(metrics_dir, ignore_errors=True)
