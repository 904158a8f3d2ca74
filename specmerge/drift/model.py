"""Drift data: which object, what state, which JSON paths changed. Values never appear here
(an object may be a Secret): only paths, names and counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["in-sync", "unchanged", "drifted", "missing"]


@dataclass(frozen=True, order=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"

    @staticmethod
    def of(obj: dict[str, Any]) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return ObjectRef(str(obj.get("apiVersion", "")), str(obj.get("kind", "")), meta.get("namespace"),
                         str(meta.get("name", "")))


@dataclass(frozen=True)
class ObjectDrift:
    """One object of the release. ``in-sync``: compared, no change; ``unchanged``: skipped, its
    generation (or resourceVersion) is the one of its last clean check; ``drifted``: ``paths``
    are the JSON Pointers Helm's apply would change; ``missing``: deleted from the cluster."""

    ref: ObjectRef
    state: State
    paths: tuple[str, ...] = ()
    manager: str | None = None

    def to_dict(self) -> dict[str, Any]:
        r = self.ref
        return {"apiVersion": r.api_version, "kind": r.kind, "namespace": r.namespace, "name": r.name,
                "state": self.state, "paths": list(self.paths), "manager": self.manager}


@dataclass(frozen=True)
class DriftReport:
    objects: tuple[ObjectDrift, ...]
    requests: dict[str, int] = field(default_factory=dict)  # by HTTP method, for this pass

    @property
    def drifted(self) -> tuple[ObjectDrift, ...]:
        return tuple(o for o in self.objects if o.state in ("drifted", "missing"))

    @property
    def ok(self) -> bool:
        return not self.drifted

    def to_dict(self) -> dict[str, Any]:
        return {"drifted": not self.ok, "objects": [o.to_dict() for o in self.objects], "requests": dict(self.requests)}


@dataclass(frozen=True)
class Correction:
    corrected: tuple[ObjectRef, ...]
    recreated: tuple[ObjectRef, ...]
    requests: dict[str, int] = field(default_factory=dict)


@dataclass
class DriftMemo:
    """What a caller keeps between checks (in memory): per object, the fingerprint of its last
    clean check ``(desired digest, uid, generation with labels/annotations, or resourceVersion)``, and the discovery
    answers (kind -> resource) so later passes need no discovery requests."""

    clean: dict[ObjectRef, tuple[str, str, str]] = field(default_factory=dict)
    resources: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)
