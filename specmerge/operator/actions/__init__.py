"""The operator's actions, one per module, behind one small interface (Flux helm-controller's
``ActionReconciler``): :meth:`Action.run` takes the reconciler and the pass's
:class:`~..state.InstanceState`, does its one thing (Helm, the API server, the status), writes
what it found into the state, and says whether the pass goes on.

Each action's docstring lists what it writes. An action that cannot finish raises
:class:`~specmerge.instances.TemporaryError` (retry with backoff) or returns the
:class:`~specmerge.instances.PermanentError` of a stalled instance (no retry until the
inputs change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .apply import Apply
from .drift import CheckDrift
from .preflight import Preflight
from .record import RecordDeployed, RecordNoRelease
from .uninstall import Uninstall
from .unlock import Unlock

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState


class Action(Protocol):
    name: str

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        """Act on ``s``; ``False`` ends the pass here."""
        ...


__all__ = ["Action", "Apply", "CheckDrift", "Preflight", "RecordDeployed", "RecordNoRelease", "Uninstall", "Unlock"]
