"""The operator process: build the parts from :class:`OperatorConfig`, elect, reconcile, exit cleanly.

Start-up: the metrics/health server, the informers (``/readyz`` turns 200 once they have
synced), then leader election on a Lease (one per ``--selector`` shard), then workers, the
channel poller and the resync timer. SIGTERM/SIGINT: stop taking work, let running passes
finish, release the Lease, exit 0. Losing the Lease exits at once with status 1 (a replica
that keeps writing after losing it is how two writers happen).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client, config

from ..channels import ChannelClient, MemoryCache, Resolver, read_license_file
from . import metrics
from .channels import ChannelPoller
from .controller import Controller, Scope
from .events import Events
from .helm import HelmDriver
from .kube import Kube
from .leader import LeaseElector
from .reconcile import Reconciler, Settings
from .workqueue import WorkQueue

log = logging.getLogger("specmerge.operator")


@dataclass(frozen=True)
class OperatorConfig:
    kubeconfig: Path | None = None
    context: str | None = None
    scope: Scope = field(default_factory=Scope)
    settings: Settings = field(default_factory=Settings)
    channel_server: str | None = None
    license_file: Path | None = None
    workers: int = 2
    resync: float = 3600.0
    poll_interval: float = 300.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 8481
    lease_namespace: str = "default"
    lease_name: str | None = None
    lease_seconds: int = 15
    identity: str | None = None
    helm_timeout: int = 300

    def lease(self) -> str:
        """``specmerge-operator``, or one Lease per shard: ``specmerge-operator-<hash of selector>``."""
        if self.lease_name:
            return self.lease_name
        if self.scope.selector:
            return f"specmerge-operator-{hashlib.sha256(self.scope.selector.encode()).hexdigest()[:10]}"
        return "specmerge-operator"


def _api_client(cfg: OperatorConfig) -> client.ApiClient:
    if cfg.kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        config.load_incluster_config()
        return client.ApiClient()
    return config.new_client_from_config(config_file=str(cfg.kubeconfig) if cfg.kubeconfig else None,
                                         context=cfg.context)


def run(cfg: OperatorConfig, announce: Callable[[str], None] = print) -> int:
    identity = cfg.identity or f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}"
    kube = Kube(_api_client(cfg))
    stop = threading.Event()
    license = read_license_file(cfg.license_file) if cfg.license_file else None
    channel_client = ChannelClient(cfg.channel_server, license) if cfg.channel_server else None
    cache = MemoryCache()
    resolver = Resolver(channel_client, cache, airgapped=cfg.settings.airgapped)
    queue = WorkQueue()
    helm = HelmDriver(cfg.kubeconfig, cfg.helm_timeout)
    events = Events(kube, cfg.settings.kind, identity)
    holder: dict[str, Controller] = {}
    poller = ChannelPoller(resolver, cache, lambda channel: holder["c"].on_new_release(channel))
    make = functools.partial(Reconciler, kube, cfg.settings, channels=poller, helm=helm, events=events)
    controller = Controller(kube, cfg.scope, cfg.settings.kind, make, poller, queue,
                            workers=cfg.workers, resync=cfg.resync, default_channel=cfg.settings.default_channel)
    holder["c"] = controller
    _, url = metrics.serve(cfg.metrics_host, cfg.metrics_port, controller.synced)
    announce(f"operator: {identity} serving metrics on {url}")

    def lost() -> None:
        log.error("lost the lease: exiting so that only the new leader writes")
        os._exit(1)

    elector = LeaseElector(kube, cfg.lease_namespace, cfg.lease(), identity, lease_seconds=cfg.lease_seconds,
                           renew_deadline=cfg.lease_seconds * 2 / 3, retry_period=max(0.5, cfg.lease_seconds / 7.5),
                           on_lost=lost)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        controller.start_informers(stop)
        log.info("informers synced; waiting for lease %s/%s", cfg.lease_namespace, cfg.lease())
        if elector.acquire(stop):
            threading.Thread(target=elector.keep, args=(stop,), name="lease", daemon=True).start()
            controller.start_workers(stop, cfg.poll_interval)
            while not stop.wait(1.0):
                pass
    finally:
        stop.set()
        controller.stop_workers()
        elector.release()
        helm.close()
        if channel_client is not None:
            channel_client.close()
        log.info("stopped")
    return 0


__all__ = ["OperatorConfig", "run"]
