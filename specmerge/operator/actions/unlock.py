"""Unlock: the latest revision is ``pending-*`` (a crash mid-action; one key is never in two
workers and only the leader acts): roll back to the last deployed revision, or uninstall.

Writes: the Helm rollback or uninstall, a ``Remediated`` event, ``s.remediated`` (the
``Remediated`` condition) and ``s.release`` as it now stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...instances import TemporaryError
from ..helm import HelmFailure
from ..release import ReleaseState
from ..state import known_release
from ..status import Condition

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState


class Unlock:
    name = "unlock"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        release, mem = s.release, s.mem
        assert release is not None
        try:
            if release.previous_good is not None:
                r.helm.rollback(s.namespace, s.name, release.previous_good, s.scrub)
                # Helm's rollback copies the target's labels, our digest among them: remembering it keeps a
                # reconcile that runs before the informer shows the new revision from upgrading again
                mem.known = ReleaseState(s.name, release.revision + 1, "deployed", release.previous_digest,
                                         release.previous_good)
                message = f"revision {release.revision} was {release.status}: rolled back to {release.previous_good}"
            else:
                r.helm.uninstall(s.namespace, s.name, s.scrub)
                mem.known, mem.gone_upto = None, release.revision
                message = f"revision {release.revision} was {release.status} with nothing deployed before: uninstalled"
        except HelmFailure as exc:
            raise TemporaryError(r.recorder.where(s.cr), str(exc)) from None
        r.events.emit(s.cr, "Warning", "Remediated", "Unlock", message)
        s.remediated = Condition("Remediated", True, "PendingReleaseRecovered", message)
        s.release = known_release(r, s.namespace, s.name, mem)
        return True


__all__ = ["Unlock"]
