"""The merge equals what Helm itself makes of ``-f l1 -f l2 ...`` over chart defaults.

The oracle is the real ``helm`` CLI (built from Helm's Go module by tests/cluster/build.sh)
rendering a probe chart whose defaults are the lowest layer and whose one template prints
``{{ toJson .Values }}`` into a ConfigMap. Nothing here re-implements Helm.

Two documented differences (README, "Differences from Helm"), each pinned by a test:

1. Helm keeps an explicit ``null`` for a key that no chart default has (since Helm
   3.17.1); our contract deletes it. Helm's output is compared after dropping null-valued
   map keys (lists are values and stay verbatim).
2. Helm folds the ``-f`` files first and coalesces chart defaults underneath afterwards,
   so when a file drops a chart-default map (null or non-map) and a later file puts a map
   there again, Helm brings the chart defaults back under it. The contract is a left fold
   with the chart layer at the bottom: the drop stands. Generated inputs with that shape
   are set aside from the equality property (``resurrects_defaults``).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from trees import trees

from specmerge.core import Layer, LayerInputError, file_layer, merge, set_layers
from specmerge.core.dump import to_yaml

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


def drop_null_keys(tree: Any) -> Any:
    """Helm's result without null-valued map keys; lists are values and stay verbatim."""
    if isinstance(tree, dict):
        return {k: drop_null_keys(v) for k, v in tree.items() if v is not None}
    return tree


def _ours(chart: Path, files: list[Path]) -> dict[str, Any]:
    layers = [file_layer(chart / "values.yaml", "chart")] + [file_layer(f) for f in files]
    return merge(layers).full


def _dict_paths(tree: Any, base: tuple = ()) -> list[tuple]:
    out = []
    if isinstance(tree, dict):
        out.append(base)
        for k, v in tree.items():
            out.extend(_dict_paths(v, base + (k,)))
    return out


def _says(tree: Any, path: tuple) -> str:
    """What a layer does at ``path``: 'map', 'drop' (null/non-map at it or above), or ''."""
    node = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return ""
        node = node[key]
        if not isinstance(node, dict):
            return "drop"
    return "map"


def resurrects_defaults(defaults: dict, users: list[dict]) -> bool:
    """Difference 2: a user layer drops a chart-default map and a later one maps it again."""
    for path in _dict_paths(defaults):
        says = [_says(u, path) for u in users]
        for i, s in enumerate(says):
            if s == "drop" and "map" in says[i + 1 :]:
                return True
    return False


@pytest.mark.helmcli
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(defaults=trees(), users=st.lists(trees(), min_size=1, max_size=3))
def test_merge_equals_helm_for_layered_values_files(
    helm_cli: Path, tmp_path_factory: pytest.TempPathFactory, defaults: dict, users: list[dict]
) -> None:
    assume(not resurrects_defaults(defaults, users))
    root = tmp_path_factory.mktemp("parity")
    chart = _probe_chart(root, defaults)
    files = []
    for i, values in enumerate(users):
        f = root / f"l{i}.yaml"
        f.write_text(to_yaml(values))
        files.append(f)
    args = [a for f in files for a in ("-f", str(f))]
    assert _ours(chart, files) == drop_null_keys(helm_values(helm_cli, chart, args))


@pytest.mark.helmcli
def test_documented_difference_null_for_a_key_without_default(helm_cli: Path, tmp_path: Path) -> None:
    """Helm keeps ``extra: null`` when the chart has no ``extra``; we delete it."""
    chart = _probe_chart(tmp_path, {"image": {"tag": "1"}})
    user = tmp_path / "u.yaml"
    user.write_text("extra: null\nimage:\n  tag: null\n")
    assert helm_values(helm_cli, chart, ["-f", str(user)]) == {"extra": None, "image": {}}
    assert _ours(chart, [user]) == {"image": {}}


@pytest.mark.helmcli
def test_documented_difference_chart_defaults_do_not_come_back(helm_cli: Path, tmp_path: Path) -> None:
    """The channel turns ingress off with null; the user turns it on with a map. Helm
    resurrects the chart's ingress defaults under the user's map; our left fold does not
    (and the renderer passes nulls so Helm renders what we show)."""
    chart = _probe_chart(tmp_path, {"ingress": {"enabled": False, "className": "nginx"}})
    channel, user = tmp_path / "channel.yaml", tmp_path / "user.yaml"
    channel.write_text("ingress: null\n")
    user.write_text("ingress:\n  enabled: true\n")
    assert resurrects_defaults({"ingress": {"enabled": False}}, [{"ingress": None}, {"ingress": {}}])
    helm = helm_values(helm_cli, chart, ["-f", str(channel), "-f", str(user)])
    assert helm == {"ingress": {"enabled": True, "className": "nginx"}}
    assert _ours(chart, [channel, user]) == {"ingress": {"enabled": True}}


@pytest.mark.helmcli
def test_set_flags_parse_and_stack_as_in_helm(helm_cli: Path, tmp_path: Path) -> None:
    """--set typing (0123 stays a string, null deletes, true is a bool) and Helm's order:
    every -f, then --set-json, --set, --set-string, whatever the flag positions."""
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
    layers = [file_layer(chart / "values.yaml", "chart"), file_layer(user)] + set_layers(flags)
    ours = merge(layers).full
    helm = drop_null_keys(helm_values(helm_cli, chart, args))
    assert ours == helm
    assert ours["a"] == "0123" and ours["port"] == "8080" and ours["flags"] == {"on": True}
    assert "y" not in ours["keep"]


@pytest.mark.helmcli
def test_yaml_1_1_scalars_read_as_helm_reads_them(helm_cli: Path, tmp_path: Path) -> None:
    chart = _probe_chart(tmp_path, {})
    user = tmp_path / "u.yaml"
    user.write_text("b1: yes\nb2: off\noct: 0123\nhex: 0x1F\nts: 2026-01-01\nq: '0123'\nf: 1.5\n")
    ours = merge([file_layer(user)]).full
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
    assert merge([Layer("chart", "c", a), Layer("cr", "d", b)]).full == merge(
        [Layer("p", "c", a), Layer("q", "d", b)]
    ).full
