"""The response encoder: orjson, and the standard library for what orjson refuses."""

from __future__ import annotations

import json

from specmerge.service.responses import FastJSONResponse


def test_what_orjson_refuses_is_still_sent_exactly() -> None:
    big = -(10**30)
    body = FastJSONResponse({"n": big, "f": float("nan"), "s": "caf\u00e9 \ud800", "l": [float("inf")]}).body
    assert json.loads(body) == {"n": big, "f": None, "s": "caf\u00e9 \ud800", "l": [None]}
    assert body.isascii()  # the lone surrogate travels as a JSON escape


def test_ordinary_bodies_use_the_fast_path_with_the_same_meaning() -> None:
    content = {"a": [1, 2.5, None, True], "b": {"c": "caf\u00e9"}, "nan": float("nan")}
    assert json.loads(FastJSONResponse(content).body) == {**content, "nan": None}
