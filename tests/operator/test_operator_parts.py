"""The operator's parts that need no cluster: work queue, Helm release state, status, digest."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

from specmerge.channels import Resolver
from specmerge.instances import CrKind, channel_request, encode_parts, instance_from_objects, plan_inputs
from specmerge.operator.release import release_state
from specmerge.operator.reconcile import spec_digest
from specmerge.operator.status import Condition, Outcome, desired_status, transitions
from specmerge.operator.workqueue import WorkQueue
from specmerge.pipeline import plan


def test_one_key_is_never_in_two_workers_and_adds_while_busy_run_again() -> None:
    queue = WorkQueue()
    busy: Counter[str] = Counter()
    overlaps: list[str] = []
    done: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        while (key := queue.get(timeout=1.0)) is not None:
            with lock:
                busy[key] += 1
                if busy[key] > 1:
                    overlaps.append(key)
            time.sleep(0.002)
            with lock:
                busy[key] -= 1
                done[key] += 1
            queue.done(key)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(400):
        queue.add(f"ns/k{i % 3}")
    for t in threads:
        t.join()
    assert overlaps == []
    assert set(done) == {"ns/k0", "ns/k1", "ns/k2"}
    assert all(n < 400 / 3 for n in done.values())  # adds of a queued key collapse into one


def test_backoff_doubles_with_jitter_caps_and_resets() -> None:
    queue = WorkQueue(base=1.0, cap=8.0, rng=random.Random(1))
    waits = [queue.backoff("a") for _ in range(6)]
    assert all(0.8 * min(8, 2**n) <= w <= 1.2 * min(8, 2**n) for n, w in enumerate(waits))
    assert queue.failures("a") == 6
    queue.forget("a")
    assert queue.failures("a") == 0 and queue.backoff("a") <= 1.2
    queue.add_after("b", 0.05)
    assert queue.get(timeout=0.01) is None
    assert queue.get(timeout=1.0) == "b"


def _helm_secret(name: str, version: int, status: str, digest: str | None = None, ns: str = "ns") -> dict:
    labels = {"owner": "helm", "name": name, "version": str(version), "status": status}
    if digest:
        labels["specmerge.io/digest"] = digest
    return {"metadata": {"namespace": ns, "name": f"sh.helm.release.v1.{name}.v{version}", "labels": labels}}


def test_release_state_from_metadata() -> None:
    secrets = [_helm_secret("demo", 1, "superseded", "d1"), _helm_secret("demo", 3, "pending-upgrade", "d3"),
               _helm_secret("demo", 2, "deployed", "d2"), _helm_secret("other", 9, "deployed"),
               _helm_secret("demo", 7, "deployed", ns="elsewhere")]
    state = release_state(secrets, "ns", "demo")
    assert state is not None and (state.revision, state.status, state.digest, state.previous_good) == (
        3, "pending-upgrade", "d3", 2)
    assert state.previous_digest == "d2"  # what a rollback to revision 2 will carry
    assert state.pending and not state.deployed
    assert release_state(secrets, "ns", "absent") is None


def test_status_keeps_transition_times_so_a_repeat_is_identical() -> None:
    outcome = Outcome("Deployed", (Condition("Ready", True, "ReleaseDeployed", "revision 1"),), "0.62.0", "d", "d")
    first = desired_status(None, 1, outcome)
    again = desired_status(first, 1, outcome)
    assert again == first  # nothing new: the operator writes nothing
    assert transitions(None, first)[0]["type"] == "Ready"
    assert transitions(first, again) == []
    flipped = desired_status(first, 2, Outcome("Stalled", (Condition("Ready", False, "ValidationFailed", "x"),)))
    assert [c["status"] for c in transitions(first, flipped)] == ["False"]
    assert flipped["lastAppliedDigest"] == "d" and flipped["observedGeneration"] == 2  # carried over


def test_digest_moves_with_a_secret_but_never_shows_it() -> None:
    def digest(password: str) -> str:
        user = encode_parts({"values": {"mysql": {"password": password}}})
        inst = instance_from_objects(CrKind(), "ns", "demo", {"spec": {}}, user)
        p = plan(plan_inputs(inst, Resolver().resolve(channel_request(inst)).spec, offline=True))
        return spec_digest(p, "ns", "demo")

    a, b = digest("correct-horse-battery"), digest("correct-horse-battery-2")
    assert a != b and len(a) == 40 and a == digest("correct-horse-battery")


def test_informer_index_follows_adds_updates_and_deletes() -> None:
    from specmerge.operator.controller import release_key
    from specmerge.operator.informer import Informer

    informer = Informer(None, "/x", lambda kind, obj: None, name="t", index=release_key)  # type: ignore[arg-type]
    v1 = _helm_secret("demo", 1, "deployed")
    informer._apply("ADDED", v1)
    informer._apply("ADDED", _helm_secret("other", 1, "deployed"))
    assert [o["metadata"]["name"] for o in informer.indexed("ns/demo")] == ["sh.helm.release.v1.demo.v1"]
    informer._apply("MODIFIED", _helm_secret("demo", 1, "superseded"))
    assert informer.indexed("ns/demo")[0]["metadata"]["labels"]["status"] == "superseded"
    informer._apply("DELETED", v1)
    assert informer.indexed("ns/demo") == [] and len(informer.indexed("ns/other")) == 1
