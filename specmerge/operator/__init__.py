"""The operator (issue 14, design.md §8): reconcile instances' custom resources into Helm releases.

Level-triggered, on the official ``kubernetes`` client: :mod:`.informer` (LIST + WATCH),
:mod:`.workqueue` (keyed, per-key backoff), :mod:`.reconcile` (one pass, first match wins:
:mod:`.state` works the instance's state out, :mod:`.actions` act on it one per module,
:mod:`.record` writes status and state Secrets), :mod:`.helm` (helm-python-sdk),
:mod:`.channels` (one poll per channel), :mod:`.leader` (Lease), :mod:`.status`/:mod:`.events`
(compared before written), :mod:`.run` (the process).
"""

from .controller import Controller, Scope
from .reconcile import Reconciler, Settings, spec_digest
from .run import OperatorConfig, run

__all__ = ["Controller", "OperatorConfig", "Reconciler", "Scope", "Settings", "run", "spec_digest"]
