"""The service's JSON response: orjson, with the standard library as the fallback.

A preview body with provenance is ~40 KB of JSON; ``json.dumps`` took 0.4 ms of a ~4 ms
preview, orjson 0.05 ms (bench/service.md). orjson refuses integers beyond 64 bits, which
JSON and a values file may hold (``1031078973502238752768``): such a body is encoded by
``json.dumps`` instead, so it is sent exactly, just slower. Request bodies refuse
NaN/Infinity (:func:`specmerge.core.json_problem`); a YAML ``.nan``/``.inf`` that a chart or
channel supplies has no JSON spelling and orjson sends it as ``null``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:  # an integer over 64 bits
            return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
