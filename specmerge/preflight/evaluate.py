"""The preflight rule: requirements against a cluster snapshot -> result rows. Pure.

Only Ready, schedulable (not cordoned) nodes count towards node counts and capacity. A node
"qualifies" when it is such a node and meets every per-node minimum; ``minNodes`` counts
qualifying nodes, so "3 nodes x 2 CPU x 4Gi" is ``minNodes: 3, perNode: {cpu: 2, memory: 4Gi}``.
Totals sum the allocatable capacity of every Ready, schedulable node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..core import from_dotted, get_at
from .model import (
    CheckResult,
    ClassFacts,
    ClusterFacts,
    NodeFacts,
    PreflightReport,
    Requirements,
    RequirementSet,
    Switched,
)

_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def format_cpu(cores: Decimal) -> str:
    """Cores as people write them: ``4``, ``3.9``, ``0.25``."""
    return format(cores.quantize(Decimal("0.001")).normalize(), "f")


def format_memory(size: Decimal) -> str:
    """Bytes in the largest binary unit with at most one decimal: ``15Gi``, ``3.9Gi``, ``512Mi``."""
    for suffix, unit in _BINARY:
        if size >= unit:
            scaled = (size / unit).quantize(Decimal("0.1"))
            return f"{format(scaled.normalize(), 'f')}{suffix}"
    return format(size.normalize(), "f")


def value_at(values: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of the effective spec (``ingress.enabled``), or ``None``."""
    return get_at(values, from_dotted(dotted), None)


def choose_profile(requirements: Requirements, values: Mapping[str, Any], override: str | None) -> str | None:
    """``override``, else the value at ``profileValue``, else ``defaultProfile``."""
    if override:
        return override
    chosen = value_at(values, requirements.profile_value)
    if chosen is not None:
        return str(chosen)
    return requirements.default_profile


def _version_row(constraint: str, found: str) -> CheckResult:
    from ..render import parse_constraint, version_key

    m = _VERSION.match(found.strip())
    key = version_key(f"{m.group(1)}.{m.group(2)}.{m.group(3) or 0}") if m else None
    ok = key is not None and parse_constraint(constraint).allows(key)
    return CheckResult("kubernetes version", constraint, found or "unknown", ok)


def _eligible(nodes: tuple[NodeFacts, ...]) -> list[NodeFacts]:
    return [n for n in nodes if n.eligible]


_RESOURCES: tuple[tuple[str, Callable[[NodeFacts], Decimal], Callable[[Decimal], str]], ...] = (
    ("cpu", lambda n: n.cpu, format_cpu),
    ("memory", lambda n: n.memory, format_memory),
)


def _node_rows(rs: RequirementSet, facts: ClusterFacts) -> list[CheckResult]:
    rows: list[CheckResult] = []
    ready = _eligible(facts.nodes)
    excluded = [f"{n.name} {n.why_not}" for n in facts.nodes if not n.eligible]
    per_node = rs.per_node
    wanted = rs.min_nodes if rs.min_nodes is not None else max(len(ready), 1)

    def short_of(node: NodeFacts) -> list[str]:
        out = []
        for name, get, fmt in _RESOURCES:
            need = getattr(per_node, name) if per_node else None
            if need is not None and get(node) < need:
                out.append(f"{name} {fmt(get(node))} < {fmt(need)}")
        return out

    if rs.min_nodes is not None:
        qualifying = [n for n in ready if not short_of(n)]
        need_text = f">= {rs.min_nodes} Ready, schedulable"
        if per_node is not None:
            each = [f"{fmt(getattr(per_node, name))} {name}" for name, _, fmt in _RESOURCES
                    if getattr(per_node, name) is not None]
            need_text += f" with {', '.join(each)} each"
        not_counted = excluded + [f"{n.name} {'; '.join(short_of(n))}" for n in ready if short_of(n)]
        found = f"{len(qualifying)} of {len(facts.nodes)}"
        if not_counted:
            found += f" (not counted: {', '.join(not_counted)})"
        rows.append(CheckResult("nodes", need_text, found, len(qualifying) >= rs.min_nodes))
    if per_node is not None:
        for name, get, fmt in _RESOURCES:
            need = getattr(per_node, name)
            if need is None:
                continue
            enough = [n for n in ready if get(n) >= need]
            found = f"{len(enough)} of {len(ready)} Ready, schedulable nodes"
            if ready:
                smallest = min(ready, key=get)
                found += f" (smallest: {smallest.name} {fmt(get(smallest))})"
            # too few nodes at all is the nodes row's finding; this row fails when nodes are too small
            rows.append(CheckResult(f"{name} per node", f">= {fmt(need)} on {wanted} node(s)", found,
                                    len(enough) >= min(wanted, len(ready))))
    if rs.total is not None:
        for name, get, fmt in _RESOURCES:
            need = getattr(rs.total, name)
            if need is None:
                continue
            have = sum((get(n) for n in ready), Decimal(0))
            found = f"{fmt(have)} on {len(ready)} Ready, schedulable node(s)"
            if excluded:
                found += f" (not counted: {', '.join(excluded)})"
            rows.append(CheckResult(f"{name} total", f">= {fmt(need)}", found, have >= need))
    return rows


def _api_rows(rs: RequirementSet, facts: ClusterFacts) -> list[CheckResult]:
    rows = []
    for item in rs.api_groups:
        if "/" in item or item == "v1":
            ok = item in facts.group_versions
            found = item if ok else "not served"
        else:
            served = sorted(gv for gv in facts.group_versions if gv.split("/")[0] == item and "/" in gv)
            ok, found = bool(served), ", ".join(served) or "not served"
        rows.append(CheckResult(f"api {item}", "served", found, ok))
    for crd in rs.crds:
        ok = crd in facts.resources
        rows.append(CheckResult(f"crd {crd}", "installed", "installed" if ok else "not found", ok))
    return rows


def _class_row(check: str, kind: str, switch: Switched | None, classes: tuple[ClassFacts, ...],
               values: Mapping[str, Any]) -> list[CheckResult]:
    if switch is None or value_at(values, switch.enabled_value) is not True:
        return []
    wanted = value_at(values, switch.class_name_value) if switch.class_name_value else None
    listed = ", ".join(f"{c.name}{' (default)' if c.default else ''}" for c in classes) or "none"
    if wanted:
        ok = any(c.name == wanted for c in classes)
        required = f"{kind} {wanted!s} ({switch.class_name_value})"
    else:
        ok = any(c.default for c in classes)
        required = f"a default {kind} ({switch.enabled_value} is true)"
    return [CheckResult(check, required, listed, ok)]


def evaluate(
    requirements: Requirements,
    facts: ClusterFacts,
    values: Mapping[str, Any],
    profile: str | None = None,
) -> PreflightReport:
    """Every check of the chosen profile against ``facts``. ``values`` is the effective spec
    with control keys (``Effective.with_controls``); ``profile`` overrides the one it names."""
    chosen = choose_profile(requirements, values, profile)
    if chosen is not None and chosen not in requirements.profiles:
        known = ", ".join(sorted(requirements.profiles)) or "none defined"
        row = CheckResult("profile", f"one of: {known}", chosen, False)
        return PreflightReport(chosen, (row,))
    rs = requirements.resolve(chosen)
    rows: list[CheckResult] = []
    if rs.kubernetes_version is not None:
        rows.append(_version_row(rs.kubernetes_version, facts.version))
    rows += _node_rows(rs, facts)
    rows += _api_rows(rs, facts)
    rows += _class_row("ingress class", "IngressClass", rs.ingress_class, facts.ingress_classes, values)
    rows += _class_row("storage class", "StorageClass", rs.default_storage_class, facts.storage_classes, values)
    return PreflightReport(chosen, tuple(rows))
