"""Proof that the harness is a real API server: versions, optimistic concurrency, CRD status
subresources, watches, RBAC, and Helm releases (helm-python-sdk) against it; plus the helm CLI oracle."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from cluster import fixtures, harness
from cluster.harness import HarnessUnavailable, Kube

CHART = Path(__file__).resolve().parent / "testchart"

GROUP, VERSION, PLURAL = "apps.wandb.com", "v1", "weightsandbiases"
_PRESERVE: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
WANDB_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {
            "kind": "WeightsAndBiases",
            "listKind": "WeightsAndBiasesList",
            "plural": PLURAL,
            "singular": "weightsandbiases",
            "shortNames": ["wandb"],
        },
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "properties": {"chart": _PRESERVE, "values": _PRESERVE}},
                            "status": {
                                "type": "object",
                                "properties": {
                                    "phase": {"type": "string"},
                                    "version": {"type": "string"},
                                    "conditions": {"type": "array", "items": _PRESERVE},
                                },
                            },
                        },
                    }
                },
            }
        ],
    },
}


# ---- harness self-checks (no cluster needed) -----------------------------------------------------


def test_policy_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI=true: Go not found"):
        fixtures.unavailable("Go not found")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="unavailable: Go not found"):
        fixtures.unavailable("Go not found")


def _fake_build_script(directory: Path) -> Path:
    script = directory / "build.sh"
    script.write_text(
        f"echo kube-apiserver={directory}/kube-apiserver-v1.36.3\necho etcd={directory}/etcd-v3.6.16\n"
        f"echo helm={directory}/helm-v4.2.3\necho registry={directory}/registry-v3.1.1-0123abcd\n"
    )
    return script


def test_missing_binaries_name_the_remedy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _fake_build_script(tmp_path)
    monkeypatch.setattr(harness, "go_available", lambda: True)
    with pytest.raises(HarnessUnavailable, match=r"^binaries not built: run bash tests/cluster/build.sh") as info:
        harness.locate_binaries(script)
    assert all(name in str(info.value) for name in ("kube-apiserver-v1.36.3", "helm-v4.2.3", "registry-v3.1.1"))
    monkeypatch.setattr(harness, "go_available", lambda: False)
    with pytest.raises(HarnessUnavailable, match=r"^Go not found"):
        harness.locate_binaries(script)

    (tmp_path / "helm-v4.2.3").write_text("#!/bin/sh\n")
    (tmp_path / "helm-v4.2.3").chmod(0o755)
    assert harness.locate_binaries(script, require=("helm",)).helm == tmp_path / "helm-v4.2.3"
    assert harness.locate_binaries(script, require=("helm",)).kube_version == "v1.36.3"


def test_a_process_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    dead = tmp_path / "etcd-v3.6.16"
    dead.write_text("#!/bin/sh\necho 'etcd: cannot open data dir' >&2\nexit 3\n")
    dead.chmod(0o755)
    binaries = harness.Binaries(kube_apiserver=dead, etcd=dead, helm=dead, registry=dead)
    cluster = harness.Cluster(binaries, log_dir=tmp_path / "logs", startup_timeout=10)
    workdir = cluster.workdir
    with pytest.raises(harness.HarnessError, match=r"(?s)etcd exited with 3 .*cannot open data dir"):
        cluster.start()
    cluster.stop()
    assert not workdir.exists()  # temp dir removed
    assert "cannot open data dir" in (tmp_path / "logs" / "etcd.log").read_text()  # the log is kept


# ---- the live server -------------------------------------------------------------------------------


@pytest.mark.cluster
def test_version_reports_the_pinned_release(kube: Kube) -> None:
    info = client.VersionApi(kube.api_client).get_code()
    assert info.git_version == kube.kube_version
    assert (info.major, info.minor) == ("1", kube.kube_version.split(".")[1])


@pytest.mark.cluster
def test_rbac_and_token_authentication_are_enforced(kube: Kube) -> None:
    ns = kube.namespace("rbac")
    anonymous = client.Configuration()
    anonymous.host = kube.server
    anonymous.ssl_ca_cert = str(kube.ca_file)
    with client.ApiClient(anonymous) as api:
        with pytest.raises(ApiException) as denied:
            client.CoreV1Api(api).list_namespaced_secret(ns)
    assert denied.value.status == 403  # system:anonymous is authenticated but not authorised

    wrong = client.Configuration()
    wrong.host = kube.server
    wrong.ssl_ca_cert = str(kube.ca_file)
    wrong.api_key = {"authorization": "Bearer not-the-token"}
    with client.ApiClient(wrong) as api:
        with pytest.raises(ApiException) as unauthenticated:
            client.CoreV1Api(api).list_namespaced_secret(ns)
    assert unauthenticated.value.status == 401


@pytest.mark.cluster
def test_secret_update_with_stale_resource_version_conflicts(kube: Kube) -> None:
    ns = kube.namespace("secret")
    created = kube.core_v1.create_namespaced_secret(
        ns,
        client.V1Secret(metadata=client.V1ObjectMeta(name="demo-spec-user"), string_data={"values": '{"a": 1}'}),
    )
    stale = kube.core_v1.read_namespaced_secret("demo-spec-user", ns)
    assert stale.metadata.resource_version == created.metadata.resource_version
    assert stale.data == {"values": "eyJhIjogMX0="}  # base64 of {"a": 1}

    fresh = kube.core_v1.read_namespaced_secret("demo-spec-user", ns)
    fresh.string_data = {"values": '{"a": 2}'}
    updated = kube.core_v1.replace_namespaced_secret("demo-spec-user", ns, fresh)
    assert updated.metadata.resource_version != created.metadata.resource_version

    stale.string_data = {"values": '{"a": 3}'}
    with pytest.raises(ApiException) as conflict:
        kube.core_v1.replace_namespaced_secret("demo-spec-user", ns, stale)
    assert conflict.value.status == 409
    assert "the object has been modified" in conflict.value.body

    current = kube.core_v1.read_namespaced_secret("demo-spec-user", ns)
    assert current.data == {"values": "eyJhIjogMn0="}  # the {"a": 2} write survived, {"a": 3} did not


@pytest.mark.cluster
def test_crd_status_subresource(kube: Kube) -> None:
    assert kube.install_crd(WANDB_CRD) == "weightsandbiases.apps.wandb.com"
    assert kube.install_crd(WANDB_CRD) == "weightsandbiases.apps.wandb.com"  # idempotent
    ns = kube.namespace("crd")
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "WeightsAndBiases",
        "metadata": {"name": "demo"},
        "spec": {"chart": {"path": "/charts/platform"}, "values": {"global": {"host": "x"}, "anything": [1, 2]}},
        "status": {"phase": "Forged"},
    }
    created = kube.custom_objects.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)
    assert "status" not in created  # with a status subresource, writes to the main resource drop status
    assert created["spec"]["values"] == {"global": {"host": "x"}, "anything": [1, 2]}  # unknown fields kept
    assert created["metadata"]["generation"] == 1

    patched = kube.custom_objects.patch_namespaced_custom_object_status(
        GROUP, VERSION, ns, PLURAL, "demo",
        {"status": {"phase": "Deployed", "version": "0.1.0",
                    "conditions": [{"type": "Applied", "status": "True", "observedGeneration": 1}]}},
    )
    assert patched["status"]["phase"] == "Deployed"
    assert patched["metadata"]["generation"] == 1  # status writes do not bump generation

    respec = kube.custom_objects.patch_namespaced_custom_object(
        GROUP, VERSION, ns, PLURAL, "demo", {"spec": {"values": {"global": {"host": "y"}}}, "status": {"phase": "X"}}
    )
    assert respec["metadata"]["generation"] == 2
    assert respec["status"]["phase"] == "Deployed"  # the status in a main-resource patch was ignored

    with pytest.raises(ApiException) as invalid:
        kube.custom_objects.patch_namespaced_custom_object_status(
            GROUP, VERSION, ns, PLURAL, "demo", {"status": {"phase": 7}}
        )
    assert invalid.value.status == 422  # the CRD schema is enforced


@pytest.mark.cluster
def test_watch_sees_an_update(kube: Kube) -> None:
    ns = kube.namespace("watch")
    created = kube.core_v1.create_namespaced_config_map(
        ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="watched"), data={"k": "v1"})
    )
    errors: list[BaseException] = []

    def update() -> None:
        try:
            kube.core_v1.patch_namespaced_config_map("watched", ns, {"data": {"k": "v2"}})
        except BaseException as exc:  # surfaced by the assertion below, not lost in the thread
            errors.append(exc)

    # The update lands while the watch is open (watching from the create's resourceVersion, so it
    # cannot be missed even if it lands before the stream connects).
    updater = threading.Timer(0.5, update)
    updater.start()
    seen: list[tuple[str, dict[str, str]]] = []
    for event in watch.Watch().stream(
        kube.core_v1.list_namespaced_config_map, ns,
        resource_version=created.metadata.resource_version, timeout_seconds=30,
    ):
        seen.append((event["type"], dict(event["object"].data or {})))
        break  # closes the stream
    updater.join(10)
    assert errors == []
    assert seen == [("MODIFIED", {"k": "v2"})]


def _release_secrets(kube: Kube, ns: str, release: str) -> dict[str, str]:
    listed = kube.core_v1.list_namespaced_secret(ns, label_selector=f"owner=helm,name={release}")
    return {s.metadata.name: s.metadata.labels["status"] for s in listed.items}


@pytest.mark.cluster
def test_helm_sdk_installs_upgrades_and_uninstalls(kube: Kube) -> None:
    ns = kube.namespace("helm")
    apps = client.AppsV1Api(kube.api_client)
    with helm_python.Config(kubeconfig_path=kube.kubeconfig, namespace=ns) as helm:
        helm.install(CHART, "demo", {"message": "one"}, timeout=60)
        assert _release_secrets(kube, ns, "demo") == {"sh.helm.release.v1.demo.v1": "deployed"}
        assert kube.core_v1.read_namespaced_config_map("demo-config", ns).data == {"message": "one", "revision": "1"}
        assert apps.read_namespaced_deployment("demo-app", ns).spec.replicas == 1

        helm.upgrade(CHART, "demo", {"message": "two", "replicas": 2}, timeout=60)
        assert _release_secrets(kube, ns, "demo") == {
            "sh.helm.release.v1.demo.v1": "superseded",
            "sh.helm.release.v1.demo.v2": "deployed",
        }
        assert kube.core_v1.read_namespaced_config_map("demo-config", ns).data == {"message": "two", "revision": "2"}
        assert apps.read_namespaced_deployment("demo-app", ns).spec.replicas == 2
        assert [r["name"] for r in helm.list()] == ["demo"]

        helm.uninstall("demo", timeout=60)
        assert _release_secrets(kube, ns, "demo") == {}
        with pytest.raises(ApiException) as gone:
            kube.core_v1.read_namespaced_config_map("demo-config", ns)
        assert gone.value.status == 404
        assert helm.list() == []


# ---- the helm CLI oracle ----------------------------------------------------------------------------


@pytest.mark.helmcli
def test_helm_cli_is_the_sdk_version_and_renders_like_it(helm_cli: Path) -> None:
    version = subprocess.run([str(helm_cli), "version", "--short"], capture_output=True, text=True, check=True)
    assert version.stdout.strip().split("+")[0] == helm_python.helm_sdk_version()

    values = {"message": "from-cli", "replicas": 3}
    cli = subprocess.run(
        [str(helm_cli), "template", "demo", str(CHART), "--namespace", "ns1",
         "--set", "message=from-cli", "--set", "replicas=3"],
        capture_output=True, text=True, check=True,
    )
    cli_docs = [doc for doc in yaml.safe_load_all(cli.stdout) if doc]
    with helm_python.Chart.load(CHART) as chart:
        rendered = chart.render(values, name="demo", namespace="ns1")
    sdk_docs = [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]

    def key(doc: dict[str, Any]) -> str:
        return f"{doc['kind']}/{doc['metadata']['name']}"

    assert sorted(map(key, cli_docs)) == ["ConfigMap/demo-config", "Deployment/demo-app"]
    assert sorted(cli_docs, key=key) == sorted(sdk_docs, key=key)
