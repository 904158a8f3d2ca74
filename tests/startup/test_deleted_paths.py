"""``Effective.deleted_paths()``: the paths of ``deleted()``, found without provenance."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from core.trees import trees

from specmerge.core import Layer, Positions, merge
from specmerge.core.setflags import compose, helm_order, values_file_layer

NAMES = st.sampled_from(["chart", "operator", "channel", "user", "cr"])
CONTROL = st.dictionaries(st.sampled_from(["_releaseId", "_x"]), st.one_of(st.none(), st.text(max_size=3)), max_size=2)


def _unlocatable() -> dict[Any, Any]:
    raise AssertionError("deleted_paths() located a path")


@st.composite
def layer_stacks(draw: st.DrawFn) -> list[Layer]:
    out = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        values = {**draw(trees()), **draw(CONTROL)}
        out.append(Layer(draw(NAMES), "test", values, keep_nulls=draw(st.booleans())))
    return out


@example([Layer("user", "u", {"_x": 1}), Layer("cr", "c", {"_x": None}), Layer("channel", "ch", {"_x": "v"})])
@given(layer_stacks())
def test_deleted_paths_are_the_paths_of_deleted(layers: list[Layer]) -> None:
    eff = merge(layers)  # its warnings (a type clash, a control key ignored) are located
    unlocatable = tuple(replace(layer, positions=Positions(compute=_unlocatable)) for layer in layers)
    assert replace(eff, layers=unlocatable).deleted_paths() == [c.path for c in eff.deleted()]


def test_deleted_paths_of_the_cli_group(tmp_path: Any) -> None:
    """A ``--set k=null`` over a ``-f`` file: the group layer's own provenance decides."""
    f = tmp_path / "v.yaml"
    f.write_text("a: {b: 1, c: 2}\n")
    group = compose([values_file_layer(f)], helm_order({"set": ["a.b=null"]}))
    assert group is not None
    chart = Layer("chart", "chart", {"a": {"b": 0, "c": 0, "d": 0}})
    eff = merge([chart, group])
    assert eff.deleted_paths() == [c.path for c in eff.deleted()] == [("a", "b")]
