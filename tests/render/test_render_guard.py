"""The render guard (design.md §5a): values from the console, a CR or the CLI are data, never
structure. A chart that prints values unquoted (tests/render/guardchart, as many charts do)
must not let a value add objects, change kinds, or move an object to another namespace; the
bundled chart refuses such values in its schema and quotes what it prints."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specmerge.core import layer_from_values, merge
from specmerge.pipeline import PlanInputs, bundled_chart_ref, plan, render_effective
from specmerge.render import PathRef, RenderOptions, TemplateError, documents, helm_values, load_chart
from specmerge.render.guard import ValuesAddStructure, inert

from renderkit import run_cli

GUARDCHART = Path(__file__).resolve().parent / "guardchart"
CHART = PathRef(GUARDCHART, "tests/render/guardchart")

CRB = ("x\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwn\n"
       "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\n"
       "subjects:\n- kind: ServiceAccount\n  name: default\n  namespace: default\n")
EXTRA_SA = "x\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: pwn\n  namespace: kube-system\n"


def _plan(user: dict[str, Any], layer: str = "user", source: str = "secret:team-a/demo-spec-user#values",
          chart: Any = CHART) -> Any:
    return plan(PlanInputs(chart=chart, user=layer_from_values(layer, source, user) if layer == "user" else None,
                           cr=layer_from_values(layer, source, user) if layer == "cr" else None))


def _refused(user: dict[str, Any], **kw: Any) -> str:
    with pytest.raises(ValuesAddStructure) as err:
        _plan(user, **kw)
    return str(err.value)


def test_a_value_that_adds_a_cluster_role_binding_is_refused_naming_layer_and_path() -> None:
    msg = _refused({"name": CRB})
    assert "ClusterRoleBinding" in msg and "the value at name (user layer, secret:team-a/demo-spec-user#values)" in msg
    assert "cluster-admin" not in msg and "pwn" not in msg  # the value itself is never quoted


def test_an_extra_object_of_a_kind_the_chart_makes_is_refused() -> None:
    msg = _refused({"name": EXTRA_SA}, layer="cr", source="cr:team-a/demo")
    assert "renders 2 object(s)" in msg and "cr layer" in msg


def test_a_list_item_that_adds_an_object_is_refused() -> None:
    msg = _refused({"queues": ["default", "q\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: pwn\n"]})
    assert "queues[1]" in msg


def test_a_key_that_moves_an_object_to_another_namespace_is_refused() -> None:
    # a label key printed raw: a line break in it puts a namespace: line into metadata
    msg = _refused({"labels": {"a: b\n  namespace: kube-system\n  x": "y"}})
    assert "another namespace" in msg and "the key at labels" in msg


def test_structure_through_tpl_is_refused() -> None:
    msg = _refused({"note": '{{ printf "x\\n---\\napiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: pwn" }}'})
    assert "Namespace" in msg and "note" in msg


def test_a_request_supplied_operator_layer_is_guarded_too() -> None:
    with pytest.raises(ValuesAddStructure):
        plan(PlanInputs(chart=CHART, operator=layer_from_values("operator", "request:operator", {"name": CRB})))


def test_values_used_as_data_pass() -> None:
    """Free text, a name the chart prints where a name goes, control flow on an inert value."""
    p = _plan({"name": "my-sa", "note": "Owned by team A, since 2024", "labels": {"team": "a b"}, "provider": "s3"})
    objects = {(d.kind, d.text.split("name: ")[1].split("\n")[0]) for d in documents(p.manifests)}
    assert ("ServiceAccount", "my-sa") in objects and len(objects) == 3


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("ab-:# \n\t'\"{}[]&*!|>%@`,.\\") + ["---", "\n---\n", "kind: Role\n"]),
                max_size=20).map("".join))
def test_no_value_yields_a_render_with_more_objects(text: str) -> None:
    """Law: whatever string the console puts in a name, the render is either refused (by the
    guard, or by a template/YAML error) or has exactly the chart's objects."""
    try:
        p = _plan({"name": text})
    except (ValuesAddStructure, TemplateError):
        return
    kinds = sorted(d.kind or "" for d in documents(p.manifests))
    assert kinds == ["ConfigMap", "Deployment", "ServiceAccount"]


@pytest.mark.parametrize("text, ok", [("my-sa", True), ("Owned by team A", True), ("http://h:8080/x", True),
                                      ("a\nb", False), ("a: b", False), ("x #y", False), ("{{ x }}", False),
                                      ("[a]", False), ("*alias", False), ("|", False), ("a\u2028b", False)])
def test_inert(text: str, ok: bool) -> None:
    assert inert(text) is ok


def test_render_cli_strict_refuses_a_values_file_that_adds_objects(tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text("name: |\n" + "".join(f"  {line}\n" for line in CRB.splitlines()))
    out = run_cli("render", "--chart", str(GUARDCHART), "-f", str(evil), "--strict")
    assert out.exit_code == 2 and "ClusterRoleBinding" in out.stderr and "the value at name" in out.stderr
    assert "kind: ClusterRoleBinding" not in out.stdout and "Traceback" not in out.stderr


# -- the bundled chart ---------------------------------------------------------------------


@pytest.mark.parametrize("user, where", [
    ({"app": {"serviceAccount": {"name": CRB}}}, "/app/serviceAccount/name"),
    ({"worker": {"enabled": True, "queues": ["default", CRB]}}, "/worker/queues/1"),
    ({"nameOverride": CRB}, "/nameOverride"),
    ({"fullnameOverride": CRB}, "/fullnameOverride"),
    ({"ingress": {"className": CRB}}, "/ingress/className"),
    ({"mysql": {"existingSecret": CRB}}, "/mysql/existingSecret"),
])
def test_bundled_chart_schema_refuses_names_that_are_not_dns_names(user: dict[str, Any], where: str) -> None:
    p = _plan(user, chart=None)
    assert not p.ok and p.manifests is None
    assert any(v.pointer == where for v in p.violations), [v.pointer for v in p.violations]


def test_bundled_chart_quotes_names_so_a_hostile_value_stays_one_scalar() -> None:
    """Even with the schema bypassed, the bundled chart's quotes keep the value one string."""
    chart = load_chart(bundled_chart_ref())
    hostile = {"nameOverride": "", "app": {"serviceAccount": {"name": CRB}}, "worker": {"enabled": True, "queues": [CRB]}}
    effective = merge([layer_from_values("chart", chart.locator, chart.values), layer_from_values("user", "u", hostile)])
    rendered = render_effective(chart, effective, RenderOptions())
    assert "ClusterRoleBinding" not in {d.kind for d in documents(rendered)}
    baseline = render_effective(chart, merge([layer_from_values("chart", chart.locator, chart.values),
                                              layer_from_values("user", "u", {"worker": {"enabled": True}})]),
                                RenderOptions())
    assert len(documents(rendered)) == len(documents(baseline))


def _string_leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _string_leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _string_leaves(v, path + (i,))
    elif isinstance(node, str):
        yield path


def test_the_bundled_chart_prints_every_string_value_as_one_scalar() -> None:
    """Schema bypassed, every string the values hold (every optional block switched on) set
    in turn to a text that would add a Namespace if printed raw: the render has no object the
    defaults do not have, and the guard never has to step in (the templates quote)."""
    chart = load_chart(bundled_chart_ref())
    on = {"worker": {"enabled": True},
          "ingress": {"className": "nginx", "hosts": ["h"], "tls": [{"secretName": "s", "hosts": ["h"]}],
                      "annotations": {"a": "b"}},
          "app": {"pdb": {"enabled": True, "maxUnavailable": "1"}, "autoscaling": {"enabled": True},
                  "extraEnv": [{"name": "A", "value": "b"}], "podAnnotations": {"a": "b"}, "podLabels": {"a": "b"},
                  "service": {"annotations": {"a": "b"}}, "serviceAccount": {"annotations": {"a": "b"}}},
          "global": {"imagePullSecrets": [{"name": "p"}], "commonLabels": {"a": "b"}}}
    full = merge([layer_from_values("chart", chart.locator, chart.values), layer_from_values("user", "u", on)]).values
    hostile = "x\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: pwn\n"

    def kinds(values: dict[str, Any]) -> set[str]:
        effective = merge([layer_from_values("chart", chart.locator, chart.values), layer_from_values("user", "u", values)])
        return {d.kind or "" for d in documents(render_effective(chart, effective, RenderOptions()))}

    baseline = kinds(full)
    checked = 0
    for path in _string_leaves(full):
        values = copy.deepcopy(full)
        node = values
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = hostile
        assert kinds(values) <= baseline, path  # existingSecret set drops a Secret: fewer is fine
        checked += 1
    assert checked > 40


def test_when_the_reference_render_fails_the_kinds_check_still_refuses() -> None:
    """A chart may ``fail`` on a token where the real value passes: then the guard has only
    the kinds the chart's templates spell, and a ClusterRoleBinding is not among them."""
    from specmerge.render import render
    from specmerge.render.guard import check_render

    chart = load_chart(CHART)
    effective = merge([layer_from_values("chart", chart.locator, chart.values),
                       layer_from_values("user", "request:user", {"name": CRB})])
    values = helm_values(effective, chart.values)
    rendered = render(chart, values, RenderOptions(), prevalidated=True)

    def failing(_: dict[str, Any]) -> dict[str, str]:
        raise TemplateError("the chart refuses the token")

    with pytest.raises(ValuesAddStructure, match="ClusterRoleBinding"):
        check_render(chart, effective, values, rendered, failing)
