"""The merge equals what Helm itself makes of ``-f l1 -f l2 ...`` over chart defaults.

The oracle is the real ``helm`` CLI (built from Helm's Go module by tests/cluster/build.sh)
rendering a probe chart whose defaults are the lowest layer and whose one template prints
``{{ toJson .Values }}`` into a ConfigMap. Nothing here re-implements Helm.

The CLI's ``-f`` files form one group, merged as Helm's MergeValues merges them, on top
of the chart layer (design.md §2): the equality holds for every generated input, nulls and
dropped-then-remapped chart defaults included. Chart-default nulls are dropped as Helm
>= 4.2 drops them. The layer model's differences remain between *other* layers (a channel
that drops a map a console value maps again): pinned below with Layers, not files.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from trees import trees

from specmerge.core import Layer, LayerInputError, file_layer, merge
from specmerge.core.dump import to_yaml
from specmerge.core.setflags import compose, values_file_layer
from specmerge.pipeline import chart_defaults_layer

TEMPLATE = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  values: {{ toJson .Values | quote }}\n'


def _probe_chart(root: Path, defaults: dict[str, Any]) -> Path:
    chart = root / "probe"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text(to_yaml(defaults))
    (chart / "templates" / "values.yaml").write_text(TEMPLATE)
    return chart


def helm_values(helm: Path, chart: Path, args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [str(helm), "template", "probe", str(chart), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(out.stdout.split("---", 1)[1])
    return json.loads(doc["data"]["values"])


def _ours(chart: Path, files: list[Path]) -> dict[str, Any]:
    defaults = file_layer(chart / "values.yaml", "chart")
    chart_layer = chart_defaults_layer(defaults.source, defaults.values)
    group = compose([values_file_layer(f) for f in files], [])
    return merge([chart_layer] + ([group] if group else [])).with_controls


@pytest.mark.helmcli
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(defaults=trees(), users=st.lists(trees(), min_size=1, max_size=3))
# a chart's null default is dropped, yet at the top level its key is there for a user's null to
# delete; below the top level the user's null stays (both found by this test)
@example(defaults={"a": None}, users=[{"a": None}])
@example(defaults={"a": None, "b": None, "on": {"a": None}}, users=[{"a": None, "b": [], "on": {"a": None}}])
def test_merge_equals_helm_for_layered_values_files(
    helm_cli: Path, tmp_path_factory: pytest.TempPathFactory, defaults: dict, users: list[dict]
) -> None:
    root = tmp_path_factory.mktemp("parity")
    chart = _probe_chart(root, defaults)
    files = []
    for i, values in enumerate(users):
        f = root / f"l{i}.yaml"
        f.write_text(to_yaml(values))
        files.append(f)
    args = [a for f in files for a in ("-f", str(f))]
    assert _ours(chart, files) == helm_values(helm_cli, chart, args)


@pytest.mark.helmcli
def test_null_for_a_key_without_default_reaches_the_templates(helm_cli: Path, tmp_path: Path) -> None:
    """Helm keeps ``extra: null`` when the chart has no ``extra``, and so does the group."""
    chart = _probe_chart(tmp_path, {"image": {"tag": "1"}})
    user = tmp_path / "u.yaml"
    user.write_text("extra: null\nimage:\n  tag: null\n")
    assert helm_values(helm_cli, chart, ["-f", str(user)]) == {"extra": None, "image": {}}
    assert _ours(chart, [user]) == {"extra": None, "image": {}}


@pytest.mark.helmcli
def test_files_that_drop_then_map_again_bring_chart_defaults_back_as_in_helm(helm_cli: Path, tmp_path: Path) -> None:
    """As ``-f`` files (one group), a null then a map: Helm merges the files first, so the
    chart's other ingress defaults come back - and so they do in the group."""
    chart = _probe_chart(tmp_path, {"ingress": {"enabled": False, "className": "nginx"}})
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    first.write_text("ingress: null\n")
    second.write_text("ingress:\n  enabled: true\n")
    helm = helm_values(helm_cli, chart, ["-f", str(first), "-f", str(second)])
    assert helm == {"ingress": {"enabled": True, "className": "nginx"}}
    assert _ours(chart, [first, second]) == helm


def test_documented_difference_between_layers_chart_defaults_do_not_come_back() -> None:
    """Between the pipeline's layers (channel, console, CR) the left fold stands: a channel
    that drops ingress and a console value that maps it again do not resurrect the chart's
    ingress defaults (README, "Differences from Helm")."""
    layers = [
        Layer("chart", "c", {"ingress": {"enabled": False, "className": "nginx"}}),
        Layer("channel", "ch", {"ingress": None}),
        Layer("user", "u", {"ingress": {"enabled": True}}),
    ]
    assert merge(layers).with_controls == {"ingress": {"enabled": True}}


@pytest.mark.helmcli
def test_set_flags_parse_and_stack_as_in_helm(helm_cli: Path, tmp_path: Path) -> None:
    """--set typing (0123 stays a string, null deletes a default, true is a bool) and
    Helm's order: every -f, then --set-json, --set, --set-string, whatever the positions."""
    chart = _probe_chart(tmp_path, {"a": "default", "keep": {"x": 1, "y": 2}, "port": 1})
    user = tmp_path / "u.yaml"
    user.write_text("a: from-file\nport: 2\nflags: {'on': yes}\n")
    flags = {
        "set-json": ['obj={"k":[1,2]}'],
        "set": ["a=0123,keep.y=null,b=true,c=0", "list={x,y}"],
        "set-string": ["port=8080"],
    }
    args = ["-f", str(user), "--set-json", flags["set-json"][0]]
    args += [a for e in flags["set"] for a in ("--set", e)]
    args += ["--set-string", flags["set-string"][0]]
    from specmerge.core.setflags import helm_order

    group = compose([values_file_layer(user)], helm_order(flags))
    ours = merge([file_layer(chart / "values.yaml", "chart"), group]).with_controls
    helm = helm_values(helm_cli, chart, args)
    assert ours == helm
    assert ours["a"] == "0123" and ours["port"] == "8080" and ours["flags"] == {"on": True}
    assert "y" not in ours["keep"]


@pytest.mark.helmcli
def test_yaml_1_1_scalars_read_as_helm_reads_them(helm_cli: Path, tmp_path: Path) -> None:
    chart = _probe_chart(tmp_path, {})
    user = tmp_path / "u.yaml"
    user.write_text("b1: yes\nb2: off\noct: 0123\nhex: 0x1F\nts: 2026-01-01\nq: '0123'\nf: 1.5\n")
    ours = merge([file_layer(user)]).with_controls
    assert ours == helm_values(helm_cli, chart, ["-f", str(user)])
    assert ours == {"b1": True, "b2": False, "oct": 83, "hex": 31, "ts": "2026-01-01", "q": "0123", "f": 1.5}


@pytest.mark.helmcli
def test_unquoted_boolean_key_is_refused_where_helm_silently_renames_it(
    helm_cli: Path, tmp_path: Path
) -> None:
    """Helm reads the key ``on:`` as the boolean true and turns it into the key "true";
    we refuse it with an error naming the file and line instead of renaming it."""
    chart = _probe_chart(tmp_path, {})
    user = tmp_path / "u.yaml"
    user.write_text("triggers:\n  on: push\n")
    assert helm_values(helm_cli, chart, ["-f", str(user)]) == {"triggers": {"true": "push"}}
    with pytest.raises(LayerInputError, match=r"u.yaml:2:3: key True under triggers is read as boolean"):
        file_layer(user)


def test_layer_names_do_not_change_values() -> None:
    """Parity is about values: a layer's name only labels provenance."""
    a = {"x": {"y": 1}}
    b = {"x": {"z": 2}}
    assert merge([Layer("chart", "c", a), Layer("cr", "d", b)]).with_controls == merge(
        [Layer("p", "c", a), Layer("q", "d", b)]
    ).with_controls
