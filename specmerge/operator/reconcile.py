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
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from ..channels import ChannelRequest, ChannelResult, ChannelUnavailable
from ..channels.secret_cache import ANNOTATION as CACHE_ANNOTATION
from ..core import LayerInputError, Redactor
from ..core.text import canonical_json
from ..drift import DriftError, DriftMemo, DriftReport, check as drift_check, correct as drift_correct
from ..instances import (
    DIGEST_KEY,
    FINALIZER,
    MANAGED_BY,
    InstanceError,
    CrKind,
    InstanceSpec,
    PermanentError,
    TemporaryError,
    active_secret,
    cache_secret,
    channel_request,
    decode_any,
    encode_parts,
    instance_from_objects,
    plan_inputs,
    user_secret,
)
from ..pipeline import Plan, plan
from ..preflight import PreflightError, RequirementsError, evaluate, requirements_of
from ..render import ChartCache, ChartSourceError, RenderError, RenderOptions
from . import failpoints
from .checks import FactsCache, Policy, drift_condition, policy_of, requirements_condition
from .events import Events
from .helm import HelmDriver, HelmFailure
from .informer import Informers
from .kube import ApiError, Kube, secrets_path
from .release import ReleaseState, release_state
from .status import NEGATIVE, Condition, Outcome, condition_map, desired_status, now_rfc3339, transitions

log = logging.getLogger("specmerge.operator")


@dataclass(frozen=True)
class Settings:
    kind: CrKind = field(default_factory=CrKind)
    default_channel: str = "stable"
    max_failures: int = 3
    airgapped: bool = False
    kube_version: str | None = None
    drift_interval: float = 600.0  # seconds between drift checks of a deployed release
    preflight_interval: float = 60.0  # max age of cluster facts; how often blocked instances look again


@dataclass
class Memory:
    """What this process knows about one instance beyond its informers (see the module docstring)."""

    fp: str | None = None
    digest: str | None = None
    settled: bool = False  # the pass for ``fp`` ended converged or stalled: nothing to do until inputs change
    stalled: bool = False
    status: dict[str, Any] | None = None
    status_rv: str | None = None  # the CR resourceVersion our last status write replaced
    active: tuple[str, str | None] | None = None  # (digest written, resourceVersion it replaced)
    known: ReleaseState | None = None  # the release as our last Helm action left it
    gone_upto: int = 0  # revisions <= this were uninstalled by us
    failures: int = 0
    failed_fp: str | None = None  # the inputs the failures were counted for
    request: ChannelRequest | None = None
    adopted: bool = False  # the Secrets missing from the informer were looked up once
    policy: Policy = field(default_factory=Policy)
    blocked: int | None = None  # the facts stamp the unmet requirements were found with
    converged: bool = False  # the release is deployed at the desired digest
    drift_due: bool = False  # set by the controller's drift timer
    drift_memo: DriftMemo = field(default_factory=DriftMemo)
    drift_objects: tuple[int, list[dict[str, Any]]] | None = None  # (revision, its desired objects)


def spec_digest(p: Plan, namespace: str, name: str) -> str:
    """§8: SHA-256 over the canonical Helm values (secrets as placeholders), chart digest, release
    name and namespace; 40 hex (fits a label value)."""
    masked = Redactor(p.chart.schema).mask(p.values)
    doc = {"values": masked, "chart": p.chart_digest, "name": name, "namespace": namespace}
    return hashlib.sha256(canonical_json(doc, ascii=False).encode()).hexdigest()[:40]


def _fingerprint(cr: dict[str, Any], user: dict[str, Any] | None, result: ChannelResult | None) -> str:
    parts = [cr.get("spec"), (cr.get("metadata") or {}).get("generation"), (user or {}).get("data"),
             None if result is None else [result.release_id, "server" if result.source == "not-modified"
                                          else result.source, result.degraded]]
    return hashlib.sha256(canonical_json(parts, ascii=False).encode()).hexdigest()


class Reconciler:
    def __init__(self, kube: Kube, settings: Settings, crs: Informers, secrets: Informers, releases: Informers,
                 channels: Any, helm: HelmDriver, events: Events, chart_cache: ChartCache | None = None,
                 facts: FactsCache | None = None) -> None:
        self.kube, self.settings, self.crs, self.secrets, self.releases = kube, settings, crs, secrets, releases
        self.channels, self.helm, self.events, self.chart_cache = channels, helm, events, chart_cache
        self.facts = facts or FactsCache(kube.api_client, settings.preflight_interval)
        self.memory: dict[str, Memory] = {}
        self._pruning_reported = False

    # -- reads (informers only) ---------------------------------------------------------

    def _release(self, namespace: str, name: str, mem: Memory) -> ReleaseState | None:
        seen = release_state(self.releases.indexed(namespace, f"{namespace}/{name}"), namespace, name)
        if seen is not None and seen.revision <= mem.gone_upto:
            seen = None
        if mem.known is not None and (seen is None or seen.revision < mem.known.revision):
            return mem.known
        return seen

    def _active_current(self, active: dict[str, Any] | None, digest: str, mem: Memory) -> bool:
        if active is not None and (active["metadata"].get("annotations") or {}).get(DIGEST_KEY) == digest:
            return True
        rv = None if active is None else active["metadata"].get("resourceVersion")
        return mem.active is not None and mem.active[0] == digest and mem.active[1] == rv

    def _status_current(self, cr: dict[str, Any], mem: Memory) -> bool:
        if mem.status is None:
            return False
        return cr.get("status") == mem.status or cr["metadata"].get("resourceVersion") == mem.status_rv

    # -- the pass -------------------------------------------------------------------------

    def reconcile(self, key: str) -> None:
        """One pass (module docstring). Raises :class:`TemporaryError` to be retried with backoff."""
        namespace, name = key.split("/", 1)
        cr = self.crs.get(namespace, name)
        if cr is None:
            self.memory.pop(key, None)
            return
        if cr["metadata"].get("deletionTimestamp"):
            self._finalize(cr)
            return
        mem = self.memory.setdefault(key, Memory())
        if FINALIZER not in (cr["metadata"].get("finalizers") or []):
            cr = self._add_finalizer(cr)
        if not mem.adopted:
            self._adopt(namespace, name)
            mem.adopted = True
        user = self.secrets.get(namespace, user_secret(name))
        active = self.secrets.get(namespace, active_secret(name))
        try:
            instance = instance_from_objects(
                self.settings.kind, namespace, name, cr, None if user is None else (user.get("data") or {}),
                None if active is None else (active.get("data") or {}), (active or {}).get("metadata", {}).get("annotations"),
            )
            request = channel_request(instance, self.settings.default_channel)
            mem.policy = policy_of(cr, instance.cr_locator)
        except PermanentError as exc:
            self._stall(cr, mem, _fingerprint(cr, user, None), "InvalidInput", str(exc))
            return
        mem.request = request
        try:
            result = self.channels.get(request)
        except ChannelUnavailable as exc:
            self._write_status(cr, mem, Outcome("Pending", (
                Condition("ChannelReady", False, "NoRelease", str(exc)),
                Condition("Ready", False, "NoRelease", "no usable channel release"))))
            raise TemporaryError(instance.cr_locator, f"no usable channel release: {exc}") from None
        fp = _fingerprint(cr, user, result)
        release = self._release(namespace, name, mem)
        mem.converged = (release is not None and release.deployed and release.digest == mem.digest
                         and mem.digest is not None and self._active_current(active, mem.digest, mem))
        if mem.fp == fp and mem.settled and mem.stalled and mem.blocked is None:
            # a stalled instance waits for its inputs to change; the informer showing an older copy of
            # the CR (from before our last status writes) is no reason to call Helm again
            return
        if mem.fp == fp and mem.settled and self._status_current(cr, mem):
            if mem.blocked is not None:
                if self.facts.current(mem.blocked):
                    return
            elif mem.stalled:
                return
            elif mem.converged:
                assert release is not None
                self._check_drift(cr, mem, release)
                return
        mem.settled = mem.stalled = False
        mem.blocked = None
        try:
            p = plan(plan_inputs(instance, result.spec, offline=self.settings.airgapped, cache=self.chart_cache,
                                 options=self._options(instance)))
        except ChartSourceError as exc:
            raise TemporaryError(instance.cr_locator, str(exc)) from None
        except (RenderError, LayerInputError) as exc:
            self._stall(cr, mem, fp, "RenderFailed", str(exc), result)
            return
        if p.violations:
            lines = [v.describe() for v in p.violations]
            self._stall(cr, mem, fp, "ValidationFailed",
                        f"{len(lines)} violation{'s' if len(lines) > 1 else ''}: " + "; ".join(lines), result)
            return
        digest = spec_digest(p, namespace, name)
        scrub = p.redactor().scrub
        remediated: Condition | None = None
        if release is not None and release.pending:
            remediated = self._unlock(cr, mem, release, scrub)
            release = self._release(namespace, name, mem)
        entry = None
        if mem.failed_fp != fp:
            mem.failures, mem.failed_fp = 0, fp  # new inputs: a fresh count of Helm failures
        requirements: Condition | None = None
        if release is None or release.digest != digest or not release.deployed:
            requirements, stop = self._preflight(cr, mem, p, fp, release, result, scrub)
            if stop:
                return
            entry, release = self._apply(cr, mem, p, digest, release, result, scrub)
            mem.drift_due = False  # Helm has just applied every object
        mem.failures = 0
        self._write_active(cr, instance, p, digest, result, active, mem)
        self._write_cache(cr, request, result)
        conditions = [
            Condition("Ready", True, "ReleaseDeployed", f"revision {release.revision} is deployed"),
            Condition("Released", True, "ReleaseDeployed", f"revision {release.revision}, digest {digest[:12]}"),
            Condition("Stalled", False, "Reconciled", ""),
            self._channel_condition(result),
        ]
        if remediated is not None:
            conditions.append(remediated)
        if requirements is not None:
            conditions.append(requirements)
        if mem.policy.drift_mode == "disabled":
            conditions.append(Condition("Drifted", None, "DriftCheckDisabled", "spec.drift.mode is disabled"))
        self._write_status(cr, mem, Outcome(
            "Deployed", tuple(conditions), result.version, digest, digest, self._channel_status(result),
            {"name": name, "revision": release.revision, "status": release.status}, 0, entry))
        mem.fp, mem.digest, mem.settled, mem.converged = fp, digest, True, True
        if entry is None:
            self._check_drift(cr, mem, release)

    # -- steps --------------------------------------------------------------------------

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

    def _options(self, instance: InstanceSpec) -> RenderOptions:
        if self.settings.kube_version:
            return RenderOptions(instance.name, instance.namespace, self.settings.kube_version)
        return RenderOptions(instance.name, instance.namespace)

    @staticmethod
    def _channel_condition(result: ChannelResult) -> Condition:
        """``ChannelReady``; a 304 is the same fresh answer as a 200 (the status must not flip on a poll)."""
        if result.source in ("server", "not-modified"):
            return Condition("ChannelReady", True, "ReleaseFetched",
                             f"{result.channel} {result.version} ({result.release_id}) from the channel server")
        c = result.condition()
        return Condition("ChannelReady", c["status"] == "True", c["reason"], c["message"])

    @staticmethod
    def _channel_status(result: ChannelResult) -> dict[str, Any]:
        source = "server" if result.source == "not-modified" else result.source
        return {"name": result.channel, "version": result.version, "releaseId": result.release_id,
                "source": source}

    def _cr_path(self, cr: dict[str, Any], subresource: str | None = None) -> str:
        meta = cr["metadata"]
        return self.settings.kind.path(meta["namespace"], meta["name"], subresource)

    def _add_finalizer(self, cr: dict[str, Any]) -> dict[str, Any]:
        meta = cr["metadata"]
        patch = {"metadata": {"finalizers": [*(meta.get("finalizers") or []), FINALIZER],
                              "resourceVersion": meta["resourceVersion"]}}
        try:
            return self.kube.merge_patch(self._cr_path(cr), patch)
        except ApiError as exc:
            raise exc.temporary(f"{self.settings.kind.locator(meta['namespace'], meta['name'])} finalizer") from None

    def _finalize(self, cr: dict[str, Any]) -> None:
        meta = cr["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        where = self.settings.kind.locator(namespace, name)
        finalizers = meta.get("finalizers") or []
        if FINALIZER in finalizers:
            try:
                self.helm.uninstall(namespace, name)
                self.kube.delete(secrets_path(namespace, active_secret(name)))
                rest = [f for f in finalizers if f != FINALIZER]
                self.kube.merge_patch(self._cr_path(cr), {"metadata": {"finalizers": rest or None,
                                                                       "resourceVersion": meta["resourceVersion"]}})
            except HelmFailure as exc:
                raise TemporaryError(where, str(exc)) from None
            except ApiError as exc:
                raise exc.temporary(where) from None
            self.events.emit(cr, "Normal", "Uninstalled", "Uninstall", f"release {name} uninstalled")
            log.info("uninstalled", extra={"instance": f"{namespace}/{name}"})
        self.memory.pop(f"{namespace}/{name}", None)

    def _stall(self, cr: dict[str, Any], mem: Memory, fp: str, reason: str, message: str,
               result: ChannelResult | None = None) -> None:
        conditions = [Condition("Ready", False, reason, message), Condition("Stalled", True, reason, message)]
        if result is not None:
            conditions.append(self._channel_condition(result))
        self._write_status(cr, mem, Outcome("Stalled", tuple(conditions), failures=mem.failures,
                                            channel=None if result is None else self._channel_status(result)))
        mem.fp, mem.settled, mem.stalled = fp, True, True
        log.warning("stalled: %s", reason, extra={"instance": f"{cr['metadata']['namespace']}/{cr['metadata']['name']}"})

    def _preflight(self, cr: dict[str, Any], mem: Memory, p: Plan, fp: str, release: ReleaseState | None,
                   result: ChannelResult, scrub: Any) -> tuple[Condition | None, bool]:
        """``RequirementsMet`` before an install or upgrade. When unmet and enforced (always for an
        install; for an upgrade unless ``spec.preflight.enforceOnUpgrade`` is false) the instance
        is blocked: status written, ``mem.blocked`` set, and the caller stops (no Helm call)."""
        install = release is None or (not release.deployed and release.previous_good is None)
        enforced = install or mem.policy.enforce_on_upgrade
        where = self.settings.kind.locator(cr["metadata"]["namespace"], cr["metadata"]["name"])
        try:
            requirements = requirements_of(result.spec)
        except RequirementsError as exc:
            self._stall(cr, mem, fp, "InvalidRequirements", str(exc), result)
            return None, True
        if requirements is None:
            return requirements_condition(None, f"{result.channel} {result.version}", enforced), False
        try:
            stamp, facts = self.facts.get()
        except PreflightError as exc:
            raise TemporaryError(where, f"cluster facts for the requirements not read: {exc}") from None
        report = evaluate(requirements, facts, p.effective.full)
        found = requirements_condition(report, f"{result.channel} {result.version}", enforced)
        found = Condition(found.type, found.status, found.reason, scrub(found.message))
        if report.ok or not enforced:
            return found, False
        held = "not installed" if install else f"not upgraded (revision {release.revision if release else 0} stays)"
        self._write_status(cr, mem, Outcome("Blocked", (
            Condition("Ready", False, "RequirementsNotMet", f"{held}: {found.message}"), found,
            Condition("Stalled", False, "RequirementsNotMet", "waiting for the cluster to meet the requirements"),
            self._channel_condition(result)), channel=self._channel_status(result), failures=mem.failures))
        mem.fp, mem.settled, mem.blocked = fp, True, stamp
        log.info("blocked: requirements not met", extra={"instance": where})
        return found, True

    def _current_status(self, cr: dict[str, Any], mem: Memory) -> dict[str, Any]:
        if mem.status is not None and cr["metadata"].get("resourceVersion") == mem.status_rv:
            return mem.status  # the informer has not seen our last write yet
        return cr.get("status") or {}

    def _set_conditions(self, cr: dict[str, Any], mem: Memory, *conditions: Condition) -> None:
        current = self._current_status(cr, mem)
        self._write_status(cr, mem, Outcome(str(current.get("phase") or "Deployed"), conditions,
                                            failures=int(current.get("failures") or 0)))

    def _check_drift(self, cr: dict[str, Any], mem: Memory, release: ReleaseState) -> None:
        """When due: compare the deployed release's objects with the cluster (the memo skips
        objects unchanged since their last clean check); ``warn`` reports ``Drifted=True`` with
        the changed paths, ``correct`` also puts them back as Helm's field manager."""
        if not mem.drift_due or mem.policy.drift_mode == "disabled":
            return
        mem.drift_due = False
        namespace, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
        try:
            if mem.drift_objects is None or mem.drift_objects[0] != release.revision:
                mem.drift_objects = (release.revision, self.helm.desired_objects(namespace, name))
            objects = mem.drift_objects[1]
            report: DriftReport = drift_check(self.kube.api_client, objects, namespace, mem.drift_memo)
            correction = None
            if not report.ok and mem.policy.drift_mode == "correct":
                correction = drift_correct(self.kube.api_client, objects, namespace, report, mem.drift_memo)
        except (DriftError, HelmFailure) as exc:
            log.warning("drift not checked: %s", exc, extra={"instance": f"{namespace}/{name}"})
            self._set_conditions(cr, mem, Condition("Drifted", None, "CheckFailed", str(exc)))
            return
        if report.ok:
            previous = condition_map(self._current_status(cr, mem)).get("Drifted") or {}
            if previous and previous.get("status") != "False":
                self._set_conditions(cr, mem, Condition("Drifted", False, "NoDrift",
                                                        f"the {len(report.objects)} objects of the release match it"))
            return
        found = drift_condition(report, correction)
        if correction is not None:
            self.events.emit(cr, "Warning", "DriftCorrected", "Correct", found.message)
        log.warning("drift: %s", found.message, extra={"instance": f"{namespace}/{name}"})
        self._set_conditions(cr, mem, found)

    def _unlock(self, cr: dict[str, Any], mem: Memory, release: ReleaseState, scrub: Any) -> Condition:
        """A ``pending-*`` latest revision: roll back to the last deployed one, or uninstall."""
        namespace, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
        where = self.settings.kind.locator(namespace, name)
        try:
            if release.previous_good is not None:
                self.helm.rollback(namespace, name, release.previous_good, scrub)
                # Helm's rollback copies the target's labels, our digest among them: remembering it keeps a
                # reconcile that runs before the informer shows the new revision from upgrading again
                mem.known = ReleaseState(name, release.revision + 1, "deployed", release.previous_digest,
                                         release.previous_good)
                message = f"revision {release.revision} was {release.status}: rolled back to {release.previous_good}"
            else:
                self.helm.uninstall(namespace, name, scrub)
                mem.known, mem.gone_upto = None, release.revision
                message = f"revision {release.revision} was {release.status} with nothing deployed before: uninstalled"
        except HelmFailure as exc:
            raise TemporaryError(where, str(exc)) from None
        self.events.emit(cr, "Warning", "Remediated", "Unlock", message)
        return Condition("Remediated", True, "PendingReleaseRecovered", message)

    def _apply(self, cr: dict[str, Any], mem: Memory, p: Plan, digest: str, release: ReleaseState | None,
               result: ChannelResult, scrub: Any) -> tuple[dict[str, Any], ReleaseState]:
        namespace, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
        install = release is None
        try:
            if release is not None and not release.deployed and release.previous_good is None:
                self.helm.uninstall(namespace, name, scrub)  # only failed revisions: Helm cannot upgrade those
                mem.known, mem.gone_upto, install = None, release.revision, True
            values = p.engine_values()
            assert values is not None
            revision = self.helm.apply(namespace, name, p.chart, values, digest, install=install, scrub=scrub)
        except HelmFailure as exc:
            mem.failures += 1
            raise self._failed(cr, mem, digest, release, result, str(exc), scrub) from None
        previous = release.revision if release is not None and release.deployed else None
        failpoints.hit(failpoints.AFTER_APPLY)
        if install:
            mem.gone_upto = 0
        mem.known = ReleaseState(name, revision, "deployed", digest, previous)
        action = "Installed" if install else "Upgraded"
        self.events.emit(cr, "Normal", action, "Install" if install else "Upgrade",
                         f"revision {revision} of {p.chart.name}@{p.chart.version} ({result.channel} {result.version})")
        log.info("%s revision %d", action.lower(), revision, extra={"instance": f"{namespace}/{name}"})
        entry = {"digest": digest, "version": result.version, "revision": revision, "action": action,
                 "at": now_rfc3339()}
        return entry, mem.known

    def _failed(self, cr: dict[str, Any], mem: Memory, digest: str, release: ReleaseState | None,
                result: ChannelResult, message: str, scrub: Any) -> InstanceError:
        """Record a failed Helm action; the error to raise: retry (Temporary) or, after
        ``max_failures``, roll back and stall (Permanent)."""
        namespace, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
        where = self.settings.kind.locator(namespace, name)
        reason = "InstallFailed" if release is None else "UpgradeFailed"
        self.events.emit(cr, "Warning", reason, "Install" if release is None else "Upgrade", message)
        if mem.failures < self.settings.max_failures:
            self._write_status(cr, mem, Outcome("Failed", (
                Condition("Ready", False, reason, message), Condition("Stalled", False, "Retrying", message),
                self._channel_condition(result)), attempted_digest=digest, failures=mem.failures))
            return TemporaryError(where, message)
        conditions = [Condition("Ready", False, reason, message), Condition("Stalled", True, "RetriesExhausted",
                      f"{mem.failures} failed attempts: {message}"), self._channel_condition(result)]
        target = release.revision if release is not None and release.deployed else (
            release.previous_good if release is not None else None)
        if target is not None:
            try:
                self.helm.rollback(namespace, name, target, scrub)
                mem.known = None  # the informer will show the rollback's revision
                text = f"rolled back to revision {target} after {mem.failures} failed attempts"
                conditions.append(Condition("Remediated", True, "RolledBack", text))
                self.events.emit(cr, "Warning", "RolledBack", "Rollback", text)
            except HelmFailure as exc:
                conditions.append(Condition("Remediated", False, "RollbackFailed", str(exc)))
        self._write_status(cr, mem, Outcome("Stalled", tuple(conditions), attempted_digest=digest,
                                            failures=mem.failures))
        mem.fp = _fingerprint(cr, self.secrets.get(namespace, user_secret(name)), result)
        mem.settled = mem.stalled = True
        return PermanentError(where, message)

    def _owner(self, cr: dict[str, Any]) -> list[dict[str, Any]]:
        meta = cr["metadata"]
        return [{"apiVersion": self.settings.kind.api_version, "kind": self.settings.kind.kind,
                 "name": meta["name"], "uid": meta["uid"], "controller": True}]

    def _put_secret(self, cr: dict[str, Any], current: dict[str, Any] | None, secret_name: str,
                    data: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
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

    def _write_active(self, cr: dict[str, Any], instance: InstanceSpec, p: Plan, digest: str,
                      result: ChannelResult, active: dict[str, Any] | None, mem: Memory) -> None:
        if self._active_current(active, digest, mem):
            return
        chart = instance.cr_chart or result.spec.chart
        metadata = {"version": result.version, "channel": result.channel, "releaseId": result.release_id}
        data = encode_parts({"values": p.effective.values, "chart": chart, "metadata": metadata})
        rv = None if active is None else active["metadata"].get("resourceVersion")
        self._put_secret(cr, active, active_secret(instance.name), data, {DIGEST_KEY: digest})
        mem.active = (digest, rv)

    def _write_cache(self, cr: dict[str, Any], request: ChannelRequest, result: ChannelResult) -> None:
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
        self._put_secret(cr, current, cache_secret(name), encode_parts(doc),
                         {CACHE_ANNOTATION: canonical_json(extras, ascii=False)})

    def _write_status(self, cr: dict[str, Any], mem: Memory, outcome: Outcome) -> None:
        current = self._current_status(cr, mem) or None
        generation = int(cr["metadata"].get("generation") or 0)
        desired = desired_status(current, generation, outcome)
        if desired == current:
            mem.status = desired
            return
        known = {c.get("type") for c in (current or {}).get("conditions") or []}
        for c in transitions(current, desired):
            good = (c["type"] not in NEGATIVE) == (c["status"] == "True")
            if good and c["type"] not in known:
                continue  # a first good state: the Installed event already says it
            self.events.emit(cr, "Normal" if good else "Warning", c["reason"], "Reconcile",
                             f"{c['type']}={c['status']}: {c['message']}")
        try:
            written = self.kube.merge_patch(self._cr_path(cr, "status"), {"status": desired})
        except ApiError as exc:
            if exc.not_found:
                return
            raise exc.temporary(f"{self.settings.kind.locator(cr['metadata']['namespace'], cr['metadata']['name'])} status") from None
        kept = written.get("status") or {}
        if kept != desired and not self._pruning_reported:
            self._pruning_reported = True  # once per process: the fix is the CRD, not another write
            dropped = sorted(set(desired) - set(kept)) or ["parts of conditions"]
            log.error("the CRD of %s prunes status fields %s (an incumbent CRD?); install "
                      "deploy/crds/weightsandbiases.apps.wandb.com.yaml (specmerge operator --print-crd)",
                      self.settings.kind.resource, ", ".join(dropped))
        mem.status, mem.status_rv = kept, cr["metadata"].get("resourceVersion")


__all__ = ["Memory", "Reconciler", "Settings", "spec_digest"]
