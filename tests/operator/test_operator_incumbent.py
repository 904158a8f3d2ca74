"""Next to the incumbent W&B-style operator's world: its CRD (status declares only phase and
version, so the apiserver prunes conditions) and its Secret spellings."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from operatorkit import INCUMBENT_GROUP, PLURAL, helm_revisions, service_account, start_operator, wait_for, writes

pytestmark = pytest.mark.cluster

_PRESERVE: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
INCUMBENT_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{INCUMBENT_GROUP}"},
    "spec": {"group": INCUMBENT_GROUP, "scope": "Namespaced",
             "names": {"kind": "WeightsAndBiases", "listKind": "WeightsAndBiasesList", "plural": PLURAL,
                       "singular": PLURAL},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "properties": {"chart": _PRESERVE, "values": _PRESERVE}},
                               "status": {"type": "object", "properties": {"phase": {"type": "string"},
                                                                           "version": {"type": "string"}}}}}}}]},
}


def _b64(doc: Any) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


def test_a_status_pruning_crd_is_reported_once_with_no_write_loop(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kube.install_crd(INCUMBENT_CRD)
    home, ns = kube.namespace("op"), kube.namespace("incumbent")
    kc, user = service_account(kube, home, "op", tmp_path)
    # the incumbent's cached release: pinned-era metadata with only a version, a chart object with
    # its client's extras (read without loss; it is not a pin of this instance, so it seeds the channel)
    kube.core_v1.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name="demo-latest-cached-release",
                                     labels={"app.kubernetes.io/managed-by": "specmerge"}),
        data={"metadata": _b64({"version": "0.61.0"}),
              "chart": _b64({"path": "charts/platform", "debug": False, "username": "", "password": ""}),
              "values": _b64({})}))
    # its console Secret, without specmerge's label (invisible to a label-selected informer until adopted)
    kube.core_v1.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name="demo-spec-user"),
        data={"values": _b64({"app": {"replicaCount": 2}}), "metadata": _b64({"version": ""}),
              "chart": _b64({"url": "https://charts.example.com", "name": "x", "version": "", "username": "",
                             "password": "", "debug": False, "plainHTTP": False})}))
    op = start_operator(kc, user, tmp_path / "op.log", "--namespace", ns, "--airgapped", "--lease-namespace", home,
                        "--cr-resource", f"{PLURAL}.v1.{INCUMBENT_GROUP}", "--cr-kind", "WeightsAndBiases",
                        "--resync", "1")
    try:
        custom = kube.custom_objects
        custom.create_namespaced_custom_object(INCUMBENT_GROUP, "v1", ns, PLURAL, {
            "apiVersion": f"{INCUMBENT_GROUP}/v1", "kind": "WeightsAndBiases", "metadata": {"name": "demo"},
            "spec": {"values": {}}})
        cr = wait_for(lambda: (c := custom.get_namespaced_custom_object(INCUMBENT_GROUP, "v1", ns, PLURAL, "demo"))
                      .get("status", {}).get("phase") == "Deployed" and c, 90, "phase Deployed")
        assert set(cr["status"]) == {"phase", "version"}  # everything else pruned by the incumbent's CRD
        assert cr["status"]["version"] == "0.61.0"  # airgapped: the incumbent's cached release was adopted
        assert list(helm_revisions(kube, ns, "demo")) == [1]
        adopted = kube.core_v1.read_namespaced_secret("demo-spec-user", ns)
        assert adopted.metadata.labels == {"app.kubernetes.io/managed-by": "specmerge"}
        replicas = [d.spec.replicas for d in client.AppsV1Api(kube.api_client).list_namespaced_deployment(ns).items
                    if d.metadata.name.endswith("-app")]
        assert replicas == [2]  # its console values are the user layer
        time.sleep(1.5)
        since = time.time()
        time.sleep(4)  # four resyncs
        assert writes(kube, user, ns, since) == []  # reported, not fought over
        assert op.logs().count("prunes status fields") == 1
    finally:
        op.stop()
