"""The laws of the merge (design.md §3), as properties over generated value trees."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from trees import layers_of, no_clash_trees, trees

from specmerge.core import Layer, merge
from specmerge.core.paths import Path

MISSING = object()


def probe(tree: Any, path: Path) -> Any:
    """What one layer says at ``path``: a value, None (null), MISSING, or ('cut', ancestor)."""
    node = tree
    for i, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
        if i < len(path) - 1 and not isinstance(node, dict):
            return ("cut", path[: i + 1])
    return node


def leaves(tree: dict[str, Any], base: Path = ()) -> list[tuple[Path, Any]]:
    out = []
    for k, v in tree.items():
        if isinstance(v, dict) and v:
            out.extend(leaves(v, base + (k,)))
        else:
            out.append((base + (k,), v))
    return out


def containers(tree: Any) -> list[Any]:
    out = [tree]
    if isinstance(tree, dict):
        for v in tree.values():
            out.extend(containers(v))
    elif isinstance(tree, list):
        for v in tree:
            out.extend(containers(v))
    return [c for c in out if isinstance(c, (dict, list))]


def as_layer(values: dict[str, Any], name: str = "m") -> Layer:
    return Layer(name, f"test:{name}", values)


@given(layers_of(trees()))
def test_highest_layer_that_touches_a_leaf_supplies_it(layers: list[Layer]) -> None:
    """Each effective leaf comes from the highest layer that has the path, and no layer
    above that one has a null or non-map at the path or any ancestor."""
    eff = merge(layers)
    for path, value in leaves(eff.with_controls):
        touching = [
            (i, probe(l.values, path))
            for i, l in enumerate(layers)
            if probe(l.values, path) is not MISSING
        ]
        assert touching, f"{path} is in the result but no layer has it"
        top_index, top = touching[-1]
        assert not isinstance(top, tuple), f"{path}: layer {top_index} cut an ancestor"
        assert top is not None, f"{path}: the highest layer deleted it"
        if isinstance(value, dict):
            assert value == {} and isinstance(top, dict)
        else:
            assert value == top


@given(layers_of(trees()))
def test_null_deletes_whatever_is_below(layers: list[Layer]) -> None:
    eff = merge(layers)
    for i, layer in enumerate(layers):
        for path, v in leaves(layer.values):
            if v is not None:
                continue
            above = [probe(l.values, path) for l in layers[i + 1 :]]
            if all(a is MISSING for a in above) and all(
                probe(l.values, path[:n]) is MISSING or isinstance(probe(l.values, path[:n]), dict)
                for l in layers[i + 1 :]
                for n in range(1, len(path))
            ):
                assert probe(eff.with_controls, path) is MISSING


@given(trees())
def test_empty_layer_is_identity(tree: dict[str, Any]) -> None:
    alone = merge([as_layer(tree)]).with_controls
    assert merge([as_layer({}), as_layer(tree)]).with_controls == alone
    assert merge([as_layer(tree), as_layer({})]).with_controls == alone


@given(layers_of(trees(), max_layers=4), trees())
def test_result_is_the_left_fold(layers: list[Layer], top: dict[str, Any]) -> None:
    whole = merge([*layers, as_layer(top, "top")]).with_controls
    folded = merge([as_layer(merge(layers).with_controls), as_layer(top, "top")]).with_controls
    assert whole == folded


@given(no_clash_trees(), no_clash_trees(), no_clash_trees())
def test_associative_without_clashes_or_nulls(a: dict, b: dict, c: dict) -> None:
    la, lb, lc = as_layer(a, "a"), as_layer(b, "b"), as_layer(c, "c")
    left = merge([as_layer(merge([la, lb]).with_controls), lc]).with_controls
    right = merge([la, as_layer(merge([lb, lc]).with_controls)]).with_controls
    assert left == right == merge([la, lb, lc]).with_controls


def test_clash_and_null_break_associativity_and_the_left_fold_is_what_we_define() -> None:
    """Pinned: with a map/non-map clash or a null, only the left fold is defined."""
    a, b, c = {"x": {"y": 1}}, {"x": 2}, {"x": {"z": 3}}
    layers = [as_layer(a, "a"), as_layer(b, "b"), as_layer(c, "c")]
    assert merge(layers).with_controls == {"x": {"z": 3}}  # b's scalar dropped a's map first
    right = merge([layers[0], as_layer(merge(layers[1:]).with_controls)]).with_controls
    assert right == {"x": {"y": 1, "z": 3}}  # grouping differently would resurrect y

    a, b, c = {"x": 1}, {"x": None}, {}
    layers = [as_layer(a, "a"), as_layer(b, "b"), as_layer(c, "c")]
    assert merge(layers).with_controls == {}
    assert merge([layers[0], as_layer(merge(layers[1:]).with_controls)]).with_controls == {"x": 1}


@given(trees())
def test_idempotent(tree: dict[str, Any]) -> None:
    once = merge([as_layer(tree)]).with_controls
    assert merge([as_layer(tree), as_layer(tree, "again")]).with_controls == once
    assert merge([as_layer(once), as_layer(once, "again")]).with_controls == once


@given(layers_of(trees()))
def test_inputs_never_mutated_nor_aliased(layers: list[Layer]) -> None:
    before = [copy.deepcopy(l.values) for l in layers]
    eff = merge(layers)
    assert [l.values for l in layers] == before
    input_ids = {id(c) for l in layers for c in containers(l.values)}
    assert not input_ids & {id(c) for c in containers(eff.with_controls)}
    eff.with_controls.setdefault("mutated", {})["x"] = 1  # writing the result leaves inputs alone
    assert [l.values for l in layers] == before


@given(layers_of(trees()))
def test_lists_are_never_concatenated(layers: list[Layer]) -> None:
    eff = merge(layers)
    for path, value in leaves(eff.with_controls):
        if isinstance(value, list):
            candidates = [probe(l.values, path) for l in layers]
            assert value in [c for c in candidates if isinstance(c, list)]
            assert value == eff.chain(path).winner.value


@given(layers_of(trees()))
def test_provenance_is_consistent(layers: list[Layer]) -> None:
    """The winner's value is the effective value; the shadowed entries are exactly the
    lower layers that have the path (value or null), down to the first layer that cut an
    ancestor of it."""
    eff = merge(layers)
    table = eff.provenance()
    for path, value in leaves(eff.with_controls):
        chain = table[path]
        assert chain == eff.chain(path)  # the one-walk table agrees with the per-path chain
        assert chain.winner is not None and chain.winner.op == "set"
        if isinstance(value, dict):
            assert isinstance(chain.winner.value, dict)
        else:
            assert chain.winner.value == value
        expected = []
        for i in range(len(layers) - 1, -1, -1):
            found = probe(layers[i].values, path)
            if isinstance(found, tuple):
                break
            if found is not MISSING:
                expected.append(i)
        assert [e.index for e in chain.entries] == expected
    for chain in eff.deleted():
        assert probe(eff.with_controls, chain.path) is MISSING
        assert chain.winner.op == "delete"
        assert probe(layers[chain.winner.index].values, chain.path) is None


@given(layers_of(trees()))
def test_every_type_clash_is_a_structured_warning(layers: list[Layer]) -> None:
    eff = merge(layers)
    for w in eff.warnings:
        assert w.kind == "type-clash"
        assert "map" in (w.winner_type, w.loser_type) and w.winner_type != w.loser_type
        winner = next(l for l in layers if l.name == w.winner)
        assert probe(winner.values, w.path) is not MISSING


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=3))
def test_clash_warning_names_both_layers_and_types(depth: int) -> None:
    path = tuple("abc"[:depth]) + ("k",)
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    node_l, node_h = low, high
    for key in path[:-1]:
        node_l = node_l.setdefault(key, {})
        node_h = node_h.setdefault(key, {})
    node_l["k"] = {"inner": 1}
    node_h["k"] = "scalar"
    eff = merge([Layer("channel", "channel:stable@1", low), Layer("user", "secret:ns/u#values", high)])
    (w,) = eff.warnings
    assert (w.path, w.winner, w.loser, w.winner_type, w.loser_type) == (
        path,
        "user",
        "channel",
        "string",
        "map",
    )
    assert w.to_dict()["path"] == "/" + "/".join(path)


@given(st.lists(st.tuples(trees(), st.booleans()), max_size=4))
def test_a_kept_null_is_the_value_provenance_names(spec: list[tuple[dict[str, Any], bool]]) -> None:
    """With ``keep_nulls`` layers (the CLI's -f/--set group: a null over nothing stays, as
    Helm's coalesce hands it to the templates), every leaf of the result - a kept null
    included - is *set* by its winner to exactly that value, in the per-path chain (explain)
    and in the one-walk table alike; only a null that removed something is a deletion."""
    layers = [Layer(f"l{i}", f"test:l{i}", t, keep_nulls=keep) for i, (t, keep) in enumerate(spec)]
    eff = merge(layers)
    table = eff.provenance()
    for path, value in leaves(eff.with_controls):
        chain = eff.chain(path)
        assert table[path] == chain
        assert not chain.deleted and chain.winner is not None and chain.winner.op == "set"
        if not isinstance(value, dict):
            assert chain.winner.value == value
    for chain in eff.deleted():
        assert probe(eff.with_controls, chain.path) is MISSING
