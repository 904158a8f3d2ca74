"""Preflight requirements and drift, wired into the operator, on the real kube-apiserver: one
``specmerge operator`` process (its own token and RBAC) with short ``--drift-interval`` and
``--preflight-interval``; Node objects created through the API with their status; foreign
edits made with another field manager. No kubelet: nothing waits for Pods."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from operatorkit import (
    Operator,
    condition,
    create_cr,
    events,
    get_cr,
    operator_on_channels,
    helm_revisions,
    patch_cr_values,
    ready,
    requests,
    secret_json,
    wait_for,
    writes,
)
from preflight.test_preflight_cluster import add_node, delete_all_nodes, nginx_class

from specmerge.instances import CrKind

pytestmark = pytest.mark.cluster

LABEL = {"specmerge-test": "checks"}
KIND = CrKind()


@dataclass
class Env:
    kube: Any
    op: Operator


@pytest.fixture(scope="module")
def env(kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    try:
        with operator_on_channels(kube, tmp_path_factory.mktemp("operator-checks"), kube.namespace("opchecks"),
                                  "checks", "--resync", "30", "--drift-interval", "1s",
                                  "--preflight-interval", "1s") as op:
            yield Env(kube, op)
    finally:
        delete_all_nodes(kube)  # Nodes are cluster-wide


def patch_spec(kube: Any, ns: str, name: str, spec: dict[str, Any]) -> None:
    kube.custom_objects.patch_namespaced_custom_object(KIND.group, KIND.version, ns, KIND.plural, name, {"spec": spec})


def app_deployment(kube: Any, ns: str) -> Any:
    found = [d for d in client.AppsV1Api(kube.api_client).list_namespaced_deployment(ns).items
             if d.metadata.name.endswith("-app")]
    assert len(found) == 1
    return found[0]


def with_condition(kube: Any, ns: str, name: str, kind: str, status: str, reason: str | None = None) -> Any:
    def check() -> dict[str, Any] | None:
        cr = get_cr(kube, ns, name)
        c = condition(cr, kind)
        return cr if c.get("status") == status and (reason is None or c.get("reason") == reason) else None
    return check


def test_unmet_requirements_block_the_install_until_nodes_are_added(env: Env) -> None:
    kube = env.kube
    delete_all_nodes(kube)
    nginx_class(kube)  # the beta channel names ingress class nginx
    add_node(kube, "op-a", "4", "16Gi")
    add_node(kube, "op-b", "4", "16Gi")
    ns = kube.namespace("checks")
    create_cr(kube, ns, "demo", labels=LABEL, channel="beta")
    cr = wait_for(with_condition(kube, ns, "demo", "RequirementsMet", "False"), 90, "RequirementsMet=False")

    met = condition(cr, "RequirementsMet")
    assert met["reason"] == "RequirementsNotMet"
    assert met["message"].startswith("2 of ")  # nodes and cpu total; the numbers follow
    assert "nodes: required >= 3 Ready, schedulable with 2 cpu, 4Gi memory each, found 2 of 2" in met["message"]
    assert "cpu total: required >= 12, found 8 on 2 Ready, schedulable node(s)" in met["message"]
    assert condition(cr, "Ready")["status"] == "False" and condition(cr, "Ready")["reason"] == "RequirementsNotMet"
    assert cr["status"]["phase"] == "Blocked"
    time.sleep(2.5)  # two preflight intervals: still blocked, and still no Helm call
    assert helm_revisions(kube, ns, "demo") == {}
    assert any(e.reason == "RequirementsNotMet" and e.type == "Warning" for e in events(kube, ns, "demo"))

    add_node(kube, "op-c", "4", "16Gi")
    cr = wait_for(lambda: ready(kube, ns, "demo"), 90, "installed once the third node is Ready")
    assert condition(cr, "RequirementsMet")["status"] == "True"
    assert condition(cr, "RequirementsMet")["message"].endswith("checks passed (profile production)")
    assert list(helm_revisions(kube, ns, "demo")) == [1]

    # an upgrade is held too while the cluster falls short, unless the CR opts out
    kube.core_v1.delete_node("op-c")
    time.sleep(1.5)  # cluster facts are cached for --preflight-interval (1s here)
    patch_cr_values(kube, ns, "demo", {"app": {"replicaCount": 2}})
    cr = wait_for(with_condition(kube, ns, "demo", "Ready", "False", "RequirementsNotMet"), 60,
                  f"upgrade held (revisions {helm_revisions(kube, ns, 'demo')})")
    assert "not upgraded (revision 1 stays)" in condition(cr, "Ready")["message"]
    assert list(helm_revisions(kube, ns, "demo")) == [1]
    patch_spec(kube, ns, "demo", {"preflight": {"enforceOnUpgrade": False}})
    cr = wait_for(lambda: ready(kube, ns, "demo"), 60, "upgraded with enforceOnUpgrade false")
    assert condition(cr, "RequirementsMet")["status"] == "False"
    assert "upgrading anyway (spec.preflight.enforceOnUpgrade is false)" in condition(cr, "RequirementsMet")["message"]
    assert helm_revisions(kube, ns, "demo")[2]["status"] == "deployed"
    assert secret_json(kube, ns, "demo-spec-active")["values"]["app"]["replicaCount"] == 2  # type: ignore[index]


def test_a_foreign_edit_is_reported_then_corrected_and_a_later_upgrade_succeeds(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("checks")
    create_cr(kube, ns, "demo", labels=LABEL)
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    time.sleep(2.5)  # the first drift checks (dry runs) remember the release's objects as clean
    since = time.time()
    time.sleep(3.5)  # three more drift checks of an unchanged release
    assert writes(kube, env.op.user, ns, since) == []
    checked = [e for e in requests(kube, env.op.user, since)
               if e["verb"] == "get" and (e.get("objectRef") or {}).get("resource") == "deployments"]
    assert len(checked) >= 2  # the checks did run: one GET of the Deployment each
    assert condition(get_cr(kube, ns, "demo"), "Drifted") == {}  # never drifted: nothing said

    deployment = app_deployment(kube, ns)
    wanted = deployment.spec.replicas
    apps = client.AppsV1Api(kube.api_client)
    apps.patch_namespaced_deployment(deployment.metadata.name, ns, {"spec": {"replicas": wanted + 4}},
                                     field_manager="kubectl-edit")
    cr = wait_for(with_condition(kube, ns, "demo", "Drifted", "True"), 30, "Drifted=True")
    drifted = condition(cr, "Drifted")
    assert drifted["reason"] == "DriftDetected"
    assert drifted["message"] == (f"1 object(s) differ from the release: Deployment {ns}/{deployment.metadata.name}"
                                  " /spec/replicas")
    assert condition(cr, "Ready")["status"] == "True"  # warn: reported, not touched
    time.sleep(2)
    assert app_deployment(kube, ns).spec.replicas == wanted + 4
    assert any(e.reason == "DriftDetected" and e.type == "Warning" for e in events(kube, ns, "demo"))

    patch_spec(kube, ns, "demo", {"drift": {"mode": "correct"}})
    cr = wait_for(with_condition(kube, ns, "demo", "Drifted", "False", "Remediated"), 30, "corrected")
    assert "/spec/replicas" in condition(cr, "Drifted")["message"]
    assert app_deployment(kube, ns).spec.replicas == wanted
    assert any(e.reason == "DriftCorrected" for e in events(kube, ns, "demo"))
    assert list(helm_revisions(kube, ns, "demo")) == [1]  # corrected without a Helm revision

    patch_cr_values(kube, ns, "demo", {"app": {"replicaCount": wanted + 1}})  # Helm owns the field again
    wait_for(lambda: helm_revisions(kube, ns, "demo").get(2, {}).get("status") == "deployed", 60, "upgrade")
    assert app_deployment(kube, ns).spec.replicas == wanted + 1


def test_a_deleted_config_map_is_recreated_in_correct_mode(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("checks")
    create_cr(kube, ns, "demo", labels=LABEL, drift={"mode": "correct"})
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    maps = [m for m in kube.core_v1.list_namespaced_config_map(ns).items
            if (m.metadata.annotations or {}).get("meta.helm.sh/release-name") == "demo"]
    assert maps
    victim = maps[0]
    kube.core_v1.delete_namespaced_config_map(victim.metadata.name, ns)
    cr = wait_for(with_condition(kube, ns, "demo", "Drifted", "False", "Remediated"), 30, "recreated")
    assert f"ConfigMap {ns}/{victim.metadata.name} deleted" in condition(cr, "Drifted")["message"]
    again = kube.core_v1.read_namespaced_config_map(victim.metadata.name, ns)
    assert again.data == victim.data and again.metadata.uid != victim.metadata.uid


def test_disabled_mode_says_so_and_leaves_edits_alone(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("checks")
    create_cr(kube, ns, "demo", labels=LABEL, drift={"mode": "disabled"})
    cr = wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    assert condition(cr, "Drifted")["status"] == "Unknown"
    assert condition(cr, "Drifted")["reason"] == "DriftCheckDisabled"
    deployment = app_deployment(kube, ns)
    client.AppsV1Api(kube.api_client).patch_namespaced_deployment(
        deployment.metadata.name, ns, {"spec": {"replicas": 7}}, field_manager="kubectl-edit")
    time.sleep(3)
    assert app_deployment(kube, ns).spec.replicas == 7
    assert condition(get_cr(kube, ns, "demo"), "Drifted")["reason"] == "DriftCheckDisabled"


def test_an_edit_starts_a_drift_check_at_once_not_at_the_next_interval(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # a one-hour timer: only the watch on the release's objects can notice the edit within the test
    with operator_on_channels(kube, tmp_path, kube.namespace("opwatch"), "watch", "--drift-interval", "1h") as op:
        ns = kube.namespace("watch")
        create_cr(kube, ns, "demo", labels={"specmerge-test": "watch"})
        wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
        deployment = app_deployment(kube, ns)
        client.AppsV1Api(kube.api_client).patch_namespaced_deployment(
            deployment.metadata.name, ns, {"spec": {"replicas": deployment.spec.replicas + 2}},
            field_manager="kubectl-edit")
        cr = wait_for(with_condition(kube, ns, "demo", "Drifted", "True"), 30, "Drifted=True from the watch")
        assert "/spec/replicas" in condition(cr, "Drifted")["message"]
        assert op.process.poll() is None
