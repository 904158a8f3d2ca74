"""The operator end to end on the real kube-apiserver: one ``specmerge operator`` process with its
own ServiceAccount token and RBAC, the real channel server, Helm through helm-python-sdk.

What a user sees is asserted: the CR's status and finalizer, the W&B-layout Secrets, Helm's
release Secrets (revisions), events, and the apiserver's audit log (who wrote what)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from operatorkit import (
    MYSQL_PASSWORD,
    Operator,
    condition,
    create_cr,
    events,
    get_cr,
    operator_on_channels,
    helm_revisions,
    patch_cr_values,
    put_user_values,
    ready,
    requests,
    secret_json,
    wait_for,
    writes,
)

pytestmark = pytest.mark.cluster

SELECTOR_LABEL = {"specmerge-test": "flow"}


@dataclass
class Env:
    kube: Any
    op: Operator
    home: str  # the operator's own namespace (ServiceAccount, Lease)


@pytest.fixture(scope="module")
def env(kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    home = kube.namespace("op")
    with operator_on_channels(kube, tmp_path_factory.mktemp("operator-flow"), home, "flow",
                              "--resync", "2", "--poll-interval", "2", "--workers", "2") as op:
        yield Env(kube, op, home)
    assert MYSQL_PASSWORD not in op.logs()


def _everything_said(kube, ns: str, name: str) -> str:  # type: ignore[no-untyped-def]
    cr = get_cr(kube, ns, name)
    notes = [e.note or "" for e in events(kube, ns, name)]
    return json.dumps((cr or {}).get("status")) + "\n".join(notes)


def test_install_end_to_end_with_precedence_layout_status_finalizer_and_events(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("flow")
    put_user_values(kube, ns, "demo", {"global": {"host": "https://user.example.com"},
                                       "app": {"replicaCount": 5}, "mysql": {"password": MYSQL_PASSWORD}})
    create_cr(kube, ns, "demo", {"global": {"host": "https://cr.example.com"}}, labels=SELECTOR_LABEL)
    cr = wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready=True")

    status = cr["status"]
    assert status["phase"] == "Deployed" and status["version"] == "0.62.0"
    assert status["channel"] == {"name": "stable", "version": "0.62.0",
                                 "releaseId": "rel-2026-10-stable-0.62.0", "source": "server"}
    assert status["helmRelease"] == {"name": "demo", "revision": 1, "status": "deployed"}
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Ready": "True", "Released": "True", "Stalled": "False", "ChannelReady": "True", "RequirementsMet": "True"}
    assert condition(cr, "RequirementsMet")["reason"] == "NoRequirements"  # stable states none
    assert all(c["observedGeneration"] == 1 for c in status["conditions"])
    assert cr["metadata"]["finalizers"] == ["specmerge.io/uninstall"]
    assert len(status["history"]) == 1 and status["history"][0]["action"] == "Installed"

    revisions = helm_revisions(kube, ns, "demo")
    assert list(revisions) == [1] and revisions[1]["status"] == "deployed"
    digest = revisions[1]["specmerge.io/digest"]
    assert status["lastAppliedDigest"] == status["lastAttemptedDigest"] == digest

    active = secret_json(kube, ns, "demo-spec-active")
    assert active is not None and active["_annotations"]["specmerge.io/digest"] == digest
    assert set(active) - {"_annotations", "_labels"} == {"values", "chart", "metadata"}
    # precedence end to end: channel < console (user) < CR
    assert active["values"]["global"]["host"] == "https://cr.example.com"
    assert active["values"]["app"]["replicaCount"] == 5
    assert active["values"]["app"]["image"]["tag"] == "0.62.0"
    assert active["metadata"]["releaseId"] == "rel-2026-10-stable-0.62.0"
    apps = client.AppsV1Api(kube.api_client)
    deployments = apps.list_namespaced_deployment(ns).items
    assert [d.spec.replicas for d in deployments if d.metadata.name.endswith("-app")] == [5]
    cached = secret_json(kube, ns, "demo-latest-cached-release")
    assert cached is not None and cached["metadata"]["version"] == "0.62.0"

    installed = [e for e in events(kube, ns, "demo") if e.reason == "Installed"]
    assert len(installed) == 1 and installed[0].reporting_instance == "flow-op"
    assert installed[0].reporting_controller == "specmerge.io/operator"
    assert MYSQL_PASSWORD not in _everything_said(kube, ns, "demo")
    assert MYSQL_PASSWORD not in env.op.logs()
    # the operator's own user did the writing, with its own token
    assert ("patch", "weightsandbiases/status", "demo") in writes(kube, env.op.user, ns)


def test_converged_instances_cost_zero_writes_on_resync(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("flow")
    for name in ("a", "b", "c"):
        create_cr(kube, ns, name, labels=SELECTOR_LABEL)
    for name in ("a", "b", "c"):
        wait_for(lambda n=name: ready(kube, ns, n), 90, f"{name} Ready")
    time.sleep(2.5)  # let the informers catch up with the operator's own last writes
    since = time.time()
    before = {n: get_cr(kube, ns, n)["metadata"]["resourceVersion"] for n in ("a", "b", "c")}  # type: ignore[index]
    time.sleep(5)  # two resyncs (--resync 2) and two channel polls
    assert writes(kube, env.op.user, since=since) == []
    assert {n: get_cr(kube, ns, n)["metadata"]["resourceVersion"] for n in ("a", "b", "c")} == before  # type: ignore[index]
    reads = [e for e in requests(kube, env.op.user, since) if e["objectRef"].get("resource") != "leases"]
    assert reads == [], [(e["verb"], e["objectRef"]) for e in reads]  # not even a read: all from informers
    assert all(list(helm_revisions(kube, ns, n)) == [1] for n in ("a", "b", "c"))


def test_generation_bump_without_effective_change_is_one_status_write_and_no_helm_call(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("flow")
    put_user_values(kube, ns, "demo", {"app": {"replicaCount": 4}})
    create_cr(kube, ns, "demo", labels=SELECTOR_LABEL)
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    time.sleep(1)
    since = time.time()
    patched = patch_cr_values(kube, ns, "demo", {"app": {"replicaCount": 4}})  # what the user layer already says
    assert patched["metadata"]["generation"] == 2
    wait_for(lambda: ready(kube, ns, "demo", generation=2), 30, "observedGeneration 2")
    time.sleep(2.5)
    assert writes(kube, env.op.user, ns, since) == [("patch", "weightsandbiases/status", "demo")]
    assert list(helm_revisions(kube, ns, "demo")) == [1]


def test_a_console_write_through_specmerge_serve_triggers_exactly_one_upgrade(env: Env, tmp_path: Path) -> None:
    from service.service_harness import start_server, stop_server, values_url

    kube = env.kube
    ns = kube.namespace("flow")
    create_cr(kube, ns, "demo", labels=SELECTOR_LABEL)
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    server = start_server(tmp_path, "--kubeconfig", str(kube.kubeconfig))
    try:
        with server.client() as console:
            put = console.put(values_url(f"{ns}/demo"), json={"app": {"replicaCount": 2}},
                              headers={"If-None-Match": "*"})
            assert put.status_code == 200, put.text
    finally:
        stop_server(server)
    wait_for(lambda: helm_revisions(kube, ns, "demo").get(2, {}).get("status") == "deployed", 60, "revision 2")
    time.sleep(3)
    assert list(helm_revisions(kube, ns, "demo")) == [1, 2]
    assert secret_json(kube, ns, "demo-spec-active")["values"]["app"]["replicaCount"] == 2  # type: ignore[index]
    assert [e.reason for e in events(kube, ns, "demo")].count("Upgraded") == 1


def test_invalid_value_stalls_naming_the_layer_and_a_fix_recovers(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("flow")
    create_cr(kube, ns, "demo", labels=SELECTOR_LABEL)
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    patch_cr_values(kube, ns, "demo", {"app": {"replicaCount": "many"}, "mysql": {"password": MYSQL_PASSWORD}})
    cr = wait_for(lambda: (c := get_cr(kube, ns, "demo")) and condition(c, "Stalled").get("status") == "True" and c,
                  30, "Stalled")
    stalled = condition(cr, "Stalled")
    assert stalled["reason"] == "ValidationFailed" and f"cr:{ns}/demo" in stalled["message"]
    assert "app.replicaCount" in stalled["message"]
    assert condition(cr, "Ready")["status"] == "False" and cr["status"]["phase"] == "Stalled"
    assert list(helm_revisions(kube, ns, "demo")) == [1]  # no Helm call
    assert MYSQL_PASSWORD not in _everything_said(kube, ns, "demo")
    assert any(e.reason == "ValidationFailed" and e.type == "Warning" for e in events(kube, ns, "demo"))

    patch_cr_values(kube, ns, "demo", {"app": {"replicaCount": 1}})
    wait_for(lambda: ready(kube, ns, "demo"), 60, "Ready again")
    assert condition(get_cr(kube, ns, "demo"), "Stalled")["status"] == "False"
    assert list(helm_revisions(kube, ns, "demo"))[-1] == 2


def test_delete_uninstalls_and_removes_the_finalizer(env: Env) -> None:
    kube = env.kube
    ns = kube.namespace("flow")
    create_cr(kube, ns, "demo", labels=SELECTOR_LABEL)
    wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
    assert helm_revisions(kube, ns, "demo")
    kube.custom_objects.delete_namespaced_custom_object("apps.wandb.com", "v1", ns, "weightsandbiases", "demo")
    wait_for(lambda: get_cr(kube, ns, "demo") is None, 60, "CR gone (finalizer removed)")
    assert helm_revisions(kube, ns, "demo") == {}
    assert secret_json(kube, ns, "demo-spec-active") is None
    assert client.AppsV1Api(kube.api_client).list_namespaced_deployment(ns).items == []
    assert any(e.reason == "Uninstalled" for e in events(kube, ns, "demo"))


def test_metrics_and_health(env: Env) -> None:
    text = env.op.text("/metrics")
    assert 'specmerge_operator_reconciles_total{result="ok"}' in text
    assert 'specmerge_operator_helm_calls_total{action="install",outcome="ok"}' in text
    assert 'specmerge_operator_api_requests_total{verb="list"}' in text
    assert "specmerge_operator_queue_depth" in text and "specmerge_operator_leader 1.0" in text
    assert env.op.text("/healthz") == "ok\n" and env.op.text("/readyz") == "ok\n"
    for line in env.op.logs().splitlines():
        json.loads(line)  # every log line is one JSON object
