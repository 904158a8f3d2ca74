"""``specmerge diff``'s engine: what changes between two effective specs, and who caused it.

:func:`compare` is pure: two :class:`Side` objects in, a :class:`DiffResult` out, every
value masked through the given :class:`~specmerge.core.Redactor` (prime it with both sides,
see :func:`redactor_for`). :mod:`.sides` builds sides from plans and stored specs;
:mod:`.live` reads a live instance from a cluster; :mod:`.report` prints results.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..core import Redactor
from .live import GROUP, PLURAL, VERSION, LiveError, parse_cr_resource, parse_live_ref, read_live
from .manifests import diff_manifests
from .model import ChangeType, DiffResult, ManifestChange, Origin, Side, ValueChange, WarningChange
from .report import Line, diff_document, diff_lines, value_change_dict
from .sides import (
    Sides,
    StoredSpec,
    file_sides,
    layer_sides,
    live_sides,
    plan_side,
    read_stored_spec,
    release_sides,
    stored_side,
)
from .values import diff_values, diff_warnings

Only = Literal["values", "manifests"] | None


def redactor_for(old: Side, new: Side, schema: Mapping[str, Any] | None, reveal: bool) -> Redactor:
    """One redactor for both sides: the chart schema's annotations plus key names, primed
    with both sides' sensitive values so free text (warnings, manifests) can be scrubbed."""
    r = Redactor(schema, reveal=reveal)
    r.learn(old.effective)
    r.learn(new.effective)
    return r


def compare(
    old: Side,
    new: Side,
    redactor: Redactor,
    *,
    only: Only = None,
    context: int = 3,
    old_namespace: str = "default",
    new_namespace: str = "default",
    notes: tuple[str, ...] = (),
) -> DiffResult:
    """Values (with provenance) and warnings unless ``only == "manifests"``; manifests unless
    ``only == "values"`` or a side has none (then a note says why)."""
    values = warnings = ()
    if only != "manifests":
        values, warnings = diff_values(old, new, redactor), diff_warnings(old, new, redactor)
    manifests = None
    extra: list[str] = []
    if only != "values":
        missing = [s.label for s in (old, new) if s.manifests is None]
        if missing:
            extra.append("manifests not compared: not rendered for " + ", ".join(missing)
                         + (" (schema violations)" if any(s.violations for s in (old, new)) else ""))
        elif redactor.reveal and old.real is not None and new.real is not None:
            manifests = diff_manifests(
                old.real(), new.real(), redactor,
                old_namespace=old_namespace, new_namespace=new_namespace, context=context,
            )
        else:
            manifests = diff_manifests(
                old.manifests, new.manifests, redactor,
                old_namespace=old_namespace, new_namespace=new_namespace, context=context,
                scrub_old=old.scrub, scrub_new=new.scrub, old_real=old.real, new_real=new.real,
            )
    return DiffResult(old, new, values, warnings, manifests, notes + tuple(extra))


__all__ = [
    "ChangeType",
    "DiffResult",
    "GROUP",
    "Line",
    "LiveError",
    "ManifestChange",
    "Origin",
    "PLURAL",
    "Side",
    "Sides",
    "StoredSpec",
    "VERSION",
    "ValueChange",
    "WarningChange",
    "compare",
    "diff_document",
    "diff_lines",
    "diff_manifests",
    "diff_values",
    "diff_warnings",
    "file_sides",
    "layer_sides",
    "live_sides",
    "parse_cr_resource",
    "parse_live_ref",
    "plan_side",
    "read_live",
    "read_stored_spec",
    "redactor_for",
    "release_sides",
    "stored_side",
    "value_change_dict",
]
