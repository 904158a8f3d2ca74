"""The side-builders of :mod:`specmerge.diff.sides`: one per way of choosing what to compare,
each giving the labels, namespaces and notes the report shows. ``live_sides`` is the
operator's "compare with active": a live instance's objects (shaped by the pure
:func:`instance_from_objects`, no cluster) against the plan of its layers now."""

from __future__ import annotations

import base64
import json
from typing import Any

from diffkit import REPO, at_repo_root  # noqa: F401 (autouse fixture)

from specmerge.channels import load_embedded
from specmerge.core import Redactor
from specmerge.diff import compare
from specmerge.diff.live import instance_from_objects
from specmerge.diff.sides import StoredSpec, file_sides, layer_sides, live_sides, release_sides
from specmerge.pipeline import PlanInputs, plan
from specmerge.render import RenderOptions, parse_chart_ref

CHART = {"path": "tests/charts/agent"}


def b64json(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def agent_inputs(namespace: str = "default", render: bool = False, **layers: Any) -> PlanInputs:
    return PlanInputs(chart=parse_chart_ref(CHART, base=REPO, where="test"), options=RenderOptions("demo", namespace),
                      render=render, **layers)


def test_live_sides_compare_the_active_spec_with_what_the_instance_layers_give_now() -> None:
    active = plan(agent_inputs()).effective.values  # what a reconcile applied before the user edit
    instance = instance_from_objects(
        "prod", "demo",
        {"values": b64json(active), "chart": b64json(CHART)},
        {"values": b64json({"replicaCount": 5})},
        None,  # no CR: a note says so, and the chart is the recorded one
    )
    sides = live_sides(instance, agent_inputs("prod", render=True, user=instance.user))
    assert (sides.old.label, sides.new.label) == ("active secret:prod/demo-spec-active#values", "desired prod/demo")
    assert (sides.old_namespace, sides.new_namespace) == ("prod", "prod")
    assert sides.notes == instance.notes and any("no cr layer" in n for n in sides.notes)
    result = compare(sides.old, sides.new, Redactor(sides.schema))
    [change] = result.values
    assert change.path == ("replicaCount",) and change.new == 5
    assert change.new_origin is not None and change.new_origin.source == "secret:prod/demo-spec-user#values"
    assert result.manifests and all(m.kind == "Deployment" for m in result.manifests)  # both sides rendered


def test_release_sides_name_each_release_and_show_what_the_channel_changed() -> None:
    old, new = (PlanInputs(channel=load_embedded("stable", r), render=False) for r in ("0.61.0", "0.62.0"))
    sides = release_sides(old, new, "0.61.0", "0.62.0")
    assert (sides.old.label, sides.new.label) == ("release 0.61.0", "release 0.62.0")
    result = compare(sides.old, sides.new, Redactor(sides.schema), only="values")
    assert result.changed and {c.new_origin.layer for c in result.values if c.new_origin} == {"channel"}


def test_layer_sides_keep_each_sides_namespace_and_file_sides_find_no_change_in_what_they_stored() -> None:
    sides = layer_sides(agent_inputs("dev"), agent_inputs("prod"))
    assert (sides.old.label, sides.new.label, sides.old_namespace, sides.new_namespace) == (
        "old layers", "new layers", "dev", "prod")
    now = plan(agent_inputs())
    stored = StoredSpec(now.effective.values, None, {}, "file:spec.json")
    same = file_sides(stored, agent_inputs(), "layers", offline=True)
    assert same.old.label == "file:spec.json" and not compare(same.old, same.new, Redactor(same.schema)).changed
