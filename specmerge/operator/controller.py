"""The controller: informers -> keyed work queue -> workers running :class:`~.reconcile.Reconciler`.

Informers (per watched namespace, or one for all): the CRs (with ``--selector`` server side,
which is how shards split instances), the Secrets specmerge manages
(``app.kubernetes.io/managed-by=specmerge``) and Helm's release Secrets (``owner=helm``,
metadata only). Any event enqueues the instance it concerns. A resync every ``resync``
seconds enqueues every CR; a converged instance then costs no request (reconcile step 4).
Two more timers: every ``drift_interval`` the converged instances whose ``spec.drift.mode``
is not ``disabled`` are marked due for a drift check and enqueued; every
``preflight_interval`` the instances blocked on unmet requirements are enqueued (they look
again once the shared cluster facts are older than that).
Workers start only once this replica leads (followers keep their informers warm).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..channels import CacheEntry, CacheError
from ..instances import (
    CACHE_SUFFIX,
    CrKind,
    HELM_SELECTOR,
    MANAGED_SELECTOR,
    PermanentError,
    TemporaryError,
    USER_SUFFIX,
    cached_release,
    decode_any,
    instance_of_secret,
)
from ..instances.channel_cache import ANNOTATION as CACHE_ANNOTATION
from . import metrics
from .channels import ChannelPoller
from .informer import Informer, Informers
from .kube import Kube, secrets_path
from .reconcile import Reconciler
from .workqueue import WorkQueue

log = logging.getLogger("specmerge.operator")


@dataclass(frozen=True)
class Scope:
    """Where to look: ``namespaces`` (empty: all) and the CR label selector (a shard)."""

    namespaces: tuple[str, ...] = ()
    selector: str | None = None


def release_key(obj: dict[str, Any]) -> str | None:
    """Index of Helm's release Secrets: ``namespace/release name``."""
    meta = obj.get("metadata") or {}
    name = (meta.get("labels") or {}).get("name")
    return f"{meta.get('namespace')}/{name}" if name else None


#: The kinds whose edits start a drift check at once, beside the ``--drift-interval`` timer: the
#: bundled platform chart's kinds, which the operator's RBAC lets it list and watch. Helm labels
#: every object it applies ``app.kubernetes.io/managed-by=Helm`` and annotates it with its release.
OWNED: tuple[tuple[str, str, str], ...] = (
    ("", "v1", "configmaps"), ("", "v1", "services"), ("", "v1", "serviceaccounts"),
    ("apps", "v1", "deployments"), ("networking.k8s.io", "v1", "ingresses"),
    ("autoscaling", "v2", "horizontalpodautoscalers"), ("policy", "v1", "poddisruptionbudgets"),
)
OWNED_SELECTOR = "app.kubernetes.io/managed-by=Helm"


def collection_path(group: str, version: str, plural: str, namespace: str | None) -> str:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    return f"{base}/namespaces/{namespace}/{plural}" if namespace else f"{base}/{plural}"


class Controller:
    def __init__(self, kube: Kube, scope: Scope, kind: CrKind, make_reconciler: Callable[..., Reconciler],
                 poller: ChannelPoller, queue: WorkQueue, *, workers: int = 2, resync: float = 3600.0,
                 default_channel: str = "stable") -> None:
        self.kube, self.scope, self.poller, self.queue = kube, scope, poller, queue
        self.default_channel = default_channel
        self.workers, self.resync = workers, resync
        self.crs = Informers(lambda ns: Informer(kube, kind.path(ns), self._on_cr, name=f"crs:{ns or '*'}",
                                                 selector=scope.selector), scope.namespaces)
        self.secrets = Informers(lambda ns: Informer(kube, secrets_path(ns), self._on_secret,
                                                     name=f"secrets:{ns or '*'}", selector=MANAGED_SELECTOR),
                                 scope.namespaces)
        self.releases = Informers(lambda ns: Informer(kube, secrets_path(ns), self._on_release,
                                                      name=f"releases:{ns or '*'}", selector=HELM_SELECTOR,
                                                      metadata_only=True, index=release_key), scope.namespaces)
        self.owned = [Informers(lambda ns, g=g, v=v, p=p: Informer(
            kube, collection_path(g, v, p, ns), self._on_owned, name=f"{p}:{ns or '*'}", selector=OWNED_SELECTOR,
            metadata_only=True), scope.namespaces) for g, v, p in OWNED]
        self.reconciler = make_reconciler(crs=self.crs, secrets=self.secrets, releases=self.releases)
        self._threads: list[threading.Thread] = []

    # -- event handlers: enqueue the instance concerned ---------------------------------

    def _on_cr(self, _kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        self.queue.add(f"{meta.get('namespace')}/{meta.get('name')}")

    def _enqueue_if_instance(self, namespace: str, name: str | None) -> None:
        if name and self.crs.get(namespace, name) is not None:
            self.queue.add(f"{namespace}/{name}")

    def _on_secret(self, _kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        self._enqueue_if_instance(meta.get("namespace", ""), instance_of_secret(meta.get("name", "")))

    def _on_release(self, _kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        self._enqueue_if_instance(meta.get("namespace", ""), (meta.get("labels") or {}).get("name"))

    def _on_owned(self, kind: str, obj: dict[str, Any]) -> None:
        """An object of a release changed or went away: a drift check of that instance, now,
        if it is converged and checks drift (listing and Helm's own applies are not edits)."""
        if kind not in ("MODIFIED", "DELETED"):
            return
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        name, namespace = annotations.get("meta.helm.sh/release-name"), annotations.get("meta.helm.sh/release-namespace")
        key = f"{namespace}/{name}"
        mem = self.reconciler.memory.get(key)
        if name and namespace and mem is not None and mem.converged and mem.policy.drift_mode != "disabled":
            mem.drift_due = True
            self.queue.add(key)

    def on_new_release(self, channel: str) -> None:
        """A channel published: enqueue exactly the unpinned instances on it."""
        for key, mem in list(self.reconciler.memory.items()):
            if mem.request is not None and mem.request.channel == channel and mem.request.release is None:
                self.queue.add(key)

    # -- lifecycle ----------------------------------------------------------------------

    def informers(self) -> list[Informer]:
        return self.crs.all() + self.secrets.all() + self.releases.all() + [i for o in self.owned for i in o.all()]

    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers())

    def start_informers(self, stop: threading.Event, timeout: float = 120.0) -> None:
        for informer in self.informers():
            self._spawn(informer.name, lambda i=informer: i.run(stop))
        deadline = time.monotonic() + timeout
        while not self.synced() and not stop.is_set():
            if time.monotonic() > deadline:
                raise TemporaryError("informers", f"not synced after {timeout:g}s")
            stop.wait(0.05)
        self._seed_channels()

    def _seed_channels(self) -> None:
        """Seed each channel's last good release from the instances' ``-latest-cached-release``
        Secrets (ours, or the incumbent's spelling); an instance's pinned release is skipped."""
        for secret in self.secrets.items():
            meta = secret.get("metadata") or {}
            name = str(meta.get("name", ""))
            if not name.endswith(CACHE_SUFFIX):
                continue
            namespace, instance = meta.get("namespace", ""), name[: -len(CACHE_SUFFIX)]
            where = f"secret:{namespace}/{name}"
            cr = self.crs.get(namespace, instance)
            spec = (cr or {}).get("spec") or {}
            user = self.secrets.get(namespace, f"{instance}{USER_SUFFIX}")
            try:
                user_values = decode_any((user or {}).get("data"), "values", where) if user else None
                layers = [layer for layer in (user_values, spec.get("values")) if isinstance(layer, dict)]
                pinned = next((str(v["_releaseId"]) for v in reversed(layers) if v.get("_releaseId")), None)
                parts = {k: decode_any(secret.get("data"), k, where) for k in ("metadata", "chart", "values")}
                doc, is_pin = cached_release(parts, str(spec.get("channel") or self.default_channel), pinned)
                if is_pin:
                    continue
                extras = (meta.get("annotations") or {}).get(CACHE_ANNOTATION)
                self.poller.seed(CacheEntry.from_parts(doc, json.loads(extras) if extras else {}, where))
            except (PermanentError, CacheError, ValueError) as exc:
                log.warning("last good release not usable: %s", exc)

    def start_workers(self, stop: threading.Event, poll_interval: float) -> None:
        for n in range(self.workers):
            self._spawn(f"worker-{n}", self._work)
        self._spawn("channel-poller", lambda: self.poller.run(stop, poll_interval))
        self._spawn("resync", lambda: self._resync(stop))
        settings = self.reconciler.settings
        self._spawn("drift", lambda: self._every(stop, settings.drift_interval, self.drift_due))
        self._spawn("preflight", lambda: self._every(stop, settings.preflight_interval, self.blocked_again))

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _resync(self, stop: threading.Event) -> None:
        while not stop.wait(self.resync):
            for cr in self.crs.items():
                self._on_cr("RESYNC", cr)

    @staticmethod
    def _every(stop: threading.Event, interval: float, action: Callable[[], None]) -> None:
        while not stop.wait(interval):
            action()

    def drift_due(self) -> None:
        """Enqueue the converged instances whose drift check is on."""
        for key, mem in list(self.reconciler.memory.items()):
            if mem.converged and mem.policy.drift_mode != "disabled":
                mem.drift_due = True
                self.queue.add(key)

    def blocked_again(self) -> None:
        """Enqueue the instances blocked on unmet requirements."""
        for key, mem in list(self.reconciler.memory.items()):
            if mem.blocked is not None:
                self.queue.add(key)

    def _work(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            began = time.monotonic()
            try:
                self.reconciler.reconcile(key)
                self.queue.forget(key)
                metrics.RECONCILES.labels("ok").inc()
            except TemporaryError as exc:
                wait = self.queue.retry(key, exc.delay)
                metrics.RECONCILES.labels("retry").inc()
                log.warning("retry in %.1fs: %s", wait, exc, extra={"instance": key})
            except PermanentError as exc:
                metrics.RECONCILES.labels("stalled").inc()
                log.warning("stalled: %s", exc, extra={"instance": key})
            except Exception as exc:  # a bug: keep the worker alive, retry with backoff, say what broke
                wait = self.queue.retry(key)
                metrics.RECONCILES.labels("error").inc()
                log.error("reconcile failed (%s); retry in %.1fs", type(exc).__name__, wait,
                          exc_info=True, extra={"instance": key})
            finally:
                metrics.RECONCILE_SECONDS.observe(time.monotonic() - began)
                self.queue.done(key)

    def stop_workers(self, timeout: float = 60.0) -> None:
        self.queue.shutdown()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.name.startswith("worker-"):
                thread.join(max(0.0, deadline - time.monotonic()))


__all__ = ["Controller", "Scope", "release_key"]
