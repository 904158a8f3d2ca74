"""The embedded channels and the examples over the platform chart: well-formed envelopes, no
secrets, valid over the chart defaults, and rendered to the objects each release expects."""

from __future__ import annotations

import json
import re
from typing import Any

import helm_python as helm
import pytest
from jsonschema import Draft202012Validator

from chartkit import (
    EXAMPLES,
    PLATFORM,
    RELEASES,
    REPO,
    SECRET_REFERENCE_KEY,
    SENSITIVE_KEY,
    _channel,
    _errors,
    _fold,
    _kinds,
    _leaves,
    _load_yaml,
    _objects,
    _one,
)


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_envelope(release: str) -> None:
    spec = _channel(release)
    channel, version = release.split("/")
    meta = spec["metadata"]
    assert (meta["channel"], meta["version"]) == (channel, version)
    assert meta["releaseId"].startswith("rel-") and meta["releaseId"].endswith(f"-{channel}-{version}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", meta["publishedAt"])
    assert set(spec) - {"requirements"} == {"metadata", "chart", "values"}  # requirements: optional (preflight)
    assert spec["chart"] == {"path": "charts/platform"}
    assert (REPO / spec["chart"]["path"] / "Chart.yaml").is_file()


def test_channel_release_ids_are_unique() -> None:
    ids = [_channel(r)["metadata"]["releaseId"] for r in RELEASES]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_values_carry_no_secrets(release: str) -> None:
    for pointer, value in _leaves(_channel(release)["values"]).items():
        keys = pointer.strip("/").split("/")
        if any(SENSITIVE_KEY.search(k) and not SECRET_REFERENCE_KEY.search(k) for k in keys):
            pytest.fail(f"{release} carries a secret-looking value at {pointer}")
    assert "license" not in _channel(release)["values"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_release_validates_over_chart_defaults(
    platform: Any, platform_validator: Draft202012Validator, release: str
) -> None:
    merged = platform.merge_values(_channel(release)["values"])
    assert _errors(platform_validator, merged) == []
    report = helm.lint(PLATFORM, _channel(release)["values"], strict=True)
    assert report["errors"] == []


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_release_renders_expected_objects(platform: Any, release: str) -> None:
    spec = _channel(release)
    rendered = platform.render(spec["values"], name="specmerge", namespace="platform")
    kinds = _kinds(rendered)
    expected = RELEASES[release]
    assert kinds["Deployment"] == expected["Deployment"]
    assert kinds["ServiceAccount"] == expected["Deployment"]
    assert kinds["Service"] == 2
    assert kinds["Ingress"] == 1
    assert kinds["ConfigMap"] == 1
    assert kinds["Secret"] == 3
    assert kinds["HorizontalPodAutoscaler"] == expected["HorizontalPodAutoscaler"]
    assert kinds["PodDisruptionBudget"] == expected["PodDisruptionBudget"]

    objects = _objects(rendered)
    app = _one(objects, "Deployment", "specmerge-platform-app")
    image = app["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"specmerge/platform-app:{spec['metadata']['version']}"
    ingress = _one(objects, "Ingress", "specmerge-platform")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    if expected["HorizontalPodAutoscaler"]:
        assert "replicas" not in app["spec"]
    else:
        assert app["spec"]["replicas"] == spec["values"]["app"]["replicaCount"]


def test_stable_062_changes_against_061(platform: Any) -> None:
    old = _channel("stable/0.61.0")["values"]
    new = _channel("stable/0.62.0")["values"]
    old_leaves, new_leaves = _leaves(old), _leaves(new)
    changed = {p for p in old_leaves.keys() & new_leaves.keys() if old_leaves[p] != new_leaves[p]}
    assert {"/app/image/tag", "/app/replicaCount", "/console/image/tag", "/worker/enabled"} <= changed
    assert len(changed) >= 6
    assert "/features/runComparerV2" in new_leaves.keys() - old_leaves.keys()
    assert new_leaves["/features/legacyRunPages"] is None
    removed = old_leaves.keys() - new_leaves.keys()
    assert "/ingress/annotations/nginx.ingress.kubernetes.io~1proxy-read-timeout" in {
        p.replace("nginx.ingress.kubernetes.io/", "nginx.ingress.kubernetes.io~1") for p in removed
    }

    # The list is replaced whole, never merged by index.
    merged_old = platform.merge_values(_fold(old))
    merged_new = platform.merge_values(_fold(old, new))
    assert merged_new["app"]["extraEnv"] == new["app"]["extraEnv"] != merged_old["app"]["extraEnv"]
    # The explicit null retires the chart default in the effective values and in the ConfigMap.
    assert "legacyRunPages" in merged_old["features"]
    assert "legacyRunPages" not in merged_new["features"]
    objects = _objects(platform.render(_fold(old, new), name="specmerge", namespace="platform"))
    flags = json.loads(_one(objects, "ConfigMap", "specmerge-platform-config")["data"]["FEATURE_FLAGS"])
    assert flags == {"artifactsV2": True, "reportsEditorV2": False, "runComparerV2": True}


# ---------------------------------------------------------------- examples


def test_examples_validate_and_render(platform: Any, platform_validator: Draft202012Validator) -> None:
    channel = _channel("stable/0.62.0")["values"]
    user = _load_yaml(EXAMPLES / "user-values.yaml")
    cr = _load_yaml(EXAMPLES / "cr.yaml")
    prod = _load_yaml(EXAMPLES / "env" / "prod.yaml")
    assert (cr["apiVersion"], cr["kind"]) == ("apps.wandb.com/v1", "WeightsAndBiases")
    assert (cr["metadata"]["name"], cr["metadata"]["namespace"]) == ("demo", "platform")
    assert cr["spec"]["chart"] == {"path": "charts/platform"}

    for layers in ([channel, user], [channel, user, cr["spec"]["values"]], [channel, prod]):
        values = _fold(*layers)
        assert _errors(platform_validator, platform.merge_values(values)) == []
        platform.render(values, name="demo", namespace="platform")

    with_cr = _objects(
        platform.render(_fold(channel, user, cr["spec"]["values"]), name="demo", namespace="platform")
    )
    assert sorted(o["metadata"]["name"] for o in with_cr if o["kind"] == "Secret") == [
        "demo-platform-license",
        "demo-platform-mysql",
    ]
    prod_objects = _objects(platform.render(_fold(channel, prod), name="demo", namespace="platform"))
    assert not [o for o in prod_objects if o["kind"] == "Secret"]
    app = _one(prod_objects, "Deployment", "demo-platform-app")
    image = app["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("registry.prod.example.com/mirror/")
