"""Preflight: does a cluster meet a channel release's ``requirements`` (Kubernetes version,
nodes, CPU, memory, APIs, CRDs, ingress and storage classes)?

* :func:`evaluate` (pure): :class:`Requirements` x :class:`ClusterFacts` x effective values ->
  :class:`PreflightReport` of ``{check, required, found, ok}`` rows;
* :func:`gather_facts`: the facts, read from the API server;
* :func:`preflight`: both, for one ``kubernetes.client.ApiClient``;
* :func:`requirements_of`: the parsed block of a channel spec (``None`` when it has none).

For a reconcile: ``req = requirements_of(plan.channel)``; when not ``None``,
``preflight(api_client, req, plan.effective.with_controls)`` and block the install while ``not .ok``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .evaluate import choose_profile, evaluate, format_cpu, format_memory
from .facts import PreflightError, gather_facts
from .model import (
    CheckResult,
    ClassFacts,
    ClusterFacts,
    NodeFacts,
    PreflightReport,
    Requirements,
    RequirementsError,
    RequirementSet,
)


def requirements_of(channel: Any) -> Requirements | None:
    """The ``requirements`` of a channel spec (:class:`specmerge.channels.ChannelSpec`), parsed."""
    block = getattr(channel, "requirements", None)
    return None if block is None else Requirements.parse(block, f"{channel.locator} requirements")


def preflight(
    api_client: Any, requirements: Requirements, values: Mapping[str, Any], profile: str | None = None
) -> PreflightReport:
    """Gather what the chosen profile needs from the cluster and evaluate it."""
    chosen = choose_profile(requirements, values, profile)
    needs = requirements.resolve(chosen) if chosen is None or chosen in requirements.profiles else None
    facts = gather_facts(api_client, needs) if needs is not None else ClusterFacts(version="")
    return evaluate(requirements, facts, values, profile)


__all__ = [
    "CheckResult", "ClassFacts", "ClusterFacts", "NodeFacts", "PreflightError", "PreflightReport", "Requirements",
    "RequirementSet", "RequirementsError", "choose_profile", "evaluate", "format_cpu", "format_memory",
    "gather_facts", "preflight", "requirements_of",
]
