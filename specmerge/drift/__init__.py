"""Drift: have a deployed Helm release's objects been edited (or deleted) behind Helm's back?

* :func:`release_objects` - the desired objects of a release (helm-python-sdk);
* :func:`check` - a :class:`DriftReport`: per object ``in-sync``/``unchanged``/``drifted``
  (with the changed JSON paths)/``missing``; writes nothing;
* :func:`correct` - server-side apply, with force, as Helm's field manager, of what a report
  found drifted or missing.

A :class:`DriftMemo`, kept by the caller between checks, skips objects unchanged since their
last clean check.
"""

from __future__ import annotations

from .check import DEFAULT_MANAGER, DriftError, check, correct, helm_manager, release_objects
from .compare import changed_paths, comparable, desired_objects
from .live import live_drift
from .model import Correction, DriftMemo, DriftReport, ObjectDrift, ObjectRef

__all__ = [
    "DEFAULT_MANAGER", "Correction", "DriftError", "DriftMemo", "DriftReport", "ObjectDrift", "ObjectRef",
    "changed_paths", "check", "comparable", "correct", "desired_objects", "helm_manager", "live_drift",
    "release_objects",
]
