"""The contract of :func:`specmerge.pipeline.plan`, one row per case (the shape of Flux's
``TestUpgrade_Reconcile``): each row gives the inputs and the outcome a caller sees - the chart
chosen, the layers in order, effective values and who set them, violations, the error class,
the release pinned, and the kinds rendered. Real charts (``charts/platform``, ``tests/charts``,
one written per module for chart null defaults) and Helm's engine in-process.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from specmerge.channels import ChannelRequestError, ChannelSpec, load_embedded, parse_channel_spec
from specmerge.core import Layer, from_dotted, get_at, layer_from_values
from specmerge.pipeline import Plan, PlanInputs, pinned_release, plan
from specmerge.render import ChartSourceError, PathRef, RenderOptions, TemplateError

REPO = Path(__file__).resolve().parents[1]
PLATFORM_KINDS = frozenset({"ConfigMap", "Deployment", "Ingress", "Secret", "Service", "ServiceAccount"})
STABLE_KINDS = PLATFORM_KINDS | {"PodDisruptionBudget"}  # the stable channel turns on PDBs
AGENT_KINDS = frozenset({"ConfigMap", "Deployment", "Role", "RoleBinding", "Secret", "ServiceAccount"})
SECRET = "hunter2-swordfish-9"

#: A chart whose defaults carry nulls at and below the top level, and whose one template
#: fails if ``stop`` is true: a plan that renders it says so with a TemplateError.
NULLS_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: nulls\nversion: 0.1.0\n",
    "values.yaml": "dropped: null\nkept: 1\nnested:\n  inner: null\n  other: x\nstop: false\n",
    "values.schema.json": json.dumps({"type": "object", "properties": {
        "kept": {"type": "integer"}, "stop": {"type": "boolean"}}}),
    "templates/values.yaml": (
        '{{- if .Values.stop }}{{ fail "the chart was rendered" }}{{ end }}\n'
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-values\n"
        "data:\n  values.json: {{ toJson .Values | quote }}\n"
    ),
}


@dataclass(frozen=True)
class Kit:
    """What rows build their inputs from."""

    nulls: PathRef
    stable: ChannelSpec

    def channel_with_chart(self, path: str, values: dict[str, Any]) -> ChannelSpec:
        spec = json.loads((REPO / "channels" / "stable" / "0.62.0.json").read_text())
        return parse_channel_spec({**spec, "chart": {"path": path}, "values": values}, "test:channel")


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    root = tmp_path_factory.mktemp("nulls-chart")
    for name, text in NULLS_CHART.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return Kit(PathRef(root, "nulls"), load_embedded("stable", "0.62.0"))


def user(values: dict[str, Any]) -> Layer:
    return layer_from_values("user", "secret:ns/demo-spec-user#values", values)


def cr(values: dict[str, Any]) -> Layer:
    return layer_from_values("cr", "cr:ns/demo", values)


def operator(values: dict[str, Any]) -> Layer:
    return layer_from_values("operator", "file:operator.yaml", values)


def helm_file(values: dict[str, Any]) -> Layer:
    """A ``-f`` file: Helm's user values, whose nulls delete only what is below them."""
    return Layer("file", "file:values.yaml", values, keep_nulls=True)


@dataclass(frozen=True)
class Row:
    name: str
    inputs: Callable[[Kit], PlanInputs]
    chart: str | None = None  # the chart reference chosen (its text)
    layers: tuple[str, ...] | None = None  # layer names, lowest first
    values: dict[str, Any] = field(default_factory=dict)  # dotted path -> effective value
    absent: tuple[str, ...] = ()  # dotted paths not in the effective values
    winners: dict[str, str] = field(default_factory=dict)  # dotted path -> layer that set it
    violations: tuple[tuple[str, str], ...] = ()  # (dotted path, layer) of each violation
    pin: str | None = None  # the release the user/cr layers pin
    error: type[Exception] | None = None
    error_says: str = ""
    kinds: frozenset[str] | None = None  # kinds shown; None: nothing rendered (invalid, or render=False)
    templates_see: dict[str, Any] | None = None  # the nulls chart's .Values, as rendered
    secrets: tuple[str, ...] = ()  # never in the shown render, base64 in the real one


ROWS = [
    # -- chart choice: explicit > channel's > bundled
    Row("bundled chart when neither caller nor channel names one",
        lambda k: PlanInputs(),
        chart="charts/platform", layers=("chart",), kinds=PLATFORM_KINDS),
    Row("channel's chart when the caller names none (relative to the repository)",
        lambda k: PlanInputs(channel=k.channel_with_chart("tests/charts/agent", {})),
        chart="tests/charts/agent", layers=("chart", "channel"), kinds=AGENT_KINDS),
    Row("caller's chart over the channel's; the channel's values still apply",
        lambda k: PlanInputs(chart=k.nulls, channel=k.stable),
        chart="nulls", layers=("chart", "channel"), values={"features.artifactsV2": True, "kept": 1},
        winners={"features.artifactsV2": "channel", "kept": "chart"}, kinds=frozenset({"ConfigMap"})),
    Row("a chart that cannot be had is an error naming it",
        lambda k: PlanInputs(chart=PathRef(Path("/nonexistent/chart"), "missing"), channel=k.stable),
        error=ChartSourceError, error_says="missing"),
    # -- absent layers are skipped; the rest keep their order and precedence
    Row("only the chart's defaults",
        lambda k: PlanInputs(render=False),
        layers=("chart",), values={"app.replicaCount": 1}, winners={"app.replicaCount": "chart"}),
    Row("operator and cr without channel or user",
        lambda k: PlanInputs(operator=operator({"app": {"replicaCount": 2}}), cr=cr({"app": {"replicaCount": 3}}),
                             render=False),
        layers=("chart", "operator", "cr"), values={"app.replicaCount": 3}, winners={"app.replicaCount": "cr"}),
    Row("every layer: extras above cr, cr above user, user above channel",
        lambda k: PlanInputs(channel=k.stable, operator=operator({"redis": {"port": 6390}}),
                             user=user({"redis": {"port": 6391}, "app": {"replicaCount": 4}}),
                             cr=cr({"app": {"replicaCount": 5}}), extra=(helm_file({"redis": {"port": 6392}}),)),
        layers=("chart", "operator", "channel", "user", "cr", "file"),
        values={"redis.port": 6392, "app.replicaCount": 5},
        winners={"redis.port": "file", "app.replicaCount": "cr"}, kinds=STABLE_KINDS),
    # -- violations are data, name their layer, and stop the render
    Row("a violation names the layer that supplied the value",
        lambda k: PlanInputs(channel=k.stable, user=user({"app": {"replicaCount": "three"}})),
        violations=(("app.replicaCount", "user"),), kinds=None),
    Row("a plan with violations renders nothing (this chart's template would fail)",
        lambda k: PlanInputs(chart=k.nulls, user=user({"stop": True, "kept": "one"})),
        violations=(("kept", "user"),), kinds=None),
    Row("the same chart, valid: rendered, and its template's failure is the error",
        lambda k: PlanInputs(chart=k.nulls, user=user({"stop": True})),
        error=TemplateError, error_says="the chart was rendered"),
    # -- the pinned release (_releaseId): the caller's to resolve, a control key to plan()
    Row("the cr's _releaseId over the user's; control keys are not values",
        lambda k: PlanInputs(channel=k.stable, user=user({"_releaseId": "0.61.0"}),
                             cr=cr({"_releaseId": "rel-2026-10-stable-0.62.0"})),
        pin="rel-2026-10-stable-0.62.0", absent=("_releaseId",), kinds=STABLE_KINDS),
    Row("the cr's empty _releaseId unpins",
        lambda k: PlanInputs(user=user({"_releaseId": "0.61.0"}), cr=cr({"_releaseId": ""}), render=False),
        pin=None, layers=("chart", "user", "cr")),
    Row("a _releaseId that is no release is an error naming its layer",
        lambda k: PlanInputs(cr=cr({"_releaseId": 7})),
        error=ChannelRequestError, error_says="cr:ns/demo"),
    # -- chart null defaults (Helm >= 4.2)
    Row("a chart's null defaults are no values",
        lambda k: PlanInputs(chart=k.nulls),
        values={"kept": 1, "nested.other": "x"}, absent=("dropped", "nested.inner"),
        templates_see={"kept": 1, "nested": {"other": "x"}, "stop": False}, kinds=frozenset({"ConfigMap"})),
    Row("a file's null deletes a top-level null default's key, and stays a null below",
        lambda k: PlanInputs(chart=k.nulls, extra=(helm_file({"dropped": None, "nested": {"inner": None, "other": None}}),)),
        values={"nested.inner": None}, absent=("dropped", "nested.other"),
        templates_see={"kept": 1, "nested": {"inner": None}, "stop": False}, kinds=frozenset({"ConfigMap"})),
    # -- secrets: shown renders carry placeholders, only the real render the secret
    Row("a user's secret is masked in the shown render and real in the applied one",
        lambda k: PlanInputs(channel=k.stable, user=user({"mysql": {"password": SECRET},
                                                          "bucket": {"secretKey": SECRET + "-bucket"}})),
        values={"mysql.password": SECRET}, winners={"mysql.password": "user"},
        secrets=(SECRET, SECRET + "-bucket"), kinds=STABLE_KINDS),
]


def outcome(inputs: PlanInputs) -> tuple[Plan, str | None]:
    """What a front door does: the release the layers pin (it picks the channel spec by it), then the plan."""
    return plan(inputs), pinned_release(inputs.user, inputs.cr)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_plan(row: Row, kit: Kit):
    inputs = row.inputs(kit)
    if row.error is not None:
        with pytest.raises(row.error) as caught:
            outcome(inputs)
        assert row.error_says in str(caught.value)
        return
    result, pin = outcome(inputs)

    if row.chart is not None:
        assert result.chart_ref.text == row.chart
    if row.layers is not None:
        assert tuple(layer.name for layer in result.layers) == row.layers
    effective = result.effective.values
    for dotted, value in row.values.items():
        assert get_at(effective, from_dotted(dotted)) == value, dotted
    for dotted in row.absent:
        with pytest.raises((KeyError, IndexError, TypeError)):
            get_at(effective, from_dotted(dotted))
    for dotted, layer in row.winners.items():
        winner = result.effective.explain(dotted).winner
        assert winner is not None and winner.layer == layer, dotted
    assert [(v.path, v.layer) for v in result.violations] == list(row.violations)
    assert result.ok == (not row.violations)
    assert pin == row.pin

    if row.kinds is None:
        assert (result.rendering, result.manifests, result.shown()) == (None, None, None)
        assert (result.helm_values is None) == bool(row.violations), "Helm is given the values of a valid spec only"
        return
    shown = result.shown()
    assert shown is not None and shown.fallback is None
    documents = shown.documents(result.redactor())
    assert {d.kind for d in documents} == row.kinds
    if row.templates_see is not None:
        (configmap,) = documents
        assert json.loads(yaml.safe_load(configmap.text)["data"]["values.json"]) == row.templates_see
    shown_text = "".join(d.text for d in documents)
    real_text = "".join((result.manifests or {}).values())
    for secret in row.secrets:
        encoded = base64.b64encode(secret.encode()).decode()
        assert secret not in shown_text and encoded not in shown_text
        assert encoded in real_text


def test_plan_is_a_pure_function_of_its_inputs(kit: Kit):
    """Two plans of equal inputs agree, and planning leaves the caller's layers as they were."""
    layer = user({"app": {"replicaCount": 2}, "mysql": {"password": SECRET}})
    before = json.dumps(layer.values, sort_keys=True)
    inputs = PlanInputs(channel=kit.stable, user=layer, options=RenderOptions())
    first, second = plan(inputs), plan(inputs)
    assert first.effective.values == second.effective.values
    assert first.shown().manifests == second.shown().manifests
    assert json.dumps(layer.values, sort_keys=True) == before
