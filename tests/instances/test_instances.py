"""The one instance reader: layout names, Secret codec, decoding errors, the input assembler."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmerge.channels import Resolver
from specmerge.channels.resolve import ChannelRequest
from specmerge.instances import (
    CrKind,
    PermanentError,
    TemporaryError,
    channel_request,
    decode_object,
    encode_parts,
    instance_from_objects,
    instance_of_secret,
    plan_inputs,
)
from specmerge.pipeline import plan

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4))
def test_codec_round_trips_and_is_canonical(doc: dict[str, Any]) -> None:
    data = encode_parts({"values": doc})
    assert decode_object(data, "values", "secret:ns/x") == doc
    reordered = dict(reversed(list(doc.items())))
    assert encode_parts({"values": reordered}) == data  # equal documents, equal bytes: writes compare client-side


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_decoding_errors_are_permanent_name_the_key_and_never_the_content() -> None:
    with pytest.raises(PermanentError) as err:
        decode_object({"values": _b64('{"password": "leak-me-please", ')}, "values", "secret:ns/demo-spec-user")
    assert "secret:ns/demo-spec-user#values" in str(err.value) and "leak-me-please" not in str(err.value)
    with pytest.raises(PermanentError, match="duplicate key"):
        decode_object({"values": _b64('{"a": 1, "a": 2}')}, "values", "s")
    with pytest.raises(PermanentError, match="must be a JSON object, not list"):
        decode_object({"values": _b64("[1]")}, "values", "s")
    with pytest.raises(PermanentError, match="not base64"):
        decode_object({"values": "%%%"}, "values", "s")
    assert not issubclass(PermanentError, TemporaryError)


def test_layout_names_and_kind() -> None:
    assert instance_of_secret("demo-spec-user") == "demo" and instance_of_secret("demo-latest-cached-release") == "demo"
    assert instance_of_secret("sh.helm.release.v1.demo.v1") is None and instance_of_secret("-spec-user") is None
    kind = CrKind.parse("platforms.v1alpha1.example.com", "Platform")
    assert (kind.api_version, kind.kind, kind.path("ns", "x", "status")) == (
        "example.com/v1alpha1", "Platform", "/apis/example.com/v1alpha1/namespaces/ns/platforms/x/status")
    assert CrKind.parse(CrKind().resource) == CrKind()
    with pytest.raises(PermanentError, match="PLURAL.VERSION.GROUP"):
        CrKind.parse("weightsandbiases")


def _instance(cr_values: dict[str, Any], user_values: dict[str, Any] | None, **spec: Any) -> Any:
    cr = {"metadata": {"name": "demo", "namespace": "ns"}, "spec": {"values": cr_values, **spec}}
    user = None if user_values is None else encode_parts({"values": user_values, "chart": {}, "metadata": {}})
    return instance_from_objects(CrKind(), "ns", "demo", cr, user)


def test_assembler_precedence_is_channel_then_user_then_cr() -> None:
    inst = _instance({"global": {"host": "https://cr.example.com"}},
                     {"global": {"host": "https://user.example.com"}, "app": {"replicaCount": 5}})
    result = Resolver().resolve(channel_request(inst))
    p = plan(plan_inputs(inst, result.spec, offline=True))
    assert p.ok, [v.describe() for v in p.violations]
    assert p.effective.values["global"]["host"] == "https://cr.example.com"  # cr over user
    assert p.effective.values["app"]["replicaCount"] == 5  # user over channel (3)
    assert p.effective.values["app"]["image"]["tag"] == result.version  # the channel over the chart
    assert [layer.name for layer in p.layers] == ["chart", "channel", "user", "cr"]
    assert p.inputs.options.name == "demo" and p.inputs.options.namespace == "ns"


def test_one_release_pin_rule_for_instances() -> None:
    pinned = _instance({}, {"_releaseId": "rel-2026-09-stable-0.61.0"})
    assert channel_request(pinned) == ChannelRequest("stable", "rel-2026-09-stable-0.61.0")
    assert channel_request(_instance({"_releaseId": ""}, {"_releaseId": "x"}, channel="beta")) == ChannelRequest("beta")
    with pytest.raises(PermanentError, match=r"cr:ns/demo: _releaseId in cr:ns/demo: .* got int"):
        channel_request(_instance({"_releaseId": 7}, None))


def test_bad_cr_shapes_are_permanent_errors_naming_the_field() -> None:
    with pytest.raises(PermanentError, match=r"cr:ns/demo spec.values: must be an object"):
        instance_from_objects(CrKind(), "ns", "demo", {"spec": {"values": [1]}}, None)
    inst = _instance({}, None, chart={"url": "https://charts.example.com"})
    with pytest.raises(PermanentError, match="spec.chart"):
        plan_inputs(inst, None)
    assert json.dumps(inst.cr_chart)  # kept as given


# ---- the incumbent operator's spellings ---------------------------------------------------------

INCUMBENT_CHART = {"url": "https://charts.example.com", "name": "platform", "version": "1.4.0",
                   "username": "", "password": "", "debug": False, "plainHTTP": False}
INCUMBENT_OCI = {"url": "oci://registry.example.com/charts/platform", "version": "", "username": "",
                 "password": "", "debug": False, "plainHTTP": True}


def test_incumbent_chart_objects_normalise_to_our_forms() -> None:
    from specmerge.instances.incumbent import normalise_chart
    from specmerge.render import parse_chart_ref

    assert normalise_chart(INCUMBENT_CHART) == {"url": "https://charts.example.com", "name": "platform", "version": "1.4.0"}
    assert normalise_chart(INCUMBENT_OCI) == {"url": "oci://registry.example.com/charts/platform", "plainHttp": True}
    assert parse_chart_ref(normalise_chart(INCUMBENT_CHART)).describe() == "repo:https://charts.example.com platform@1.4.0"
    assert normalise_chart({"path": "charts/platform"}) == {"path": "charts/platform"}  # ours pass unchanged


def test_incumbent_cached_release_reads_without_loss_and_pins_are_flagged() -> None:
    from specmerge.channels import parse_channel_spec
    from specmerge.instances.incumbent import cached_release

    parts = {"metadata": {"version": "0.61.0"}, "chart": INCUMBENT_CHART, "values": {"app": {"replicaCount": 2}}}
    doc, is_pin = cached_release(parts, "stable", None)
    spec = parse_channel_spec(doc, "secret:ns/demo-latest-cached-release")  # was: "/chart/debug: unknown key"
    assert (spec.channel, spec.version, spec.values) == ("stable", "0.61.0", {"app": {"replicaCount": 2}})
    assert spec.chart["name"] == "platform" and not is_pin
    assert cached_release(parts, "stable", "0.61.0")[1]  # the instance pins 0.61.0: never the channel's latest
