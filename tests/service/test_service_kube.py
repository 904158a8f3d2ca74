"""The Secret backend and Kubernetes auth against the real kube-apiserver (cluster harness):
``<name>-spec-user`` in the W&B layout, resourceVersion-checked writes, TokenReview for
who is calling and SubjectAccessReview for who may write and reveal."""

from __future__ import annotations

import base64
import json
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
