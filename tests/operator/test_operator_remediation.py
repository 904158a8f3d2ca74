"""Helm releases that went wrong, on the real kube-apiserver: an upgrade the apiserver rejects is
retried, rolled back and stalled; a release left ``pending-upgrade`` by a killed Helm is recovered."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from operatorkit import (
    condition,
    create_cr,
    events,
    get_cr,
    helm_revisions,
    install_crd,
    patch_cr_values,
    ready,
    service_account,
    start_operator,
    wait_for,
)

pytestmark = pytest.mark.cluster


def test_a_failing_upgrade_is_retried_rolled_back_then_stalled_and_a_fix_recovers(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("fail")
    kc, user = service_account(kube, home, "op", tmp_path)
    op = start_operator(kc, user, tmp_path / "op.log", "--namespace", ns, "--airgapped", "--lease-namespace", home,
                        "--max-failures", "2")
    try:
        create_cr(kube, ns, "demo")
        wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
        # valid for the chart's schema (resources is any object), refused by the apiserver
        patch_cr_values(kube, ns, "demo", {"app": {"resources": {"requests": {"cpu": "lots"}}}})
        cr = wait_for(lambda: (c := get_cr(kube, ns, "demo")) and condition(c, "Stalled").get("status") == "True"
                      and c, 90, "Stalled after retries")
        assert condition(cr, "Stalled")["reason"] == "RetriesExhausted"
        assert condition(cr, "Remediated")["reason"] == "RolledBack"
        assert condition(cr, "Ready")["reason"] == "UpgradeFailed" and cr["status"]["failures"] == 2
        revisions = helm_revisions(kube, ns, "demo")
        assert [revisions[r]["status"] for r in sorted(revisions)] == ["superseded", "failed", "failed", "deployed"]
        reasons = [e.reason for e in events(kube, ns, "demo")]
        assert reasons.count("UpgradeFailed") >= 1 and "RolledBack" in reasons
        time.sleep(3)
        assert len(helm_revisions(kube, ns, "demo")) == 4  # stalled: no more attempts until the inputs change

        patch_cr_values(kube, ns, "demo", {"app": {"resources": {"requests": {"cpu": "2"}}}})
        wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready after the fix")
        latest = max(helm_revisions(kube, ns, "demo"))
        assert latest == 5 and helm_revisions(kube, ns, "demo")[latest]["status"] == "deployed"
        assert condition(get_cr(kube, ns, "demo"), "Stalled")["status"] == "False"
    finally:
        op.stop()


HANGING_UPGRADE = """
import sys, helm_python
from specmerge.locations import repo_root
with helm_python.Config(kubeconfig_path=sys.argv[1], namespace=sys.argv[2]) as helm:
    print("upgrading", flush=True)
    # waits for Deployments to become ready, which never happens without a kubelet
    helm.upgrade(str(repo_root() / "charts/platform"), "demo", {"app": {"replicaCount": 2}}, wait="watcher", timeout=300)
"""


def test_a_release_left_pending_by_a_killed_helm_is_rolled_back(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("pending")
    kc, user = service_account(kube, home, "op", tmp_path)
    args = ("--namespace", ns, "--airgapped", "--lease-namespace", home, "--lease-seconds", "3")
    op = start_operator(kc, user, tmp_path / "op.log", *args)
    create_cr(kube, ns, "demo")
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    # Helm names its server-side-apply field manager after the program (argv[0]): the operator's is
    # the interpreter its script's #! line names (python3.11 here, python3 in a virtualenv). The
    # killed upgrade must run as that same manager, or it hits field conflicts and fails at once,
    # and the test would race to see it pending.
    interpreter = Path(f"/proc/{op.process.pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    op.stop()
    # A real Helm process dies mid-upgrade: revision 2 stays pending-upgrade.
    helm = subprocess.Popen([interpreter, "-c", HANGING_UPGRADE, str(kube.kubeconfig), ns],
                            stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: helm_revisions(kube, ns, "demo").get(2, {}).get("status") == "pending-upgrade", 60,
                 "revision 2 pending-upgrade")
    finally:
        helm.send_signal(signal.SIGKILL)
        helm.wait(10)
    op = start_operator(kc, user, tmp_path / "op2.log", *args)
    try:
        cr = wait_for(lambda: (c := get_cr(kube, ns, "demo")) and condition(c, "Remediated").get("status") == "True"
                      and c, 90, "Remediated")
        assert condition(cr, "Remediated")["reason"] == "PendingReleaseRecovered"
        assert "pending-upgrade" in condition(cr, "Remediated")["message"]
        wait_for(lambda: ready(kube, ns, "demo"), 60, "Ready")
        revisions = helm_revisions(kube, ns, "demo")
        # Helm's rollback adds a deployed revision on top; the dead revision stays in the history as it was
        assert max(revisions) == 3 and revisions[3]["status"] == "deployed" and revisions[1]["status"] == "superseded"
        assert any(e.reason == "Remediated" for e in events(kube, ns, "demo"))
    finally:
        op.stop()
