"""The channel spec envelope: schema, parsing errors, layer, repr hygiene."""

from __future__ import annotations

import json
from typing import Any

import pytest

from specmerge.channels import ChannelSpec, ChannelSpecError, parse_channel_spec
from specmerge.channels.semver import semver_key
from specmerge.core import LayerInputError


def envelope(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "metadata": {
            "channel": "stable",
            "version": "1.2.3",
            "releaseId": "rel-1",
            "publishedAt": "2026-01-01T00:00:00Z",
        },
        "chart": {"path": "charts/platform"},
        "values": {"app": {"image": {"tag": "1.2.3"}}},
    }
    doc.update(over)
    return doc


def test_parses_text_bytes_and_dict_alike() -> None:
    doc = envelope()
    specs = [
        parse_channel_spec(json.dumps(doc), "t"),
        parse_channel_spec(json.dumps(doc).encode(), "t"),
        parse_channel_spec(doc, "t"),
    ]
    assert all(s == specs[0] for s in specs)
    spec = specs[0]
    assert (spec.channel, spec.version, spec.release_id) == ("stable", "1.2.3", "rel-1")


def test_layer_is_the_channel_layer_and_a_private_copy() -> None:
    doc = envelope()
    spec = parse_channel_spec(doc, "t")
    doc["values"]["app"]["image"]["tag"] = "mutated"  # the input is copied on parse
    layer = spec.layer()
    assert (layer.name, layer.source) == ("channel", "channel:stable@1.2.3")
    assert layer.values == {"app": {"image": {"tag": "1.2.3"}}}
    layer.values["app"]["image"]["tag"] = "x"  # type: ignore[index]
    assert spec.values["app"]["image"]["tag"] == "1.2.3"


@pytest.mark.parametrize(
    "chart",
    [
        {"path": "charts/platform"},
        {"url": "https://charts.example.com", "name": "platform", "version": "1.4.0"},
        {"url": "https://charts.example.com", "name": "p", "version": "1", "username": "u", "password": "pw"},
        {"url": "oci://registry.example.com/charts/platform", "version": "1.4.0"},
    ],
)
def test_accepts_each_chart_reference_form(chart: dict[str, Any]) -> None:
    assert parse_channel_spec(envelope(chart=chart), "t").chart == chart


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        ({"url": "https://charts.example.com", "name": "platform"}, "/chart/version: required property 'version'"),
        ({"url": "oci://r/p"}, "/chart/version: required property 'version'"),
        ({"path": "x", "url": "https://a"}, "/chart/url: unknown key 'url'"),
        ({}, "/chart"),
        ({"url": "ftp://x", "name": "p", "version": "1"}, "/chart/url"),
    ],
)
def test_chart_reference_errors_name_the_form_and_what_is_missing(chart: dict[str, Any], expected: str) -> None:
    with pytest.raises(ChannelSpecError) as info:
        parse_channel_spec(envelope(chart=chart), "server:https://x/api")
    assert str(info.value).startswith("server:https://x/api: not a valid channel spec")
    assert any(v.startswith(expected) for v in info.value.violations), info.value.violations


def test_every_violation_is_reported_at_once() -> None:
    doc = envelope(extra=1, values={"_releaseId": "r"})
    del doc["metadata"]["publishedAt"]
    doc["metadata"]["version"] = "v1"
    with pytest.raises(ChannelSpecError) as info:
        parse_channel_spec(doc, "src")
    pointers = sorted(v.split(":")[0] for v in info.value.violations)
    assert pointers == ["/extra", "/metadata/publishedAt", "/metadata/version", "/values"]
    assert "control keys _releaseId are not allowed" in str(info.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"metadata": ', "invalid JSON"),
        (b'{"a": 1, "a": 2}', "duplicate key 'a'"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "top level must be a map"),
    ],
)
def test_unparseable_text_is_a_channel_spec_error_naming_the_source(text: bytes, reason: str) -> None:
    with pytest.raises(ChannelSpecError) as info:
        parse_channel_spec(text, "cache:/tmp/x")
    assert isinstance(info.value, LayerInputError)  # the CLI's error handler knows it
    assert str(info.value).startswith("cache:/tmp/x") and reason in str(info.value)


def test_chart_password_is_not_in_repr_or_errors() -> None:
    chart = {"url": "https://c.example.com", "name": "p", "version": "1", "password": "hunter2-secret"}
    spec = parse_channel_spec(envelope(chart=chart), "t")
    assert "hunter2-secret" not in repr(spec) and "<redacted hmac:" in repr(spec)
    bad = dict(chart, password=12345678)
    with pytest.raises(ChannelSpecError) as info:
        parse_channel_spec(envelope(chart=bad), "t")
    assert "12345678" not in str(info.value)


def test_digest_is_stable_across_key_order() -> None:
    a = parse_channel_spec(envelope(), "t")
    b = parse_channel_spec(json.loads(json.dumps(envelope(), sort_keys=True)), "t")
    assert a.digest() == b.digest() and len(a.digest()) == 64
    assert isinstance(a, ChannelSpec)


def test_semver_precedence() -> None:
    ordered = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
               "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0"]
    assert sorted(reversed(ordered), key=semver_key) == ordered
    with pytest.raises(ValueError, match="not a SemVer"):
        semver_key("1.0")
