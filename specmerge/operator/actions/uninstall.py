"""Uninstall: the CR is being deleted.

Writes: the release uninstalled, ``-spec-active`` deleted, our finalizer dropped from the CR,
an ``Uninstalled`` event; the instance's memory is forgotten. A CR without our finalizer
is only forgotten.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ...instances import FINALIZER, TemporaryError, active_secret
from ..helm import HelmFailure
from ..kube import ApiError, secrets_path

if TYPE_CHECKING:
    from ..reconcile import Reconciler
    from ..state import InstanceState

log = logging.getLogger("specmerge.operator")


class Uninstall:
    name = "uninstall"

    def run(self, r: Reconciler, s: InstanceState) -> bool:
        meta = s.cr["metadata"]
        namespace, name = s.namespace, s.name
        finalizers = meta.get("finalizers") or []
        if FINALIZER in finalizers:
            try:
                r.helm.uninstall(namespace, name)
                r.kube.delete(secrets_path(namespace, active_secret(name)))
                rest = [f for f in finalizers if f != FINALIZER]
                r.kube.merge_patch(r.recorder.cr_path(s.cr), {"metadata": {
                    "finalizers": rest or None, "resourceVersion": meta["resourceVersion"]}})
            except HelmFailure as exc:
                raise TemporaryError(r.recorder.where(s.cr), str(exc)) from None
            except ApiError as exc:
                raise exc.temporary(r.recorder.where(s.cr)) from None
            r.events.emit(s.cr, "Normal", "Uninstalled", "Uninstall", f"release {name} uninstalled")
            log.info("uninstalled", extra={"instance": f"{namespace}/{name}"})
        r.memory.pop(f"{namespace}/{name}", None)
        return False


__all__ = ["Uninstall"]
