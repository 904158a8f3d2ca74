"""Shared parts of the operator tests: our CRD, an operator *process* with its own ServiceAccount
token and RBAC, the real channel server, and helpers that read what a user would look at
(the CR's status, Secrets, Helm's release Secrets, events, the apiserver's audit log)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from procs import await_served, stop_process

from specmerge.instances import CrKind
from specmerge.locations import repo_root

SPECMERGE = shutil.which("specmerge") or str(Path(sys.executable).with_name("specmerge"))
KIND = CrKind()
GROUP, VERSION, PLURAL = KIND.group, KIND.version, KIND.plural
CRD = yaml.safe_load((repo_root() / "deploy/crds/weightsandbiases.apps.wandb.com.yaml").read_text())
ROLE = "specmerge-operator-test"
INCUMBENT_GROUP = "incumbent.example.com"  # the W&B v1 CRD's shape, under a group of its own
MYSQL_PASSWORD = "s3cret-mysql-password-0042"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
T = TypeVar("T")

RULES = [
    client.V1PolicyRule(api_groups=[GROUP, INCUMBENT_GROUP], resources=[PLURAL],
                        verbs=["get", "list", "watch", "patch", "update"]),
    client.V1PolicyRule(api_groups=[GROUP, INCUMBENT_GROUP], resources=[f"{PLURAL}/status"],
                        verbs=["get", "patch", "update"]),
    client.V1PolicyRule(api_groups=["events.k8s.io"], resources=["events"], verbs=["create"]),
    client.V1PolicyRule(api_groups=["coordination.k8s.io"], resources=["leases"], verbs=["get", "create", "update"]),
    # what Helm needs to manage the platform chart's objects (and its own release Secrets)
    client.V1PolicyRule(api_groups=[""], resources=["secrets", "configmaps", "services", "serviceaccounts"],
                        verbs=["get", "list", "watch", "create", "update", "patch", "delete"]),
    client.V1PolicyRule(api_groups=["apps"], resources=["deployments"], verbs=["get", "list", "watch", "create", "update", "patch", "delete"]),
    client.V1PolicyRule(api_groups=["networking.k8s.io"], resources=["ingresses"], verbs=["get", "list", "watch", "create", "update", "patch", "delete"]),
    client.V1PolicyRule(api_groups=["autoscaling"], resources=["horizontalpodautoscalers"], verbs=["get", "list", "watch", "create", "update", "patch", "delete"]),
    client.V1PolicyRule(api_groups=["policy"], resources=["poddisruptionbudgets"], verbs=["get", "list", "watch", "create", "update", "patch", "delete"]),
    # preflight's cluster facts (RequirementsMet) and the kinds drift resolves: list only
    client.V1PolicyRule(api_groups=[""], resources=["nodes"], verbs=["list"]),
    client.V1PolicyRule(api_groups=["networking.k8s.io"], resources=["ingressclasses"], verbs=["list"]),
    client.V1PolicyRule(api_groups=["storage.k8s.io"], resources=["storageclasses"], verbs=["list"]),
    client.V1PolicyRule(non_resource_urls=["/version", "/api", "/api/*", "/apis", "/apis/*"], verbs=["get"]),
]


def wait_for(check: Callable[[], T | None], timeout: float = 60.0, what: str = "condition", every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what} (last: {last!r})")


def install_crd(kube: Any) -> None:
    kube.install_crd(CRD)


def service_account(kube: Any, namespace: str, name: str, tmp: Path) -> tuple[Path, str]:
    """A ServiceAccount bound to the operator's ClusterRole; returns a kubeconfig with its token
    and its user name (as the audit log shows it)."""
    rbac = client.RbacAuthorizationV1Api(kube.api_client)
    try:
        rbac.create_cluster_role(client.V1ClusterRole(metadata=client.V1ObjectMeta(name=ROLE), rules=RULES))
    except ApiException as exc:
        if exc.status != 409:
            raise
    kube.core_v1.create_namespaced_service_account(namespace, client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name=name)))
    rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
        metadata=client.V1ObjectMeta(name=f"{namespace}-{name}"),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=ROLE),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name=name, namespace=namespace)]))
    request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=7200))
    token = kube.core_v1.create_namespaced_service_account_token(name, namespace, request).status.token
    ca = base64.b64encode(kube.ca_file.read_bytes()).decode()
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "t", "cluster": {"server": kube.server, "certificate-authority-data": ca}}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": "t", "context": {"cluster": "t", "user": name}}],
        "current-context": "t",
    }
    path = tmp / f"{namespace}-{name}.kubeconfig"
    path.write_text(json.dumps(config))
    path.chmod(0o600)
    user = f"system:serviceaccount:{namespace}:{name}"
    # the RBAC authorizer learns new bindings through an informer
    auth = client.AuthorizationV1Api(kube.api_client)
    wait_for(lambda: auth.create_subject_access_review(client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=user, resource_attributes=client.V1ResourceAttributes(group=GROUP, resource=PLURAL, verb="list")))).status.allowed,
        15, "RBAC for the operator")
    return path, user


@dataclass
class Operator:
    process: subprocess.Popen[str]
    url: str
    log: Path
    user: str
    identity: str

    def text(self, path: str) -> str:
        return urllib.request.urlopen(f"{self.url}{path}", timeout=5).read().decode()

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


def start_operator(kubeconfig: Path, user: str, log: Path, *args: str, identity: str = "op",
                   env: dict[str, str] | None = None, ready: bool = True) -> Operator:
    """``specmerge operator`` as its own process; waits for its metrics line and /readyz."""
    handle = log.open("a")
    process = subprocess.Popen(
        [SPECMERGE, "operator", "--kubeconfig", str(kubeconfig), "--metrics-port", "0", "--identity", identity,
         *args],
        stdout=subprocess.PIPE, stderr=handle, text=True, env={**os.environ, **(env or {})},
    )
    handle.close()
    url = await_served(process, "operator", lambda: log.read_text(errors="replace"), timeout=60)
    op = Operator(process, url, log, user, identity)
    if ready:
        wait_for(lambda: _ready(op), 60, "operator /readyz")
    return op


def _ready(op: Operator) -> bool:
    try:
        return urllib.request.urlopen(f"{op.url}/readyz", timeout=2).status == 200
    except OSError:
        return False


def start_channel_server(directory: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([SPECMERGE, "channel-server", "--dir", str(directory), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = await_served(process, "channel-server", lambda: process.stderr.read() if process.stderr else "")
    return process, url


@contextmanager
def operator_on_channels(kube: Any, tmp: Path, home: str, test: str, *args: str) -> Iterator[Operator]:
    """One operator process (its own ServiceAccount in ``home``, the CRD installed) for the CRs
    labelled ``specmerge-test=<test>``, on the repository's channels served by the real channel
    server; stopped (and the server too) on exit."""
    install_crd(kube)
    kubeconfig, user = service_account(kube, home, "specmerge-operator", tmp)
    server, url = start_channel_server(repo_root() / "channels")
    op = start_operator(kubeconfig, user, tmp / "operator.log", "--selector", f"specmerge-test={test}",
                        "--channel-server", url, "--lease-namespace", home, *args, identity=f"{test}-op")
    try:
        yield op
    finally:
        op.stop()
        stop_process(server)


def channels_copy(tmp: Path) -> Path:
    target = tmp / "channels"
    shutil.copytree(repo_root() / "channels", target)
    return target


# ---- objects ---------------------------------------------------------------------------------------


def create_cr(kube: Any, namespace: str, name: str, values: dict[str, Any] | None = None,
              labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    body = {"apiVersion": KIND.api_version, "kind": KIND.kind,
            "metadata": {"name": name, "labels": labels or {}}, "spec": {"values": values or {}, **spec}}
    return kube.custom_objects.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)


def get_cr(kube: Any, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        return kube.custom_objects.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def patch_cr_values(kube: Any, namespace: str, name: str, values: dict[str, Any]) -> dict[str, Any]:
    return kube.custom_objects.patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name,
                                                               {"spec": {"values": values}})


def condition(cr: dict[str, Any] | None, kind: str) -> dict[str, Any]:
    for c in ((cr or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == kind:
            return c
    return {}


def ready(kube: Any, namespace: str, name: str, generation: int | None = None) -> dict[str, Any] | None:
    """The CR once Ready=True for its current generation (or ``generation``)."""
    cr = get_cr(kube, namespace, name)
    if cr is None:
        return None
    want = generation or cr["metadata"]["generation"]
    c = condition(cr, "Ready")
    status = cr.get("status") or {}
    return cr if c.get("status") == "True" and status.get("observedGeneration") == want else None


def secret_json(kube: Any, namespace: str, name: str) -> dict[str, Any] | None:
    try:
        secret = kube.core_v1.read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    out = {k: json.loads(base64.b64decode(v)) for k, v in (secret.data or {}).items()}
    out["_annotations"] = secret.metadata.annotations or {}
    out["_labels"] = secret.metadata.labels or {}
    return out


def put_user_values(kube: Any, namespace: str, name: str, values: dict[str, Any]) -> None:
    """``<name>-spec-user`` through the service's own Secret store (what a console write does)."""
    from specmerge.service.store import Instance
    from specmerge.service.store_secret import SecretStore

    store, inst = SecretStore(kube.core_v1), Instance(namespace, name)
    current = store.get(inst)
    store.put(inst, values, None if current is None else current.etag)


def helm_revisions(kube: Any, namespace: str, name: str) -> dict[int, dict[str, str]]:
    listed = kube.core_v1.list_namespaced_secret(namespace, label_selector=f"owner=helm,name={name}")
    return {int(s.metadata.labels["version"]): dict(s.metadata.labels) for s in listed.items}


def events(kube: Any, namespace: str, name: str) -> list[Any]:
    api = client.EventsV1Api(kube.api_client)
    return [e for e in api.list_namespaced_event(namespace).items if e.regarding and e.regarding.name == name]


def writes(kube: Any, user: str, namespace: str | None = None, since: float = 0.0) -> list[tuple[str, str, str]]:
    """(verb, resource, name) of the write requests ``user`` made (Lease renewals excluded)."""
    out = []
    for event in kube.audit(user, since):
        ref = event.get("objectRef") or {}
        if event.get("verb") not in WRITE_VERBS or ref.get("resource") == "leases":
            continue
        if namespace is not None and ref.get("namespace") != namespace:
            continue
        out.append((event["verb"], ref.get("resource", "") + (f"/{ref['subresource']}" if ref.get("subresource") else ""),
                    ref.get("name", "")))
    return out


def requests(kube: Any, user: str, since: float = 0.0) -> list[dict[str, Any]]:
    return kube.audit(user, since)
