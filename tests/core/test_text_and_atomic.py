"""The shared text rules and the atomic write, as the callers rely on them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmerge.atomic import write_atomic
from specmerge.core.text import SHORT_LIMIT, canonical_json, shorten
from tests.core.trees import trees


@given(trees())
def test_canonical_json_is_the_same_for_equal_trees_whatever_their_key_order(tree):
    reordered = _reversed_keys(tree)
    assert canonical_json(reordered) == canonical_json(tree)
    assert " " not in canonical_json({"a": [1, 2], "b": {"c": None}})


def _reversed_keys(tree):
    if isinstance(tree, dict):
        return {k: _reversed_keys(tree[k]) for k in reversed(list(tree))}
    if isinstance(tree, list):
        return [_reversed_keys(v) for v in tree]
    return tree


def test_canonical_json_keeps_or_escapes_non_ascii_as_asked():
    assert canonical_json({"k": "é"}) == '{"k":"\\u00e9"}'
    assert canonical_json({"k": "é"}, ascii=False) == '{"k":"é"}'


def test_canonical_json_refuses_non_json_unless_lenient():
    import datetime

    day = datetime.date(2024, 1, 2)
    with pytest.raises(TypeError):
        canonical_json({"d": day})
    assert canonical_json({"d": day}, lenient=True) == '{"d":"2024-01-02"}'


@given(st.text(max_size=300))
def test_shorten_never_exceeds_the_limit_and_marks_a_cut(text):
    out = shorten(text)
    assert len(out) <= SHORT_LIMIT
    full = shorten(text, limit=10_000)
    assert out == full or (out.endswith("...") and full.startswith(out[:-3]))


def test_write_atomic_replaces_the_file_private_and_whole(tmp_path: Path):
    target = tmp_path / "sub" / "values.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["values.json"]


def test_write_atomic_leaves_the_old_file_when_the_write_fails(tmp_path: Path):
    target = tmp_path / "values.json"
    write_atomic(target, b"kept")

    with pytest.raises(TypeError):
        write_atomic(target, object())  # type: ignore[arg-type]  # a write that fails half-way
    assert target.read_bytes() == b"kept"
    assert sorted(os.listdir(tmp_path)) == ["values.json"]
