"""The service's memoising redactor answers exactly as the core Redactor does."""

from __future__ import annotations

from typing import Any

import pytest

from specmerge.pipeline import bundled_chart_ref
from specmerge.render import load_chart
from specmerge.service.fast_redactor import CachedRedactor
from specmerge.core import Redactor

TREES: list[dict[str, Any]] = [
    {"mysql": {"password": "pw-1234", "host": "h"}, "license": {"value": "LIC-1"}},
    {"bucket": {"accessKey": ["a", {"b": "c"}], "name": "n"}, "app": {"extraEnv": [{"name": "TOKEN", "value": "t0k3n"}]}},
    {"mysql": {"password": {"nested": [1, None, True]}}, "apiKey": 42, "x": {"privateKey": None}},
    {"license": "whole-licence-map-replaced", "global": {"host": "https://h"}, "unknown": {"secretKey": "s"}},
]


@pytest.mark.parametrize("reveal", [False, True])
@pytest.mark.parametrize("tree", TREES)
def test_same_masking_as_the_core_redactor(tree: dict[str, Any], reveal: bool) -> None:
    schema = load_chart(bundled_chart_ref()).schema
    fast, core = CachedRedactor(schema, reveal=reveal), Redactor(schema, reveal=reveal)
    for _ in range(2):  # second round answers from the cache
        assert fast.mask(tree) == core.mask(tree)
        for base in [("mysql",), ("bucket", "accessKey"), ("app", "extraEnv", 0), ("license",)]:
            assert fast.is_sensitive(base) == core.is_sensitive(base)
            assert fast.mask(tree.get(base[0]), base) == core.mask(tree.get(base[0]), base)
    fast.learn(tree)
    core.learn(tree)
    text = "dump: " + repr(tree)
    assert fast.scrub(text) == core.scrub(text)
    if not reveal:
        assert fast.mask(tree) != tree  # every tree has a secret: the comparison is not vacuous
