"""``-f``/``--set*`` compose exactly as Helm's MergeValues: every vector of
``strvals_vectors.py`` (our table of Helm's strvals test cases plus composition cases) goes
through ``specmerge merge`` and through the Go-built ``helm template`` on a chart that prints
``{{ toJson .Values }}``; both must fail, or both succeed with the same values.

Plus the unit laws of the group layer that need no oracle: per-leaf provenance and that a
failing expression never echoes a value.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strvals_vectors import VECTORS
from typer.testing import CliRunner

from specmerge.cli import app
from specmerge.core import LayerInputError, Layer, merge
from specmerge.core.setflags import SetFlag, compose, helm_order, typed_value, values_file_layer

TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  values: {{ toJson .Values | quote }}\n"


def probe_chart(root: Path) -> Path:
    chart = root / "probe"
    (chart / "templates").mkdir(parents=True, exist_ok=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("{}\n")
    (chart / "templates" / "values.yaml").write_text(TEMPLATE)
    return chart


def helm_outcome(helm: Path, chart: Path, args: list[str]) -> tuple[str, Any]:
    out = subprocess.run([str(helm), "template", "probe", str(chart), *args], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        return "error", None
    from ruamel.yaml import YAML

    doc = YAML(typ="safe").load(out.stdout.split("---", 1)[1])
    return "ok", json.loads(doc["data"]["values"])


def our_outcome(args: list[str]) -> tuple[str, Any]:
    result = CliRunner().invoke(app, ["merge", *args, "-o", "json", "--show-secrets"])
    if result.exit_code == 2:
        return "error", None
    assert result.exit_code == 0, result.output
    return "ok", json.loads(result.stdout)["values"]


def _args(root: Path, files: list[str], flags: list[tuple[str, str]]) -> list[str]:
    args: list[str] = []
    for i, text in enumerate(files):
        f = root / f"values{i}.yaml"
        f.write_text(text)
        args += ["-f", str(f)]
    for kind, expr in flags:
        args += [f"--{kind}", expr]
    return args


@pytest.mark.helmcli
@pytest.mark.parametrize(("files", "flags"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_vector_composes_as_helm(helm_cli: Path, tmp_path: Path, files: list[str], flags: list[tuple[str, str]]) -> None:
    chart = probe_chart(tmp_path)
    args = _args(tmp_path, files, flags)
    assert our_outcome(args) == helm_outcome(helm_cli, chart, args)


@pytest.mark.helmcli
def test_set_file_reads_files_into_the_map(helm_cli: Path, tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("-----BEGIN X-----\nabc\n-----END X-----\n")
    (tmp_path / "n.txt").write_text("0123")
    chart = probe_chart(tmp_path)
    files = ["tls: {ca: old, keep: 1}\n"]
    flags = [("set-file", f"tls.ca={tmp_path / 'cert.pem'},n={tmp_path / 'n.txt'}"), ("set", "tls.keep=2")]
    args = _args(tmp_path, files, flags)
    ours, helm = our_outcome(args), helm_outcome(helm_cli, chart, args)
    assert ours == helm
    assert ours[1]["n"] == "0123"
    missing = _args(tmp_path, [], [("set-file", f"a={tmp_path / 'absent'}")])
    assert our_outcome(missing) == helm_outcome(helm_cli, chart, missing) == ("error", None)


# --- laws of the group, no oracle needed ---------------------------------------------------


def test_typed_value_follows_helm() -> None:
    assert [typed_value(t, False) for t in ("TRUE", "false", "Null", "0", "0123", "+5", "-7", "1_0", " 5", "")] == [
        True, False, None, 0, "0123", 5, -7, "1_0", " 5", ""
    ]
    assert typed_value("9223372036854775808", False) == "9223372036854775808"  # past int64: a string
    assert typed_value("true", True) == "true"


def test_provenance_is_per_leaf(tmp_path: Path) -> None:
    f = tmp_path / "prod.yaml"
    f.write_text("image:\n  tag: v1\n  repo: r\nl: [1, 2]\n")
    group = compose([values_file_layer(f, display="prod.yaml")], helm_order({"set": ["image.tag=v2", "l[3]=x"]}))
    assert group is not None
    eff = merge([Layer("chart", "chart:c@1/values.yaml", {"image": {"tag": "v0", "pull": "IfNotPresent"}}), group])
    assert eff.with_controls == {"image": {"tag": "v2", "repo": "r", "pull": "IfNotPresent"}, "l": [1, 2, None, "x"]}
    tag = eff.explain("image.tag")
    assert (tag.winner.layer, tag.winner.source) == ("set", "set:--set image.tag")
    assert [(e.layer, e.value) for e in tag.shadowed] == [("file", "v1"), ("chart", "v0")]
    repo = eff.explain("image.repo").winner
    assert (repo.layer, repo.source) == ("file", "file:prod.yaml:3:3")
    assert eff.explain("image.pull").winner.layer == "chart"
    assert eff.explain("l").winner.layer == "file"  # the list came from the file; --set edited it


def test_a_null_in_the_group_deletes_only_what_lies_below() -> None:
    group = compose([], helm_order({"set": ["a=null,b=null,c.d=null"]}))
    assert group is not None
    eff = merge([Layer("chart", "c", {"a": 1, "c": {"e": 2}}), group])
    assert eff.with_controls == {"b": None, "c": {"e": 2, "d": None}}
    assert [c.path for c in eff.deleted()] == [("a",)]


def test_a_later_flag_that_replaces_a_map_owns_what_is_under_it() -> None:
    group = compose([], [SetFlag("set", "a.b=1,a.c=2"), SetFlag("set-json", 'a={"d":3}')])
    assert group is not None and group.values == {"a": {"d": 3}}
    assert group.locate(("a", "b")) == group.locate(("a", "d")) == "set:--set-json a"
    group = compose([], [SetFlag("set-json", 'a={"d":3}'), SetFlag("set", "a.b=1")])
    assert group is not None and group.values == {"a": {"d": 3, "b": 1}}
    assert group.locate(("a", "d")) == "set:--set-json a"
    assert group.locate(("a", "b")) == "set:--set a.b"


@pytest.mark.parametrize(
    ("kind", "expr"),
    [
        ("set", "db=1,db.password.x=Sup3r-S3cret-Value"),
        ("set", "list[-1]=Sup3r-S3cret-Value"),
        ("set-json", 'pw={"x": "Sup3r-S3cret-Value"'),
        ("set-json", '{"pw": "Sup3r-S3cret-Value"'),
        ("set-literal", "a.b[x]=Sup3r-S3cret-Value"),
        ("set", "l={Sup3r-S3cret-Value"),
    ],
)
def test_a_failing_expression_never_echoes_a_value(kind: str, expr: str) -> None:
    with pytest.raises(LayerInputError) as info:
        compose([], [SetFlag(kind, expr)])
    assert "Sup3r-S3cret-Value" not in str(info.value)
    assert str(info.value).startswith(f"set:--{kind} ")


def test_multi_document_file_and_integer_keys(tmp_path: Path) -> None:
    f = tmp_path / "v.yaml"
    f.write_text("tcp:\n  8080: ns/svc:9000\n---\nudp:\n  53: kube-system/dns:53\n")
    assert values_file_layer(f).values == {"tcp": {"8080": "ns/svc:9000"}, "udp": {"53": "kube-system/dns:53"}}
    f.write_text("a: 1\n---\n- not a map\n")
    with pytest.raises(LayerInputError, match=r"\(document 2\): the top level must be a map"):
        values_file_layer(f)


_KEY = st.text(alphabet="abcxyz-_", min_size=1, max_size=6)
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def _escaped(text: str) -> str:
    return "".join("\\" + ch if ch in "\\,={}[]." else ch for ch in text)


@given(tree=st.dictionaries(_KEY, st.dictionaries(_KEY, _TEXT, min_size=1, max_size=3), min_size=1, max_size=3))
def test_escaped_set_expressions_round_trip(tree: dict[str, dict[str, str]]) -> None:
    """Law: any text, escaped with ``\\``, comes back verbatim from ``--set-string`` (as a
    whole flag of comma-joined assignments) and typed by Helm's rules from ``--set``."""
    expr = ",".join(f"{a}.{b}={_escaped(v)}" for a, inner in tree.items() for b, v in inner.items())
    group = compose([], [SetFlag("set-string", expr)])
    assert group is not None and group.values == tree
    typed = compose([], [SetFlag("set", expr)])
    assert typed is not None
    assert typed.values == {a: {b: typed_value(v, False) for b, v in inner.items()} for a, inner in tree.items()}
    literal = compose([], [SetFlag("set-literal", f"only.key={expr}")])
    assert literal is not None and literal.values == {"only": {"key": expr}}
