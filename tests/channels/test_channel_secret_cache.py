"""The ``<name>-latest-cached-release`` Secret backend against the real kube-apiserver."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from kubernetes.client import V1ObjectMeta, V1Secret

from specmerge.channels import load_embedded
from specmerge.channels.cache import CacheEntry, CacheError
from specmerge.channels.resolve import ChannelRequest, Resolver
from specmerge.instances.channel_cache import OwnerRef, SecretCache

pytestmark = pytest.mark.cluster


def decoded(secret: Any, key: str) -> Any:
    return json.loads(base64.b64decode(secret.data[key]))


def test_round_trip_in_the_reference_layout(kube: Any) -> None:
    ns = kube.namespace("chan")
    cache = SecretCache(kube.core_v1, ns, "demo")
    assert cache.load("stable") is None
    entry = CacheEntry.now(load_embedded("stable", "0.61.0"), '"e1"', "https://channels.example.com/api")
    cache.store(entry)
    assert cache.load("stable") == entry
    secret = kube.core_v1.read_namespaced_secret("demo-latest-cached-release", ns)
    assert sorted(secret.data) == ["chart", "metadata", "values"]
    spec = entry.spec.to_dict()
    assert {k: decoded(secret, k) for k in secret.data} == spec
    newer = CacheEntry.now(load_embedded("stable", "0.62.0"), '"e2"', "https://channels.example.com/api")
    cache.store(newer)  # an update of the existing Secret
    assert cache.load("stable") == newer


def test_owner_reference_to_the_cr(kube: Any) -> None:
    ns = kube.namespace("chan")
    owner_cm = kube.core_v1.create_namespaced_config_map(ns, {"metadata": {"name": "stand-in-cr"}})
    owner = OwnerRef("v1", "ConfigMap", "stand-in-cr", owner_cm.metadata.uid)
    SecretCache(kube.core_v1, ns, "demo", owner).store(CacheEntry.now(load_embedded(), None, "x"))
    refs = kube.core_v1.read_namespaced_secret("demo-latest-cached-release", ns).metadata.owner_references
    assert [(r.kind, r.name, r.uid, r.controller) for r in refs] == [("ConfigMap", "stand-in-cr", owner.uid, True)]
    SecretCache(kube.core_v1, ns, "demo").store(CacheEntry.now(load_embedded("beta"), None, "x"))
    refs = kube.core_v1.read_namespaced_secret("demo-latest-cached-release", ns).metadata.owner_references
    assert refs and refs[0].uid == owner.uid  # an update without an owner keeps the existing one


def test_concurrent_change_is_a_conflict_not_an_overwrite(kube: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ns = kube.namespace("chan")
    cache = SecretCache(kube.core_v1, ns, "demo")
    cache.store(CacheEntry.now(load_embedded("stable", "0.61.0"), None, "x"))
    real_read = cache._read

    def read_then_someone_writes() -> Any:
        seen = real_read()
        other = SecretCache(kube.core_v1, ns, "demo")
        other.store(CacheEntry.now(load_embedded("beta"), None, "other writer"))
        return seen

    monkeypatch.setattr(cache, "_read", read_then_someone_writes)
    with pytest.raises(CacheError, match="resourceVersion conflict"):
        cache.store(CacheEntry.now(load_embedded("stable", "0.62.0"), None, "x"))
    monkeypatch.undo()
    held = cache.load("stable")
    assert held is not None and held.spec.channel == "beta"  # the other writer's entry survived


def test_invalid_secret_is_reported_and_resolution_falls_back(kube: Any) -> None:
    ns = kube.namespace("chan")
    bad = {"values": "{}", "chart": '{"path": "x"}', "metadata": '{"channel": "stable"}'}
    kube.core_v1.create_namespaced_secret(
        ns, V1Secret(metadata=V1ObjectMeta(name="demo-latest-cached-release"), string_data=bad)
    )
    cache = SecretCache(kube.core_v1, ns, "demo")
    with pytest.raises(CacheError, match=f"secret:{ns}/demo-latest-cached-release: not a valid channel spec"):
        cache.load("stable")
    result = Resolver(None, cache).resolve(ChannelRequest("stable"))
    assert result.source == "embedded" and "cache unusable" in (result.reason or "")


def test_pinned_release_not_answered_by_the_secret_of_another(kube: Any) -> None:
    ns = kube.namespace("chan")
    cache = SecretCache(kube.core_v1, ns, "demo")
    cache.store(CacheEntry.now(load_embedded("stable", "0.61.0"), None, "x"))
    result = Resolver(None, cache).resolve(ChannelRequest("stable", "0.62.0"))
    assert (result.source, result.version) == ("embedded", "0.62.0")
    assert Resolver(None, cache).resolve(ChannelRequest("stable", "0.61.0")).source == "cache"
