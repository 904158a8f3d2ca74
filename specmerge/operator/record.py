"""What a pass writes besides Helm: the CR's status (and the events of its transitions), the
finalizer, and the ``-spec-active`` / ``-latest-cached-release`` Secrets — each compared
with what is there (or what this process last wrote) before it is written.

What the informers hold may lag this worker's own writes by a moment; the
:class:`~.state.Memory` of the instance remembers what was written, so a lagging cache
never causes a repeated write.
"""

from __future__ import annotations

import logging
from typing import Any

from ..channels import ChannelRequest, ChannelResult
from ..instances.channel_cache import ANNOTATION as CACHE_ANNOTATION
from ..core import canonical_json
from ..instances import (DIGEST_KEY, MANAGED_BY, InstanceSpec, PermanentError, active_secret, cache_secret, decode_any,
                         encode_parts)
from ..pipeline import Plan
from .events import Events
from .informer import Informers
from .kube import ApiError, Kube, secrets_path
from .state import Memory, Settings, active_current
from .status import NEGATIVE, Condition, Outcome, desired_status, now_rfc3339, transitions

log = logging.getLogger("specmerge.operator")


def channel_condition(result: ChannelResult) -> Condition:
    """``ChannelReady``; a 304 is the same fresh answer as a 200 (the status must not flip on a poll)."""
    if result.source in ("server", "not-modified"):
        return Condition("ChannelReady", True, "ReleaseFetched",
                         f"{result.channel} {result.version} ({result.release_id}) from the channel server")
    c = result.condition()
    return Condition("ChannelReady", c["status"] == "True", c["reason"], c["message"])


def channel_status(result: ChannelResult) -> dict[str, Any]:
    source = "server" if result.source == "not-modified" else result.source
    return {"name": result.channel, "version": result.version, "releaseId": result.release_id, "source": source}


class Recorder:
    """Status, finalizer and state-Secret writes for the instances of one kind."""

    def __init__(self, kube: Kube, settings: Settings, secrets: Informers, events: Events) -> None:
        self.kube, self.settings, self.secrets, self.events = kube, settings, secrets, events
        self._pruning_reported = False

    def where(self, cr: dict[str, Any]) -> str:
        return self.settings.kind.locator(cr["metadata"]["namespace"], cr["metadata"]["name"])

    def cr_path(self, cr: dict[str, Any], subresource: str | None = None) -> str:
        meta = cr["metadata"]
        return self.settings.kind.path(meta["namespace"], meta["name"], subresource)

    def add_finalizer(self, cr: dict[str, Any], finalizer: str) -> dict[str, Any]:
        meta = cr["metadata"]
        patch = {"metadata": {"finalizers": [*(meta.get("finalizers") or []), finalizer],
                              "resourceVersion": meta["resourceVersion"]}}
        try:
            return self.kube.merge_patch(self.cr_path(cr), patch)
        except ApiError as exc:
            raise exc.temporary(f"{self.where(cr)} finalizer") from None

    # -- status -------------------------------------------------------------------------

    def current_status(self, cr: dict[str, Any], mem: Memory) -> dict[str, Any]:
        if mem.status is not None and cr["metadata"].get("resourceVersion") == mem.status_rv:
            return mem.status  # the informer has not seen our last write yet
        return cr.get("status") or {}

    def set_conditions(self, cr: dict[str, Any], mem: Memory, *conditions: Condition) -> None:
        """Change only ``conditions``, keeping the phase and the failure count."""
        current = self.current_status(cr, mem)
        self.write_status(cr, mem, Outcome(str(current.get("phase") or "Deployed"), conditions,
                                           failures=int(current.get("failures") or 0)))

    def stall(self, cr: dict[str, Any], mem: Memory, fp: str, reason: str, message: str,
              result: ChannelResult | None = None) -> None:
        """``Stalled``: nothing is retried until the inputs (``fp``) change."""
        conditions = [Condition("Ready", False, reason, message), Condition("Stalled", True, reason, message)]
        if result is not None:
            conditions.append(channel_condition(result))
        self.write_status(cr, mem, Outcome("Stalled", tuple(conditions), failures=mem.failures,
                                           channel=None if result is None else channel_status(result)))
        mem.fp, mem.settled, mem.stalled = fp, True, True
        log.warning("stalled: %s", reason, extra={"instance": f"{cr['metadata']['namespace']}/{cr['metadata']['name']}"})

    def write_status(self, cr: dict[str, Any], mem: Memory, outcome: Outcome) -> None:
        """The status ``outcome`` gives, written (with events for its transitions) only if it differs."""
        current = self.current_status(cr, mem) or None
        generation = int(cr["metadata"].get("generation") or 0)
        desired = desired_status(current, generation, outcome)
        if desired == current:
            mem.status = desired
            return
        self._emit_transitions(cr, current, desired)
        try:
            written = self.kube.merge_patch(self.cr_path(cr, "status"), {"status": desired})
        except ApiError as exc:
            if exc.not_found:
                return
            raise exc.temporary(f"{self.where(cr)} status") from None
        kept = written.get("status") or {}
        if kept != desired:
            self._report_pruning(desired, kept)
        mem.status, mem.status_rv = kept, cr["metadata"].get("resourceVersion")

    def _emit_transitions(self, cr: dict[str, Any], current: dict[str, Any] | None, desired: dict[str, Any]) -> None:
        known = {c.get("type") for c in (current or {}).get("conditions") or []}
        for c in transitions(current, desired):
            good = (c["type"] not in NEGATIVE) == (c["status"] == "True")
            if good and c["type"] not in known:
                continue  # a first good state: the Installed event already says it
            self.events.emit(cr, "Normal" if good else "Warning", c["reason"], "Reconcile",
                             f"{c['type']}={c['status']}: {c['message']}")

    def _report_pruning(self, desired: dict[str, Any], kept: dict[str, Any]) -> None:
        if self._pruning_reported:
            return
        self._pruning_reported = True  # once per process: the fix is the CRD, not another write
        dropped = sorted(set(desired) - set(kept)) or ["parts of conditions"]
        log.error("the CRD of %s prunes status fields %s (an incumbent CRD?); install "
                  "deploy/crds/weightsandbiases.apps.wandb.com.yaml (specmerge operator --print-crd)",
                  self.settings.kind.resource, ", ".join(dropped))

    # -- state Secrets ------------------------------------------------------------------

    def _owner(self, cr: dict[str, Any]) -> list[dict[str, Any]]:
        meta = cr["metadata"]
        return [{"apiVersion": self.settings.kind.api_version, "kind": self.settings.kind.kind,
                 "name": meta["name"], "uid": meta["uid"], "controller": True}]

    def put_secret(self, cr: dict[str, Any], current: dict[str, Any] | None, secret_name: str,
                   data: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
        """Create the Secret, or replace ``current`` (keeping others' labels and annotations)."""
        namespace = cr["metadata"]["namespace"]
        meta: dict[str, Any] = {"name": secret_name, "namespace": namespace, "labels": dict(MANAGED_BY),
                                "annotations": annotations, "ownerReferences": self._owner(cr)}
        body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta, "data": data}
        try:
            if current is None:
                return self.kube.create(secrets_path(namespace), body)
            old = current["metadata"]
            meta["resourceVersion"] = old["resourceVersion"]
            meta["labels"] = {**(old.get("labels") or {}), **MANAGED_BY}
            meta["annotations"] = {**(old.get("annotations") or {}), **annotations}
            return self.kube.replace(secrets_path(namespace, secret_name), body)
        except ApiError as exc:
            raise exc.temporary(f"secret:{namespace}/{secret_name}") from None

    def write_active(self, cr: dict[str, Any], instance: InstanceSpec, p: Plan, digest: str,
                     result: ChannelResult, active: dict[str, Any] | None, mem: Memory) -> None:
        """``-spec-active``: the values, chart and release that are deployed, under ``digest``."""
        if active_current(active, digest, mem):
            return
        chart = instance.cr_chart or result.spec.chart
        metadata = {"version": result.version, "channel": result.channel, "releaseId": result.release_id}
        data = encode_parts({"values": p.effective.values, "chart": chart, "metadata": metadata})
        rv = None if active is None else active["metadata"].get("resourceVersion")
        self.put_secret(cr, active, active_secret(instance.name), data, {DIGEST_KEY: digest})
        mem.active = (digest, rv)

    def write_cache(self, cr: dict[str, Any], request: ChannelRequest, result: ChannelResult) -> None:
        """Keep ``<name>-latest-cached-release`` at the channel's latest release (never a pin)."""
        if request.release is not None or result.source not in ("server", "not-modified"):
            return
        namespace, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
        current = self.secrets.get(namespace, cache_secret(name))
        if current is not None:
            try:
                meta = decode_any(current.get("data"), "metadata", f"secret:{namespace}/{cache_secret(name)}")
            except PermanentError:
                meta = None
            if isinstance(meta, dict) and meta.get("releaseId") == result.release_id:
                return
        doc = result.spec.to_dict()
        extras = {"etag": result.etag, "storedAt": now_rfc3339(), "origin": result.origin}
        self.put_secret(cr, current, cache_secret(name), encode_parts(doc),
                        {CACHE_ANNOTATION: canonical_json(extras, ascii=False)})


__all__ = ["Recorder", "channel_condition", "channel_status"]
