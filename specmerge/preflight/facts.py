"""Reading :class:`~specmerge.preflight.model.ClusterFacts` from the API server: ``/version``,
discovery, Node objects, IngressClasses and StorageClasses. The only I/O of preflight.

Discovery uses the aggregated form (one ``GET /apis``, Kubernetes >= 1.27) and falls back to
the legacy group list plus one request per group a required CRD lives in. Nodes are listed in
pages. Failures raise :class:`PreflightError` naming the request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..errors import UnavailableError
from ..kubeapi import KubeApiError, KubeHttp
from .model import ClassFacts, ClusterFacts, NodeFacts, RequirementSet, parse_quantity

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
INGRESS_DEFAULT = "ingressclass.kubernetes.io/is-default-class"
STORAGE_DEFAULTS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


class PreflightError(UnavailableError):
    """The cluster could not be read; the message names the request and the reason."""


def get_json(http: KubeHttp, path: str, accept: str = "application/json") -> Any:
    try:
        return http.get(path, accept=accept)
    except KubeApiError as exc:
        raise PreflightError(str(exc)) from None


def _list(http: KubeHttp, path: str) -> list[dict[str, Any]]:
    try:
        return http.list(path)
    except KubeApiError as exc:
        raise PreflightError(str(exc)) from None


def node_facts(obj: dict[str, Any]) -> NodeFacts:
    """One Node object (as JSON) as facts: Ready condition, cordon, allocatable cpu/memory."""
    name = obj.get("metadata", {}).get("name", "?")
    status = obj.get("status") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    capacity = {**(status.get("capacity") or {}), **(status.get("allocatable") or {})}

    def amount(key: str) -> Decimal:
        return parse_quantity(capacity[key], f"node {name} allocatable.{key}") if key in capacity else Decimal(0)

    return NodeFacts(name, ready, not (obj.get("spec") or {}).get("unschedulable", False),
                     amount("cpu"), amount("memory"))


def _classes(http: KubeHttp, path: str, annotations: tuple[str, ...]) -> tuple[ClassFacts, ...]:
    out = []
    for obj in _list(http, path):
        meta = obj.get("metadata") or {}
        marks = meta.get("annotations") or {}
        out.append(ClassFacts(meta.get("name", "?"), any(marks.get(a) == "true" for a in annotations)))
    return tuple(sorted(out, key=lambda c: c.name))


def discover(http: KubeHttp, crd_groups: set[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Served group versions and ``plural.group`` resource names (those of ``crd_groups`` at
    least; every group's with aggregated discovery)."""
    versions: set[str] = set(get_json(http, "/api").get("versions") or [])
    resources: set[str] = set()
    doc = get_json(http, "/apis", accept=AGGREGATED)
    if doc.get("kind") == "APIGroupDiscoveryList":
        for group in doc.get("items") or []:
            name = (group.get("metadata") or {}).get("name", "")
            for version in group.get("versions") or []:
                versions.add(f"{name}/{version.get('version')}")
                resources.update(f"{r.get('resource')}.{name}" for r in version.get("resources") or [])
        return frozenset(versions), frozenset(resources)
    for group in doc.get("groups") or []:
        for version in group.get("versions") or []:
            versions.add(version.get("groupVersion", ""))
            if group.get("name") in crd_groups:
                listed = get_json(http, f"/apis/{version.get('groupVersion')}")
                resources.update(f"{r['name']}.{group['name']}" for r in listed.get("resources") or []
                                 if "/" not in r.get("name", ""))
    return frozenset(versions), frozenset(resources)


def gather_facts(api_client: Any, needs: RequirementSet | None = None) -> ClusterFacts:
    """Read what ``needs`` checks (everything when ``None``) from the cluster."""
    http = KubeHttp(api_client)
    version = get_json(http, "/version").get("gitVersion", "")
    want_nodes = needs is None or needs.min_nodes is not None or needs.per_node is not None or needs.total is not None
    nodes = tuple(node_facts(o) for o in _list(http, "/api/v1/nodes")) if want_nodes else ()
    group_versions: frozenset[str] = frozenset()
    resources: frozenset[str] = frozenset()
    if needs is None or needs.api_groups or needs.crds:
        crd_groups = {c.partition(".")[2] for c in (needs.crds if needs else ())}
        group_versions, resources = discover(http, crd_groups)
    ingress = storage = ()
    if needs is None or needs.ingress_class is not None:
        ingress = _classes(http, "/apis/networking.k8s.io/v1/ingressclasses", (INGRESS_DEFAULT,))
    if needs is None or needs.default_storage_class is not None:
        storage = _classes(http, "/apis/storage.k8s.io/v1/storageclasses", STORAGE_DEFAULTS)
    return ClusterFacts(version, tuple(sorted(nodes, key=lambda n: n.name)), group_versions, resources,
                        ingress, storage)
