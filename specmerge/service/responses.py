"""The service's JSON response: orjson instead of the standard library's encoder.

A preview body with provenance is ~40 KB of JSON; ``json.dumps`` took 0.4 ms of a ~4 ms
preview, orjson 0.05 ms (bench/service.md). Request bodies refuse NaN/Infinity
(:mod:`.models`, :func:`specmerge.core.parse_json`); a YAML ``.nan``/``.inf`` that a chart
or channel supplies has no JSON spelling and is sent as ``null``, where the standard
encoder would have failed the request.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
