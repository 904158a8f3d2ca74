"""Several operator processes: Lease election and failover, shards by label selector, and the
informer's relist after a watch expires (410 Gone) — all on the real kube-apiserver."""

from __future__ import annotations

import base64
import json
import threading
import urllib.request
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from operatorkit import (
    create_cr,
    install_crd,
    ready,
    service_account,
    start_operator,
    wait_for,
    writes,
)

from specmerge.operator.informer import Informer
from specmerge.operator.kube import Kube

pytestmark = pytest.mark.cluster


def _holder(kube: Any, ns: str, lease: str) -> str | None:
    api = client.CoordinationV1Api(kube.api_client)
    try:
        return api.read_namespaced_lease(lease, ns).spec.holder_identity
    except client.exceptions.ApiException:
        return None


def test_two_replicas_one_writes_and_the_other_takes_over_within_the_lease(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("ha")
    args = ("--namespace", ns, "--airgapped", "--lease-namespace", home, "--lease-seconds", "4", "--resync", "3600")
    kc1, user1 = service_account(kube, home, "op-one", tmp_path)
    kc2, user2 = service_account(kube, home, "op-two", tmp_path)
    one = start_operator(kc1, user1, tmp_path / "one.log", *args, identity="one")
    wait_for(lambda: _holder(kube, home, "specmerge-operator") == "one", 20, "replica one leads")
    two = start_operator(kc2, user2, tmp_path / "two.log", *args, identity="two")
    try:
        create_cr(kube, ns, "first")
        wait_for(lambda: ready(kube, ns, "first"), 90, "first Ready")
        assert writes(kube, user2, ns) == []  # the follower never writes
        assert writes(kube, user1, ns)

        one.kill()  # no release on SIGKILL: the follower must wait the Lease out
        killed = time.monotonic()
        create_cr(kube, ns, "second")
        wait_for(lambda: _holder(kube, home, "specmerge-operator") == "two", 20, "replica two leads")
        assert time.monotonic() - killed < 4 + 6  # lease duration + a few retry periods
        wait_for(lambda: ready(kube, ns, "second"), 90, "second Ready (by replica two)")
        assert ("patch", "weightsandbiases/status", "second") in writes(kube, user2, ns)
        assert [w for w in writes(kube, user2, ns) if w[2] == "first"] == []  # converged: nothing to redo

        two.stop()  # SIGTERM releases the Lease at once
        assert two.process.returncode == 0
        lease = client.CoordinationV1Api(kube.api_client).read_namespaced_lease("specmerge-operator", home)
        assert lease.spec.holder_identity is None and lease.spec.lease_duration_seconds == 1
    finally:
        two.stop()


def test_shards_with_disjoint_selectors_reconcile_only_their_own(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("shard")
    shards = {}
    for shard in ("a", "b"):
        kc, user = service_account(kube, home, f"shard-{shard}", tmp_path)
        shards[shard] = (start_operator(kc, user, tmp_path / f"{shard}.log", "--namespace", ns, "--airgapped",
                                        "--selector", f"shard={shard}", "--lease-namespace", home,
                                        identity=f"shard-{shard}"), user)
    try:
        create_cr(kube, ns, "in-a", labels={"shard": "a"})
        create_cr(kube, ns, "in-b", labels={"shard": "b"})
        wait_for(lambda: ready(kube, ns, "in-a") and ready(kube, ns, "in-b"), 90, "both Ready")
        touched = {shard: {w[2] for w in writes(kube, user, ns) if w[1].startswith("weightsandbiases")}
                   for shard, (_, user) in shards.items()}
        assert touched == {"a": {"in-a"}, "b": {"in-b"}}
        leases = {item.metadata.name for item in
                  client.CoordinationV1Api(kube.api_client).list_namespaced_lease(home).items}
        assert len(leases) == 2  # each shard elects on a Lease of its own
    finally:
        for op, _ in shards.values():
            op.stop()


def _compact_etcd(etcd_url: str) -> None:
    """Compact etcd's history up to its current revision (etcd's own JSON gateway)."""
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(f"{etcd_url}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"})
        return json.loads(urllib.request.urlopen(req, timeout=10).read())

    revision = int(post("/v3/kv/range", {"key": base64.b64encode(b"/").decode()})["header"]["revision"])
    post("/v3/kv/compaction", {"revision": str(revision), "physical": True})


def _event(ns: str, name: str, message: str) -> client.CoreV1Event:
    return client.CoreV1Event(metadata=client.V1ObjectMeta(name=name), reason="Test", message=message,
                              involved_object=client.V1ObjectReference(kind="Pod", name="p", namespace=ns))


def test_a_watch_that_expired_relists_without_missing_an_update(kube) -> None:  # type: ignore[no-untyped-def]
    # core/v1 Events: the one kind the apiserver serves watches of straight from etcd (no watch
    # cache), so compacting etcd's history expires a watch exactly as a long disconnect does.
    ns = kube.namespace("relist")
    kube.core_v1.create_namespaced_event(ns, _event(ns, "before", "v1"))
    seen: list[tuple[str, str, str]] = []
    api = Kube(config.new_client_from_config(config_file=str(kube.kubeconfig)))
    _compact_etcd(kube.cluster.etcd_url)
    informer = Informer(api, f"/api/v1/namespaces/{ns}/events",
                        lambda kind, obj: seen.append((kind, obj["metadata"]["name"], obj.get("message", ""))),
                        name="relist-test", resource_version="1", watch_timeout=30)
    stop = threading.Event()
    thread = threading.Thread(target=informer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: informer.synced.is_set(), 20, "relist after 410")
        assert informer.relists == 1 and ("ADDED", "before", "v1") in seen
        kube.core_v1.patch_namespaced_event("before", ns, {"message": "v2"})
        kube.core_v1.create_namespaced_event(ns, _event(ns, "after", "new"))
        wait_for(lambda: ("MODIFIED", "before", "v2") in seen and ("ADDED", "after", "new") in seen, 20, "updates")
        assert informer.get(ns, "before")["message"] == "v2"  # type: ignore[index]
    finally:
        stop.set()
        api.api_client.close()
