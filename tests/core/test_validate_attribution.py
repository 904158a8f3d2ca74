"""Violations name the layer and, for file layers, the file and line of the bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from specmerge.core import Layer, SchemaError, file_layer, layer_from_values, merge, validate

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["app", "mysql"],
    "properties": {
        "app": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "replicas": {"type": "integer", "minimum": 1},
                "image": {"type": "object", "properties": {"tag": {"type": "string"}}},
                "env": {"type": "array", "items": {"type": "object", "required": ["name"]}},
            },
        },
        "mysql": {
            "type": "object",
            "required": ["host"],
            "properties": {"host": {"type": "string"}, "password": {"type": "string", "writeOnly": True}},
        },
    },
}


def _layers(tmp_path: Path, bad_in: str) -> list[Layer]:
    """chart (file) < channel (memory) < user (file) < cr (memory); ``bad_in`` sets replicas=0."""
    chart = tmp_path / "values.yaml"
    chart.write_text("app:\n  replicas: 1\n  image:\n    tag: '1.0'\nmysql:\n  host: db\n")
    user = tmp_path / "user.yaml"
    user.write_text("# console values\napp:\n  image:\n    tag: '1.1'\n")
    if bad_in == "chart":
        chart.write_text("app:\n  replicas: 0\n  image:\n    tag: '1.0'\nmysql:\n  host: db\n")
    if bad_in == "user":
        user.write_text("# console values\napp:\n  image:\n    tag: '1.1'\n  replicas: 0\n")
    channel = {"app": {"replicas": 0 if bad_in == "channel" else 2}} if bad_in != "chart" else {}
    cr = {"app": {"replicas": 0}} if bad_in == "cr" else {}
    return [
        file_layer(chart, "chart", display="charts/platform/values.yaml"),
        layer_from_values("channel", "channel:stable@0.62.0", channel),
        file_layer(user, "user", display="user.yaml"),
        layer_from_values("cr", "cr:ns/demo", cr),
    ]


@pytest.mark.parametrize(
    ("bad_in", "source"),
    [
        ("chart", "file:charts/platform/values.yaml:2:3"),
        ("channel", "channel:stable@0.62.0"),
        ("user", "file:user.yaml:5:3"),
        ("cr", "cr:ns/demo"),
    ],
)
def test_invalid_value_is_attributed_to_the_layer_that_supplied_it(
    tmp_path: Path, bad_in: str, source: str
) -> None:
    (v,) = validate(merge(_layers(tmp_path, bad_in)), SCHEMA)
    assert (v.pointer, v.keyword, v.layer, v.source) == ("/app/replicas", "minimum", bad_in, source)
    assert "0 is less than the minimum of 1" in v.message
    assert v.describe() == f"app.replicas: {v.message} (from {bad_in} {source})"


def test_all_violations_reported_at_once_with_unknown_keys_at_the_key(tmp_path: Path) -> None:
    user = tmp_path / "u.yaml"
    user.write_text("app:\n  replicas: many\n  replicsa: 3\n  env:\n    - value: x\nmysql: {}\ntypo: 1\n")
    violations = validate(merge([file_layer(user, "user", display="u.yaml")]), SCHEMA)
    got = {(v.pointer, v.keyword, v.source) for v in violations}
    assert got == {
        ("/app/replicas", "type", "file:u.yaml:2:3"),
        ("/app/replicsa", "additionalProperties", "file:u.yaml:3:3"),
        ("/app/env/0/name", "required", None),
        ("/mysql/host", "required", None),
        ("/typo", "additionalProperties", "file:u.yaml:7:1"),
    }


def test_missing_required_key_lists_the_layers_consulted(tmp_path: Path) -> None:
    layers = [
        layer_from_values("chart", "chart:platform@1.4.0/values.yaml", {"app": {}}),
        layer_from_values("channel", "channel:stable@0.62.0", {}),
        layer_from_values("user", "secret:ns/demo-spec-user#values", {}),
    ]
    (v,) = validate(merge(layers), SCHEMA)
    assert v.pointer == "/mysql" and v.keyword == "required"
    assert v.consulted == (
        "chart (chart:platform@1.4.0/values.yaml)",
        "channel (channel:stable@0.62.0)",
        "user (secret:ns/demo-spec-user#values)",
    )
    assert "not set by any of: chart" in v.describe()


def test_violation_inside_a_list_points_at_the_list_item_line(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"app": {"type": "object", "properties": {
        "env": {"type": "array", "items": {"type": "object", "properties": {"value": {"type": "string"}}}}}}}}
    user = tmp_path / "u.yaml"
    user.write_text("app:\n  env:\n    - name: A\n      value: ok\n    - name: B\n      value: 3\n")
    (v,) = validate(merge([file_layer(user, "user", display="u.yaml")]), schema)
    assert (v.pointer, v.layer, v.source) == ("/app/env/1/value", "user", "file:u.yaml:6:7")


def test_control_keys_are_stripped_before_validation() -> None:
    layers = [
        layer_from_values("chart", "c", {"app": {}, "mysql": {"host": "db"}}),
        layer_from_values("user", "u", {"_releaseId": "rel-1"}),
    ]
    eff = merge(layers)
    assert validate(eff, SCHEMA) == []
    assert eff.controls == {"_releaseId": "rel-1"}


def test_draft07_schema_is_honoured() -> None:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
              "properties": {"a": {"type": "integer"}}, "dependencies": {"a": ["b"]}}
    (v,) = validate(merge([layer_from_values("user", "u", {"a": 1})]), schema)
    assert v.keyword == "dependencies" or "b" in v.message


def test_unusable_schema_is_a_clear_error() -> None:
    with pytest.raises(SchemaError, match="unsupported \\$schema"):
        validate(merge([]), {"$schema": "https://example.com/my-draft"})
    with pytest.raises(SchemaError, match="invalid schema"):
        validate(merge([]), {"type": 12})
