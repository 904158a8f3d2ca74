"""Preflight and drift as the operator uses them: the CR's switches, the shared cache of
cluster facts, and the conditions (``RequirementsMet``, ``Drifted``) built from reports.

CR fields (both optional)::

    spec:
      preflight: {enforceOnUpgrade: true}   # false: upgrades proceed while requirements are unmet
      drift: {mode: warn}                   # disabled | warn | correct

Requirements are always enforced before an install. Cluster facts (``/version``, discovery,
Nodes, IngressClasses, StorageClasses) are read once per ``ttl`` for every instance together,
and only by a pass that is about to install or upgrade (or is blocked): a converged instance
never reads them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..drift import Correction, DriftReport
from ..instances import PermanentError
from ..preflight import ClusterFacts, PreflightReport, gather_facts
from .status import Condition

DRIFT_MODES = ("disabled", "warn", "correct")


@dataclass(frozen=True)
class Policy:
    """The CR's preflight and drift switches."""

    enforce_on_upgrade: bool = True
    drift_mode: str = "warn"


def policy_of(cr: Mapping[str, Any], where: str) -> Policy:
    """``spec.preflight`` and ``spec.drift`` of a CR; a bad value is a :class:`PermanentError`."""
    spec = cr.get("spec") or {}
    pre, drift = spec.get("preflight") or {}, spec.get("drift") or {}
    if not isinstance(pre, Mapping) or not isinstance(drift, Mapping):
        raise PermanentError(f"{where} spec", "preflight and drift must be objects")
    enforce = pre.get("enforceOnUpgrade", True)
    if not isinstance(enforce, bool):
        raise PermanentError(f"{where} spec.preflight.enforceOnUpgrade", "must be true or false")
    mode = drift.get("mode", "warn")
    if mode not in DRIFT_MODES:
        raise PermanentError(f"{where} spec.drift.mode", f"must be one of {', '.join(DRIFT_MODES)}")
    return Policy(enforce, str(mode))


class FactsCache:
    """Cluster facts shared by every instance, re-read when older than ``ttl`` seconds.
    ``stamp`` numbers each reading, so a blocked instance can tell whether anything new
    has been read since it was blocked (:meth:`current`)."""

    def __init__(self, api_client: Any, ttl: float) -> None:
        self.api_client, self.ttl = api_client, ttl
        self._lock = threading.Lock()
        self._facts: ClusterFacts | None = None
        self._at = 0.0
        self.stamp = 0

    def _fresh(self) -> bool:
        return self._facts is not None and time.monotonic() - self._at < self.ttl

    def current(self, stamp: int) -> bool:
        """The facts read as ``stamp`` are still the newest, and still fresh."""
        with self._lock:
            return stamp == self.stamp and self._fresh()

    def get(self) -> tuple[int, ClusterFacts]:
        """Fresh facts (read now if stale): raises :class:`~specmerge.preflight.PreflightError`."""
        with self._lock:
            if not self._fresh():
                self._facts = gather_facts(self.api_client)
                self._at = time.monotonic()
                self.stamp += 1
            assert self._facts is not None
            return self.stamp, self._facts


def requirements_condition(report: PreflightReport | None, channel: str, enforced: bool) -> Condition:
    """``RequirementsMet`` from a report (``None``: the channel release states no requirements).
    The message lists every unmet check with what was required and found (numbers, node and
    class names; no values)."""
    if report is None:
        return Condition("RequirementsMet", True, "NoRequirements", f"{channel} states no requirements")
    profile = f" (profile {report.profile})" if report.profile else ""
    if report.ok:
        return Condition("RequirementsMet", True, "RequirementsMet", f"{len(report.results)} checks passed{profile}")
    unmet = "; ".join(f"{r.check}: required {r.required}, found {r.found}" for r in report.unmet)
    tail = "" if enforced else "; upgrading anyway (spec.preflight.enforceOnUpgrade is false)"
    return Condition("RequirementsMet", False, "RequirementsNotMet",
                     f"{len(report.unmet)} of {len(report.results)} checks unmet{profile}: {unmet}{tail}")


def drift_summary(report: DriftReport) -> str:
    """The drifted objects with their changed JSON paths (never values)."""
    parts = [f"{o.ref} {'deleted' if o.state == 'missing' else ', '.join(o.paths)}" for o in report.drifted]
    return "; ".join(parts)


def drift_condition(report: DriftReport, correction: Correction | None) -> Condition:
    if correction is not None:
        return Condition("Drifted", False, "Remediated",
                         f"corrected {len(report.drifted)} object(s) as Helm's field manager: {drift_summary(report)}")
    return Condition("Drifted", True, "DriftDetected",
                     f"{len(report.drifted)} object(s) differ from the release: {drift_summary(report)}")


__all__ = ["DRIFT_MODES", "FactsCache", "Policy", "drift_condition", "drift_summary", "policy_of",
           "requirements_condition"]
