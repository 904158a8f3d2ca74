"""The Secret backend and Kubernetes auth against the real kube-apiserver (cluster harness):
``<name>-spec-user`` in the W&B layout, resourceVersion-checked writes, TokenReview for
who is calling and SubjectAccessReview for who may write and reveal."""

from __future__ import annotations

import base64
import json
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from kubernetes import client

from service_harness import MYSQL_PASSWORD, VALID_USER, Server, start_server, stop_server, values_url
from specmerge.service.store import Instance, StaleETag
from specmerge.service.store_secret import SecretStore

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def kube_server(kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    s = start_server(tmp_path_factory.mktemp("serve-kube"), "--kubeconfig", str(kube.kubeconfig), "--kube-auth")
    yield s
    stop_server(s)


def _secret_json(kube, namespace: str, name: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    secret = kube.core_v1.read_namespaced_secret(name, namespace)
    return {k: json.loads(base64.b64decode(v)) for k, v in secret.data.items()}


def _sa_token(kube, namespace: str, name: str) -> str:  # type: ignore[no-untyped-def]
    kube.core_v1.create_namespaced_service_account(namespace, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name)))
    req = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600))
    return kube.core_v1.create_namespaced_service_account_token(name, namespace, req).status.token


def test_secret_store_layout_and_conflicts(kube) -> None:  # type: ignore[no-untyped-def]
    ns = kube.namespace("svc")
    store, inst = SecretStore(kube.core_v1), Instance(ns, "demo")
    assert store.get(inst) is None
    first = store.put(inst, VALID_USER, None)
    data = _secret_json(kube, ns, "demo-spec-user")
    assert set(data) == {"values", "chart", "metadata"} and data["values"] == VALID_USER
    with pytest.raises(StaleETag):
        store.put(inst, VALID_USER, None)  # create over an existing Secret
    # someone else edits the Secret (a kubectl user, the operator): our stale ETag must lose
    secret = kube.core_v1.read_namespaced_secret("demo-spec-user", ns)
    edited = {**VALID_USER, "features": {"x": True}}
    secret.data["values"] = base64.b64encode(json.dumps(edited).encode()).decode()
    secret.data["chart"] = base64.b64encode(b'{"path": "charts/platform"}').decode()
    kube.core_v1.replace_namespaced_secret("demo-spec-user", ns, secret)
    with pytest.raises(StaleETag):
        store.put(inst, VALID_USER, first.etag)
    current = store.get(inst)
    assert current is not None and current.values == edited
    store.put(inst, VALID_USER, current.etag)
    after = _secret_json(kube, ns, "demo-spec-user")
    assert after["values"] == VALID_USER and after["chart"] == {"path": "charts/platform"}  # chart key kept


def test_api_on_the_secret_backend_with_token_and_access_reviews(kube, kube_server: Server) -> None:  # type: ignore[no-untyped-def]
    ns = kube.namespace("svc")
    inst = f"{ns}/demo"
    with kube_server.client(token="not-a-real-token") as nobody:
        assert nobody.get(values_url(inst)).status_code == 401
    with kube_server.client(token=kube.token) as admin:  # system:masters: may do anything
        created = admin.put(values_url(inst), json=VALID_USER, headers={"If-None-Match": "*"})
        assert created.status_code == 200, created.text
        assert _secret_json(kube, ns, "demo-spec-user")["values"] == VALID_USER
        got = admin.get(values_url(inst))
        assert got.headers["etag"] == created.headers["etag"] and got.json()["source"] == f"secret:{ns}/demo-spec-user#values"
        assert admin.get(values_url(inst), params={"showSecrets": "true"}).json()["values"]["mysql"]["password"] == MYSQL_PASSWORD
        active = client.V1Secret(metadata=client.V1ObjectMeta(name="demo-spec-active"), data={
            k: base64.b64encode(json.dumps(v).encode()).decode()
            for k, v in {"values": {"global": {"host": "https://old.example.com"}}, "chart": {}, "metadata": {}}.items()})
        kube.core_v1.create_namespaced_secret(ns, active)
        preview = admin.post("/v1/preview", json={"instance": {"namespace": ns, "name": "demo"}}).json()
        changes = {c["path"]: c for c in preview["diff"]["changes"]}
        assert changes["/global/host"]["old"] == "https://old.example.com"
        assert changes["/mysql/password"]["new"].startswith("<redacted")

        etag = admin.get(values_url(inst)).headers["etag"]

    token = _sa_token(kube, ns, "console")
    with kube_server.client(token=token) as console:
        assert console.get(values_url(inst)).status_code == 403  # authenticated, but no RBAC yet
        assert console.post("/v1/preview", json={"instance": {"namespace": ns, "name": "demo"}}).status_code == 403
        denied = console.put(values_url(inst), json=VALID_USER, headers={"If-Match": etag})
        assert denied.status_code == 403
        rbac = client.RbacAuthorizationV1Api(kube.api_client)
        rbac.create_namespaced_role(ns, client.V1Role(
            metadata=client.V1ObjectMeta(name="console"),
            rules=[client.V1PolicyRule(api_groups=["apps.wandb.com"], resources=["weightsandbiases"],
                                       verbs=["get", "update"], resource_names=["demo"])]))
        rbac.create_namespaced_role_binding(ns, client.V1RoleBinding(
            metadata=client.V1ObjectMeta(name="console"),
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name="console"),
            subjects=[client.RbacV1Subject(kind="ServiceAccount", name="console", namespace=ns)]))
        deadline = time.monotonic() + 15  # the RBAC authorizer sees new bindings through an informer
        while (r := console.get(values_url(inst))).status_code == 403 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert r.status_code == 200 and r.headers["etag"] == etag
        assert console.get(values_url(inst), params={"showSecrets": "true"}).status_code == 403  # no get secrets
        changed = {**VALID_USER, "features": {"beta": True}}
        allowed = console.put(values_url(inst), json=changed, headers={"If-Match": etag})
        assert allowed.status_code == 200, allowed.text
        assert console.put(f"/v1/instances/{ns}/other/user-values", json=changed,
                           headers={"If-None-Match": "*"}).status_code == 403  # the Role names only "demo"
    assert _secret_json(kube, ns, "demo-spec-user")["values"]["features"] == {"beta": True}
    assert httpx.get(f"{kube_server.url}/readyz").status_code == 200


def test_secret_store_reads_the_cr_layer_from_the_custom_resource(kube) -> None:  # type: ignore[no-untyped-def]
    from cluster.test_apiserver import WANDB_CRD

    kube.install_crd(WANDB_CRD)
    ns = kube.namespace("svccr")
    store = SecretStore(kube.core_v1, kube.custom_objects)
    assert store.cr(Instance(ns, "demo")) is None  # no CR: no layer
    kube.custom_objects.create_namespaced_custom_object(
        "apps.wandb.com", "v1", ns, "weightsandbiases",
        {"apiVersion": "apps.wandb.com/v1", "kind": "WeightsAndBiases", "metadata": {"name": "demo"},
         "spec": {"chart": {"path": "charts/platform"}, "values": {"app": {"replicaCount": 4}}}},
    )
    assert store.cr(Instance(ns, "demo")) == (f"cr:{ns}/demo", {"app": {"replicaCount": 4}})
    assert SecretStore(kube.core_v1).cr(Instance(ns, "demo")) is None  # no CR access configured


def _reviews(server: Server) -> dict[tuple[str, str], float]:
    text = httpx.get(f"{server.url}/metrics").text
    found = re.findall(r'^specmerge_access_reviews_total\{kind="(\w+)",source="(\w+)"\} (\S+)$', text, re.M)
    return {(kind, source): float(n) for kind, source, n in found}


def _grant(kube, ns: str, name: str, rules: list[Any], account: str, cluster: bool = False) -> None:  # type: ignore[no-untyped-def]
    rbac = client.RbacAuthorizationV1Api(kube.api_client)
    subject = [client.RbacV1Subject(kind="ServiceAccount", name=account, namespace=ns)]
    if cluster:
        rbac.create_cluster_role(client.V1ClusterRole(metadata=client.V1ObjectMeta(name=name), rules=rules))
        rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
            metadata=client.V1ObjectMeta(name=name), subjects=subject,
            role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=name)))
        return
    rbac.create_namespaced_role(ns, client.V1Role(metadata=client.V1ObjectMeta(name=name), rules=rules))
    rbac.create_namespaced_role_binding(ns, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name=name), subjects=subject,
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=name)))


def _until(request, done, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    """``request()`` again until ``done(response)``; RBAC changes reach the authorizer through an informer."""
    deadline = time.monotonic() + timeout
    while not done(r := request()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return r


CR_RULE = client.V1PolicyRule(api_groups=["apps.wandb.com"], resources=["weightsandbiases"], verbs=["get", "update"])


def test_review_answers_are_remembered_for_the_ttl(kube, kube_server: Server) -> None:  # type: ignore[no-untyped-def]
    """A console polling with one token costs one TokenReview and one SubjectAccessReview per
    TTL (5 s by default), not two reviews per request."""
    ns = kube.namespace("svc")
    token = _sa_token(kube, ns, "poller")
    _grant(kube, ns, "poller", [CR_RULE], "poller")
    with kube_server.client(token=token) as poller:
        _until(lambda: poller.get(values_url(f"{ns}/demo")), lambda r: r.status_code == 404)  # allowed; nothing stored
        before = _reviews(kube_server)
        for _ in range(5):
            assert poller.get(values_url(f"{ns}/demo")).status_code == 404
    after = _reviews(kube_server)
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    assert delta.get(("token", "apiserver"), 0) + delta.get(("access", "apiserver"), 0) <= 2  # a TTL may end once
    assert delta[("token", "cache")] >= 4 and delta[("access", "cache")] >= 4


def test_in_cluster_the_pods_service_account_is_the_identity(kube, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--in-cluster reads KUBERNETES_SERVICE_HOST/PORT and the service account's token and CA, as
    in a pod: the service acts as that account (not as whoever runs the test), so it can do
    nothing until RBAC lets the account; a revoked binding stops callers within the TTL."""
    ns = kube.namespace("incluster")
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(_sa_token(kube, ns, "specmerge"))
    (account / "ca.crt").write_bytes(kube.ca_file.read_bytes())
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"service_account_dir: {account}\nauth_cache_ttl: 1\n")
    host, port = kube.server.removeprefix("https://").rsplit(":", 1)
    env = {**os.environ, "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    server = start_server(tmp_path / "serve", "--in-cluster", "--kube-auth", "--config", str(settings), env=env)
    try:
        with server.client(token=kube.token) as admin:  # system:masters, but the service is not
            r = admin.get(values_url(f"{ns}/demo"))
            assert r.status_code == 503 and "TokenReview failed: HTTP 403" in r.json()["detail"]
            _grant(kube, ns, f"specmerge-{ns}", [
                client.V1PolicyRule(api_groups=["authentication.k8s.io"], resources=["tokenreviews"], verbs=["create"]),
                client.V1PolicyRule(api_groups=["authorization.k8s.io"], resources=["subjectaccessreviews"],
                                    verbs=["create"])], "specmerge", cluster=True)
            _grant(kube, ns, "specmerge", [
                client.V1PolicyRule(api_groups=[""], resources=["secrets"], verbs=["get", "create", "update"]),
                CR_RULE], "specmerge")
            r = _until(lambda: admin.put(values_url(f"{ns}/demo"), json=VALID_USER, headers={"If-None-Match": "*"}),
                       lambda r: r.status_code == 200)
            assert r.status_code == 200, r.text
            assert _secret_json(kube, ns, "demo-spec-user")["values"] == VALID_USER

        token = _sa_token(kube, ns, "console")
        _grant(kube, ns, "console", [CR_RULE], "console")
        with server.client(token=token) as console:
            assert _until(lambda: console.get(values_url(f"{ns}/demo")), lambda r: r.status_code == 200).status_code == 200
            client.RbacAuthorizationV1Api(kube.api_client).delete_namespaced_role_binding("console", ns)
            assert _until(lambda: console.get(values_url(f"{ns}/demo")), lambda r: r.status_code == 403).status_code == 403
    finally:
        stop_server(server)
