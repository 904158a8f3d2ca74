"""Install or upgrade: the release is absent, failed or at another digest.

A release whose only revisions failed cannot be upgraded by Helm: it is uninstalled and
installed afresh. The release is labelled with the digest. Writes: the Helm action,
an ``Installed``/``Upgraded`` event, ``s.entry`` (the status history entry) and
``s.release``. A failure is handed to :mod:`.remediate` (retry, or roll back and stall).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .. import failpoints
from ..helm import HelmFailure
from ..release import ReleaseState
from ..status import now_rfc3339
from .remediate import failed

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState

log = logging.getLogger("specmerge.operator")


class Apply:
    name = "apply"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        namespace, name, release, mem, p, result = s.namespace, s.name, s.release, s.mem, s.plan, s.result
        assert p is not None and result is not None
        install = release is None
        try:
            if release is not None and not release.deployed and release.previous_good is None:
                r.helm.uninstall(namespace, name, s.scrub)  # only failed revisions: Helm cannot upgrade those
                mem.known, mem.gone_upto, install = None, release.revision, True
            values = p.engine_values()
            assert values is not None
            revision = r.helm.apply(namespace, name, p.chart, values, s.digest, install=install, scrub=s.scrub)
        except HelmFailure as exc:
            mem.failures += 1
            raise failed(r, s, str(exc)) from None
        previous = release.revision if release is not None and release.deployed else None
        failpoints.hit(failpoints.AFTER_APPLY)
        if install:
            mem.gone_upto = 0
        mem.known = ReleaseState(name, revision, "deployed", s.digest, previous)
        action = "Installed" if install else "Upgraded"
        r.events.emit(s.cr, "Normal", action, "Install" if install else "Upgrade",
                      f"revision {revision} of {p.chart.name}@{p.chart.version} ({result.channel} {result.version})")
        log.info("%s revision %d", action.lower(), revision, extra={"instance": f"{namespace}/{name}"})
        s.entry = {"digest": s.digest, "version": result.version, "revision": revision, "action": action,
                   "at": now_rfc3339()}
        s.release = mem.known
        return True


__all__ = ["Apply"]
