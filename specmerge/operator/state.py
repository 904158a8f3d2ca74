"""What one pass knows, and the one function that works out what state an instance is in.

:func:`determine_state` reads (informers, the channel, the pipeline's plan; never the API
server) and returns an :class:`InstanceState` whose :class:`Status` is all
:meth:`~.reconcile.Reconciler.reconcile` switches on — the shape of Flux helm-controller's
``DetermineReleaseState``/``actionForState``. :class:`Memory` is what this process knows
about an instance beyond its informers (they may lag its own writes by a moment).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..channels import ChannelRequest, ChannelResult, ChannelUnavailable
from ..core import LayerInputError, Redactor
from ..core import canonical_json
from ..drift import DriftMemo
from ..instances import (DIGEST_KEY, CrKind, InstanceSpec, PermanentError, TemporaryError, active_secret,
                         channel_request, instance_from_objects, plan_inputs, user_secret)
from ..pipeline import Plan, plan
from ..render import ChartSourceError, RenderError, RenderOptions
from .checks import Policy, policy_of
from .release import ReleaseState, release_state
from .status import Condition

if TYPE_CHECKING:
    from .reconcile import Reconciler


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
    masked = Redactor(p.chart.schema).mask(p.helm_values)
    doc = {"values": masked, "chart": p.chart_digest, "name": name, "namespace": namespace}
    return hashlib.sha256(canonical_json(doc, ascii=False).encode()).hexdigest()[:40]


def fingerprint(cr: dict[str, Any], user: dict[str, Any] | None, result: ChannelResult | None) -> str:
    """The inputs of a pass: the CR's spec and generation, ``-spec-user``, the channel release."""
    parts = [cr.get("spec"), (cr.get("metadata") or {}).get("generation"), (user or {}).get("data"),
             None if result is None else [result.release_id, "server" if result.source == "not-modified"
                                          else result.source, result.degraded]]
    return hashlib.sha256(canonical_json(parts, ascii=False).encode()).hexdigest()


class Status(enum.Enum):
    """The state of an instance, first match wins (the module docstring of :mod:`.reconcile`)."""

    DELETING = "Deleting"  # the CR is being deleted: uninstall (decided by the reconciler, before the rest)
    INVALID = "Invalid"  # an input, the render or validation failed: stall (``reason``, ``message``)
    NO_CHANNEL_RELEASE = "NoChannelRelease"  # no usable channel release at all: retry
    WAITING = "Waiting"  # stalled, or blocked on facts still current: nothing until something changes
    SETTLED = "Settled"  # converged, inputs unchanged: at most a drift check
    LOCKED = "Locked"  # the latest revision is ``pending-*``: unlock first
    ABSENT = "Absent"  # no release: install
    OUT_OF_SYNC = "OutOfSync"  # deployed at another digest: upgrade
    FAILED = "Failed"  # the latest revision is not deployed: upgrade (or reinstall)
    IN_SYNC = "InSync"  # deployed at the desired digest: record the active spec and status


@dataclass
class InstanceState:
    """What :func:`determine_state` found, and what the pass's actions add to it."""

    status: Status
    cr: dict[str, Any]
    mem: Memory
    user: dict[str, Any] | None = None
    active: dict[str, Any] | None = None
    instance: InstanceSpec | None = None
    request: ChannelRequest | None = None
    result: ChannelResult | None = None
    fp: str = ""
    release: ReleaseState | None = None
    plan: Plan | None = None
    digest: str = ""
    scrub: Callable[[str], str] = field(default=lambda text: text)
    reason: str = ""  # for INVALID: the Stalled reason
    message: str = ""  # for INVALID and NO_CHANNEL_RELEASE: what is wrong
    # written by the actions of the pass:
    remediated: Condition | None = None
    requirements: Condition | None = None
    entry: dict[str, Any] | None = None

    @property
    def namespace(self) -> str:
        return str(self.cr["metadata"]["namespace"])

    @property
    def name(self) -> str:
        return str(self.cr["metadata"]["name"])

    def release_status(self) -> Status:
        """Where the release stands against the desired digest (after any unlock)."""
        release = self.release
        if release is None:
            return Status.ABSENT
        if release.pending:
            return Status.LOCKED
        if not release.deployed:
            return Status.FAILED
        return Status.OUT_OF_SYNC if release.digest != self.digest else Status.IN_SYNC




def active_current(active: dict[str, Any] | None, digest: str, mem: Memory) -> bool:
    """``-spec-active`` holds ``digest``, or this process wrote it over the version the informer shows."""
    if active is not None and (active["metadata"].get("annotations") or {}).get(DIGEST_KEY) == digest:
        return True
    rv = None if active is None else active["metadata"].get("resourceVersion")
    return mem.active is not None and mem.active[0] == digest and mem.active[1] == rv


def status_current(cr: dict[str, Any], mem: Memory) -> bool:
    """The CR shows the status this process last wrote (or the one it replaced)."""
    if mem.status is None:
        return False
    return cr.get("status") == mem.status or cr["metadata"].get("resourceVersion") == mem.status_rv


# -- working the state out ------------------------------------------------------------------

def known_release(r: Reconciler, namespace: str, name: str, mem: Memory) -> ReleaseState | None:
    """The release from Helm's Secrets, unless this process's own last action is newer."""
    seen = release_state(r.releases.indexed(namespace, f"{namespace}/{name}"), namespace, name)
    if seen is not None and seen.revision <= mem.gone_upto:
        seen = None
    if mem.known is not None and (seen is None or seen.revision < mem.known.revision):
        return mem.known
    return seen


def determine_state(r: Reconciler, cr: dict[str, Any], mem: Memory) -> InstanceState:
    """The state of the instance of ``cr`` (:class:`Status`, first match wins). Reads only
    informers, the channel and the pipeline; notes what it saw in ``mem`` (policy, channel
    request, converged) and, when the pass must act, starts it afresh (not settled)."""
    namespace, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
    s = InstanceState(Status.IN_SYNC, cr, mem, r.secrets.get(namespace, user_secret(name)),
                      r.secrets.get(namespace, active_secret(name)))
    if not _read_inputs(r, s):
        return s
    assert s.result is not None
    s.fp = fingerprint(cr, s.user, s.result)
    s.release = known_release(r, namespace, name, mem)
    mem.converged = (s.release is not None and s.release.deployed and s.release.digest == mem.digest
                     and mem.digest is not None and active_current(s.active, mem.digest, mem))
    settled = _settled(r, s)
    if settled is not None:
        s.status = settled
        return s
    mem.settled = mem.stalled = False
    mem.blocked = None
    if _planned(r, s):
        s.status = s.release_status()
    return s


def _invalid(s: InstanceState, reason: str, message: str) -> bool:
    s.status, s.reason, s.message = Status.INVALID, reason, message
    return False


def _read_inputs(r: Reconciler, s: InstanceState) -> bool:
    """The instance's layers, CR switches and channel release; ``False`` when the state is decided."""
    cr, user, active = s.cr, s.user, s.active
    try:
        s.instance = instance_from_objects(
            r.settings.kind, s.namespace, s.name, cr, None if user is None else (user.get("data") or {}),
            None if active is None else (active.get("data") or {}), (active or {}).get("metadata", {}).get("annotations"),
        )
        request = channel_request(s.instance, r.settings.default_channel)
        s.mem.policy = policy_of(cr, s.instance.cr_locator)
    except PermanentError as exc:
        s.fp = fingerprint(cr, user, None)
        return _invalid(s, "InvalidInput", str(exc))
    s.mem.request = s.request = request
    try:
        s.result = r.channels.get(request)
    except ChannelUnavailable as exc:
        s.status, s.message = Status.NO_CHANNEL_RELEASE, str(exc)
        return False
    return True


def _settled(r: Reconciler, s: InstanceState) -> Status | None:
    """WAITING or SETTLED when the inputs are those of a pass that settled; else ``None``."""
    mem = s.mem
    if mem.fp == s.fp and mem.settled and mem.stalled and mem.blocked is None:
        # a stalled instance waits for its inputs to change; the informer showing an older copy of
        # the CR (from before our last status writes) is no reason to call Helm again
        return Status.WAITING
    if mem.fp == s.fp and mem.settled and status_current(s.cr, mem):
        if mem.blocked is not None:
            if r.facts.current(mem.blocked):
                return Status.WAITING
        elif mem.stalled:
            return Status.WAITING
        elif mem.converged:
            return Status.SETTLED
    return None


def _options(r: Reconciler, instance: InstanceSpec) -> RenderOptions:
    if r.settings.kube_version:
        return RenderOptions(instance.name, instance.namespace, r.settings.kube_version)
    return RenderOptions(instance.name, instance.namespace)


def _planned(r: Reconciler, s: InstanceState) -> bool:
    """The plan, its digest and redactor; ``False`` (INVALID) when it cannot be applied."""
    instance, result = s.instance, s.result
    assert instance is not None and result is not None
    try:
        p = plan(plan_inputs(instance, result.spec, offline=r.settings.airgapped, cache=r.chart_cache,
                             options=_options(r, instance)))
    except ChartSourceError as exc:
        raise TemporaryError(instance.cr_locator, str(exc)) from None
    except (RenderError, LayerInputError) as exc:
        return _invalid(s, "RenderFailed", str(exc))
    if p.violations:
        lines = [v.describe() for v in p.violations]
        return _invalid(s, "ValidationFailed",
                        f"{len(lines)} violation{'s' if len(lines) > 1 else ''}: " + "; ".join(lines))
    s.plan, s.digest, s.scrub = p, spec_digest(p, s.namespace, s.name), p.redactor().scrub
    return True


__all__ = ["InstanceState", "Memory", "Settings", "Status", "active_current", "determine_state", "fingerprint",
           "known_release", "spec_digest", "status_current"]
