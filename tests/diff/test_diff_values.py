"""The pure values diff (specmerge.diff.values): change types, provenance of both sides,
warnings that appear/disappear, masking, stored spec shapes."""

from __future__ import annotations

import pytest

from specmerge.core import Layer, LayerInputError, Redactor, merge
from specmerge.diff import Side, compare, diff_document, redactor_for
from specmerge.diff.sides import STORED_LAYER, stored_side, stored_spec_from_doc
from specmerge.diff.values import diff_values, diff_warnings


def side(*layers: Layer, label: str = "s") -> Side:
    eff = merge(layers)
    return Side(label, eff, eff.warnings)


def changes(old: Side, new: Side, reveal: bool = False) -> dict[str, dict]:
    r = redactor_for(old, new, None, reveal)
    doc = diff_document(compare(old, new, r, only="values"))
    return {c["path"]: c for c in doc["values"]}


BASE = Layer("chart", "chart:x@1/values.yaml", {"a": {"b": 1, "c": "x"}, "l": [1, 2], "m": {"k": 1}, "flag": True})


def test_change_types_and_both_origins() -> None:
    old = side(BASE)
    new = side(BASE, Layer("user", "file:u.yaml", {"a": {"b": 2, "d": "new"}, "l": [1, 2, 3], "m": "flat", "flag": 1}))
    got = changes(old, new)
    assert set(got) == {"/a/b", "/a/d", "/l", "/m", "/flag"}
    assert got["/a/b"]["change"] == "changed" and (got["/a/b"]["old"], got["/a/b"]["new"]) == (1, 2)
    assert got["/a/b"]["oldOrigin"] == {"layer": "chart", "source": "chart:x@1/values.yaml", "op": "set"}
    assert got["/a/b"]["newOrigin"] == {"layer": "user", "source": "file:u.yaml", "op": "set"}
    assert got["/a/d"]["change"] == "added" and "old" not in got["/a/d"] and got["/a/d"]["oldOrigin"] is None
    assert got["/l"]["change"] == "changed"  # lists are leaves, compared whole
    assert got["/m"]["change"] == "type-changed"
    assert (got["/m"]["oldType"], got["/m"]["newType"]) == ("map", "string")
    assert "/m/k" not in got  # a type change is one entry, not its sub-leaves
    assert got["/flag"]["change"] == "type-changed"  # true and 1 are not the same value


def test_null_deletion_is_the_new_origin_of_a_removed_path() -> None:
    old = side(BASE)
    new = side(BASE, Layer("channel", "channel:stable@2", {"a": {"c": None}}))
    got = changes(old, new)
    assert list(got) == ["/a/c"]
    assert got["/a/c"]["change"] == "removed" and got["/a/c"]["old"] == "x" and "new" not in got["/a/c"]
    assert got["/a/c"]["newOrigin"] == {"layer": "channel", "source": "channel:stable@2", "op": "delete"}


def test_map_that_disappears_reports_each_leaf_and_equal_specs_report_nothing() -> None:
    old = side(BASE, Layer("user", "u", {"extra": {"p": 1, "q": {"r": 2}}}))
    got = changes(old, side(BASE))
    assert sorted(got) == ["/extra/p", "/extra/q/r"] and {c["change"] for c in got.values()} == {"removed"}
    assert changes(side(BASE), side(BASE)) == {}
    assert not compare(side(BASE), side(BASE), Redactor(), only="values").changed


def test_int_and_float_differ_but_key_order_does_not() -> None:
    a = side(Layer("user", "u", {"n": 1, "o": {"x": 1, "y": 2}}))
    b = side(Layer("user", "u", {"n": 1.0, "o": {"y": 2, "x": 1}}))
    got = changes(a, b)
    assert list(got) == ["/n"] and got["/n"]["change"] == "type-changed"


def test_secrets_are_masked_by_key_with_a_visible_change_and_revealed_on_request() -> None:
    old = side(Layer("user", "u", {"db": {"password": "first-secret-value"}, "plain": "p"}))
    new = side(Layer("user", "u", {"db": {"password": "second-secret-value"}, "plain": "p"}))
    got = changes(old, new)
    c = got["/db/password"]
    assert c["old"].startswith("<redacted hmac:") and c["new"].startswith("<redacted hmac:")
    assert c["old"] != c["new"]
    assert "secret-value" not in repr(got)
    shown = changes(old, new, reveal=True)["/db/password"]
    assert (shown["old"], shown["new"]) == ("first-secret-value", "second-secret-value")


def test_schema_marked_values_are_masked_too() -> None:
    schema = {"type": "object", "properties": {"conn": {"type": "string", "x-sensitive": True}}}
    old, new = side(Layer("user", "u", {"conn": "dsn-one-abc"})), side(Layer("user", "u", {"conn": "dsn-two-abc"}))
    (c,) = diff_values(old, new, redactor_for(old, new, schema, False))
    assert str(c.old).startswith("<redacted") and "dsn-" not in str(c.new)


def test_warnings_that_appear_and_disappear() -> None:
    clash = (Layer("chart", "c", {"a": {"b": 1}}), Layer("user", "u", {"a": "flat"}))
    calm = (Layer("chart", "c", {"a": {"b": 1}}),)
    r = Redactor()
    appeared = diff_warnings(side(*calm), side(*clash), r)
    assert [w.change for w in appeared] == ["appeared"] and appeared[0].warning["kind"] == "type-clash"
    gone = diff_warnings(side(*clash), side(*calm), r)
    assert [w.change for w in gone] == ["disappeared"]
    assert diff_warnings(side(*clash), side(*clash), r) == ()


def test_stored_spec_shapes() -> None:
    env = stored_spec_from_doc({"values": {"a": 1}, "chart": {"path": "c"}, "metadata": {"v": 1}}, "file:s.json")
    assert (env.values, env.chart, env.metadata) == ({"a": 1}, {"path": "c"}, {"v": 1})
    bare = stored_spec_from_doc({"values": {"a": 1}, "other": 2}, "file:s.json")  # not the envelope
    assert bare.values == {"values": {"a": 1}, "other": 2} and bare.chart is None
    with pytest.raises(LayerInputError):
        stored_spec_from_doc([1, 2], "file:s.json")
    s = stored_side(env, "stored", None, None)
    assert s.manifests is None and s.effective.chain(("a",)).winner.layer == STORED_LAYER
    assert s.effective.chain(("a",)).winner.source == "file:s.json"
