"""The I/O half of drift: compare a release's objects with the cluster, and put them back.

Per object (Flux's method, fluxcd/helm-controller ``internal/action/diff.go``):

1. GET the live object (a 404 means it was deleted: ``missing``);
2. skip it when its fingerprint ``(desired digest, uid, generation + labels/annotations, or
   resourceVersion)`` equals the one the memo kept at its last clean check (``unchanged``);
3. otherwise server-side apply the desired object as a dry run (``dryRun=All``), with force,
   as Helm's field manager - read from the live object's ``managedFields`` (the Apply manager
   that owns Helm's ``meta.helm.sh/release-name`` annotation);
4. the JSON paths where the dry-run result differs from the live object (status and
   server-managed metadata ignored) are the drift.

A check never writes: a dry run stores nothing. :func:`correct` applies the desired objects
of the drifted and missing ones for real, with force, as that manager, so the foreign
manager loses the fields and a later ``helm upgrade`` does not conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from ..errors import UnavailableError
from ..kubeapi import APPLY_PATCH, KubeApiError, KubeHttp
from .compare import HELM_RELEASE_NAME, changed_paths, desired_objects, digest
from .model import Correction, DriftMemo, DriftReport, ObjectDrift, ObjectRef

#: used when no object of the release names Helm's manager (every object deleted).
DEFAULT_MANAGER = "helm"


class DriftError(UnavailableError):
    """An object of the release could not be read or compared; the message names it."""


def helm_manager(live: Mapping[str, Any]) -> str | None:
    """The field manager Helm applied ``live`` with: the Apply manager that owns the
    ``meta.helm.sh/release-name`` annotation; else the only Apply manager; else ``None``."""
    entries = [e for e in (live.get("metadata") or {}).get("managedFields") or []
               if e.get("operation") == "Apply" and not e.get("subresource")]
    for entry in entries:
        annotations = ((entry.get("fieldsV1") or {}).get("f:metadata") or {}).get("f:annotations") or {}
        if f"f:{HELM_RELEASE_NAME}" in annotations:
            return str(entry.get("manager"))
    managers = {str(e.get("manager")) for e in entries}
    return managers.pop() if len(managers) == 1 else None


def _resources(http: KubeHttp, memo: DriftMemo, api_version: str) -> dict[str, tuple[str, bool]]:
    known = memo.resources.get(api_version)
    if known is None:
        path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        doc = http.get(path, missing_ok=True) or {}
        known = {r["kind"]: (r["name"], bool(r.get("namespaced"))) for r in doc.get("resources") or []
                 if "/" not in r.get("name", "")}
        memo.resources[api_version] = known
    return known


def object_path(
    http: KubeHttp, memo: DriftMemo, obj: Mapping[str, Any], namespace: str
) -> tuple[ObjectRef, str, dict[str, Any]]:
    """The object's ref, its REST path, and the object as applied (a copy; the release
    namespace filled in for namespaced kinds that name none)."""
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    name = str((obj.get("metadata") or {}).get("name", ""))
    found = _resources(http, memo, api_version).get(kind)
    if found is None:
        raise DriftError(f"{kind} {name}: the cluster serves no {kind} in {api_version}")
    plural, namespaced = found
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespaced:
        ns = (obj.get("metadata") or {}).get("namespace") or namespace
        applied = {**obj, "metadata": {**(obj.get("metadata") or {}), "namespace": ns}}
        return (ObjectRef(api_version, kind, ns, name), f"{base}/namespaces/{quote(ns)}/{plural}/{quote(name)}",
                applied)
    return ObjectRef(api_version, kind, None, name), f"{base}/{plural}/{quote(name)}", dict(obj)


def _fingerprint(desired: dict[str, Any], live: Mapping[str, Any]) -> tuple[str, str, str]:
    """What must be unchanged to skip the dry run. ``generation`` moves on spec edits only (not
    on status churn), so the labels and annotations are fingerprinted beside it: an edit of
    metadata alone is seen too. Objects without a generation use their resourceVersion."""
    meta = live.get("metadata") or {}
    if meta.get("generation") is None:
        return digest(desired), str(meta.get("uid")), f"rv{meta.get('resourceVersion')}"
    marks = digest([meta.get("labels"), meta.get("annotations")])
    return digest(desired), str(meta.get("uid")), f"g{meta['generation']}:{marks}"


def _apply(http: KubeHttp, path: str, obj: dict[str, Any], manager: str, dry_run: bool) -> Any:
    query = [("fieldManager", manager), ("force", "true")] + ([("dryRun", "All")] if dry_run else [])
    return http.request("PATCH", path, query=query, body=obj, content_type=APPLY_PATCH)


def check(
    api_client: Any,
    objects: Iterable[dict[str, Any]],
    namespace: str,
    memo: DriftMemo | None = None,
    field_manager: str | None = None,
) -> DriftReport:
    """Compare each desired object (:func:`~specmerge.drift.compare.desired_objects`) with the
    cluster. ``memo`` (kept by the caller between checks) lets unchanged objects skip the dry
    run; ``field_manager`` overrides the manager read from ``managedFields``."""
    http = KubeHttp(api_client)
    memo = memo if memo is not None else DriftMemo()
    results: list[ObjectDrift] = []
    seen_manager: str | None = None
    pending: list[tuple[ObjectRef, str, dict[str, Any], dict[str, Any]]] = []
    try:
        for raw in objects:
            ref, path, obj = object_path(http, memo, raw, namespace)
            live = http.get(path, missing_ok=True)
            if live is None:
                memo.clean.pop(ref, None)
                results.append(ObjectDrift(ref, "missing"))
                continue
            seen_manager = seen_manager or helm_manager(live)
            if memo.clean.get(ref) == _fingerprint(obj, live):
                results.append(ObjectDrift(ref, "unchanged"))
                continue
            pending.append((ref, path, obj, live))
        for ref, path, obj, live in pending:
            manager = field_manager or helm_manager(live) or seen_manager or DEFAULT_MANAGER
            dry = _apply(http, path, obj, manager, dry_run=True)
            paths = changed_paths(dry, live)
            if paths:
                memo.clean.pop(ref, None)
                results.append(ObjectDrift(ref, "drifted", paths, manager))
            else:
                memo.clean[ref] = _fingerprint(obj, live)
                results.append(ObjectDrift(ref, "in-sync", (), manager))
    except KubeApiError as exc:
        raise DriftError(str(exc)) from None
    manager = field_manager or seen_manager
    final = [ObjectDrift(r.ref, r.state, r.paths, manager) if r.state == "missing" else r for r in results]
    return DriftReport(tuple(sorted(final, key=lambda r: r.ref)), dict(http.requests))


def correct(
    api_client: Any,
    objects: Iterable[dict[str, Any]],
    namespace: str,
    report: DriftReport,
    memo: DriftMemo | None = None,
    field_manager: str | None = None,
) -> Correction:
    """Server-side apply, with force, as Helm's manager, every desired object ``report`` found
    drifted or missing (a missing one is created again)."""
    http = KubeHttp(api_client)
    memo = memo if memo is not None else DriftMemo()
    todo = {d.ref: d for d in report.drifted}
    corrected: list[ObjectRef] = []
    recreated: list[ObjectRef] = []
    try:
        for raw in objects:
            ref, path, obj = object_path(http, memo, raw, namespace)
            found = todo.get(ref)
            if found is None:
                continue
            _apply(http, path, obj, field_manager or found.manager or DEFAULT_MANAGER, dry_run=False)
            memo.clean.pop(ref, None)
            (recreated if found.state == "missing" else corrected).append(ref)
    except KubeApiError as exc:
        raise DriftError(str(exc)) from None
    return Correction(tuple(corrected), tuple(recreated), dict(http.requests))


def release_objects(helm_config: Any, release: str, namespace: str) -> list[dict[str, Any]]:
    """The desired objects of a deployed Helm release, read with helm-python-sdk (a
    ``helm_python.Config`` for the release's namespace)."""
    manifest = helm_config.status(release).get("manifest") or ""
    return desired_objects(manifest, release, namespace)

