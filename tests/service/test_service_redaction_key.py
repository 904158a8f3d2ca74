"""The per-installation redaction key kept in a Kubernetes Secret (design.md §5), against the
real kube-apiserver: created once, read back by every replica, agreed on when two race to
create it, and a clear error when RBAC forbids it."""

from __future__ import annotations

import base64
import threading

import pytest
from kubernetes import client

from specmerge.keys import SECRET_NAME, RedactionKeyError, SecretKey

pytestmark = pytest.mark.cluster


def test_key_secret_is_created_once_and_shared(kube) -> None:  # type: ignore[no-untyped-def]
    ns = kube.namespace("rkey")
    first = SecretKey(kube.core_v1, ns)()
    assert len(first) == 32
    assert SecretKey(kube.core_v1, ns)() == first  # a second replica reads it
    stored = kube.core_v1.read_namespaced_secret(SECRET_NAME, ns)
    assert base64.b64decode(stored.data["key"]) == first and stored.type == "Opaque"


def test_replicas_racing_to_create_the_key_agree(kube) -> None:  # type: ignore[no-untyped-def]
    ns = kube.namespace("rkey-race")
    keys: list[bytes] = []
    barrier = threading.Barrier(4)

    def replica() -> None:
        barrier.wait()
        keys.append(SecretKey(kube.core_v1, ns)())

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 4 and len(set(keys)) == 1


def test_a_forbidden_or_broken_key_secret_is_a_clear_error(kube) -> None:  # type: ignore[no-untyped-def]
    ns = kube.namespace("rkey-bad")
    kube.core_v1.create_namespaced_secret(ns, client.V1Secret(
        metadata=client.V1ObjectMeta(name=SECRET_NAME), data={"key": base64.b64encode(b"short").decode()}))
    with pytest.raises(RedactionKeyError, match=f"Secret {ns}/{SECRET_NAME} has no 'key' of 16\\+ bytes"):
        SecretKey(kube.core_v1, ns)()
    with pytest.raises(RedactionKeyError, match="redaction key Secret no-such-namespace-x/"):
        SecretKey(kube.core_v1, "no-such-namespace-x")()
