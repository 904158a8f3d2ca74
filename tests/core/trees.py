"""Hypothesis strategies for values trees and layers, shared by the core's tests.

Keys come from a small alphabet so layers collide often (the interesting case); it
includes keys YAML 1.1 would misread unquoted (``on``, ``y``, ``01``) to exercise quoting.
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from specmerge.core import Layer

KEYS = st.sampled_from(["a", "b", "c", "d", "on", "y", "01", "x.y"])
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.text(alphabet=string.ascii_letters + string.digits + " -_:./", max_size=8),
)


def values(allow_null: bool = True, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    base = st.one_of(SCALARS, st.none()) if allow_null else SCALARS
    return st.recursive(
        base,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(KEYS, children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def trees(allow_null: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(KEYS, values(allow_null), max_size=4)


def no_clash_trees() -> st.SearchStrategy[dict[str, Any]]:
    """Trees where every key always holds a map or always a non-map, and no nulls.

    Keys ``a``/``b`` always hold maps, other keys never do, so no two layers can put a
    map and a non-map at the same path: the precondition of associativity.
    """
    leaf = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))
    return st.recursive(
        st.fixed_dictionaries({}, optional={"c": leaf, "d": leaf, "on": leaf}),
        lambda children: st.fixed_dictionaries(
            {}, optional={"a": children, "b": children, "c": leaf, "d": leaf, "on": leaf}
        ),
        max_leaves=10,
    )


def layers_of(tree_strategy: st.SearchStrategy[dict[str, Any]], max_layers: int = 4):
    return st.lists(tree_strategy, max_size=max_layers).map(
        lambda ts: [Layer(f"l{i}", f"test:l{i}", t) for i, t in enumerate(ts)]
    )
