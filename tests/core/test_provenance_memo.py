"""The provenance walk remembers the chains of subtrees that the same layer nodes reach
(core.provenance._SUBTREES): the chart's and channel's layers are the same objects for
every preview. Whatever it remembers, every table must still equal the per-path chains,
for layers shared between merges and for layers that differ on top of them."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from trees import layers_of, trees

from specmerge.core import Layer, merge


def assert_table_is_per_path(layers: list[Layer]) -> None:
    eff = merge(layers)
    table = eff.provenance()
    assert list(table) == list(merge(layers).provenance())  # the same document order, remembered or not
    for path, chain in table.items():
        if not chain.deleted:
            assert chain == eff.chain(path)


@given(layers_of(trees(), max_layers=3), layers_of(trees(), max_layers=2), layers_of(trees(), max_layers=2))
def test_shared_lower_layers_under_different_upper_layers(shared: list[Layer], a: list[Layer], b: list[Layer]) -> None:
    top_a = [Layer(f"a{i}", f"test:a{i}", layer.values) for i, layer in enumerate(a)]
    top_b = [Layer(f"b{i}", f"test:b{i}", layer.values) for i, layer in enumerate(b)]
    for layers in (shared + top_a, shared + top_b, shared + top_a, shared):
        assert_table_is_per_path(layers)


def test_a_shared_subtree_answered_from_memory_names_this_merges_layers() -> None:
    """Same nodes, but under another layer's name or at another index: not the same chains."""
    defaults: dict[str, Any] = {"db": {"host": "h", "port": 1}}
    chart = Layer("chart", "chart:x", defaults)
    first = merge([chart]).provenance()
    other = merge([Layer("channel", "channel:y", defaults)]).provenance()
    shifted = merge([Layer("user", "u", {"other": 1}), chart]).provenance()
    assert first[("db", "host")].winner.layer == "chart"
    assert other[("db", "host")].winner.layer == "channel"
    assert shifted[("db", "host")].winner.index == 1
