"""The preflight rule, pure: requirements x cluster facts x effective values -> rows."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmerge.channels import load_embedded, parse_channel_spec
from specmerge.channels.spec import ChannelSpecError
from specmerge.preflight import (
    ClassFacts,
    ClusterFacts,
    NodeFacts,
    Requirements,
    RequirementsError,
    evaluate,
    format_cpu,
    format_memory,
)
from specmerge.preflight.model import parse_quantity

GI = Decimal(2**30)


def node(name: str, cpu: str = "4", memory: str = "16Gi", ready: bool = True, schedulable: bool = True) -> NodeFacts:
    return NodeFacts(name, ready, schedulable, parse_quantity(cpu, "t"), parse_quantity(memory, "t"))


def rows(report: Any) -> dict[str, tuple[str, str, bool]]:
    return {r.check: (r.required, r.found, r.ok) for r in report.results}


VENDOR = Requirements.parse({
    "kubernetesVersion": ">=1.21.0",
    "minNodes": 3,
    "perNode": {"cpu": "2", "memory": "4Gi"},
    "total": {"cpu": "3900m", "memory": "15Gi"},
})


def test_quantities_are_read_as_kubernetes_does() -> None:
    assert parse_quantity("3900m", "x") == Decimal("3.9")
    assert parse_quantity("15Gi", "x") == 15 * GI
    assert parse_quantity("4G", "x") == Decimal(4 * 10**9)
    assert (format_cpu(Decimal("3.9")), format_cpu(Decimal(4)), format_cpu(Decimal("0.25"))) == ("3.9", "4", "0.25")
    assert (format_memory(15 * GI), format_memory(Decimal(4023 * 2**20)), format_memory(Decimal(512 * 2**20))) == (
        "15Gi", "3.9Gi", "512Mi")
    with pytest.raises(RequirementsError, match=r"requirements.total.memory: .*lots"):
        Requirements.parse({"total": {"memory": "lots"}})


def test_too_few_nodes_is_unmet_with_the_numbers() -> None:
    facts = ClusterFacts("v1.36.3", (node("a", "2", "8Gi"), node("b", "2", "8Gi")))
    report = evaluate(VENDOR, facts, {})
    assert not report.ok
    got = rows(report)
    assert got["nodes"] == (">= 3 Ready, schedulable with 2 cpu, 4Gi memory each", "2 of 2", False)
    assert got["cpu total"] == (">= 3.9", "4 on 2 Ready, schedulable node(s)", True)
    assert got["memory total"] == (">= 15Gi", "16Gi on 2 Ready, schedulable node(s)", True)
    # both nodes are big enough: only the count is short
    assert got["cpu per node"] == (">= 2 on 3 node(s)", "2 of 2 Ready, schedulable nodes (smallest: a 2)", True)
    assert got["kubernetes version"] == (">=1.21.0", "v1.36.3", True)
    assert [r.check for r in report.unmet] == ["nodes"]


def test_enough_nodes_meet_every_check() -> None:
    facts = ClusterFacts("v1.36.3", tuple(node(n, "2", "8Gi") for n in "abc"))
    report = evaluate(VENDOR, facts, {})
    assert report.ok, report.unmet
    assert rows(report)["nodes"][1] == "3 of 3"


def test_not_ready_and_cordoned_nodes_do_not_count() -> None:
    facts = ClusterFacts("v1.36.3", (
        node("a", "8", "32Gi"), node("b", "8", "32Gi"),
        node("c", "8", "32Gi", ready=False), node("d", "8", "32Gi", schedulable=False),
    ))
    got = rows(evaluate(VENDOR, facts, {}))
    assert got["nodes"] == (got["nodes"][0], "2 of 4 (not counted: c NotReady, d cordoned)", False)
    assert got["cpu total"] == (">= 3.9", "16 on 2 Ready, schedulable node(s) (not counted: c NotReady, d cordoned)", True)


def test_a_node_below_the_per_node_minimum_is_named() -> None:
    facts = ClusterFacts("v1.36.3", (node("a", "2", "8Gi"), node("b", "2", "8Gi"), node("small", "1500m", "2Gi")))
    got = rows(evaluate(VENDOR, facts, {}))
    assert got["nodes"][1:] == ("2 of 3 (not counted: small cpu 1.5 < 2; memory 2Gi < 4Gi)", False)
    assert got["memory per node"] == (">= 4Gi on 3 node(s)", "2 of 3 Ready, schedulable nodes (smallest: small 2Gi)",
                                      False)


def test_kubernetes_version_range() -> None:
    req = Requirements.parse({"kubernetesVersion": ">=1.27.0 <1.36.0"})
    assert not evaluate(req, ClusterFacts("v1.36.3"), {}).ok
    assert evaluate(req, ClusterFacts("v1.35.2-eks-1234"), {}).ok  # a vendor suffix is not a pre-release
    assert not evaluate(req, ClusterFacts("v1.26.9"), {}).ok
    assert rows(evaluate(req, ClusterFacts(""), {}))["kubernetes version"] == (">=1.27.0 <1.36.0", "unknown", False)


def test_api_groups_and_crds() -> None:
    req = Requirements.parse({"apiGroups": ["networking.k8s.io/v1", "batch", "policy/v1beta1"],
                              "crds": ["certificates.cert-manager.io", "widgets.example.com"]})
    facts = ClusterFacts("v1.36.3", group_versions=frozenset({"v1", "networking.k8s.io/v1", "batch/v1"}),
                         resources=frozenset({"certificates.cert-manager.io", "deployments.apps"}))
    got = rows(evaluate(req, facts, {}))
    assert got["api networking.k8s.io/v1"] == ("served", "networking.k8s.io/v1", True)
    assert got["api batch"] == ("served", "batch/v1", True)
    assert got["api policy/v1beta1"] == ("served", "not served", False)
    assert got["crd certificates.cert-manager.io"][2] is True
    assert got["crd widgets.example.com"] == ("installed", "not found", False)


INGRESS = Requirements.parse({
    "ingressClass": {"enabledValue": "ingress.enabled", "classNameValue": "ingress.className"},
    "defaultStorageClass": {"enabledValue": "persistence.enabled", "classNameValue": "persistence.storageClass"},
})


def test_an_ingress_class_only_when_ingress_is_enabled() -> None:
    none = ClusterFacts("v1.36.3")
    assert evaluate(INGRESS, none, {"ingress": {"enabled": False}}).results == ()
    got = rows(evaluate(INGRESS, none, {"ingress": {"enabled": True, "className": ""}}))
    assert got["ingress class"] == ("a default IngressClass (ingress.enabled is true)", "none", False)
    classes = replace(none, ingress_classes=(ClassFacts("nginx", False), ClassFacts("traefik", True)))
    assert rows(evaluate(INGRESS, classes, {"ingress": {"enabled": True}}))["ingress class"][1:] == (
        "nginx, traefik (default)", True)
    named = rows(evaluate(INGRESS, classes, {"ingress": {"enabled": True, "className": "haproxy"}}))
    assert named["ingress class"] == ("IngressClass haproxy (ingress.className)", "nginx, traefik (default)", False)


def test_a_default_storage_class_when_persistence_is_on() -> None:
    facts = ClusterFacts("v1.36.3", storage_classes=(ClassFacts("standard", False),))
    values = {"persistence": {"enabled": True}}
    assert rows(evaluate(INGRESS, facts, values))["storage class"][2] is False
    assert evaluate(INGRESS, replace(facts, storage_classes=(ClassFacts("standard", True),)), values).ok
    assert evaluate(INGRESS, facts, {"persistence": {"enabled": True, "storageClass": "standard"}}).ok


PROFILES = Requirements.parse({
    "kubernetesVersion": ">=1.21.0",
    "defaultProfile": "production",
    "profiles": {"production": {"total": {"cpu": "12"}}, "dev": {"total": {"cpu": "2"}}},
})


def test_the_profile_is_chosen_by_a_value() -> None:
    facts = ClusterFacts("v1.36.3", (node("a", "4"),))
    production = evaluate(PROFILES, facts, {})
    assert (production.profile, production.ok) == ("production", False)
    assert rows(production)["cpu total"][0] == ">= 12"
    dev = evaluate(PROFILES, facts, {"_profile": "dev"})
    assert (dev.profile, dev.ok) == ("dev", True)
    assert evaluate(PROFILES, facts, {"_profile": "dev"}, profile="production").profile == "production"
    unknown = evaluate(PROFILES, facts, {"_profile": "huge"})
    assert [r.to_dict() for r in unknown.results] == [
        {"check": "profile", "required": "one of: dev, production", "found": "huge", "ok": False}]


def test_bad_requirements_name_the_key() -> None:
    with pytest.raises(RequirementsError, match=r"requirements.profiles.dev.minNodes"):
        Requirements.parse({"profiles": {"dev": {"minNodes": -1}}})
    with pytest.raises(RequirementsError, match=r"requirements.kubernetesVersion"):
        Requirements.parse({"kubernetesVersion": ">=one"})
    with pytest.raises(RequirementsError, match=r"defaultProfile: 'prod' is not one of"):
        Requirements.parse({"defaultProfile": "prod", "profiles": {"production": {}}})


def test_the_channel_spec_carries_requirements() -> None:
    beta = load_embedded("beta")
    assert beta.requirements is not None
    req = Requirements.parse(beta.requirements)
    assert req.resolve("production").min_nodes == 3 and req.resolve("dev").min_nodes == 1
    again = parse_channel_spec(beta.canonical_json(), "roundtrip")
    assert again.requirements == beta.requirements and again.digest() == beta.digest()
    stable = load_embedded("stable")
    assert stable.requirements is None and "requirements" not in stable.to_dict()
    doc = beta.to_dict()
    doc["requirements"]["minNodes"] = "three"
    with pytest.raises(ChannelSpecError, match=r"/requirements/minNodes"):
        parse_channel_spec(doc, "bad")


# ---- laws --------------------------------------------------------------------------------------

cpu = st.integers(min_value=0, max_value=64_000).map(lambda m: f"{m}m")
mem = st.integers(min_value=0, max_value=256).map(lambda g: f"{g}Gi")
nodes_st = st.lists(
    st.builds(node, st.uuids().map(lambda u: u.hex[:6]), cpu, mem, st.booleans(), st.booleans()), max_size=6
)


@given(nodes_st, cpu, mem)
def test_an_ineligible_node_changes_no_result(nodes: list[NodeFacts], c: str, m: str) -> None:
    base = ClusterFacts("v1.36.3", tuple(nodes))
    before = [r.ok for r in evaluate(VENDOR, base, {}).results]
    for extra in (node("zz-down", c, m, ready=False), node("zz-cordoned", c, m, schedulable=False)):
        assert [r.ok for r in evaluate(VENDOR, replace(base, nodes=base.nodes + (extra,)), {}).results] == before


@given(nodes_st, st.integers(min_value=0, max_value=5))
def test_more_capacity_never_turns_a_met_check_unmet(nodes: list[NodeFacts], which: int) -> None:
    base = ClusterFacts("v1.36.3", tuple(nodes))
    before = evaluate(VENDOR, base, {})
    grown = list(nodes)
    if grown:
        n = grown[which % len(grown)]
        grown[which % len(grown)] = replace(n, cpu=n.cpu * 2 + 1, memory=n.memory * 2 + GI)
    after = evaluate(VENDOR, replace(base, nodes=tuple(grown)), {})
    for b, a in zip(before.results, after.results, strict=True):
        assert a.ok or not b.ok, (b, a)


def test_the_cli_table_marks_unmet_rows() -> None:
    from specmerge.cli.preflight_cmd import table

    facts = ClusterFacts("v1.36.3", (node("a", "2", "8Gi"),))
    text = table(evaluate(PROFILES, facts, {}))
    assert text.splitlines() == [
        "CHECK               REQUIRED  FOUND                              OK",
        "kubernetes version  >=1.21.0  v1.36.3                            yes",
        "cpu total           >= 12     2 on 1 Ready, schedulable node(s)  NO",
        "1 requirement(s) unmet (profile production)",
    ]


def test_unknown_keys_are_refused_with_the_known_ones() -> None:
    with pytest.raises(RequirementsError, match=r"requirements: unknown key\(s\) minNode \(known: kubernetesVersion"):
        Requirements.parse({"minNode": 3})
    with pytest.raises(RequirementsError, match=r"requirements.profiles.dev: unknown key\(s\) cpu"):
        Requirements.parse({"profiles": {"dev": {"cpu": "2"}}})
