"""The pure half of drift: the desired objects of a release manifest, and the JSON paths in
which two versions of an object differ once status and server-managed metadata are set aside.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from typing import Any

import yaml

from ..core import canonical_json

#: metadata the API server writes; never drift.
SERVER_METADATA = frozenset({
    "managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink",
    "deletionTimestamp", "deletionGracePeriodSeconds",
})
#: annotations controllers and the API server write on objects they do not own.
SERVER_ANNOTATIONS = frozenset({
    "deployment.kubernetes.io/revision",
    "deprecated.daemonset.template.generation",
    "endpoints.kubernetes.io/last-change-trigger-time",
    "control-plane.alpha.kubernetes.io/leader",
})
SERVER_ANNOTATION_PREFIXES = ("pv.kubernetes.io/", "volume.kubernetes.io/", "volume.beta.kubernetes.io/",
                              "autoscaling.alpha.kubernetes.io/")
HELM_RELEASE_NAME = "meta.helm.sh/release-name"
HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
HELM_MANAGED_BY = "app.kubernetes.io/managed-by"


def desired_objects(manifest: str, release: str, namespace: str) -> list[dict[str, Any]]:
    """The objects of a Helm release manifest as Helm applies them: with the ownership
    annotations and label Helm adds at apply time (they are not in the stored manifest).
    ``namespace`` is the release namespace (set on namespaced objects by the caller, who knows
    which kinds are namespaced)."""
    out = []
    for doc in yaml.safe_load_all(manifest):
        if not isinstance(doc, dict) or not doc.get("kind"):
            continue
        obj = copy.deepcopy(doc)
        meta = obj.setdefault("metadata", {})
        meta["annotations"] = {**(meta.get("annotations") or {}), HELM_RELEASE_NAME: release,
                               HELM_RELEASE_NAMESPACE: namespace}
        meta["labels"] = {**(meta.get("labels") or {}), HELM_MANAGED_BY: "Helm"}
        out.append(obj)
    return out


def digest(obj: Any) -> str:
    """A stable SHA-256 of an object's canonical JSON (for the memo, never shown)."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def _server_annotation(key: str) -> bool:
    return key in SERVER_ANNOTATIONS or key.startswith(SERVER_ANNOTATION_PREFIXES)


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` without status, server-managed metadata and server-written annotations."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if not _server_annotation(k)}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _diff(a: Any, b: Any, path: str) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            sub = f"{path}/{_escape(str(key))}"
            if key not in a or key not in b:
                yield sub
            else:
                yield from _diff(a[key], b[key], sub)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _diff(x, y, f"{path}/{i}")
    elif a != b:
        yield path or "/"


def changed_paths(desired: dict[str, Any], live: dict[str, Any]) -> tuple[str, ...]:
    """JSON Pointers (RFC 6901) where ``desired`` (the dry-run result of Helm's apply) and
    ``live`` differ, status and server-managed metadata ignored. A list that changed length
    is one path; a key on one side only is one path."""
    return tuple(_diff(comparable(desired), comparable(live), ""))
