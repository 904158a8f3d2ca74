"""What a diff compares (:class:`Side`) and what it finds; plain data, no I/O.

A side is an effective spec with provenance: either the merge of layers (a plan) or a
stored effective spec wrapped as one layer, so every path still has a locator (the file or
Secret it was read from). ``manifests`` is ``{template: text}`` as Helm rendered the side's
*masked* values (design.md §5; ``scrub``: the real render of a template that refused a
placeholder, to be scrubbed as free text), or ``None`` when the side was not rendered
(violations, or ``--only values``). ``real`` gives the real render on demand: it is only
compared by keyed hash, never shown unless secrets are revealed.

Every value held by a finding is already masked by the redactor the diff was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..core import Effective, MergeWarning

ChangeType = Literal["added", "removed", "changed", "type-changed"]


@dataclass(frozen=True)
class Side:
    """One side of a diff. ``label`` names it for people (``layers``, ``file:spec.json``,
    ``secret:ns/demo-spec-active``)."""

    label: str
    effective: Effective
    warnings: tuple[MergeWarning, ...] = ()
    manifests: Mapping[str, str] | None = None
    violations: int = 0
    scrub: bool = False
    real: Callable[[], Mapping[str, str] | None] | None = None

    def layers(self) -> list[dict[str, str]]:
        return [{"name": l.name, "source": l.source} for l in self.effective.layers]


@dataclass(frozen=True)
class Origin:
    """Who put a path's value on one side: a layer and locator; ``op`` ``delete`` when an
    explicit null removed it, ``replace`` when a layer put a non-map at an ancestor."""

    layer: str
    source: str
    op: Literal["set", "delete", "replace"] = "set"

    def to_dict(self) -> dict[str, str]:
        return {"layer": self.layer, "source": self.source, "op": self.op}

    def describe(self) -> str:
        verb = {"set": "set by", "delete": "deleted (null) by", "replace": "cut (non-map above) by"}[self.op]
        return f"{verb} {self.layer} {self.source}"


@dataclass(frozen=True)
class ValueChange:
    """One leaf path that differs. ``old``/``new`` are masked; absent on the side that lacks it."""

    path: tuple[str | int, ...]
    change: ChangeType
    old: Any = None
    new: Any = None
    old_type: str | None = None
    new_type: str | None = None
    old_origin: Origin | None = None
    new_origin: Origin | None = None


@dataclass(frozen=True)
class WarningChange:
    """A merge warning present on one side only (``appeared`` on the new side)."""

    change: Literal["appeared", "disappeared"]
    warning: dict[str, Any]


@dataclass(frozen=True)
class ManifestChange:
    """One rendered resource that differs; ``diff`` is a unified diff of the masked YAML."""

    kind: str
    namespace: str
    name: str
    change: Literal["added", "removed", "changed"]
    diff: str

    @property
    def resource(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


@dataclass(frozen=True)
class DiffResult:
    """Everything one diff found. ``manifests`` is ``None`` when manifests were not compared."""

    old: Side
    new: Side
    values: tuple[ValueChange, ...] = ()
    warnings: tuple[WarningChange, ...] = ()
    manifests: tuple[ManifestChange, ...] | None = None
    notes: tuple[str, ...] = field(default=())
    drift: Any = None  # a specmerge.drift.DriftReport (diff --live): the release's live objects vs Helm's

    @property
    def changed(self) -> bool:
        return bool(self.values or self.warnings or self.manifests or (self.drift is not None and not self.drift.ok))
