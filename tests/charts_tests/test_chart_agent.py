"""The agent-shaped test chart (tests/charts/agent) and its per-environment overlays: they lint,
validate against its schema and render with Helm's engine to the objects we expect."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import helm_python as helm
import pytest
import yaml
from jsonschema import Draft202012Validator

from chartkit import (
    AGENT,
    AGENT_ENVS,
    AGENT_WRITE_ONLY,
    _container_env,
    _errors,
    _load_yaml,
    _objects,
    _one,
    check_secrets_write_only,
)


def test_chart_lints_clean() -> None:
    report = helm.lint(AGENT, strict=True)
    assert report["errors"] == []
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == []


def test_agent_metadata_and_size(agent: Any) -> None:
    assert (agent.name, agent.version) == ("mlops-agent", "0.9.0")
    assert 6 <= len(agent.templates) <= 10


def test_every_secret_in_schema_is_write_only() -> None:
    check_secrets_write_only(AGENT / "values.schema.json", AGENT_WRITE_ONLY)




@pytest.mark.parametrize("env", AGENT_ENVS)
def test_agent_overlay_lints_validates_and_renders(
    agent: Any, agent_validator: Draft202012Validator, env: str
) -> None:
    overlay = _load_yaml(AGENT / "examples" / f"{env}_values.yaml")
    report = helm.lint(AGENT, overlay, strict=True)
    assert report["errors"] == [] and not [m for m in report["messages"] if m["severity"] >= 2]
    merged = agent.merge_values(overlay)
    assert _errors(agent_validator, merged) == []

    objects = _objects(agent.render(overlay, name="agent", namespace="mlops"))
    kinds = Counter(o["kind"] for o in objects)
    assert kinds["Deployment"] == kinds["ServiceAccount"] == kinds["ConfigMap"] == 1
    assert kinds["Role"] == kinds["RoleBinding"] == 1
    assert kinds["Secret"] == (0 if overlay.get("agent", {}).get("existingSecret") else 1)

    deployment = _one(objects, "Deployment", "agent-mlops-agent")
    assert deployment["spec"]["replicas"] == overlay.get("replicaCount", 1)
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":" + overlay["image"]["tag"])

    # The overlay's queue list replaces the default one: nothing of ["default"] survives.
    config = yaml.safe_load(_one(objects, "ConfigMap", "agent-mlops-agent")["data"]["agent.yaml"])
    assert config["queues"] == overlay["agent"]["queues"]
    assert "default" not in config["queues"]
    assert config["logLevel"] == overlay["agent"]["logLevel"]

    env_vars = _container_env(deployment)
    no_proxy = overlay.get("proxy", {}).get("noProxy", agent.values["proxy"]["noProxy"])
    assert env_vars["NO_PROXY"]["value"] == ",".join(no_proxy)
    assert ("HTTPS_PROXY" in env_vars) == bool(overlay.get("proxy", {}).get("https"))


def test_agent_overlays_differ_from_each_other() -> None:
    overlays = {env: _load_yaml(AGENT / "examples" / f"{env}_values.yaml") for env in AGENT_ENVS}
    for field in (("agent", "logLevel"), ("agent", "queues"), ("image", "tag")):
        seen = [overlays[env][field[0]][field[1]] for env in AGENT_ENVS]
        assert len({json.dumps(v) for v in seen}) >= 2, field
    assert overlays["prod"]["replicaCount"] > overlays["staging"]["replicaCount"] > 1
