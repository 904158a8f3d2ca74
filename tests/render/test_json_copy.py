"""``engine._json_copy``: the JSON round trip of the values Helm is handed, made without the text."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from specmerge.render.engine import _json_copy

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))
ODD = st.one_of(st.tuples(st.integers()), st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=2))
TREES = st.recursive(
    st.one_of(SCALARS, ODD),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=20,
)


def containers(tree: Any) -> list[int]:
    out = []
    if isinstance(tree, (dict, list)):
        out.append(id(tree))
        for v in tree.values() if isinstance(tree, dict) else tree:
            out.extend(containers(v))
    return out


@given(st.dictionaries(st.text(max_size=3), TREES, max_size=4))
def test_the_copy_is_the_json_round_trip_and_shares_nothing(values: dict[str, Any]) -> None:
    """Plain trees are copied as they are; int keys and tuples (odd shapes) get JSON's spelling
    (``"8080"``, a list) through the fallback, exactly as the round trip gives them."""
    copied = _json_copy(values)
    assert json.dumps(copied) == json.dumps(values) and copied == json.loads(json.dumps(values))
    assert not set(containers(copied)) & set(containers(values))


def test_special_floats_and_int_keys() -> None:
    copied = _json_copy({"a": [float("nan"), float("inf")], "b": {8080: "ns/svc:9000"}})
    assert math.isnan(copied["a"][0]) and copied["a"][1] == float("inf") and copied["b"] == {"8080": "ns/svc:9000"}
