"""The plan's depth limit (MAX_DEPTH) is checked per layer (the shared chart and channel
layers once), not by walking every merged spec: the answer must stay the merged spec's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specmerge.core import MAX_DEPTH, layer_from_values
from specmerge.pipeline import PlanInputs, plan
from specmerge.render import PathRef


def nested(depth: int) -> Any:
    node: Any = 1
    for _ in range(depth):
        node = {"a": node}
    return node


@pytest.fixture
def chart(tmp_path: Path) -> PathRef:
    d = tmp_path / "deep"
    (d / "templates").mkdir(parents=True)
    (d / "Chart.yaml").write_text("apiVersion: v2\nname: deep\nversion: 0.1.0\n")
    (d / "values.yaml").write_text("free: {}\n")
    (d / "values.schema.json").write_text(json.dumps({"type": "object"}))
    (d / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    return PathRef(d, "deep")


def _plan(chart: PathRef, user: Any, cr: Any | None = None) -> Any:
    return plan(PlanInputs(chart=chart, user=layer_from_values("user", "request:user", user),
                           cr=layer_from_values("cr", "cr:ns/demo", cr) if cr is not None else None, render=False))


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH + 1])
def test_a_layer_nested_past_the_limit_is_one_violation_naming_it(chart: PathRef, depth: int) -> None:
    p = _plan(chart, {"free": nested(depth)})
    if depth + 1 <= MAX_DEPTH:
        assert p.ok
    else:
        assert [(v.keyword, v.layer) for v in p.violations] == [("maxDepth", "user")]


def test_a_too_deep_layer_whose_depth_a_higher_layer_replaced_is_no_violation(chart: PathRef) -> None:
    # the user layer is too deep, but the CR replaces that subtree: the merged spec is within the limit
    p = _plan(chart, {"free": nested(MAX_DEPTH + 5)}, cr={"free": {"a": "flat"}})
    assert p.ok, p.violations
