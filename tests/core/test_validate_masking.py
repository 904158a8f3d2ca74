"""What validation reports, pinned exactly (the mutants issue 13 found no test noticing):
the masking of an offending value in a violation's message, which values stay as they are,
draft selection, attribution with file:line:col, required and unknown keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from specmerge.core import (
    CompiledSchema,
    Layer,
    Redactor,
    SchemaError,
    Violation,
    compile_schema,
    layer_from_values,
    merge,
    redact,
    validate,
    validate_values,
    yaml_layer,
)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "replicas": {"type": "integer"},
        "pin": {"type": "integer", "writeOnly": True},
        "code": {"enum": ["a", "b"], "x-sensitive": True},
        "mode": {"enum": ["fast", "slow"]},
        "tags": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer", "writeOnly": True}]},
        "db": {"type": "object", "properties": {"password": {"type": "integer"}}},
        "cond": {"if": {"properties": {"k": {"const": 1}}}, "then": {"properties": {"p": {"type": "integer", "writeOnly": True}}}},
    },
}


def one(values: dict[str, Any], schema: dict[str, Any] = SCHEMA) -> Violation:
    found = [v for v in validate_values({"name": "n", **values}, schema)]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("values", "pointer", "secret"),
    [({"pin": "abc12"}, "/pin", "abc12"),  # writeOnly, shorter than the free-text minimum
     ({"code": "zz9"}, "/code", "zz9"),  # x-sensitive, an enum message
     ({"tags": ["x", "q1w2"]}, "/tags/1", "q1w2"),  # prefixItems
     ({"db": {"password": "pw1"}}, "/db/password", "pw1"),  # by key name
     ({"cond": {"k": 1, "p": "zz8"}}, "/cond/p", "zz8")],  # if/then
)
def test_a_sensitive_offending_value_is_its_placeholder_in_the_message(values: dict, pointer: str, secret: str) -> None:
    v = one(values)
    assert v.pointer == pointer
    assert secret not in v.message and redact(secret) in v.message


def test_a_harmless_offending_value_is_shown_as_it_is() -> None:
    assert one({"replicas": "many"}).message == '"many" is not of type "integer"'
    assert one({"mode": "warp"}).message.startswith('"warp" is not one of')


def test_a_yaml_date_is_redacted_like_its_text() -> None:
    r = Redactor()
    assert r.mask({"password": dt.date(2024, 1, 2)}) == {"password": redact("2024-01-02")}
    assert r.mask({"when": dt.date(2024, 1, 2)}) == {"when": dt.date(2024, 1, 2)}


def test_a_value_the_schema_does_not_describe_is_not_masked() -> None:
    r = Redactor(SCHEMA)
    assert r.mask({"name": "x", "other": {"deep": "v"}}) == {"name": "x", "other": {"deep": "v"}}
    assert r.mask({"pin": 7, "mode": "fast"}) == {"pin": redact(7), "mode": "fast"}


def test_required_names_every_layer_that_could_have_set_it() -> None:
    layers = [layer_from_values("chart", "chart:x", {}), layer_from_values("user", "file:u.yaml", {})]
    (v,) = validate(merge(layers), SCHEMA)
    assert v.pointer == "/name" and v.keyword == "required"
    assert v.message == "required property 'name' is missing"
    assert v.consulted == ("chart (chart:x)", "user (file:u.yaml)")
    assert v.describe() == "name: required property 'name' is missing (not set by any of: chart (chart:x), user (file:u.yaml))"
    assert v.to_dict()["consulted"] == ["chart (chart:x)", "user (file:u.yaml)"]


def test_unknown_keys_one_violation_each_attributed_with_line_and_column() -> None:
    user = yaml_layer("user", "file:u.yaml", "name: nm\nzeta: 1\nalpha: 2\n")
    found = sorted(validate(merge([user]), SCHEMA), key=lambda v: v.pointer)
    assert [(v.pointer, v.keyword, v.layer, v.source) for v in found] == [
        ("/alpha", "additionalProperties", "user", "file:u.yaml:3:1"),
        ("/zeta", "additionalProperties", "user", "file:u.yaml:2:1"),
    ]
    assert found[0].message == "unknown key 'alpha' (the schema allows no other keys here)"
    assert found[0].describe() == "alpha: unknown key 'alpha' (the schema allows no other keys here) (from user file:u.yaml:3:1)"
    assert "consulted" not in found[0].to_dict()


def test_a_bad_value_is_attributed_to_the_winning_layer_and_its_position() -> None:
    chart = yaml_layer("chart", "file:values.yaml", "name: nm\nreplicas: 1\n")
    user = yaml_layer("user", "file:u.yaml", "# c\nreplicas: many\n")
    (v,) = validate(merge([chart, user]), SCHEMA)
    assert (v.layer, v.source, v.path) == ("user", "file:u.yaml:2:1", "replicas")


def test_a_violation_inside_a_list_is_attributed_to_the_list() -> None:
    user = yaml_layer("user", "file:u.yaml", "name: nm\ntags:\n  - aa\n  - bb\n")
    (v,) = validate(merge([user]), SCHEMA)
    assert v.pointer == "/tags/1" and v.layer == "user" and v.source.startswith("file:u.yaml:")


def test_root_violation_path_is_a_dot() -> None:
    (v,) = validate_values(5, {"type": "object"})
    assert v.pointer == "" and v.path == "." and v.describe() == f".: {v.message}"


def test_draft_07_is_honoured_and_unknown_drafts_refused() -> None:
    d7 = {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}, {"type": "integer"}]}
    assert [v.pointer for v in validate_values(["a", "b"], d7)] == ["/1"]  # tuple items: draft-07 only
    d2020 = {"prefixItems": [{"type": "string"}, {"type": "integer"}]}
    assert [v.pointer for v in validate_values(["a", "b"], d2020)] == ["/1"]
    with pytest.raises(SchemaError, match="unsupported \\$schema"):
        compile_schema({"$schema": "https://example.com/my-draft"})
    with pytest.raises(SchemaError, match="a schema must be a JSON object"):
        CompiledSchema([])  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="invalid schema"):
        compile_schema({"type": 12})


def test_compiled_schemas_are_reused() -> None:
    schema = {"type": "object"}
    first = compile_schema(schema)
    assert compile_schema(schema) is first and compile_schema(first) is first
    assert first.digest == CompiledSchema({"type": "object"}).digest and len(first.digest) == 64


def test_every_violation_is_reported_not_only_the_first() -> None:
    found = validate_values({"name": 1, "replicas": "x", "pin": "y", "extra": 1}, SCHEMA)
    assert sorted(v.pointer for v in found) == ["/extra", "/name", "/pin", "/replicas"]


def test_validate_strips_control_keys() -> None:
    user = Layer("user", "u", {"_releaseId": "0.1", "name": "n"})
    assert validate(merge([user]), SCHEMA) == []


def test_message_masking_handles_empty_maps_and_unicode() -> None:
    assert one({"pin": ""}).message == f'{redact("")} is not of type "integer"'  # nothing mangled
    v = one({"pin": {"k": "ab", "n": [1, 2]}})
    assert v.message == f'{redact({"k": "ab", "n": [1, 2]})} is not of type "integer"'
    assert one({"pin": "pé1"}).message == f'{redact("pé1")} is not of type "integer"'


def test_a_revealing_redactor_shows_the_value_in_messages() -> None:
    user = layer_from_values("user", "u", {"name": "n", "pin": "abc12"})
    (shown,) = validate(merge([user]), SCHEMA, Redactor(SCHEMA, reveal=True))
    assert shown.message == '"abc12" is not of type "integer"'
    (hidden,) = validate(merge([user]), SCHEMA)
    assert hidden.message == f'{redact("abc12")} is not of type "integer"'


def test_violation_dict_shape() -> None:
    v = one({"replicas": "many"})
    assert v.to_dict() == {"path": "/replicas", "message": '"many" is not of type "integer"', "keyword": "type",
                           "layer": None, "source": None}


def test_schema_digest_is_the_canonical_json_hash_and_the_cache_is_bounded() -> None:
    import hashlib
    import sys

    validate_module = sys.modules["specmerge.core.validate"]

    assert CompiledSchema({"type": "object", "a": {"b": 1}}).digest == \
        hashlib.sha256(b'{"a":{"b":1},"type":"object"}').hexdigest()
    keep = [{"type": "object", "title": str(i)} for i in range(300)]
    for schema in keep:
        compile_schema(schema)
    assert len(validate_module._BY_ID) <= 257
