"""Check drift of a converged release, when due (``--drift-interval``, an edit of one of its
objects) and ``spec.drift.mode`` is not ``disabled``.

The deployed release's objects are compared with the cluster (the memo skips objects
unchanged since their last clean check). Writes: ``Drifted`` with the changed paths
(``warn``), and for ``correct`` the objects put back as Helm's field manager with a
``DriftCorrected`` event; ``Drifted=False`` once it is gone; ``Drifted=Unknown`` when the
check failed. A clean check of an unchanged release writes nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ...drift import DriftError, DriftReport, check as drift_check, correct as drift_correct
from ..checks import drift_condition
from ..helm import HelmFailure
from ..status import Condition, condition_map

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState

log = logging.getLogger("specmerge.operator")


class CheckDrift:
    name = "drift"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        mem, release, cr = s.mem, s.release, s.cr
        assert release is not None
        if not mem.drift_due or mem.policy.drift_mode == "disabled":
            return True
        mem.drift_due = False
        namespace, name = s.namespace, s.name
        try:
            if mem.drift_objects is None or mem.drift_objects[0] != release.revision:
                mem.drift_objects = (release.revision, r.helm.desired_objects(namespace, name))
            objects = mem.drift_objects[1]
            report: DriftReport = drift_check(r.kube.api_client, objects, namespace, mem.drift_memo)
            correction = None
            if not report.ok and mem.policy.drift_mode == "correct":
                correction = drift_correct(r.kube.api_client, objects, namespace, report, mem.drift_memo)
        except (DriftError, HelmFailure) as exc:
            log.warning("drift not checked: %s", exc, extra={"instance": f"{namespace}/{name}"})
            r.recorder.set_conditions(cr, mem, Condition("Drifted", None, "CheckFailed", str(exc)))
            return True
        if report.ok:
            previous = condition_map(r.recorder.current_status(cr, mem)).get("Drifted") or {}
            if previous and previous.get("status") != "False":
                r.recorder.set_conditions(cr, mem, Condition(
                    "Drifted", False, "NoDrift", f"the {len(report.objects)} objects of the release match it"))
            return True
        found = drift_condition(report, correction)
        if correction is not None:
            r.events.emit(cr, "Warning", "DriftCorrected", "Correct", found.message)
        log.warning("drift: %s", found.message, extra={"instance": f"{namespace}/{name}"})
        r.recorder.set_conditions(cr, mem, found)
        return True


__all__ = ["CheckDrift"]
