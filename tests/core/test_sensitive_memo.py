"""``SchemaMemo.sensitive`` (one remembered step per path) answers as ``SchemaMemo.walk`` (the
walk from the schema's root) does, whatever order the paths are asked in."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from specmerge.core.sensitive import SchemaMemo

KEYS = st.sampled_from(["a", "b", "kx", "password", "token", "existingSecret", "x"])
STEPS = st.one_of(KEYS, st.integers(min_value=0, max_value=2))
FLAG = st.sampled_from([{}, {"writeOnly": True}, {"x-sensitive": True}, {"writeOnly": False}])


def schemas() -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.one_of(FLAG, st.just({"$ref": "#/$defs/d"}), st.just({"$ref": "#/$defs/missing"}))

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        return st.one_of(
            st.builds(lambda f, p: {**f, "properties": p}, FLAG, st.dictionaries(KEYS, inner, max_size=3)),
            st.builds(lambda f, p: {**f, "patternProperties": {"^k": p}}, FLAG, inner),
            st.builds(lambda f, p: {**f, "additionalProperties": p}, FLAG, inner),
            st.builds(lambda f, p: {**f, "items": p}, FLAG, inner),
            st.builds(lambda f, p: {**f, "prefixItems": p}, FLAG, st.lists(inner, max_size=2)),
            st.builds(lambda f, p: {**f, "allOf": p}, FLAG, st.lists(inner, max_size=2)),
            st.builds(lambda f, a, b: {**f, "if": a, "then": b}, FLAG, inner, inner),
        )

    body = st.recursive(leaf, extend, max_leaves=8)
    return st.builds(lambda root, d: {**root, "$defs": {"d": d}}, body, body)


@settings(max_examples=200)
@given(schemas(), st.lists(st.lists(STEPS, max_size=4).map(tuple), min_size=1, max_size=12))
def test_remembered_steps_answer_as_the_walk_from_the_root(schema: dict[str, Any], paths: list[tuple]) -> None:
    memo, fresh = SchemaMemo(schema), SchemaMemo(schema)
    for path in paths:  # in the order drawn: children before parents, repeats, strangers
        assert memo.sensitive(path) is fresh.walk(path), path
    for path in reversed(paths):  # and again, remembered
        assert memo.sensitive(path) is fresh.walk(path), path


def test_no_schema_is_key_names_only() -> None:
    memo = SchemaMemo(None)
    assert memo.sensitive(("db", "password")) and memo.sensitive(("db", "password", "x"))
    assert not memo.sensitive(("db", "host")) and not memo.sensitive(())
