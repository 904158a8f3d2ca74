"""``specmerge diff --live NS/NAME`` against the real kube-apiserver (tests/cluster), with the
state Secrets and CR written by the test; plus the pure decoding of those objects."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from cluster.harness import Kube
from cluster.test_apiserver import GROUP, PLURAL, VERSION, WANDB_CRD
from diffkit import at_repo_root, AGENT_TOKEN, run_cli  # noqa: F401 (autouse fixture)
from specmerge.cli.inputs import InputFlags
from specmerge.core import layer_from_values
from specmerge.diff.live import LiveError, instance_from_objects
from specmerge.pipeline import plan

CHART = {"path": "tests/charts/agent"}
OLD_TOKEN = "agent-token-old-0a1b2c3d"
USER_VALUES = {"replicaCount": 2, "agent": {"apiToken": AGENT_TOKEN}}
CR_VALUES = {"agent": {"logLevel": "warn", "queues": ["live-a", "live-b"]}}


def b64json(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def secret(kube: Kube, ns: str, name: str, data: dict[str, Any]) -> None:
    body = client.V1Secret(
        metadata=client.V1ObjectMeta(name=name), type="Opaque", data={k: b64json(v) for k, v in data.items()}
    )
    kube.core_v1.create_namespaced_secret(ns, body)


def desired_values(ns: str) -> dict[str, Any]:
    """The effective values the live layers give (what a reconcile would have applied)."""
    inputs = InputFlags(channel="none", name="demo", namespace=ns).plan_inputs(
        render=False,
        user=layer_from_values("user", "u", USER_VALUES),
        cr=layer_from_values("cr", "c", CR_VALUES),
        cr_chart=CHART,
    )
    return plan(inputs).effective.values


@pytest.fixture
def instance(kube: Kube) -> tuple[str, Path]:
    """A namespace with CR ``demo`` and its user Secret (no active Secret yet)."""
    kube.install_crd(WANDB_CRD)
    ns = kube.namespace("diff")
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "WeightsAndBiases",
        "metadata": {"name": "demo"},
        "spec": {"chart": CHART, "values": CR_VALUES},
    }
    kube.custom_objects.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)
    secret(kube, ns, "demo-spec-user", {"values": USER_VALUES})
    return ns, kube.kubeconfig


@pytest.mark.cluster
def test_live_diff_names_the_user_secret_and_cr_behind_each_change(kube: Kube, instance: tuple[str, Path]) -> None:
    ns, kubeconfig = instance
    old = desired_values(ns)
    old["replicaCount"] = 1
    old["agent"] = {**old["agent"], "logLevel": "info", "apiToken": OLD_TOKEN}
    secret(kube, ns, "demo-spec-active", {"values": old, "chart": CHART, "metadata": {"release": "test"}})
    args = ("diff", "--live", f"{ns}/demo", "--kubeconfig", str(kubeconfig), "--channel", "none", "--exit-code")

    out = run_cli(*args, "-o", "json")
    assert out.exit_code == 1, out.stderr
    doc = json.loads(out.stdout)
    by_path = {c["path"]: c for c in doc["values"]}
    assert set(by_path) == {"/replicaCount", "/agent/logLevel", "/agent/apiToken"}
    assert by_path["/replicaCount"]["newOrigin"]["source"] == f"secret:{ns}/demo-spec-user#values"
    assert by_path["/replicaCount"]["oldOrigin"]["source"] == f"secret:{ns}/demo-spec-active#values"
    assert by_path["/agent/logLevel"]["newOrigin"] == {"layer": "cr", "source": f"cr:{ns}/demo", "op": "set"}
    token = by_path["/agent/apiToken"]
    assert token["old"] != token["new"] and token["new"].startswith("<redacted hmac:")
    changed = {(m["kind"], m["name"]) for m in doc["manifests"]}
    assert ("Secret", "demo-mlops-agent") in changed and ("Deployment", "demo-mlops-agent") in changed
    assert all(m["namespace"] == ns for m in doc["manifests"])

    text = run_cli(*args)
    assert text.exit_code == 1
    assert f"--- active secret:{ns}/demo-spec-active#values" in text.stdout
    assert "~ replicaCount: 1 -> 2" in text.stdout
    for result in (out, text):
        for token_text in (AGENT_TOKEN, OLD_TOKEN, base64.b64encode(AGENT_TOKEN.encode()).decode()):
            assert token_text not in result.stdout and token_text not in result.stderr


@pytest.mark.cluster
def test_live_diff_is_empty_when_the_active_spec_is_what_the_layers_give(kube: Kube, instance: tuple[str, Path]) -> None:
    ns, kubeconfig = instance
    secret(kube, ns, "demo-spec-active", {"values": desired_values(ns), "chart": CHART, "metadata": {}})
    out = run_cli("diff", "--live", f"{ns}/demo", "--kubeconfig", str(kubeconfig), "--channel", "none", "--exit-code")
    assert out.exit_code == 0, out.stdout + out.stderr
    assert out.stdout.endswith("No differences.\n")


@pytest.mark.cluster
def test_live_diff_without_an_active_spec_or_cluster_is_an_error(kube: Kube, instance: tuple[str, Path], tmp_path: Path) -> None:
    ns, kubeconfig = instance
    out = run_cli("diff", "--live", f"{ns}/demo", "--kubeconfig", str(kubeconfig), "--channel", "none")
    assert out.exit_code == 2 and f"secret:{ns}/demo-spec-active not found" in out.stderr
    dead = tmp_path / "dead.kubeconfig"
    dead.write_text(kubeconfig.read_text().replace(kube.server, "https://127.0.0.1:1"))
    out = run_cli("diff", "--live", f"{ns}/demo", "--kubeconfig", str(dead), "--channel", "none")
    assert out.exit_code == 2 and "cannot reach the cluster" in out.stderr


def test_decoding_never_echoes_secret_contents() -> None:
    bad = {"values": base64.b64encode(b'{"password": "leak-me-please", ').decode()}
    with pytest.raises(LiveError) as err:
        instance_from_objects("ns", "demo", bad, None, None)
    assert "leak-me-please" not in str(err.value) and "demo-spec-active#values" in str(err.value)
    with pytest.raises(LiveError, match="must be a JSON object"):
        instance_from_objects("ns", "demo", {"values": b64json([1])}, None, None)
    with pytest.raises(LiveError, match="not found"):
        instance_from_objects("ns", "demo", None, None, None)


def test_objects_become_a_stored_spec_and_layers() -> None:
    got = instance_from_objects(
        "ns", "demo",
        {"values": b64json({"a": 1}), "chart": b64json(CHART)},
        {"values": b64json({"_releaseId": "r1", "b": 2})},
        {"spec": {"values": {"c": 3}, "chart": {"path": "x"}}},
    )
    assert (got.active.values, got.active.chart, got.active.locator) == ({"a": 1}, CHART, "secret:ns/demo-spec-active#values")
    assert got.user is not None and got.user.source == "secret:ns/demo-spec-user#values" and got.user.values["b"] == 2
    assert got.cr is not None and got.cr.values == {"c": 3} and got.cr_chart == {"path": "x"}
    assert got.notes == ()
    bare = instance_from_objects("ns", "demo", {"values": b64json({})}, None, None)
    assert bare.user is None and bare.cr is None and len(bare.notes) == 2


def other_crd() -> dict[str, Any]:
    """The same CR shape under another group, version and plural (a vendor's own CRD)."""
    crd = json.loads(json.dumps(WANDB_CRD))
    crd["metadata"]["name"] = "platforms.example.com"
    crd["spec"]["group"] = "example.com"
    crd["spec"]["names"] = {"kind": "Platform", "listKind": "PlatformList", "plural": "platforms", "singular": "platform"}
    crd["spec"]["versions"][0]["name"] = "v1alpha1"
    return crd


@pytest.mark.cluster
def test_live_diff_reads_the_cr_of_another_resource(kube: Kube) -> None:
    kube.install_crd(other_crd())
    kube.install_crd(WANDB_CRD)  # the default resource is served, it just has no CR "demo" here
    ns = kube.namespace("diffcr")
    body = {"apiVersion": "example.com/v1alpha1", "kind": "Platform", "metadata": {"name": "demo"},
            "spec": {"chart": CHART, "values": CR_VALUES}}
    kube.custom_objects.create_namespaced_custom_object("example.com", "v1alpha1", ns, "platforms", body)
    secret(kube, ns, "demo-spec-user", {"values": USER_VALUES})
    secret(kube, ns, "demo-spec-active", {"values": desired_values(ns), "chart": CHART, "metadata": {}})
    args = ("diff", "--live", f"{ns}/demo", "--kubeconfig", str(kube.kubeconfig), "--channel", "none", "--exit-code",
            "--chart", CHART["path"])
    found = run_cli(*args, "--cr-resource", "platforms.v1alpha1.example.com")
    assert found.exit_code == 0 and found.stdout.endswith("No differences.\n"), found.stdout + found.stderr
    default = run_cli(*args)  # looks for weightsandbiases.v1.apps.wandb.com: no such CR, so no cr layer
    assert default.exit_code == 1 and "agent.logLevel" in default.stdout
    bad = run_cli(*args, "--cr-resource", "platforms")
    assert bad.exit_code == 2 and "expected PLURAL.VERSION.GROUP" in bad.stderr
    typo = run_cli(*args, "--cr-resource", "platfroms.v1alpha1.example.com")  # not "no CR": no such resource
    assert typo.exit_code == 2 and "the cluster serves no platfroms.v1alpha1.example.com" in typo.stderr
    alone = run_cli("diff", "--cr-resource", "platforms.v1alpha1.example.com", "--channel", "none")
    assert alone.exit_code == 2 and "--cr-resource only applies to --live" in alone.stderr
