"""Helm actions through helm-python-sdk (in-process Helm v4), one ``Config`` per namespace.

The release is labelled ``specmerge.io/digest=<digest>`` (on Helm's storage Secret), which is
how the next pass knows, from the Secret's metadata alone, what is deployed. Every action is
counted in :data:`~.metrics.HELM_CALLS`. Failures raise :class:`HelmFailure`; its message
is Helm's text scrubbed by the caller's redactor (a rejected manifest can quote a value).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python

from ..errors import UnavailableError
from ..instances import DIGEST_KEY
from ..render import LoadedChart
from . import metrics


class HelmFailure(UnavailableError):
    """A Helm action failed; ``action`` names it."""

    def __init__(self, action: str, message: str) -> None:
        self.action = action
        super().__init__(f"helm {action} failed: {message}")


class HelmDriver:
    def __init__(self, kubeconfig: Path | None = None, timeout: int = 300) -> None:
        self.kubeconfig, self.timeout = kubeconfig, timeout
        self._configs: dict[str, helm_python.Config] = {}
        self._lock = threading.Lock()

    def _config(self, namespace: str) -> helm_python.Config:
        with self._lock:
            config = self._configs.get(namespace)
            if config is None:
                config = helm_python.Config(kubeconfig_path=self.kubeconfig, namespace=namespace)
                self._configs[namespace] = config
            return config

    def _run(self, action: str, call: Callable[[], Any], scrub: Callable[[str], str]) -> Any:
        try:
            out = call()
        except helm_python.HelmError as exc:
            metrics.HELM_CALLS.labels(action, "error").inc()
            raise HelmFailure(action, scrub(str(exc))) from None
        metrics.HELM_CALLS.labels(action, "ok").inc()
        return out

    def apply(self, namespace: str, name: str, chart: LoadedChart, values: dict[str, Any], digest: str, *,
              install: bool, scrub: Callable[[str], str]) -> int:
        """Install (``install``) or upgrade the release; returns the new revision."""
        config = self._config(namespace)
        labels = {DIGEST_KEY: digest}
        if install:
            rel = self._run("install", lambda: config.install(chart.prevalidated, name, values, namespace=namespace,
                                                              timeout=self.timeout, labels=labels), scrub)
        else:
            rel = self._run("upgrade", lambda: config.upgrade(chart.prevalidated, name, values, namespace=namespace,
                                                              timeout=self.timeout, labels=labels,
                                                              max_history=10), scrub)
        return int((rel or {}).get("revision") or 0)

    def rollback(self, namespace: str, name: str, revision: int, scrub: Callable[[str], str]) -> None:
        config = self._config(namespace)
        self._run("rollback", lambda: config.rollback(name, version=revision, timeout=self.timeout), scrub)

    def uninstall(self, namespace: str, name: str, scrub: Callable[[str], str] = lambda t: t) -> None:
        config = self._config(namespace)
        self._run("uninstall", lambda: config.uninstall(name, ignore_not_found=True, timeout=self.timeout), scrub)

    def desired_objects(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """The objects of the deployed release as Helm applies them (its stored manifest)."""
        from ..drift import release_objects

        config = self._config(namespace)
        return self._run("status", lambda: release_objects(config, name, namespace), lambda t: t)  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            for config in self._configs.values():
                config.close()
            self._configs.clear()


__all__ = ["HelmDriver", "HelmFailure"]
