"""The directory backend: ``<root>/<namespace>/<name>/user.json`` (the user layer),
``active.json`` (the last applied effective spec) and ``cr.json`` (the CR's ``spec.values``,
the layer above the console's); the last two are only read here.

Writes are atomic and durable (:func:`specmerge.atomic.write_atomic`, mode 0600) and
compare-and-swap under one lock: a thread lock for this process and an ``flock`` on
``<root>/.lock`` for other processes sharing the directory, so two writers holding the
same ETag cannot both win.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..core import LayerInputError, parse_json
from .store import Instance, StaleETag, Stored, StoreError, canonical, content_etag

USER_FILE = "user.json"
ACTIVE_FILE = "active.json"
CR_FILE = "cr.json"


class DirectoryStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DirectoryStore({self.root})"

    def _dir(self, instance: Instance) -> Path:
        return self.root / instance.namespace / instance.name

    def locator(self, instance: Instance) -> str:
        return f"file:{self._dir(instance) / USER_FILE}"

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{path}: cannot read: {exc.strerror}") from None
        try:
            return parse_json(text, f"file:{path}", allow_nan=True)
        except LayerInputError as exc:
            raise StoreError(f"{path}: not a JSON object: {exc.reason}") from None

    def get(self, instance: Instance) -> Stored | None:
        values = self._read(self._dir(instance) / USER_FILE)
        return None if values is None else Stored(values, content_etag(values))

    def active(self, instance: Instance) -> dict[str, Any] | None:
        return self._read(self._dir(instance) / ACTIVE_FILE)

    def cr(self, instance: Instance) -> tuple[str, dict[str, Any]] | None:
        path = self._dir(instance) / CR_FILE
        values = self._read(path)
        return None if values is None else (f"file:{path}", values)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.root / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def put(self, instance: Instance, values: Mapping[str, Any], expected: str | None) -> Stored:
        doc = json.loads(canonical(values))
        with self._locked():
            current = self.get(instance)
            if (current.etag if current else None) != expected:
                raise StaleETag(str(instance))
            directory = self._dir(instance)
            try:
                text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
                write_atomic(directory / USER_FILE, text.encode(), mode=0o600)
            except OSError as exc:
                raise StoreError(f"{directory}: cannot write: {exc.strerror}") from None
        return Stored(doc, content_etag(doc))

    def ping(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.R_OK | os.W_OK | os.X_OK):
                raise StoreError(f"{self.root}: not readable and writable")
        except OSError as exc:
            raise StoreError(f"{self.root}: {exc.strerror}") from None
