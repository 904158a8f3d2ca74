"""Drift against the real kube-apiserver: a release installed with helm-python-sdk, edited
behind Helm's back by another field manager, checked, corrected, then upgraded by Helm.
No kubelet: Deployments never get Pods, and nothing here waits for readiness."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
from kubernetes import client

from cluster.harness import Kube
from specmerge.drift import DriftError, DriftMemo, ObjectRef, check, correct, release_objects

CHART = Path(__file__).resolve().parents[1] / "cluster" / "testchart"


@pytest.fixture
def release(kube: Kube) -> Iterator[tuple[str, Any]]:
    """Release ``demo`` of the test chart in a fresh namespace, and its helm config."""
    ns = kube.namespace("drift")
    with helm_python.Config(kubeconfig_path=kube.kubeconfig, namespace=ns) as helm:
        helm.install(CHART, "demo", {"message": "one"}, timeout=60)
        yield ns, helm


def versions(kube: Kube, ns: str) -> dict[str, str]:
    apps = client.AppsV1Api(kube.api_client)
    return {"cm": kube.core_v1.read_namespaced_config_map("demo-config", ns).metadata.resource_version,
            "deploy": apps.read_namespaced_deployment("demo-app", ns).metadata.resource_version}


def states(report: Any) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {f"{o.ref.kind}/{o.ref.name}": (o.state, o.paths) for o in report.objects}


@pytest.mark.cluster
def test_an_unchanged_release_is_checked_without_a_write(kube: Kube, release: tuple[str, Any]) -> None:
    ns, helm = release
    objects = release_objects(helm, "demo", ns)
    before = versions(kube, ns)
    memo = DriftMemo()
    first = check(kube.api_client, objects, ns, memo)
    assert states(first) == {"ConfigMap/demo-config": ("in-sync", ()), "Deployment/demo-app": ("in-sync", ())}
    live = kube.api_client.sanitize_for_serialization(
        client.AppsV1Api(kube.api_client).read_namespaced_deployment("demo-app", ns))
    applied = {e["manager"] for e in live["metadata"]["managedFields"] if e["operation"] == "Apply"}
    assert {o.manager for o in first.objects} == applied and len(applied) == 1  # Helm's own manager
    # discovery of v1 and apps/v1, one GET per object, one dry-run apply per object
    assert first.requests == {"GET": 4, "PATCH": 2}
    second = check(kube.api_client, objects, ns, memo)
    assert states(second) == {"ConfigMap/demo-config": ("unchanged", ()), "Deployment/demo-app": ("unchanged", ())}
    assert second.requests == {"GET": 2}  # the memo: no discovery, no dry run
    assert versions(kube, ns) == before  # the dry runs stored nothing


@pytest.mark.cluster
def test_a_foreign_edit_is_reported_corrected_and_helm_upgrades_after(kube: Kube, release: tuple[str, Any]) -> None:
    ns, helm = release
    apps = client.AppsV1Api(kube.api_client)
    objects = release_objects(helm, "demo", ns)
    memo = DriftMemo()
    assert check(kube.api_client, objects, ns, memo).ok

    apps.patch_namespaced_deployment("demo-app", ns, {"spec": {"replicas": 5}}, field_manager="kubectl-edit")
    report = check(kube.api_client, objects, ns, memo)
    assert not report.ok
    assert states(report) == {"ConfigMap/demo-config": ("unchanged", ()),
                              "Deployment/demo-app": ("drifted", ("/spec/replicas",))}
    assert apps.read_namespaced_deployment("demo-app", ns).spec.replicas == 5  # a check does not correct

    fixed = correct(kube.api_client, objects, ns, report, memo)
    assert fixed.corrected == (ObjectRef("apps/v1", "Deployment", ns, "demo-app"),) and fixed.recreated == ()
    assert fixed.requests == {"PATCH": 1}
    assert apps.read_namespaced_deployment("demo-app", ns).spec.replicas == 1
    owners = {e.manager for e in apps.read_namespaced_deployment("demo-app", ns).metadata.managed_fields
              if "f:replicas" in (e.fields_v1 or {}).get("f:spec", {})}
    assert owners == {report.drifted[0].manager}  # kubectl-edit lost the field
    assert check(kube.api_client, objects, ns, memo).ok

    helm.upgrade(CHART, "demo", {"message": "two", "replicas": 3}, timeout=60)  # no SSA conflict
    assert apps.read_namespaced_deployment("demo-app", ns).spec.replicas == 3
    after = check(kube.api_client, release_objects(helm, "demo", ns), ns, memo)
    assert after.ok, after


@pytest.mark.cluster
def test_a_deleted_config_map_is_reported_missing_and_recreated(kube: Kube, release: tuple[str, Any]) -> None:
    ns, helm = release
    objects = release_objects(helm, "demo", ns)
    kube.core_v1.delete_namespaced_config_map("demo-config", ns)
    report = check(kube.api_client, objects, ns)
    assert states(report)["ConfigMap/demo-config"] == ("missing", ())
    assert states(report)["Deployment/demo-app"] == ("in-sync", ())
    fixed = correct(kube.api_client, objects, ns, report)
    assert fixed.recreated == (ObjectRef("v1", "ConfigMap", ns, "demo-config"),)
    cm = kube.core_v1.read_namespaced_config_map("demo-config", ns)
    assert cm.data == {"message": "one", "revision": "1"}
    assert cm.metadata.annotations["meta.helm.sh/release-name"] == "demo"  # Helm still owns it
    assert check(kube.api_client, objects, ns).ok
    helm.upgrade(CHART, "demo", {"message": "two"}, timeout=60)
    assert kube.core_v1.read_namespaced_config_map("demo-config", ns).data == {"message": "two", "revision": "2"}


@pytest.mark.cluster
def test_a_foreign_label_that_helm_does_not_set_is_not_drift(kube: Kube, release: tuple[str, Any]) -> None:
    ns, helm = release
    kube.core_v1.patch_namespaced_config_map("demo-config", ns, {"metadata": {"labels": {"team": "x"}},
                                                                 "data": {"message": "edited"}},
                                             field_manager="kubectl-edit")
    report = check(kube.api_client, release_objects(helm, "demo", ns), ns)
    assert states(report)["ConfigMap/demo-config"] == ("drifted", ("/data/message",))  # not /metadata/labels/team


@pytest.mark.cluster
def test_errors_name_the_object_but_never_echo_its_values(kube: Kube) -> None:
    ns = kube.namespace("drifterr")
    leaky = "s3cr3t value that must not leak"
    bad = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "leaky", "labels": {"token": leaky}}, "data": {}}
    kube.core_v1.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="leaky")))
    with pytest.raises(DriftError) as err:
        check(kube.api_client, [bad], ns)
    assert f"/api/v1/namespaces/{ns}/configmaps/leaky: 422" in str(err.value)
    assert "metadata.labels" in str(err.value) and leaky not in str(err.value)
    with pytest.raises(DriftError, match=r"Widget w: the cluster serves no Widget in example.com/v1"):
        check(kube.api_client, [{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}], ns)


@pytest.mark.cluster
def test_a_metadata_only_edit_is_seen_through_the_memo(kube: Kube, release: tuple[str, Any]) -> None:
    ns, helm = release
    objects = release_objects(helm, "demo", ns)
    memo = DriftMemo()
    assert check(kube.api_client, objects, ns, memo).ok
    apps = client.AppsV1Api(kube.api_client)
    before = apps.read_namespaced_deployment("demo-app", ns).metadata.generation
    apps.patch_namespaced_deployment("demo-app", ns, {"metadata": {"labels": {"app.kubernetes.io/name": "other"}}},
                                     field_manager="kubectl-label")
    assert apps.read_namespaced_deployment("demo-app", ns).metadata.generation == before  # no spec change
    report = check(kube.api_client, objects, ns, memo)
    assert states(report)["Deployment/demo-app"] == ("drifted", ("/metadata/labels/app.kubernetes.io~1name",))
