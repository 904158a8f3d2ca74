"""Leader election on a ``coordination.k8s.io/v1`` Lease (client-go's algorithm, minimal).

Only the holder reconciles; followers keep their informers warm and wait. A holder that
cannot renew within ``renew_deadline`` calls ``on_lost`` (the operator exits: continuing
after a lost lease is how two writers happen). :meth:`LeaseElector.release` hands the
Lease over at once on SIGTERM (holder cleared, duration 1 s).

Expiry is judged by the follower's own clock from when it last saw the record change,
never by comparing clocks with the holder.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from . import metrics
from .kube import ApiError, Kube

log = logging.getLogger("specmerge.operator")


def micro_time(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseElector:
    def __init__(
        self,
        kube: Kube,
        namespace: str,
        name: str,
        identity: str,
        *,
        lease_seconds: int = 15,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
        on_lost: Callable[[], None],
    ) -> None:
        self.kube, self.namespace, self.name, self.identity = kube, namespace, name, identity
        self.lease_seconds, self.renew_deadline, self.retry_period = lease_seconds, renew_deadline, retry_period
        self.on_lost = on_lost
        self.path = f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
        self._seen: tuple[Any, ...] | None = None
        self._seen_at = 0.0
        self.leading = threading.Event()

    def _try(self) -> bool:
        """One acquire-or-renew attempt; ``True`` if we hold the Lease afterwards."""
        now = datetime.now(timezone.utc)
        lease = self.kube.get(f"{self.path}/{self.name}")
        if lease is None:
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": self.lease_seconds,
                             "acquireTime": micro_time(now), "renewTime": micro_time(now), "leaseTransitions": 0}}
            try:
                self.kube.create(self.path, body)
                return True
            except ApiError as exc:
                if exc.conflict:
                    return False
                raise
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"), spec.get("leaseDurationSeconds"))
        if record != self._seen:
            self._seen, self._seen_at = record, time.monotonic()
        duration = float(spec.get("leaseDurationSeconds") or self.lease_seconds)
        if holder and holder != self.identity and time.monotonic() < self._seen_at + duration:
            return False
        changed = holder != self.identity
        new_spec = {**spec, "holderIdentity": self.identity, "leaseDurationSeconds": self.lease_seconds,
                    "renewTime": micro_time(now)}
        if changed:
            new_spec["acquireTime"] = micro_time(now)
            new_spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        try:
            self.kube.replace(f"{self.path}/{self.name}", {**lease, "spec": new_spec})
        except ApiError as exc:
            if exc.conflict:
                return False
            raise
        return True

    def acquire(self, stop: threading.Event) -> bool:
        """Block until this replica leads (``True``) or ``stop`` is set (``False``)."""
        while not stop.is_set():
            try:
                if self._try():
                    log.info("leader election: %s now holds lease %s/%s", self.identity, self.namespace, self.name)
                    self.leading.set()
                    metrics.LEADER.set(1)
                    return True
            except ApiError as exc:
                log.warning("leader election: %s", exc)
            stop.wait(self.retry_period)
        return False

    def keep(self, stop: threading.Event) -> None:
        """Renew until ``stop``; calls ``on_lost`` when a renewal cannot succeed within the deadline."""
        last_ok = time.monotonic()
        while not stop.wait(self.retry_period):
            try:
                if self._try():
                    last_ok = time.monotonic()
                    continue
                log.error("leader election: lease %s/%s taken by another replica", self.namespace, self.name)
            except ApiError as exc:
                log.warning("leader election: renew failed: %s", exc)
                if time.monotonic() - last_ok < self.renew_deadline:
                    continue
            self.leading.clear()
            metrics.LEADER.set(0)
            self.on_lost()
            return

    def release(self) -> None:
        """Give the Lease up (only if we hold it): holder cleared, 1 s duration."""
        if not self.leading.is_set():
            return
        try:
            lease = self.kube.get(f"{self.path}/{self.name}")
            if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
                return
            spec = {**lease["spec"], "holderIdentity": None, "leaseDurationSeconds": 1, "renewTime": micro_time()}
            self.kube.replace(f"{self.path}/{self.name}", {**lease, "spec": spec})
            log.info("leader election: released lease %s/%s", self.namespace, self.name)
        except ApiError as exc:
            log.warning("leader election: release failed: %s", exc)
        finally:
            self.leading.clear()
            metrics.LEADER.set(0)


__all__ = ["LeaseElector", "micro_time"]
