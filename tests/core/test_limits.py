"""One nesting limit everywhere (MAX_DEPTH = 200) and memos that a request cannot fill for
good (issue 13). Loaders, already-parsed values (a CR from the apiserver) and the validator
agree on the limit; past it the answer is a clean error, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from specmerge.cli import app
from specmerge.core import MAX_DEPTH, Redactor, TooDeep, layer_from_values, merge, parse_json, parse_yaml, validate
from specmerge.core import paths as paths_module
from specmerge.core.loaders import too_deep
from specmerge.core.memo import Memo
from specmerge.core.secrets import _memo

SCHEMA = {"type": "object", "properties": {"a": {"type": "object"}, "mysql": {"type": "object", "properties": {
    "password": {"type": "string", "writeOnly": True}}}}}


def nested(depth: int, lists: bool = False) -> Any:
    """A value whose deepest leaf sits under ``depth`` keys/indexes (depth 1: {"a": 1})."""
    node: Any = 1
    for i in range(depth):
        node = [node] if lists and i % 2 else {"a": node}
    return node if isinstance(node, dict) else {"a": node}


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=MAX_DEPTH - 5, max_value=MAX_DEPTH + 60), st.booleans())
def test_loaders_and_too_deep_agree_on_the_one_limit(depth: int, lists: bool) -> None:
    values = nested(depth, lists)
    deep = too_deep(values)
    real_depth = _depth(values)
    assert (deep is not None) == (real_depth > MAX_DEPTH)
    text = json.dumps(values)
    for parse in (parse_json, parse_yaml):
        if real_depth > MAX_DEPTH:
            with pytest.raises(TooDeep):
                parse(text, "t")
        else:
            assert parse(text, "t") == values


def _depth(node: Any) -> int:
    children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else None
    return 0 if children is None else 1 + max((_depth(c) for c in children), default=0)


@pytest.mark.parametrize("depth", [255, 256, 400])
def test_the_validator_reports_values_that_are_too_deep_as_one_violation(depth: int) -> None:
    """Values that never went through a loader (a CR read from the apiserver)."""
    layers = [layer_from_values("chart", "c", {}), layer_from_values("cr", "cr:ns/demo", nested(depth))]
    violations = validate(merge(layers), SCHEMA, Redactor(SCHEMA))
    assert len(violations) == 1 and violations[0].keyword == "maxDepth" and violations[0].layer == "cr"
    assert f"deeper than {MAX_DEPTH}" in violations[0].message


@pytest.mark.parametrize("depth", [201, 255, 256, 1000])
def test_render_of_a_too_deep_file_exits_2_without_a_traceback(tmp_path: Path, depth: int) -> None:
    f = tmp_path / "deep.json"
    f.write_text('{"a":' * depth + "1" + "}" * depth)
    result = CliRunner().invoke(app, ["render", "-f", str(f)])
    assert result.exit_code == 2 and f"deeper than {MAX_DEPTH}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@settings(max_examples=50)
@given(st.integers(min_value=1, max_value=20), st.lists(st.integers(min_value=0, max_value=50), max_size=200))
def test_memo_never_holds_more_than_its_size_and_answers_what_it_was_told(size: int, keys: list[int]) -> None:
    memo: Memo[int, int] = Memo(size)
    for k in keys:
        memo.put(k, k * 2)
        assert len(memo) <= size and memo.get(k) == k * 2


def test_a_20001_element_list_does_not_leave_the_path_memos_full() -> None:
    flood = [("flood", i) for i in range(20_001)]
    for p in flood:
        paths_module.to_pointer(p)
        paths_module.to_dotted(p)
    fresh = ("mysql", "password-after-the-flood")
    paths_module.to_pointer(fresh)
    paths_module.to_dotted(fresh)
    assert paths_module._POINTERS.get(fresh) == "/mysql/password-after-the-flood"
    assert paths_module._DOTTED.get(fresh) == "mysql.password-after-the-flood"


def test_a_20001_element_list_does_not_leave_the_sensitivity_memo_full() -> None:
    redactor = Redactor(SCHEMA)
    redactor.mask({"a": {"items": [f"v{i}" for i in range(20_001)]}})
    later = ("mysql", "password")
    assert redactor.is_sensitive(later)
    assert _memo(SCHEMA).answers.get(later) is True


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_explain_of_an_unparsable_path_exits_2_without_a_traceback() -> None:
    result = _cli("explain", "a[")
    assert result.exit_code == 2 and "cannot parse path" in result.stderr and "Traceback" not in result.output


def test_explain_json_is_json_even_for_a_nan_value(tmp_path: Path) -> None:
    f = tmp_path / "v.yaml"
    f.write_text("a: .nan\nb: -.inf\n")

    def strict(token: str) -> Any:
        raise AssertionError(f"{token} is not JSON")

    for args in (["explain", "-o", "json", "a"], ["explain", "-o", "json", "--all"]):
        result = _cli(*args, "-f", str(f))
        assert result.exit_code == 0, result.stderr
        json.loads(result.stdout, parse_constant=strict)
    assert json.loads(_cli("explain", "-o", "json", "a", "-f", str(f)).stdout)["winner"]["value"] == ".nan"


@pytest.mark.parametrize("args", [["-f", "/dev/zero"], ["--set-file", "a=/dev/zero"]])
def test_endless_files_are_refused_by_a_bounded_read(args: list[str]) -> None:
    result = _cli("render", *args)
    assert result.exit_code == 2 and ("byte limit" in result.stderr or "not a regular file" in result.stderr)
