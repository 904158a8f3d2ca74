"""The console's instance list on the Secret backend against the real kube-apiserver: the
instances are the CRs, and a caller sees only those a SubjectAccessReview lets them read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from service_harness import Server, start_server, stop_server
from test_service_kube import _grant, _sa_token, _until

pytestmark = pytest.mark.cluster

CR_READ = client.V1PolicyRule(api_groups=["apps.wandb.com"], resources=["weightsandbiases"], verbs=["get"])


@pytest.fixture(scope="module")
def kube_console(kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # type: ignore[no-untyped-def]
    from cluster.test_apiserver import WANDB_CRD

    kube.install_crd(WANDB_CRD)
    s = start_server(tmp_path_factory.mktemp("console-kube"), "--kubeconfig", str(kube.kubeconfig), "--kube-auth")
    yield s
    stop_server(s)


def _cr(kube, ns: str, name: str) -> None:  # type: ignore[no-untyped-def]
    kube.custom_objects.create_namespaced_custom_object(
        "apps.wandb.com", "v1", ns, "weightsandbiases",
        {"apiVersion": "apps.wandb.com/v1", "kind": "WeightsAndBiases", "metadata": {"name": name},
         "spec": {"chart": {"path": "charts/platform"}, "values": {}}})


def test_instances_are_the_crs_the_caller_may_read(kube, kube_console: Server) -> None:  # type: ignore[no-untyped-def]
    mine, other = kube.namespace("cons"), kube.namespace("cons")
    _cr(kube, mine, "alpha")
    _cr(kube, other, "beta")
    with kube_console.client(token=kube.token) as admin:
        listed = {(i["namespace"], i["name"]): i["source"] for i in admin.get("/v1/instances").json()["instances"]}
        assert listed[(mine, "alpha")] == f"secret:{mine}/alpha-spec-user#values"
        assert (other, "beta") in listed
    token = _sa_token(kube, mine, "viewer")
    _grant(kube, mine, "console-viewer", [CR_READ], "viewer")
    with kube_console.client(token=token) as viewer:
        r = _until(lambda: viewer.get("/v1/instances"),
                   lambda r: any(i["name"] == "alpha" for i in r.json().get("instances", [])))
        assert r.status_code == 200
        names = {(i["namespace"], i["name"]) for i in r.json()["instances"]}
        assert (mine, "alpha") in names and (other, "beta") not in names
    with kube_console.client(token="not-a-token") as nobody:
        assert nobody.get("/v1/instances").status_code == 401
