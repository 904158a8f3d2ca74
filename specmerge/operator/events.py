"""Events (``events.k8s.io/v1``) about an instance, only on transitions.

``reportingController`` is ``specmerge.io/operator`` and ``reportingInstance`` this replica's
identity (the API requires it). The same (reason, note) for the same object is posted once
per process: a pass that repeats a state says nothing new. Notes are built by callers from
masked text only; a failed post is logged, never fatal.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..instances import CrKind
from .kube import ApiError, Kube
from .leader import micro_time

log = logging.getLogger("specmerge.operator")
CONTROLLER = "specmerge.io/operator"
MAX_NOTE = 1024


class Events:
    def __init__(self, kube: Kube, kind: CrKind, identity: str) -> None:
        self.kube, self.kind, self.identity = kube, kind, identity
        self._last: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def emit(self, cr: dict[str, Any], kind: str, reason: str, action: str, note: str) -> None:
        meta = cr["metadata"]
        uid = str(meta.get("uid"))
        note = note if len(note) <= MAX_NOTE else note[: MAX_NOTE - 1] + "…"
        with self._lock:
            if self._last.get(uid) == (reason, note):
                return
            self._last[uid] = (reason, note)
        body = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{time.time_ns():x}", "namespace": meta["namespace"]},
            "eventTime": micro_time(),
            "reportingController": CONTROLLER,
            "reportingInstance": self.identity,
            "action": action,
            "reason": reason,
            "type": kind,
            "note": note,
            "regarding": {"apiVersion": self.kind.api_version, "kind": self.kind.kind, "name": meta["name"],
                          "namespace": meta["namespace"], "uid": uid},
        }
        try:
            self.kube.create(f"/apis/events.k8s.io/v1/namespaces/{meta['namespace']}/events", body)
        except ApiError as exc:
            log.warning("event %s not posted: %s", reason, exc, extra={"instance": f"{meta['namespace']}/{meta['name']}"})


__all__ = ["CONTROLLER", "Events"]
