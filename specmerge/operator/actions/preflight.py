"""Preflight: before an install or upgrade, does the cluster meet the channel release's
requirements?

Writes ``s.requirements`` (the ``RequirementsMet`` condition). When unmet and enforced
(always for an install; for an upgrade unless ``spec.preflight.enforceOnUpgrade`` is false)
the instance is blocked: status ``Blocked`` written, ``mem.blocked`` set to the facts'
stamp, and the pass ends (no Helm call). Requirements a release states wrongly stall it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ...instances import TemporaryError
from ...preflight import PreflightError, RequirementsError, evaluate, requirements_of
from ..checks import requirements_condition
from ..record import channel_condition, channel_status
from ..status import Condition, Outcome

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState

log = logging.getLogger("specmerge.operator")


class Preflight:
    name = "preflight"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        release, result, mem, p = s.release, s.result, s.mem, s.plan
        assert result is not None and p is not None
        install = release is None or (not release.deployed and release.previous_good is None)
        enforced = install or mem.policy.enforce_on_upgrade
        where = r.recorder.where(s.cr)
        try:
            requirements = requirements_of(result.spec)
        except RequirementsError as exc:
            r.recorder.stall(s.cr, mem, s.fp, "InvalidRequirements", str(exc), result)
            return False
        if requirements is None:
            s.requirements = requirements_condition(None, f"{result.channel} {result.version}", enforced)
            return True
        try:
            stamp, facts = r.facts.get()
        except PreflightError as exc:
            raise TemporaryError(where, f"cluster facts for the requirements not read: {exc}") from None
        report = evaluate(requirements, facts, p.effective.with_controls)
        found = requirements_condition(report, f"{result.channel} {result.version}", enforced)
        s.requirements = found = Condition(found.type, found.status, found.reason, s.scrub(found.message))
        if report.ok or not enforced:
            return True
        held = "not installed" if install else f"not upgraded (revision {release.revision if release else 0} stays)"
        r.recorder.write_status(s.cr, mem, Outcome("Blocked", (
            Condition("Ready", False, "RequirementsNotMet", f"{held}: {found.message}"), found,
            Condition("Stalled", False, "RequirementsNotMet", "waiting for the cluster to meet the requirements"),
            channel_condition(result)), channel=channel_status(result), failures=mem.failures))
        mem.fp, mem.settled, mem.blocked = s.fp, True, stamp
        log.info("blocked: requirements not met", extra={"instance": where})
        return False


__all__ = ["Preflight"]
