"""The Secret backend: the user layer in ``<name>-spec-user`` in the instance's namespace
(design.md §6), data keys ``values``, ``chart`` and ``metadata``, each JSON. ``values`` is
the user layer; ``chart`` and ``metadata`` are kept as found (``{}`` on create), so the
Secret stays drop-in with the W&B-style operator. The active spec is read from
``<name>-spec-active#values``.

The ETag is the content hash of ``values`` (the same as the directory backend's). An update
carries the ``resourceVersion`` that was read with the checked content, so a writer that
lands in between makes the apiserver answer 409 and this write fails as
:class:`StaleETag`; two racing creates fail the same way. Errors name status and reason
only: an API error body may echo the Secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubernetes.client import CoreV1Api, CustomObjectsApi, V1ObjectMeta, V1Secret
from kubernetes.client.exceptions import ApiException

from ..instances import ACTIVE_SUFFIX, CrKind, InstanceError, KEYS, MANAGED_BY, USER_SUFFIX, decode_object, encode_parts
from .store import Instance, StaleETag, Stored, StoreError, canonical, content_etag


def _why(exc: ApiException) -> str:
    return f"HTTP {exc.status} {exc.reason or ''}".strip()


class SecretStore:
    """Secrets for the user layer; the CR (``group/version/plural``) for the layer above it."""

    def __init__(
        self,
        core_v1: CoreV1Api,
        custom: CustomObjectsApi | None = None,
        cr_kind: tuple[str, str, str] = (CrKind().group, CrKind().version, CrKind().plural),
    ) -> None:
        self.core_v1 = core_v1
        self.custom = custom
        self.cr_kind = cr_kind

    def cr(self, instance: Instance) -> tuple[str, dict[str, Any]] | None:
        if self.custom is None:
            return None
        group, version, plural = self.cr_kind
        where = f"cr:{instance.namespace}/{instance.name}"
        try:
            obj = self.custom.get_namespaced_custom_object(group, version, instance.namespace, plural, instance.name)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise StoreError(f"{where}: cannot read: {_why(exc)}") from None
        values = (obj.get("spec") or {}).get("values") or {}
        if not isinstance(values, dict):
            raise StoreError(f"{where}: spec.values is not an object")
        return where, values

    def __repr__(self) -> str:
        return "SecretStore()"

    def locator(self, instance: Instance) -> str:
        return f"secret:{instance.namespace}/{instance.name}{USER_SUFFIX}#values"

    def _read(self, namespace: str, secret_name: str) -> V1Secret | None:
        try:
            return self.core_v1.read_namespaced_secret(secret_name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise StoreError(f"secret:{namespace}/{secret_name}: cannot read: {_why(exc)}") from None

    @staticmethod
    def _key(secret: V1Secret, key: str, where: str) -> dict[str, Any]:
        try:
            return decode_object(secret.data, key, where) or {}
        except InstanceError as exc:
            raise StoreError(f"{exc.where}: not base64 JSON object ({exc.reason})") from None

    def get(self, instance: Instance) -> Stored | None:
        name = f"{instance.name}{USER_SUFFIX}"
        secret = self._read(instance.namespace, name)
        if secret is None:
            return None
        values = self._key(secret, "values", f"secret:{instance.namespace}/{name}")
        return Stored(values, content_etag(values))

    def active(self, instance: Instance) -> dict[str, Any] | None:
        name = f"{instance.name}{ACTIVE_SUFFIX}"
        secret = self._read(instance.namespace, name)
        return None if secret is None else self._key(secret, "values", f"secret:{instance.namespace}/{name}")

    def put(self, instance: Instance, values: Mapping[str, Any], expected: str | None) -> Stored:
        name = f"{instance.name}{USER_SUFFIX}"
        where = f"secret:{instance.namespace}/{name}"
        current = self._read(instance.namespace, name)
        found = None if current is None else content_etag(self._key(current, "values", where))
        if found != expected:
            raise StaleETag(str(instance))
        parts: dict[str, Any] = {"values": json.loads(canonical(values)), "chart": {}, "metadata": {}}
        if current is not None:
            for key in ("chart", "metadata"):
                parts[key] = self._key(current, key, where)
        data = encode_parts({k: parts[k] for k in KEYS})
        meta = V1ObjectMeta(name=name, namespace=instance.namespace, labels=dict(MANAGED_BY))
        try:
            if current is None:
                self.core_v1.create_namespaced_secret(instance.namespace, V1Secret(metadata=meta, type="Opaque", data=data))
            else:
                meta.resource_version = current.metadata.resource_version
                meta.labels = {**(current.metadata.labels or {}), **MANAGED_BY}
                meta.annotations = current.metadata.annotations
                meta.owner_references = current.metadata.owner_references
                body = V1Secret(metadata=meta, type=current.type or "Opaque", data=data)
                self.core_v1.replace_namespaced_secret(name, instance.namespace, body)
        except ApiException as exc:
            if exc.status == 409:
                raise StaleETag(str(instance)) from None
            raise StoreError(f"{where}: cannot write: {_why(exc)}") from None
        return Stored(parts["values"], content_etag(parts["values"]))

    def ping(self) -> None:
        try:
            self.core_v1.get_api_resources(_request_timeout=5)
        except ApiException as exc:
            raise StoreError(f"kube-apiserver: {_why(exc)}") from None
        except Exception as exc:  # urllib3 connection errors have no common base we can name here
            raise StoreError(f"kube-apiserver unreachable: {type(exc).__name__}") from None
