"""schemathesis against the published /openapi.json of the running service: no 5xx, and
every response's status code, content type, headers and body conform to the document."""

from __future__ import annotations

import re

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service_harness import TOKEN, Server

EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def test_api_conforms_to_its_openapi(server: Server) -> None:
    # schemathesis.pytest.from_fixture does not work with this pytest; drive each operation's
    # strategy with hypothesis directly instead.
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/preview", "/v1/instances/{namespace}/{name}/user-values", "/readyz"}
    before = _requests(server)
    for op in operations:

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)

        run()
    assert _requests(server) - before >= EXAMPLES * 4, "schemathesis sent (almost) nothing"


def _requests(server: Server) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    return sum(float(m[1]) for m in re.finditer(r"^specmerge_http_requests_total\{.*\} (\S+)$", text, re.M))
