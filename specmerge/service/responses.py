"""The service's JSON response: orjson, with the standard library as the fallback.

A preview body with provenance is ~40 KB of JSON; ``json.dumps`` took 0.4 ms of a ~4 ms
preview, orjson 0.05 ms (bench/service.md). orjson refuses integers beyond 64 bits, which
JSON and a values file may hold (``1031078973502238752768``), and strings with a lone
surrogate (a request's unknown key echoed in a 422's ``loc``): such a body is encoded by
``json.dumps`` instead, ASCII-escaped so a lone surrogate is sent as a JSON escape, exactly,
just slower. Request bodies refuse NaN/Infinity (:func:`specmerge.core.json_problem`); a
YAML ``.nan``/``.inf`` that a chart or channel supplies has no JSON spelling and is sent as
``null`` on both paths.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:  # an integer over 64 bits, a lone surrogate
            return json.dumps(_finite(content), separators=(",", ":")).encode("ascii")


def _finite(node: Any) -> Any:
    """``node`` with NaN and ±Infinity as ``None``, as orjson writes them."""
    if isinstance(node, float) and not math.isfinite(node):
        return None
    if isinstance(node, dict):
        return {k: _finite(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_finite(v) for v in node]
    return node
