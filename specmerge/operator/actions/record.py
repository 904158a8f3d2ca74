"""Record what a pass concluded without a Helm action of its own.

:class:`RecordDeployed`: the release is deployed at the desired digest. Writes, each only if
it differs: ``-spec-active`` (so a crash between apply and this write resumes by writing only
this), ``-latest-cached-release``, the ``Deployed`` status with ``Ready``/``Released``/
``ChannelReady`` (and ``Remediated``, ``RequirementsMet``, ``Drifted`` when the pass found
them); the instance is then settled, and a release this pass did not apply has its drift
checked when due.

:class:`RecordNoRelease`: the channel has no usable release and none was ever good:
``ChannelReady=False``, phase ``Pending``, and a retry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...instances import TemporaryError
from ..record import channel_condition, channel_status
from ..status import Condition, Outcome
from .drift import CheckDrift

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState


class RecordDeployed:
    name = "record"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        mem, release, result, digest = s.mem, s.release, s.result, s.digest
        assert release is not None and result is not None and s.instance is not None and s.request is not None
        assert s.plan is not None
        r.recorder.write_active(s.cr, s.instance, s.plan, digest, result, s.active, mem)
        r.recorder.write_cache(s.cr, s.request, result)
        conditions = [
            Condition("Ready", True, "ReleaseDeployed", f"revision {release.revision} is deployed"),
            Condition("Released", True, "ReleaseDeployed", f"revision {release.revision}, digest {digest[:12]}"),
            Condition("Stalled", False, "Reconciled", ""),
            channel_condition(result),
        ]
        conditions += [c for c in (s.remediated, s.requirements) if c is not None]
        if mem.policy.drift_mode == "disabled":
            conditions.append(Condition("Drifted", None, "DriftCheckDisabled", "spec.drift.mode is disabled"))
        r.recorder.write_status(s.cr, mem, Outcome(
            "Deployed", tuple(conditions), result.version, digest, digest, channel_status(result),
            {"name": s.name, "revision": release.revision, "status": release.status}, 0, s.entry))
        mem.fp, mem.digest, mem.settled, mem.converged = s.fp, digest, True, True
        if s.entry is None:
            CheckDrift().run(r, s)
        return True


class RecordNoRelease:
    name = "no-release"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        assert s.instance is not None
        r.recorder.write_status(s.cr, s.mem, Outcome("Pending", (
            Condition("ChannelReady", False, "NoRelease", s.message),
            Condition("Ready", False, "NoRelease", "no usable channel release"))))
        raise TemporaryError(s.instance.cr_locator, f"no usable channel release: {s.message}")


__all__ = ["RecordDeployed", "RecordNoRelease"]
