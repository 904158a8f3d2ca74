"""An informer: a local, always-current copy of one kind of object, from LIST + WATCH.

client-go's shape, minimal: a paginated LIST (``limit``/``continue``) fills the store and
gives a resourceVersion; a WATCH from there (bookmarks on, the same label selector, server
side) keeps it current. When the watch expires (410 Gone, as an answer or an ERROR event)
the informer relists and diffs the new list against its store, so an object that changed or
vanished while nobody watched still produces exactly one event. Other errors back off and
re-watch (after repeated failures, relist).

``metadata_only`` asks the apiserver for ``PartialObjectMetadata`` (Helm's release Secrets
hold whole charts; the operator needs only their labels). Handlers run on the informer's
thread and must be quick (the controller only enqueues keys).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

import urllib3

from .kube import ApiError, Kube

log = logging.getLogger("specmerge.operator")

Handler = Callable[[str, dict[str, Any]], None]


def object_key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _rv(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class Informer:
    """See the module docstring. ``path`` is the collection (``/api/v1/namespaces/ns/secrets``)."""

    def __init__(
        self,
        kube: Kube,
        path: str,
        handler: Handler,
        *,
        name: str,
        selector: str | None = None,
        metadata_only: bool = False,
        page_size: int = 500,
        watch_timeout: int = 300,
        resource_version: str | None = None,
        index: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> None:
        self.kube, self.path, self.handler, self.name = kube, path, handler, name
        self.selector, self.metadata_only = selector, metadata_only
        self.page_size, self.watch_timeout = page_size, watch_timeout
        self.resource_version = resource_version  # start watching here instead of listing first
        self.synced = threading.Event()
        self.relists = 0
        self._store: dict[str, dict[str, Any]] = {}
        self._index_fn = index
        self._index: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Informer({self.name}, {self.path}, selector={self.selector!r})"

    # -- the store --------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._store.get(f"{namespace}/{name}")

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._store.values())

    def indexed(self, value: str) -> list[dict[str, Any]]:
        """The objects whose ``index`` function gave ``value`` (a lookup, not a scan of the store)."""
        with self._lock:
            return list(self._index.get(value, {}).values())

    def _unindex(self, key: str, obj: dict[str, Any] | None) -> None:
        if obj is not None and self._index_fn is not None:
            bucket = self._index.get(self._index_fn(obj) or "")
            if bucket is not None:
                bucket.pop(key, None)

    def _reindex(self, key: str, obj: dict[str, Any]) -> None:
        if self._index_fn is not None:
            value = self._index_fn(obj)
            if value is not None:
                self._index.setdefault(value, {})[key] = obj

    def _apply(self, kind: str, obj: dict[str, Any]) -> None:
        key = object_key(obj)
        with self._lock:
            self._unindex(key, self._store.get(key))
            if kind == "DELETED":
                self._store.pop(key, None)
            else:
                self._store[key] = obj
                self._reindex(key, obj)
        self._notify(kind, obj)

    def _notify(self, kind: str, obj: dict[str, Any]) -> None:
        try:
            self.handler(kind, obj)
        except Exception:  # a handler bug must not kill the informer; it is logged with its traceback
            log.exception("informer %s: handler failed for %s", self.name, object_key(obj))

    # -- list and watch ---------------------------------------------------------------

    def relist(self) -> str:
        """LIST every page, replace the store, emit the differences; returns the list's resourceVersion."""
        items: list[dict[str, Any]] = []
        cont: str | None = None
        while True:
            page = self.kube.list(self.path, selector=self.selector, limit=self.page_size, cont=cont,
                                  metadata_only=self.metadata_only)
            items.extend(page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue") or None
            if not cont:
                rv = str((page.get("metadata") or {}).get("resourceVersion") or "")
                break
        fresh = {object_key(obj): obj for obj in items}
        with self._lock:
            old, self._store = self._store, fresh
            self._index = {}
            for key, obj in fresh.items():
                self._reindex(key, obj)
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                self._notify("ADDED", obj)
            elif _rv(before) != _rv(obj):
                self._notify("MODIFIED", obj)
        for key, obj in old.items():
            if key not in fresh:
                self._notify("DELETED", obj)
        self.synced.set()
        return rv

    def run(self, stop: threading.Event) -> None:
        """List and watch until ``stop`` is set (run it on a thread of its own)."""
        rv = self.resource_version
        failures = 0
        while not stop.is_set():
            try:
                if rv is None:
                    rv = self.relist()
                for event in self.kube.watch(self.path, resource_version=rv, selector=self.selector,
                                             timeout_seconds=self.watch_timeout, metadata_only=self.metadata_only):
                    obj = event.get("object") or {}
                    kind = event.get("type", "")
                    if kind == "BOOKMARK":
                        rv = _rv(obj) or rv
                    elif kind in ("ADDED", "MODIFIED", "DELETED"):
                        self._apply(kind, obj)
                        rv = _rv(obj) or rv
                    if stop.is_set():
                        return
                failures = 0
            except ApiError as exc:
                if exc.gone:
                    log.info("informer %s: watch expired (%s); relisting", self.name, exc.reason)
                    self.relists += 1
                    rv = None
                    continue
                failures += 1
                log.warning("informer %s: %s (attempt %d)", self.name, exc, failures)
                if failures >= 3:
                    rv = None  # after repeated failures start over from a fresh list
                stop.wait(min(30.0, 0.5 * 2 ** failures) * random.uniform(0.8, 1.2))
            except (ValueError, OSError, urllib3.exceptions.HTTPError) as exc:  # a broken stream: re-watch
                failures += 1
                log.warning("informer %s: watch stream broke (%s)", self.name, type(exc).__name__)
                stop.wait(min(30.0, 0.5 * 2 ** failures))


class Informers:
    """The same informer over several namespaces, looked up by namespace."""

    def __init__(self, make: Callable[[str | None], Informer], namespaces: tuple[str, ...]) -> None:
        self.by_ns: dict[str | None, Informer] = {ns: make(ns) for ns in (namespaces or (None,))}

    def _for(self, namespace: str) -> Informer | None:
        return self.by_ns.get(namespace) or self.by_ns.get(None)

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        informer = self._for(namespace)
        return None if informer is None else informer.get(namespace, name)

    def items(self) -> list[dict[str, Any]]:
        return [obj for informer in self.by_ns.values() for obj in informer.items()]

    def indexed(self, namespace: str, value: str) -> list[dict[str, Any]]:
        informer = self._for(namespace)
        return [] if informer is None else informer.indexed(value)

    def all(self) -> list[Informer]:
        return list(self.by_ns.values())


__all__ = ["Informer", "Informers", "object_key"]
