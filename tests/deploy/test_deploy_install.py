"""The ``specmerge`` chart on the real kube-apiserver: it installs with helm-python-sdk and every
object exists (pods never run: there is no kubelet); then a TokenRequest token for the chart's own
ServiceAccount runs ``specmerge operator`` and ``specmerge serve`` as separate processes, with the
arguments the chart gives its containers, and they reconcile a CR end to end. In namespaced mode
the same token is refused another namespace's Secret by the apiserver (403)."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import helm_python
import httpx
import pytest
from deploykit import CHART, documents
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from operatorkit import (
    GROUP,
    MYSQL_PASSWORD,
    PLURAL,
    SPECMERGE,
    create_cr,
    helm_revisions,
    install_crd,
    ready,
    secret_json,
    start_channel_server,
    start_operator,
    wait_for,
    writes,
)
from procs import await_served, stop_process

pytestmark = pytest.mark.cluster

RELEASE = "specmerge"
FULLNAME = "specmerge"  # the release name contains the chart name


@dataclass
class Installed:
    namespace: str
    extra: str  # a further managed namespace (rbac.namespaces)
    manifest: list[dict[str, Any]]


def helm_install(kube: Any, namespace: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    with helm_python.Config(kubeconfig_path=kube.kubeconfig, namespace=namespace) as helm:
        release = helm.install(str(CHART), RELEASE, values, namespace=namespace, timeout=120)
    assert release.get("status") == "deployed", {k: v for k, v in release.items() if k != "manifest"}
    return documents(release["manifest"])


@pytest.fixture(scope="module")
def namespaced(kube) -> Installed:  # type: ignore[no-untyped-def]
    # The session shares one apiserver: an earlier test may have left a CRD of this name in another
    # shape, which Helm refuses (see the last test). Ours is what a user who met that has put back.
    try:
        kube.apiextensions_v1.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
        install_crd(kube)
    except ApiException as exc:
        if exc.status != 404:
            raise
    home, extra = kube.namespace("sm"), kube.namespace("sm-team")
    return Installed(home, extra, helm_install(kube, home, {"rbac": {"namespaces": [extra]}}))


def _exists(kube: Any, doc: dict[str, Any]) -> bool:
    resource = DynamicClient(kube.api_client).resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    meta = doc["metadata"]
    got = resource.get(name=meta["name"], namespace=meta.get("namespace"))
    return got.metadata.labels["app.kubernetes.io/instance"] == RELEASE


def test_installs_with_the_sdk_and_every_object_exists(kube, namespaced: Installed) -> None:  # type: ignore[no-untyped-def]
    kinds = sorted((d["kind"], d["metadata"].get("namespace")) for d in namespaced.manifest)
    home, extra = namespaced.namespace, namespaced.extra
    assert kinds == sorted([("Deployment", home), ("NetworkPolicy", home), ("PodDisruptionBudget", home),
                            ("Role", home), ("Role", extra), ("RoleBinding", home), ("RoleBinding", extra),
                            ("Secret", home), ("Service", home), ("ServiceAccount", home),
                            ("ClusterRole", None), ("ClusterRoleBinding", None)])  # the read-only cluster reads
    assert all(_exists(kube, d) for d in namespaced.manifest)
    crd = kube.apiextensions_v1.read_custom_resource_definition(f"{PLURAL}.{GROUP}")
    assert crd.spec.names.short_names == ["wandb"]
    # the generated token is a real one, and upgrades keep it (lookup)
    token = _token(kube, home)
    assert len(token) == 40
    with helm_python.Config(kubeconfig_path=kube.kubeconfig, namespace=home) as helm:
        helm.upgrade(str(CHART), RELEASE, {"rbac": {"namespaces": [extra]}, "replicaCount": 2}, namespace=home, timeout=120)
    assert _token(kube, home) == token


def test_cluster_wide_mode_installs_a_cluster_role_and_a_lease_role_at_home(kube) -> None:  # type: ignore[no-untyped-def]
    home = kube.namespace("smw")
    manifest = helm_install(kube, home, {"rbac": {"clusterWide": True}, "serve": {"kubeAuth": True}})
    kinds = sorted(d["kind"] for d in manifest)
    # the operator's ClusterRole and the cluster reads; bound with them and auth-delegator
    assert (kinds.count("ClusterRole"), kinds.count("Role"), kinds.count("ClusterRoleBinding")) == (2, 1, 3)
    assert all(_exists(kube, d) for d in manifest)
    binding = next(d for d in manifest if d["kind"] == "ClusterRoleBinding" and d["roleRef"]["name"] != "system:auth-delegator"
                   and not d["roleRef"]["name"].endswith("-cluster-reads"))
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": FULLNAME, "namespace": home}]
    # the apiserver's RBAC: the account may manage instances and Secrets in any namespace
    elsewhere = kube.namespace("any")
    user = f"system:serviceaccount:{home}:{FULLNAME}"
    for group, resource, verb in ((GROUP, PLURAL, "watch"), ("", "secrets", "create"), ("apps", "deployments", "patch")):
        wait_for(lambda: _allowed(kube, user, group, resource, verb, elsewhere), 15, f"{verb} {resource} in {elsewhere}")
    wait_for(lambda: _allowed(kube, user, "", "nodes", "list", None), 15, "list nodes (preflight)")
    assert not _allowed(kube, user, "", "nodes", "patch", None) and not _allowed(kube, user, "", "nodes", "get", None)
    # serve.kubeAuth: serve may review callers' tokens and permissions
    wait_for(lambda: _allowed(kube, user, "authentication.k8s.io", "tokenreviews", "create", None), 15, "auth-delegator")
    assert _allowed(kube, user, "authorization.k8s.io", "subjectaccessreviews", "create", None)
    assert _allowed(kube, user, "coordination.k8s.io", "leases", "update", home)
    assert not _allowed(kube, user, "coordination.k8s.io", "leases", "update", elsewhere)
    assert not _allowed(kube, user, "rbac.authorization.k8s.io", "clusterroles", "create", None)


def _allowed(kube: Any, user: str, group: str, resource: str, verb: str, namespace: str | None) -> bool:
    review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(user=user,
        resource_attributes=client.V1ResourceAttributes(group=group, resource=resource, verb=verb, namespace=namespace)))
    return bool(client.AuthorizationV1Api(kube.api_client).create_subject_access_review(review).status.allowed)


def _token(kube: Any, namespace: str) -> str:
    secret = kube.core_v1.read_namespaced_secret(f"{FULLNAME}-token", namespace)
    return base64.b64decode(secret.data["token"]).decode()


def _account_kubeconfig(kube: Any, namespace: str, tmp: Path) -> tuple[Path, str]:
    """A kubeconfig with a TokenRequest token for the chart's ServiceAccount; and its user name."""
    request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600))
    token = kube.core_v1.create_namespaced_service_account_token(FULLNAME, namespace, request).status.token
    ca = base64.b64encode(kube.ca_file.read_bytes()).decode()
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "t",
              "clusters": [{"name": "t", "cluster": {"server": kube.server, "certificate-authority-data": ca}}],
              "users": [{"name": "sa", "user": {"token": token}}],
              "contexts": [{"name": "t", "context": {"cluster": "t", "user": "sa", "namespace": namespace}}]}
    path = tmp / "chart-account.kubeconfig"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    return path, f"system:serviceaccount:{namespace}:{FULLNAME}"


def _container_args(manifest: list[dict[str, Any]], name: str) -> list[str]:
    deployment = next(d for d in manifest if d["kind"] == "Deployment")
    return next(c["args"] for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def _local(args: list[str], drop: tuple[str, ...]) -> list[str]:
    """The container's arguments minus the subcommand and the in-pod addresses, ports and files."""
    return [a for a in args[1:] if not a.startswith(drop)]


@pytest.fixture(scope="module")
def processes(kube, namespaced: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("deploy-e2e")
    home = namespaced.namespace
    kubeconfig, user = _account_kubeconfig(kube, home, tmp)
    wait_for(lambda: _allowed(kube, user, GROUP, PLURAL, "watch", home), 15, "the chart's RBAC")
    channels, channel_url = start_channel_server(Path(__file__).resolve().parents[2] / "channels")
    op_args = _local(_container_args(namespaced.manifest, "operator"), ("--metrics-host", "--metrics-port"))
    op = start_operator(kubeconfig, user, tmp / "operator.log", *op_args, "--channel-server", channel_url,
                        "--resync", "2", "--poll-interval", "2", identity="chart-op")
    token_file = tmp / "api-token"
    token_file.write_text(_token(kube, home))
    serve_args = _local(_container_args(namespaced.manifest, "serve"), ("--host", "--port", "--in-cluster", "--token-file"))
    log = tmp / "serve.log"
    with log.open("w") as err:
        serve = subprocess.Popen([SPECMERGE, "serve", *serve_args, "--host", "127.0.0.1", "--port", "0",
                                  "--kubeconfig", str(kubeconfig), "--token-file", str(token_file),
                                  "--channel-server", channel_url],
                                 stdout=subprocess.PIPE, stderr=err, text=True)
    url = await_served(serve, "specmerge serve", log.read_text)
    try:
        yield {"op": op, "serve_url": url, "serve_log": log, "token": token_file.read_text(), "kubeconfig": kubeconfig,
               "user": user}
    finally:
        stop_process(serve)
        op.stop()
        stop_process(channels)
    assert MYSQL_PASSWORD not in op.logs() and MYSQL_PASSWORD not in log.read_text()


def test_the_chart_account_runs_operator_and_serve_end_to_end(kube, namespaced: Installed, processes) -> None:  # type: ignore[no-untyped-def]
    home = namespaced.namespace
    api = httpx.Client(base_url=processes["serve_url"], headers={"Authorization": f"Bearer {processes['token']}"}, timeout=30)
    assert api.get(f"/v1/instances/{home}/demo/user-values").status_code == 404
    assert httpx.put(f"{processes['serve_url']}/v1/instances/{home}/demo/user-values", json={}).status_code == 401
    # a console write through serve (the chart's token, the chart account's RBAC) ...
    written = api.put(f"/v1/instances/{home}/demo/user-values", headers={"If-None-Match": "*"},
                      json={"app": {"replicaCount": 3}, "mysql": {"password": MYSQL_PASSWORD}})
    assert written.status_code == 200, written.text
    assert MYSQL_PASSWORD not in written.text
    # ... and a CR: the operator installs the platform release with both layers
    create_cr(kube, home, "demo", {"global": {"host": "https://ml.example.com"}})
    cr = wait_for(lambda: ready(kube, home, "demo"), 120, "Ready=True")
    assert cr["status"]["phase"] == "Deployed" and cr["status"]["helmRelease"]["revision"] == 1
    assert list(helm_revisions(kube, home, "demo")) == [1]
    active = secret_json(kube, home, "demo-spec-active")
    assert active is not None and active["values"]["app"]["replicaCount"] == 3
    assert active["values"]["global"]["host"] == "https://ml.example.com"
    deployments = client.AppsV1Api(kube.api_client).list_namespaced_deployment(home).items
    assert [d.spec.replicas for d in deployments if d.metadata.name.endswith("-app")] == [3]
    # the chart's account did the writing: serve the user values, the operator the rest
    done = writes(kube, processes["user"], home)
    assert ("create", "secrets", "demo-spec-user") in done
    assert ("patch", "weightsandbiases/status", "demo") in done
    preview = api.get(f"/v1/instances/{home}/demo/user-values")
    assert preview.status_code == 200 and preview.json()["values"]["app"]["replicaCount"] == 3


def test_namespaced_token_is_refused_another_namespaces_secret(kube, namespaced: Installed, processes) -> None:  # type: ignore[no-untyped-def]
    other = kube.namespace("elsewhere")
    kube.core_v1.create_namespaced_secret(other, client.V1Secret(metadata=client.V1ObjectMeta(name="db"),
                                                                  string_data={"password": MYSQL_PASSWORD}))
    from kubernetes import config as kconfig

    account = kconfig.new_client_from_config(config_file=str(processes["kubeconfig"]))
    core = client.CoreV1Api(account)
    with pytest.raises(ApiException) as refused:
        core.read_namespaced_secret("db", other)
    assert refused.value.status == 403
    message = json.loads(refused.value.body)["message"]
    assert f'cannot get resource "secrets" in API group "" in the namespace "{other}"' in message
    assert "system:serviceaccount:" in message
    with pytest.raises(ApiException) as listed:
        core.list_secret_for_all_namespaces()
    assert listed.value.status == 403
    # the managed namespaces are readable: the release's and the one rbac.namespaces added
    assert core.read_namespaced_secret(f"{FULLNAME}-token", namespaced.namespace).metadata.name == f"{FULLNAME}-token"
    assert core.list_namespaced_secret(namespaced.extra).items == []
    # and through serve: console values of an instance outside the chart's RBAC cannot be read
    api = httpx.Client(base_url=processes["serve_url"], headers={"Authorization": f"Bearer {processes['token']}"}, timeout=30)
    outside = api.get(f"/v1/instances/{other}/demo/user-values")
    assert outside.status_code == 503 and "forbidden" in outside.text.lower(), outside.text
    assert "db" in [s.metadata.name for s in kube.core_v1.list_namespaced_secret(other).items]


def test_helm_refuses_a_different_crd_of_the_same_name_until_it_is_replaced(kube, namespaced: Installed) -> None:  # type: ignore[no-untyped-def]
    """Helm 4 applies crds/ server-side: the W&B v1 operator's CRD (same name, its own shape, another
    field manager) is a conflict that stops the install; after replacing it with ours it installs."""
    from cluster.test_apiserver import WANDB_CRD

    kube.install_crd(WANDB_CRD)
    try:
        with pytest.raises(helm_python.HelmError) as refused:
            helm_install(kube, kube.namespace("smc"), {})
        assert "conflict" in str(refused.value) and f"{PLURAL}.{GROUP}" in str(refused.value)
    finally:
        install_crd(kube)  # what `kubectl replace -f deploy/crds/weightsandbiases.apps.wandb.com.yaml` does
    assert [d["kind"] for d in helm_install(kube, kube.namespace("smc"), {}) if d["kind"] == "Deployment"] == ["Deployment"]
