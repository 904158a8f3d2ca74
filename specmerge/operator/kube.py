"""The operator's one door to the apiserver: JSON in, JSON out, every request counted.

A thin layer over the official client's transport (``kubernetes.client.ApiClient``: its
kubeconfig/in-cluster loading, TLS and auth), working in plain dicts so informers, patches
and status writes need no model classes. Every request is counted by verb in
:data:`~.metrics.API_REQUESTS`. Errors raise :class:`ApiError` carrying the status, the
Status reason and message: an apiserver Status message names the object, never a Secret's
data, and request bodies are never put into errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.watch.watch import iter_resp_lines

from ..errors import UnavailableError
from ..instances import TemporaryError
from . import metrics

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"

_VERB = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class ApiError(UnavailableError):
    """A request the apiserver refused (or that never reached it: ``status`` 0)."""

    def __init__(self, status: int, reason: str, message: str = "") -> None:
        self.status, self.reason, self.message = status, reason, message
        super().__init__(f"HTTP {status} {reason}" + (f": {message}" if message else ""))

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def gone(self) -> bool:
        return self.status == 410

    def temporary(self, where: str) -> TemporaryError:
        return TemporaryError(where, str(self))


def _status_error(status: int, reason: str, body: bytes | None) -> ApiError:
    message = ""
    if body:
        try:
            doc = json.loads(body)
            if isinstance(doc, dict):
                message = str(doc.get("message") or "")[:500]
                reason = str(doc.get("reason") or reason)
        except ValueError:
            message = ""
    return ApiError(status, reason, message)


class Kube:
    """JSON requests through one ApiClient (thread-safe: urllib3's pool is)."""

    def __init__(self, api_client: ApiClient) -> None:
        self.api_client = api_client

    def _send(self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None,
              content_type: str = JSON, accept: str = JSON, timeout: float | tuple[float, float] = 30.0,
              verb: str | None = None) -> Any:
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        method_, url, headers_, body_, _ = self.api_client.param_serialize(
            method, path, query_params=params, header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        metrics.API_REQUESTS.labels(verb or _VERB[method]).inc()
        try:
            return self.api_client.rest_client.request(method_, url, headers=headers_, body=body_,
                                                        _request_timeout=timeout)
        except Exception as exc:  # urllib3/SSL/connection errors: the apiserver was not reached
            raise ApiError(0, f"unreachable ({type(exc).__name__})") from None

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self._send(method, path, **kwargs)
        data = resp.read()
        if not 200 <= resp.status <= 299:
            raise _status_error(resp.status, resp.reason or "", data)
        return json.loads(data) if data else None

    # -- verbs ----------------------------------------------------------------------

    def get(self, path: str) -> dict[str, Any] | None:
        """The object, or ``None`` when it does not exist."""
        try:
            return self.request("GET", path)  # type: ignore[no-any-return]
        except ApiError as exc:
            if exc.not_found:
                return None
            raise

    def list(self, path: str, *, selector: str | None = None, limit: int = 500, cont: str | None = None,
             metadata_only: bool = False) -> dict[str, Any]:
        return self.request(  # type: ignore[no-any-return]
            "GET", path, query={"labelSelector": selector, "limit": limit, "continue": cont},
            accept=METADATA_LIST if metadata_only else JSON, verb="list",
        )

    def watch(self, path: str, *, resource_version: str, selector: str | None = None, timeout_seconds: int = 300,
              metadata_only: bool = False) -> Iterator[dict[str, Any]]:
        """Watch events (``{"type", "object"}``) from ``resource_version``, bookmarks on. A 410 Gone
        (answered up front or as an ERROR event) raises :class:`ApiError` with status 410."""
        query = {"watch": "true", "allowWatchBookmarks": "true", "resourceVersion": resource_version,
                 "labelSelector": selector, "timeoutSeconds": timeout_seconds}
        resp = self._send("GET", path, query=query, accept=METADATA if metadata_only else JSON,
                          timeout=(10.0, timeout_seconds + 30.0), verb="watch")
        if not 200 <= resp.status <= 299:
            raise _status_error(resp.status, resp.reason or "", resp.read())
        try:
            for line in iter_resp_lines(resp.response):
                if not line:
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object") or {}
                    raise ApiError(int(status.get("code") or 500), str(status.get("reason") or "Error"),
                                   str(status.get("message") or ""))
                yield event
        finally:
            resp.response.release_conn()

    def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", path, body=dict(body))  # type: ignore[no-any-return]

    def replace(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PUT", path, body=dict(body))  # type: ignore[no-any-return]

    def merge_patch(self, path: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", path, body=dict(patch), content_type=MERGE_PATCH)  # type: ignore[no-any-return]

    def json_patch(self, path: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
        return self.request("PATCH", path, body=ops, content_type=JSON_PATCH)  # type: ignore[no-any-return]

    def delete(self, path: str) -> bool:
        """``True`` if deleted, ``False`` if it was already gone."""
        try:
            self.request("DELETE", path)
            return True
        except ApiError as exc:
            if exc.not_found:
                return False
            raise


def secrets_path(namespace: str | None, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{namespace}/secrets" if namespace else "/api/v1/secrets"
    return f"{base}/{name}" if name else base


__all__ = ["ApiError", "Kube", "secrets_path"]
