"""pytest plugin: a real kube-apiserver (``kube``) and the helm CLI (``helm_cli``) for tests.

Enabled by ``pytest_plugins = ["cluster.fixtures"]`` in tests/conftest.py (pyproject puts ``tests`` on
``pythonpath``).

Fixtures (session scope; one apiserver serves the whole run, isolate tests with ``kube.namespace()``):

* ``kube`` -> :class:`cluster.harness.Kube`: ``.kubeconfig`` (Path), ``.server`` (https URL), ``.token``
  (admin bearer token, group system:masters), ``.ca_file``, ``.kube_version`` (the pinned version),
  ``.api_client`` (kubernetes.client.ApiClient), ``.core_v1``, ``.custom_objects``, ``.apiextensions_v1``,
  ``.namespace(prefix="t") -> str`` (creates a fresh namespace), ``.install_crd(manifest) -> name`` (creates
  or replaces a CRD and waits for Established), ``.logs(lines=None) -> str``.
* ``helm_cli`` -> Path of the helm binary built from helm.sh/helm/v4 (the ``helm template`` oracle); needs only
  that binary built.
* ``cluster_binaries`` -> :class:`cluster.harness.Binaries` (every path and the pinned versions; needs only
  kube-apiserver and etcd built).
* ``oci_registry`` -> :class:`cluster.harness.Registry`: a real OCI registry (distribution) on
  127.0.0.1, plain HTTP, empty at the start of the session; ``.host`` is ``127.0.0.1:PORT``. Needs only
  the registry binary; its log is ``registry.log`` beside the cluster logs. ``registry_binary`` is the path,
  for tests that start (and stop) a registry of their own.

Tests using ``kube`` get the ``cluster`` marker and tests using ``helm_cli`` the ``helmcli`` marker
automatically (mark them explicitly too, for readers), so ``-m "not cluster"`` deselects them.

Where the binaries come from: the fixtures run ``bash tests/cluster/build.sh --print-paths`` (no Go
needed) and use those paths; they never build. ``.ci/run`` runs ``build.sh`` before pytest; locally, run it
once (a cold build takes tens of minutes, a warm one seconds).

Policy when the harness cannot be used (missing Go, binaries not built, apiserver not starting):
* ``CI=true``: ``pytest.fail`` with the exact reason — never a skip.
* otherwise: ``pytest.skip`` with the reason ("Go not found ...", "binaries not built: run bash
  tests/cluster/build.sh ...", or the start failure with its log tail).

Logs: etcd.log and kube-apiserver.log go to ``$SPECMERGE_CLUSTER_LOGS`` if set, else to
``<pytest basetemp>/cluster-logs``; they outlive the run. When a test that uses ``kube`` fails, the tail of
both logs is attached to its report as a section. ``SPECMERGE_APISERVER_TIMEOUT`` (seconds, default 120)
bounds the wait for /readyz.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from cluster.harness import Binaries, Cluster, HarnessError, HarnessUnavailable, Kube, Registry, locate_binaries

_CLUSTER_KEY = pytest.StashKey[Cluster]()
_STARTUP_KEY = pytest.StashKey[str]()
_LOG_TAIL_LINES = 150


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Apply the policy: fail under CI=true, skip elsewhere."""
    if in_ci():
        pytest.fail(f"cluster harness unavailable under CI=true: {reason}", pytrace=False)
    pytest.skip(f"cluster harness unavailable: {reason}")


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject; repeated here so the plugin works under --strict-markers on its own.
    config.addinivalue_line("markers", "cluster: needs the real kube-apiserver harness (tests/cluster)")
    config.addinivalue_line("markers", "helmcli: needs the helm CLI built from Helm's Go module")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "kube" in names and item.get_closest_marker("cluster") is None:
            item.add_marker(pytest.mark.cluster)
        if "helm_cli" in names and item.get_closest_marker("helmcli") is None:
            item.add_marker(pytest.mark.helmcli)


@pytest.fixture(scope="session")
def cluster_binaries() -> Binaries:
    try:
        return locate_binaries(require=("kube-apiserver", "etcd"))  # the rest have fixtures of their own
    except HarnessUnavailable as exc:
        unavailable(str(exc))


def _one_binary(name: str) -> Path:
    """The path of one built binary (the others need not be built), or the unavailable policy."""
    try:
        binaries = locate_binaries(require=(name,))
    except HarnessUnavailable as exc:
        unavailable(str(exc))
    return Path(getattr(binaries, name))


@pytest.fixture(scope="session")
def helm_cli() -> Path:
    """Needs only the helm binary, not the apiserver."""
    return _one_binary("helm")


@pytest.fixture(scope="session")
def registry_binary() -> Path:
    return _one_binary("registry")


def _log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(os.environ.get("SPECMERGE_CLUSTER_LOGS") or tmp_path_factory.getbasetemp() / "cluster-logs")


@pytest.fixture(scope="session")
def oci_registry(registry_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    registry = Registry(registry_binary, _log_dir(tmp_path_factory) / "registry.log")
    try:
        registry.__enter__()
    except (HarnessError, OSError) as exc:
        unavailable(f"the OCI registry did not start: {exc}")
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def kube(
    request: pytest.FixtureRequest, cluster_binaries: Binaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kube]:
    log_dir = _log_dir(tmp_path_factory)
    timeout = float(os.environ.get("SPECMERGE_APISERVER_TIMEOUT", "120"))
    cluster = Cluster(cluster_binaries, log_dir=log_dir, startup_timeout=timeout)
    try:
        cluster.start()
    except (HarnessError, OSError) as exc:  # OSError: Popen could not exec a binary
        cluster.stop()
        unavailable(f"etcd/kube-apiserver did not start (logs in {log_dir}): {exc}")
    request.config.stash[_CLUSTER_KEY] = cluster
    request.config.stash[_STARTUP_KEY] = (
        f"cluster: kube-apiserver {cluster_binaries.kube_version} ready in {cluster.apiserver_start_seconds:.1f}s "
        f"(Popen to /readyz 200), etcd in {cluster.etcd_start_seconds:.1f}s; logs in {log_dir}"
    )
    try:
        handle = Kube(cluster)
        try:
            yield handle
        finally:
            handle.close()
    finally:
        cluster.stop()
        del request.config.stash[_CLUSTER_KEY]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.failed or "kube" not in getattr(item, "fixturenames", ()):
        return
    cluster = item.config.stash.get(_CLUSTER_KEY, None)
    if cluster is None:
        return
    report.sections.append(
        (f"cluster logs (last {_LOG_TAIL_LINES} lines each; full logs in {cluster.log_dir})",
         cluster.logs(_LOG_TAIL_LINES))
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    startup = config.stash.get(_STARTUP_KEY, None)
    if startup is not None:
        terminalreporter.write_line(startup)
