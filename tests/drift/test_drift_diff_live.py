"""``specmerge diff --live NS/NAME`` gains a drift section: the instance's Helm release
(installed here with helm-python-sdk) against its live objects, edited behind Helm's back."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import helm_python
import pytest
from kubernetes import client
from typer.testing import CliRunner

from cluster.harness import Kube
from cluster.test_apiserver import GROUP, PLURAL, VERSION, WANDB_CRD
from specmerge.cli import app
from specmerge.cli.inputs import InputFlags
from specmerge.core import layer_from_values
from specmerge.pipeline import plan

REPO = Path(__file__).resolve().parents[2]
CHART = {"path": "tests/charts/agent"}
TOKEN = "drift-agent-token-5f6e7d8c"
USER = {"replicaCount": 2, "agent": {"apiToken": TOKEN}}


def b64json(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.mark.cluster
def test_live_diff_reports_drift_of_the_release(kube: Kube, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    kube.install_crd(WANDB_CRD)
    ns = kube.namespace("ddrift")
    kube.custom_objects.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, {
        "apiVersion": f"{GROUP}/{VERSION}", "kind": "WeightsAndBiases", "metadata": {"name": "demo"},
        "spec": {"chart": CHART, "values": {}}})
    p = plan(InputFlags(channel="none", name="demo", namespace=ns).plan_inputs(
        render=False, user=layer_from_values("user", "u", USER), cr_chart=CHART))
    for name, data in (("demo-spec-user", {"values": USER}),
                       ("demo-spec-active", {"values": p.effective.values, "chart": CHART, "metadata": {}})):
        kube.core_v1.create_namespaced_secret(ns, client.V1Secret(
            metadata=client.V1ObjectMeta(name=name), data={k: b64json(v) for k, v in data.items()}))
    args = ["diff", "--live", f"{ns}/demo", "--kubeconfig", str(kube.kubeconfig), "--channel", "none", "--exit-code"]

    out = CliRunner().invoke(app, args, catch_exceptions=False)
    assert out.exit_code == 0, out.stdout  # no release yet: no drift section, and a note says so
    assert f"note: no Helm release demo in {ns}: drift not checked" in out.stdout

    with helm_python.Config(kubeconfig_path=kube.kubeconfig, namespace=ns) as helm:
        helm.install(REPO / "tests/charts/agent", "demo", p.effective.values, timeout=60)
    out = CliRunner().invoke(app, args, catch_exceptions=False)
    assert out.exit_code == 0, out.stdout
    assert out.stdout.endswith("No differences.\n")

    client.AppsV1Api(kube.api_client).patch_namespaced_deployment(
        "demo-mlops-agent", ns, {"spec": {"replicas": 9}}, field_manager="kubectl-edit")
    kube.core_v1.patch_namespaced_secret("demo-mlops-agent", ns, {"stringData": {"token": "stolen-0123456789"}},
                                         field_manager="kubectl-edit")
    out = CliRunner().invoke(app, [*args, "-o", "json"], catch_exceptions=False)
    assert out.exit_code == 1, out.stdout
    drifted = {(o["kind"], o["name"]): (o["state"], o["paths"]) for o in json.loads(out.stdout)["drift"]["objects"]
               if o["state"] != "in-sync"}
    assert drifted == {("Deployment", "demo-mlops-agent"): ("drifted", ["/spec/replicas"]),
                       ("Secret", "demo-mlops-agent"): ("drifted", ["/data/token"])}
    text = CliRunner().invoke(app, args, catch_exceptions=False)
    assert f"~ Deployment {ns}/demo-mlops-agent: /spec/replicas" in text.stdout
    assert "Summary: values: 0; warnings: 0; manifests: 0; drift: 2" in text.stdout
    for shown in (out.stdout, text.stdout):
        for secret in (TOKEN, "stolen-0123456789", base64.b64encode(TOKEN.encode()).decode()):
            assert secret not in shown
