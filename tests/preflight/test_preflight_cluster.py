"""Preflight against the real kube-apiserver: Node objects created through the API, their
status (Ready condition, allocatable) written through the status subresource, cordoning
through spec.unschedulable; ``specmerge preflight`` run on the beta channel's requirements."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client
from typer.testing import CliRunner

from cluster.harness import Kube
from specmerge.cli import app
from specmerge.preflight import Requirements, gather_facts, preflight

REPO = Path(__file__).resolve().parents[2]


def add_node(kube: Kube, name: str, cpu: str = "4", memory: str = "16Gi", ready: bool = True,
             cordoned: bool = False) -> None:
    kube.core_v1.create_node(client.V1Node(metadata=client.V1ObjectMeta(name=name),
                                           spec=client.V1NodeSpec(unschedulable=cordoned or None)))
    status = {"status": {
        "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
        "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
        "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                        "reason": "KubeletReady" if ready else "KubeletNotReady", "message": "test"}],
    }}
    kube.core_v1.patch_node_status(name, status)


def set_ready(kube: Kube, name: str, ready: bool) -> None:
    node = kube.core_v1.read_node_status(name)
    for c in node.status.conditions:
        if c.type == "Ready":
            c.status = "True" if ready else "False"
    kube.core_v1.replace_node_status(name, node)


def delete_all_nodes(kube: Kube) -> None:
    for node in kube.core_v1.list_node().items:
        kube.core_v1.delete_node(node.metadata.name)


@pytest.fixture
def nodes(kube: Kube) -> Iterator[Kube]:
    """A cluster with no Node objects (nodes are cluster-wide; other tests may have left some)."""
    delete_all_nodes(kube)
    yield kube
    delete_all_nodes(kube)


def nginx_class(kube: Kube, present: bool = True) -> None:
    """The beta channel sets ingress.className=nginx: that IngressClass must exist."""
    api = client.NetworkingV1Api(kube.api_client)
    exists = any(c.metadata.name == "nginx" for c in api.list_ingress_class().items)
    if present and not exists:
        api.create_ingress_class(client.V1IngressClass(
            metadata=client.V1ObjectMeta(name="nginx"), spec=client.V1IngressClassSpec(controller="example.com/nginx")))
    if exists and not present:
        api.delete_ingress_class("nginx")


def run(kube: Kube, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(
        app, ["preflight", "--kubeconfig", str(kube.kubeconfig), "--channel", "beta", "-o", "json", *args],
        catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def by_check(doc: dict) -> dict[str, dict]:
    return {r["check"]: r for r in doc["results"]}


@pytest.mark.cluster
def test_too_few_nodes_block_with_the_numbers(nodes: Kube, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    add_node(nodes, "pf-a", "4", "16Gi")
    add_node(nodes, "pf-b", "4", "16Gi")
    nginx_class(nodes, present=False)
    code, doc = run(nodes)
    assert (code, doc["ok"], doc["profile"]) == (1, False, "production")
    rows = by_check(doc)
    assert rows["nodes"] == {"check": "nodes", "required": ">= 3 Ready, schedulable with 2 cpu, 4Gi memory each",
                             "found": "2 of 2", "ok": False}
    assert rows["cpu total"] == {"check": "cpu total", "required": ">= 12",
                                 "found": "8 on 2 Ready, schedulable node(s)", "ok": False}
    assert rows["memory total"]["found"] == "32Gi on 2 Ready, schedulable node(s)"
    assert rows["memory total"]["ok"] is True
    assert rows["kubernetes version"] == {"check": "kubernetes version", "required": ">=1.27.0",
                                          "found": nodes.kube_version, "ok": True}
    assert rows["api networking.k8s.io/v1"]["ok"]
    assert rows["ingress class"] == {"check": "ingress class", "required": "IngressClass nginx (ingress.className)",
                                     "found": "none", "ok": False}

    add_node(nodes, "pf-c", "4", "16Gi")
    nginx_class(nodes)
    code, doc = run(nodes)
    assert (code, doc["ok"]) == (0, True), doc
    assert by_check(doc)["cpu total"]["found"] == "12 on 3 Ready, schedulable node(s)"

    # the dev profile, by flag: one node is enough
    code, doc = run(nodes, "--profile", "dev")
    assert (code, doc["profile"]) == (0, "dev")


@pytest.mark.cluster
def test_a_not_ready_or_cordoned_node_does_not_count(nodes: Kube, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    nginx_class(nodes)
    for name in ("pf-a", "pf-b"):
        add_node(nodes, name, "4", "16Gi")
    add_node(nodes, "pf-down", "4", "16Gi", ready=False)
    add_node(nodes, "pf-cordoned", "4", "16Gi", cordoned=True)
    code, doc = run(nodes)
    assert code == 1
    rows = by_check(doc)
    assert rows["nodes"]["found"] == "2 of 4 (not counted: pf-cordoned cordoned, pf-down NotReady)"
    assert rows["cpu total"]["found"].startswith("8 on 2 Ready, schedulable node(s)")

    set_ready(nodes, "pf-down", True)  # the kubelet came back: now it counts
    code, doc = run(nodes)
    assert code == 0, doc
    assert by_check(doc)["nodes"]["found"] == "3 of 4 (not counted: pf-cordoned cordoned)"

    nodes.core_v1.patch_node("pf-a", {"spec": {"unschedulable": True}})  # kubectl cordon
    code, doc = run(nodes)
    assert code == 1
    assert by_check(doc)["nodes"]["found"] == "2 of 4 (not counted: pf-a cordoned, pf-cordoned cordoned)"


@pytest.mark.cluster
def test_facts_read_from_the_api_server(nodes: Kube) -> None:
    add_node(nodes, "pf-x", "3900m", "15Gi")
    facts = gather_facts(nodes.api_client)
    assert [(n.name, str(n.cpu), int(n.memory)) for n in facts.nodes] == [("pf-x", "3.900", 15 * 2**30)]
    assert {"v1", "apps/v1", "networking.k8s.io/v1"} <= facts.group_versions
    assert "customresourcedefinitions.apiextensions.k8s.io" in facts.resources
    req = Requirements.parse({"crds": ["customresourcedefinitions.apiextensions.k8s.io", "widgets.example.com"],
                              "total": {"cpu": "3900m", "memory": "15Gi"}})
    report = preflight(nodes.api_client, req, {})
    assert [(r.check, r.ok) for r in report.results] == [
        ("cpu total", True), ("memory total", True),
        ("crd customresourcedefinitions.apiextensions.k8s.io", True), ("crd widgets.example.com", False)]


@pytest.mark.cluster
def test_an_unreachable_cluster_is_a_clear_error(kube: Kube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    dead = tmp_path / "kubeconfig"
    config = json.loads(kube.kubeconfig.read_text())
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    dead.write_text(json.dumps(config))
    result = CliRunner().invoke(app, ["preflight", "--kubeconfig", str(dead), "--channel", "beta"])
    assert result.exit_code == 2
    assert "cannot reach the cluster" in result.stderr and kube.token not in result.stderr


@pytest.mark.cluster
def test_the_profile_comes_from_the_cr_and_bad_input_is_named(nodes: Kube, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    nginx_class(nodes)
    add_node(nodes, "pf-small", "2", "8Gi")
    cr = tmp_path / "cr.yaml"
    cr.write_text("apiVersion: apps.wandb.com/v1\nkind: WeightsAndBiases\nmetadata: {name: demo}\n"
                  "spec: {values: {_profile: dev}}\n")
    code, doc = run(nodes, "--cr", str(cr))
    assert (code, doc["profile"]) == (0, "dev"), doc
    assert by_check(doc)["cpu total"] == {"check": "cpu total", "required": ">= 2",
                                          "found": "2 on 1 Ready, schedulable node(s)", "ok": True}

    stable = CliRunner().invoke(app, ["preflight", "--kubeconfig", str(nodes.kubeconfig), "--channel", "stable"])
    assert stable.exit_code == 2 and "channel:stable@0.62.0 has no requirements block" in stable.stderr
    own = tmp_path / "req.yaml"
    own.write_text("minNodes: 2\n")
    result = CliRunner().invoke(app, ["preflight", "--kubeconfig", str(nodes.kubeconfig), "--channel", "none",
                                      "--chart", "tests/charts/agent", "--requirements", str(own)])
    assert result.exit_code == 1 and "1 of 1" in result.stdout and "NO" in result.stdout
    own.write_text("minNodes: two\n")
    result = CliRunner().invoke(app, ["preflight", "--kubeconfig", str(nodes.kubeconfig), "--channel", "none",
                                      "--chart", "tests/charts/agent", "--requirements", str(own)])
    assert result.exit_code == 2 and f"file:{own}.minNodes: expected a whole number" in result.stderr
