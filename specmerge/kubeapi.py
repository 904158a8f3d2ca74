"""Raw JSON requests to the Kubernetes API through a ``kubernetes.client.ApiClient`` (its
host, TLS and credentials), for the few calls the typed client has no method for: aggregated
discovery, server-side apply of arbitrary kinds, dry runs. Counts requests by verb, so a
caller can report (and a test or bench check) what a pass cost.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import urllib3

from .errors import UnavailableError

APPLY_PATCH = "application/apply-patch+yaml"  # JSON is YAML: the body is sent as JSON


class KubeApiError(UnavailableError):
    """A request the API server refused or could not be sent; ``status`` is the HTTP status
    (0 when the server was not reached). The message names the request, never its body."""

    def __init__(self, method: str, path: str, status: int, reason: str) -> None:
        self.method, self.path, self.status, self.reason = method, path, status, reason
        super().__init__(f"{method} {path}: {status} {reason}" if status else f"{method} {path}: {reason}")


def _status_summary(data: bytes) -> str:
    """The Status's reason and the fields its causes name - never its message, which can quote
    an object's values (a Secret's, too)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    fields = sorted({str(c.get("field")) for c in (doc.get("details") or {}).get("causes") or [] if c.get("field")})
    return " ".join(filter(None, [str(doc.get("reason") or ""), ", ".join(fields)]))


@dataclass
class KubeHttp:
    """JSON over an ``ApiClient``; ``requests`` counts each request sent, by method."""

    api_client: Any
    requests: Counter[str] = field(default_factory=Counter)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, Any]] = (),
        body: Any = None,
        content_type: str | None = None,
        accept: str = "application/json",
        missing_ok: bool = False,
    ) -> Any:
        """The parsed JSON answer; ``None`` for a 404 when ``missing_ok``; else
        :class:`KubeApiError` for any non-2xx answer or an unreachable server."""
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        method_, url, headers_, body_, _ = self.api_client.param_serialize(
            method, path, query_params=list(query), header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        self.requests[method] += 1
        try:
            response = self.api_client.call_api(method_, url, header_params=headers_, body=body_)
            data = response.read()
        except ApiException as exc:
            raise KubeApiError(method, path, exc.status or 0, str(exc.reason or "").splitlines()[0]) from None
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            raise KubeApiError(method, path, 0, f"cannot reach the cluster ({type(exc).__name__})") from None
        if response.status == 404 and missing_ok:
            return None
        if not 200 <= response.status < 300:
            detail = _status_summary(data)
            raise KubeApiError(method, path, response.status, f"{response.reason}{f' ({detail})' if detail else ''}")
        return json.loads(data) if data else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def list(self, path: str, page: int = 500) -> list[dict[str, Any]]:
        """Every item of a collection, fetched in pages."""
        items: list[dict[str, Any]] = []
        token = None
        while True:
            query: list[tuple[str, Any]] = [("limit", page)] + ([("continue", token)] if token else [])
            doc = self.get(path, query=query)
            items += doc.get("items") or []
            token = (doc.get("metadata") or {}).get("continue")
            if not token:
                return items

    @property
    def total(self) -> int:
        return sum(self.requests.values())
