"""Remediation of a failed install or upgrade (the error :mod:`.apply` raises).

Writes a ``InstallFailed``/``UpgradeFailed`` event and status. Below ``max_failures`` the
answer is a :class:`~specmerge.instances.TemporaryError` (retry with backoff). At the limit
the release is rolled back to its last deployed revision, if it has one (``Remediated``
condition, ``RolledBack`` event), the instance stalls until its inputs change, and the
answer is a :class:`~specmerge.instances.PermanentError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...instances import InstanceError, PermanentError, TemporaryError, user_secret
from ..helm import HelmFailure
from ..record import channel_condition
from ..state import fingerprint
from ..status import Condition, Outcome

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState


def failed(r: Reconciler, s: InstanceState, message: str) -> InstanceError:
    """Record a failed Helm action; the error to raise: retry or, after ``max_failures``, stall."""
    release, mem, result = s.release, s.mem, s.result
    assert result is not None
    where = r.recorder.where(s.cr)
    reason = "InstallFailed" if release is None else "UpgradeFailed"
    r.events.emit(s.cr, "Warning", reason, "Install" if release is None else "Upgrade", message)
    if mem.failures < r.settings.max_failures:
        r.recorder.write_status(s.cr, mem, Outcome("Failed", (
            Condition("Ready", False, reason, message), Condition("Stalled", False, "Retrying", message),
            channel_condition(result)), attempted_digest=s.digest, failures=mem.failures))
        return TemporaryError(where, message)
    conditions = [Condition("Ready", False, reason, message), Condition("Stalled", True, "RetriesExhausted",
                  f"{mem.failures} failed attempts: {message}"), channel_condition(result)]
    conditions.extend(_roll_back(r, s))
    r.recorder.write_status(s.cr, mem, Outcome("Stalled", tuple(conditions), attempted_digest=s.digest,
                                               failures=mem.failures))
    mem.fp = fingerprint(s.cr, r.secrets.get(s.namespace, user_secret(s.name)), result)
    mem.settled = mem.stalled = True
    return PermanentError(where, message)


def _roll_back(r: Reconciler, s: InstanceState) -> list[Condition]:
    """Back to the last deployed revision, if there is one: the ``Remediated`` condition."""
    release, mem = s.release, s.mem
    target = release.revision if release is not None and release.deployed else (
        release.previous_good if release is not None else None)
    if target is None:
        return []
    try:
        r.helm.rollback(s.namespace, s.name, target, s.scrub)
    except HelmFailure as exc:
        return [Condition("Remediated", False, "RollbackFailed", str(exc))]
    mem.known = None  # the informer will show the rollback's revision
    text = f"rolled back to revision {target} after {mem.failures} failed attempts"
    r.events.emit(s.cr, "Warning", "RolledBack", "Rollback", text)
    return [Condition("Remediated", True, "RolledBack", text)]


__all__ = ["failed"]
