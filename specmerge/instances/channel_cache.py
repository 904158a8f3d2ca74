"""The channels' last-good cache as the ``<name>-latest-cached-release`` Secret (design.md §6).

It lives with the instance layout it is part of (``instances/``), above ``channels``, whose
:class:`~specmerge.channels.cache.LastGoodCache` interface it implements.

Layout, drop-in with the W&B-style operator: Secret ``<name>-latest-cached-release`` in
the CR's namespace, data keys ``values``, ``chart`` and ``metadata``, each the JSON of that
part of the channel spec; owned by the CR when an owner is given. specmerge's bookkeeping
(ETag, stored-at, origin) goes in annotations, so the three keys stay exactly the
reference layout.

Writes are checked: an update carries the ``resourceVersion`` that was read, so a
concurrent writer makes it fail with a conflict (reported as :class:`CacheError`, nothing
overwritten) instead of silently winning; a create that races another create fails the
same way. The Secret holds one entry, whatever its channel: :meth:`SecretCache.load`
returns it and the resolver decides whether it fits the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kubernetes.client import CoreV1Api, V1ObjectMeta, V1OwnerReference, V1Secret
from kubernetes.client.exceptions import ApiException

from ..channels import CacheEntry, CacheError
from .codec import decode_any, encode_parts
from .errors import InstanceError
from .layout import CACHE_SUFFIX as SUFFIX
from .layout import KEYS, MANAGED_BY

ANNOTATION = "specmerge.dev/cache"


@dataclass(frozen=True)
class OwnerRef:
    """The CR that owns the Secret (garbage-collected with it)."""

    api_version: str
    kind: str
    name: str
    uid: str

    def to_k8s(self) -> V1OwnerReference:
        return V1OwnerReference(api_version=self.api_version, kind=self.kind, name=self.name, uid=self.uid, controller=True)


def _why(exc: ApiException) -> str:
    """Status and reason only: an API error body may echo the object, and that is secret."""
    return f"HTTP {exc.status} {exc.reason or ''}".strip()


class SecretCache:
    def __init__(self, core_v1: CoreV1Api, namespace: str, name: str, owner: OwnerRef | None = None) -> None:
        self.core_v1, self.namespace, self.owner = core_v1, namespace, owner
        self.secret_name = f"{name}{SUFFIX}"

    def __repr__(self) -> str:
        return f"SecretCache({self.namespace}/{self.secret_name})"

    def locator(self, channel: str) -> str:
        return f"secret:{self.namespace}/{self.secret_name}"

    def _read(self) -> V1Secret | None:
        try:
            return self.core_v1.read_namespaced_secret(self.secret_name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise CacheError(f"{self.locator('')}: cannot read: {_why(exc)}") from None

    def load(self, channel: str) -> CacheEntry | None:
        secret = self._read()
        if secret is None:
            return None
        where = self.locator(channel)
        data = secret.data or {}
        missing = [k for k in KEYS if k not in data]
        if missing:
            raise CacheError(f"{where}: not a cached release (missing keys {', '.join(missing)})")
        parts: dict[str, Any] = {}
        for key in KEYS:
            try:
                parts[key] = decode_any(data, key, where)
            except InstanceError as exc:
                raise CacheError(f"{exc.where}: not base64 JSON ({exc.reason})") from None
        try:
            extras = json.loads(((secret.metadata.annotations or {}).get(ANNOTATION)) or "{}")
        except ValueError:
            extras = {}
        return CacheEntry.from_parts(parts, extras, where)

    def store(self, entry: CacheEntry) -> None:
        doc = entry.spec.to_dict()
        data = encode_parts({k: doc[k] for k in KEYS})
        current = self._read()
        meta = V1ObjectMeta(
            name=self.secret_name,
            namespace=self.namespace,
            labels=dict(MANAGED_BY),
            annotations={ANNOTATION: json.dumps(entry.extras(), sort_keys=True)},
            owner_references=[self.owner.to_k8s()] if self.owner else None,
        )
        body = V1Secret(metadata=meta, type="Opaque", data=data)
        try:
            if current is None:
                self.core_v1.create_namespaced_secret(self.namespace, body)
            else:
                meta.resource_version = current.metadata.resource_version
                if self.owner is None:
                    meta.owner_references = current.metadata.owner_references
                self.core_v1.replace_namespaced_secret(self.secret_name, self.namespace, body)
        except ApiException as exc:
            if exc.status == 409:
                raise CacheError(
                    f"{self.locator('')}: changed by someone else since it was read "
                    "(resourceVersion conflict); not overwritten"
                ) from None
            raise CacheError(f"{self.locator('')}: cannot write: {_why(exc)}") from None
