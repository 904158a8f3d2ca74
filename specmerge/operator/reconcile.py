"""One reconcile pass for one instance (design.md §8; first match wins):

1. CR gone -> forget it.
2. CR deleting -> uninstall, delete ``-spec-active``, drop the finalizer.
3. No finalizer -> add ``specmerge.io/uninstall``.
4. Inputs unchanged since the last settled pass, Helm's digest and ``-spec-active`` current,
   status current -> stop, **zero requests** (everything is read from the informers).
   A converged release whose drift check is due (``--drift-interval``, ``spec.drift.mode``
   not ``disabled``) is checked here: ``Drifted`` (warn) or corrected (correct); a check
   of an unchanged release makes no write. A blocked instance stops here too while the
   cluster facts it was blocked on are the newest and fresh.
5. Channel down -> its last good release (``ChannelReady=False``); none at all -> retry.
6. Violations, template or input errors -> ``Stalled``, no Helm call (masked, layers named).
6a. An install (or, unless ``spec.preflight.enforceOnUpgrade`` is false, an upgrade) whose
   channel release states requirements the cluster does not meet -> ``RequirementsMet=False``,
   ``Ready=False``, no Helm call.
7. Latest revision ``pending-*`` (a crash mid-action: one key is never in two workers and
   only the leader acts) -> roll back to the last deployed revision, or uninstall.
8. Digest differs, release missing or not deployed -> install/upgrade, the digest as label.
   A failure retries with backoff; after ``max_failures`` it rolls back and stalls.
9. Then, each only if it differs: ``-spec-active`` (so a crash between apply and this write
   resumes by writing only this), ``-latest-cached-release``, ``/status``, events.

What Helm and the Secrets hold is read from informers, which may lag this worker's own
writes by a moment; :class:`Memory` remembers what this pass wrote, so a lagging cache
never causes a second Helm revision or a repeated write.

The shape is Flux helm-controller's: steps 1-3 here, then one typed function works the
state out (:func:`~.state.determine_state`: steps 4-8's conditions) and :meth:`Reconciler.reconcile`
only switches on it, running the actions of :mod:`.actions`, one per module.
"""

from __future__ import annotations

import logging
from typing import Any

from ..instances import FINALIZER, MANAGED_BY, TemporaryError, active_secret, cache_secret, user_secret
from ..render import ChartCache
from .actions import Action, Apply, CheckDrift, Preflight, RecordDeployed, RecordNoRelease, Uninstall, Unlock
from .checks import FactsCache
from .events import Events
from .helm import HelmDriver
from .informer import Informers
from .kube import ApiError, Kube, secrets_path
from .record import Recorder
from .state import InstanceState, Memory, Settings, Status, determine_state, spec_digest

log = logging.getLogger("specmerge.operator")


class Reconciler:
    def __init__(self, kube: Kube, settings: Settings, crs: Informers, secrets: Informers, releases: Informers,
                 channels: Any, helm: HelmDriver, events: Events, chart_cache: ChartCache | None = None,
                 facts: FactsCache | None = None) -> None:
        self.kube, self.settings, self.crs, self.secrets, self.releases = kube, settings, crs, secrets, releases
        self.channels, self.helm, self.events, self.chart_cache = channels, helm, events, chart_cache
        self.facts = facts or FactsCache(kube.api_client, settings.preflight_interval)
        self.recorder = Recorder(kube, settings, secrets, events)
        self.memory: dict[str, Memory] = {}

    def reconcile(self, key: str) -> None:
        """One pass (module docstring). Raises :class:`TemporaryError` to be retried with backoff."""
        namespace, name = key.split("/", 1)
        cr = self.crs.get(namespace, name)
        if cr is None:
            self.memory.pop(key, None)
            return
        if cr["metadata"].get("deletionTimestamp"):
            self._run(Uninstall(), InstanceState(Status.DELETING, cr, self.memory.get(key) or Memory()))
            return
        mem = self.memory.setdefault(key, Memory())
        if FINALIZER not in (cr["metadata"].get("finalizers") or []):
            cr = self.recorder.add_finalizer(cr, FINALIZER)
        if not mem.adopted:
            self._adopt(namespace, name)
            mem.adopted = True
        s = determine_state(self, cr, mem)
        if s.status is Status.INVALID:
            self.recorder.stall(cr, mem, s.fp, s.reason, s.message, s.result)
        elif s.status is Status.NO_CHANNEL_RELEASE:
            self._run(RecordNoRelease(), s)
        elif s.status is Status.SETTLED:
            self._run(CheckDrift(), s)
        elif s.status is not Status.WAITING:
            self._converge(s)

    def _converge(self, s: InstanceState) -> None:
        """LOCKED, ABSENT, OUT_OF_SYNC, FAILED or IN_SYNC: unlock, gate, apply, record."""
        if s.status is Status.LOCKED and not self._run(Unlock(), s):
            return
        mem = s.mem
        if mem.failed_fp != s.fp:
            mem.failures, mem.failed_fp = 0, s.fp  # new inputs: a fresh count of Helm failures
        if s.release_status() is not Status.IN_SYNC:
            if not (self._run(Preflight(), s) and self._run(Apply(), s)):
                return
            mem.drift_due = False  # Helm has just applied every object
        mem.failures = 0
        self._run(RecordDeployed(), s)

    def _run(self, action: Action, s: InstanceState) -> bool:
        log.debug("action %s", action.name, extra={"instance": f"{s.namespace}/{s.name}"})
        return action.run(self, s)

    def _adopt(self, namespace: str, name: str) -> None:
        """State Secrets another writer (the incumbent operator, a hand-made ``-spec-user``) left
        without our label are invisible to the informer: look each missing one up once per
        process and label it, so the informer sees it from then on."""
        for secret_name in (user_secret(name), active_secret(name), cache_secret(name)):
            if self.secrets.get(namespace, secret_name) is not None:
                continue
            path = secrets_path(namespace, secret_name)
            try:
                if self.kube.get(path) is None:
                    continue
                self.kube.merge_patch(path, {"metadata": {"labels": dict(MANAGED_BY)}})
            except ApiError as exc:
                raise exc.temporary(f"secret:{namespace}/{secret_name}") from None
            log.info("adopted secret %s", secret_name, extra={"instance": f"{namespace}/{name}"})
            raise TemporaryError(f"secret:{namespace}/{secret_name}", "adopted; waiting for the informer", 0.5)


__all__ = ["Memory", "Reconciler", "Settings", "spec_digest"]
