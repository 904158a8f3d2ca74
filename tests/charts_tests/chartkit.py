"""Helpers and fixtures for the chart tests (tests/charts_tests): the bundled platform chart,
the agent-shaped test chart (tests/charts/agent), the embedded channels and the examples.

Values are composed with Helm's own coalesce (``Chart.merge_values``), so an
explicit null in a higher layer deletes the chart default, as it does in Helm.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "charts" / "platform"
AGENT = REPO / "tests" / "charts" / "agent"
CHANNELS = REPO / "channels"
EXAMPLES = REPO / "examples"

RELEASES = {
    "stable/0.61.0": {"Deployment": 2, "HorizontalPodAutoscaler": 0, "PodDisruptionBudget": 1},
    "stable/0.62.0": {"Deployment": 3, "HorizontalPodAutoscaler": 0, "PodDisruptionBudget": 1},
    "beta/0.63.0-beta.1": {"Deployment": 3, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 2},
}
AGENT_ENVS = ["dev", "staging", "prod"]

# design.md §5: sensitive when the whole key or its suffix matches one of these.
SENSITIVE_KEY = re.compile(
    r"(password|secret|secretkey|accesskey|token|apikey|license|privatekey|credentials)$",
    re.IGNORECASE,
)
# Keys that name a Secret rather than hold one.
SECRET_REFERENCE_KEY = re.compile(r"existingSecret$")

PLATFORM_WRITE_ONLY = {
    "/license/value",
    "/mysql/password",
    "/bucket/accessKey",
    "/bucket/secretKey",
}
AGENT_WRITE_ONLY = {"/agent/apiToken"}


# ---------------------------------------------------------------- helpers


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _channel(release: str) -> dict[str, Any]:
    spec: dict[str, Any] = _load_json(CHANNELS / f"{release}.json")
    return spec


def _fold(*layers: dict[str, Any]) -> dict[str, Any]:
    """Layers lowest first, merged as Helm merges -f files: maps key by key,
    anything else replaced whole, and an explicit null kept, so that Helm's
    coalesce with the chart defaults deletes that key (as `-f` + null does)."""
    effective: dict[str, Any] = {}
    for layer in layers:
        effective = _overlay(effective, layer)
    return effective


def _overlay(lower: dict[str, Any], higher: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(lower)
    for key, value in higher.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overlay(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _objects(rendered: dict[str, str]) -> list[dict[str, Any]]:
    docs = []
    for name, text in sorted(rendered.items()):
        if name.endswith("NOTES.txt"):
            continue
        docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def _kinds(rendered: dict[str, str]) -> Counter[str]:
    return Counter(obj["kind"] for obj in _objects(rendered))


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, got {len(found)}"
    return found[0]


def _leaves(value: Any, pointer: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(_leaves(child, f"{pointer}/{key}"))
        return out
    return {pointer: value}


def _schema_nodes(node: Any, pointer: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    """(values pointer, key, schema node) for every named property, $defs included."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if not isinstance(node, dict):
        return found
    for key, child in node.get("properties", {}).items():
        found.append((f"{pointer}/{key}", key, child))
        found.extend(_schema_nodes(child, f"{pointer}/{key}"))
    for key, child in node.get("$defs", {}).items():
        found.extend(_schema_nodes(child, f"#/$defs/{key}"))
    return found


def _container_env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def platform() -> Any:
    with helm.Chart.load(PLATFORM) as chart:
        yield chart


@pytest.fixture(scope="module")
def agent() -> Any:
    with helm.Chart.load(AGENT) as chart:
        yield chart


@pytest.fixture(scope="module")
def platform_schema() -> dict[str, Any]:
    schema: dict[str, Any] = _load_json(PLATFORM / "values.schema.json")
    return schema


@pytest.fixture(scope="module")
def platform_validator(platform_schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(platform_schema)
    return Draft202012Validator(platform_schema)


@pytest.fixture(scope="module")
def agent_validator() -> Draft202012Validator:
    schema = _load_json(AGENT / "values.schema.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, values: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(values)]


# ---------------------------------------------------------------- lint & metadata


def check_secrets_write_only(schema_path: Path, expected: set[str]) -> None:
    """Exactly ``expected`` is ``writeOnly`` in the schema, every secret-looking string key is,
    and no key that names a Secret is."""
    nodes = _schema_nodes(_load_json(schema_path))
    write_only = {pointer for pointer, _, node in nodes if node.get("writeOnly") is True}
    assert write_only == expected
    for pointer, key, node in nodes:
        holds_secret = node.get("type") == "string" and not SECRET_REFERENCE_KEY.search(key)
        if holds_secret and SENSITIVE_KEY.search(key):
            assert node.get("writeOnly") is True, f"{pointer} looks secret but is not writeOnly"
        if SECRET_REFERENCE_KEY.search(key):
            assert "writeOnly" not in node, f"{pointer} names a Secret; it is not one"
