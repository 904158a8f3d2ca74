"""The drift of a live instance's Helm release, for ``specmerge diff --live NS/NAME``: the
release ``NAME`` in ``NS`` (read with helm-python-sdk) against its live objects."""

from __future__ import annotations

from pathlib import Path

from .check import DriftError, check, release_objects
from .model import DriftReport


def live_drift(namespace: str, name: str, kubeconfig: Path | None, context: str | None) -> tuple[DriftReport | None, str]:
    """``(report, "")``, or ``(None, note)`` saying why there is no drift section."""
    import helm_python
    from kubernetes import config

    try:
        with helm_python.Config(kubeconfig_path=kubeconfig, kube_context=context, namespace=namespace) as helm:
            objects = release_objects(helm, name, namespace)
    except helm_python.HelmNotFoundError:
        return None, f"no Helm release {name} in {namespace}: drift not checked"
    except helm_python.HelmError as exc:
        return None, f"Helm release {namespace}/{name} not read ({type(exc).__name__}): drift not checked"
    with config.new_client_from_config(config_file=str(kubeconfig) if kubeconfig else None, context=context) as api:
        try:
            return check(api, objects, namespace), ""
        except DriftError as exc:
            return None, f"drift not checked: {exc}"
