"""Bad input becomes a clear error naming the source and, where there is one, the line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specmerge.core import LayerInputError, file_layer, parse_json, parse_yaml
from specmerge.core.setflags import compose, helm_order
from specmerge.core import loaders


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # libyaml (the C loader) says "did not find expected", the pure-Python loader "expected ..., but got"
        ("a: 1\nb: [1, 2\n", r"f.yaml:3:1: invalid YAML: (did not find )?expected ',' or '\]'"),
        ("a: 1\nb: 2\na: 3\n", r'f.yaml:3:1: invalid YAML: found duplicate key "a" \(first defined at line 1\)'),
        ("a: 1\n---\nb: 2\n", r"f.yaml:2:1: invalid YAML: several YAML documents where one is expected"),
        ("- a\n- b\n", r"f.yaml:1:1: the top level must be a map of values, not a list"),
        ("just text\n", r"f.yaml:1:1: the top level must be a map of values, not a string"),
        ("ports:\n  80: http\n", r"f.yaml:2:3: key 80 under ports is read as integer"),
        ("a: &a [*a]\n", r"f.yaml:1:4: recursive alias at a\[0\]"),
    ],
)
def test_bad_yaml_names_source_line_and_problem(text: str, message: str) -> None:
    with pytest.raises(LayerInputError, match=message):
        parse_yaml(text, "file:f.yaml")


def test_the_declared_c_loader_is_the_one_that_reads() -> None:
    # ruamel.yaml.clib is a dependency: a fresh install must not fall back to the slow loader.
    assert loaders.c_loader_available()


def test_the_pure_python_loader_is_reported_once_on_stderr() -> None:
    script = (
        "import sys; sys.modules['_ruamel_yaml'] = None\n"  # as on an install without ruamel.yaml.clib
        "from specmerge.core import parse_yaml\n"
        "assert parse_yaml('a: 1\\n', 'file:a.yaml') == {'a': 1}\n"
        "assert parse_yaml('b: 2\\n', 'file:b.yaml') == {'b': 2}\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("C loader") == 1, done.stderr
    assert "pure-Python loader" in done.stderr


def test_alias_bomb_is_refused_before_expansion() -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    with pytest.raises(LayerInputError, match=r"bomb.yaml:\d+:1: alias expansion at l\d exceeds 1000000 nodes"):
        parse_yaml("\n".join(lines) + "\n", "file:bomb.yaml")


def test_ordinary_aliases_are_expanded_into_independent_copies() -> None:
    values = parse_yaml("base: &b {cpu: 1}\napp: *b\nworker: *b\n", "file:f.yaml")
    assert values == {"base": {"cpu": 1}, "app": {"cpu": 1}, "worker": {"cpu": 1}}
    assert values["app"] is not values["worker"]


def test_nesting_deeper_than_the_limit() -> None:
    deep = "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(loaders.MAX_DEPTH + 5))
    with pytest.raises(LayerInputError, match=r"deep.yaml: nesting deeper than 200 levels"):
        parse_yaml(deep, "file:deep.yaml")
    with pytest.raises(LayerInputError, match=r"deep.json: nesting deeper than 200 levels"):
        parse_json('{"a":' * 300 + "1" + "}" * 300, "file:deep.json")


def test_file_over_the_size_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loaders, "MAX_BYTES", 64)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 100 + "\n")
    with pytest.raises(LayerInputError, match=r"big.yaml: file is 104 bytes, over the 64 byte limit"):
        file_layer(big)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(LayerInputError, match=r"nope.yaml: cannot read file: No such file"):
        file_layer(tmp_path / "nope.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(LayerInputError, match=r"latin.yaml: not UTF-8 text \(byte 9\)"):
        file_layer(latin)


def test_json_duplicate_keys_and_syntax() -> None:
    with pytest.raises(LayerInputError, match=r"x.json: duplicate key 'a'"):
        parse_json('{"a": 1, "a": 2}', "file:x.json")
    with pytest.raises(LayerInputError, match=r"x.json:2:1: invalid JSON"):
        parse_json('{"a": 1,\n}', "file:x.json")


@pytest.mark.parametrize(
    ("text", "error"),
    [('{"a": [1, NaN]}', "/a/1: NaN is not a JSON number"),
     ('{"a": {"b": Infinity}}', "/a/b: Infinity is not a JSON number"),
     ('{"a": -Infinity}', "/a: -Infinity is not a JSON number"),
     ('{"a": ["ok", "x\\ud800"]}', "/a/1: string has a lone surrogate"),
     ('{"a": {"\\udfffk": 1}}', "/a: key '\\udfffk' has a lone surrogate")],
)
def test_json_refuses_what_json_cannot_carry_back(text: str, error: str) -> None:
    """Python's parser takes NaN, Infinity and lone surrogates; RFC 8259 text, UTF-8 storage
    and every encoder downstream do not. The error says where."""
    with pytest.raises(LayerInputError) as exc:
        parse_json(text, "file:x.json")
    assert str(exc.value).startswith(f"file:x.json: {error}")


def test_empty_file_is_an_empty_layer(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# only a comment\n")
    assert file_layer(empty).values == {}


def test_positions_point_at_keys_and_list_items(tmp_path: Path) -> None:
    f = tmp_path / "v.yaml"
    f.write_text("app:\n  image:\n    tag: v1\n  env:\n    - name: A\n    - name: B\n")
    layer = file_layer(f, display="v.yaml")
    assert layer.locate(("app", "image", "tag")) == "file:v.yaml:3:5"
    assert layer.locate(("app", "env", 1, "name")) == "file:v.yaml:6:7"
    assert layer.locate(("app", "missing")) == "file:v.yaml:1:1"  # nearest ancestor


def _group(flags: dict) -> object:
    return compose([], helm_order(flags))


def test_set_errors_never_echo_the_value() -> None:
    with pytest.raises(LayerInputError) as info:
        _group({"set": ["db=1", "db.password=Sup3r-S3cret-Value"]})
    assert "Sup3r-S3cret-Value" not in str(info.value)
    assert str(info.value).startswith("set:--set db.password: cannot parse: db holds a value of type integer, not a map")


def test_set_group_names_each_leaf_by_its_flag_keys_not_values() -> None:
    layer = _group({"set": ["mysql.password=hunter2-long", "a[1]=x"]})
    assert layer.values == {"mysql": {"password": "hunter2-long"}, "a": [None, "x"]}
    assert layer.locate(("mysql", "password")) == "set:--set mysql.password"
    assert layer.locate(("a",)) == "set:--set a[1]"
    assert "hunter2" not in layer.source


def test_set_json_sources_name_keys_only_even_with_commas_in_strings() -> None:
    layer = _group({"set-json": ['mysql.password="S3CRET,pw-123456",app={"tags": ["a,b"]}']})
    assert layer.locate(("app", "tags")) == "set:--set-json mysql.password,app"
    assert layer.values == {"mysql": {"password": "S3CRET,pw-123456"}, "app": {"tags": ["a,b"]}}


@pytest.mark.parametrize("expr", ['{"mysql":{"password":"S3CRET-abc-123456"}', 'a={"x": "S3CRET-abc-123456", '])
def test_a_set_json_that_fails_never_echoes_its_values(expr: str) -> None:
    with pytest.raises(LayerInputError) as exc:
        _group({"set-json": [expr]})
    assert "S3CRET" not in str(exc.value) and str(exc.value).startswith("set:--set-json ")