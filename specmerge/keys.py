"""Where the installation's redaction key lives (design.md §5): the key that makes
placeholders (``<redacted hmac:xxxxxxxx>``) and secret-covering ETags unguessable offline.

- :class:`FileKey`: a 0600 file of 32 random bytes, created once (``O_EXCL``: two processes
  racing to create it agree on one key) and refused if others may read it. The CLI uses
  ``$SPECMERGE_REDACTION_KEY_FILE`` or ``${XDG_CONFIG_HOME:-~/.config}/specmerge/redaction.key``;
  the service's directory store keeps it beside the store (:func:`beside_store`).
- :class:`SecretKey`: a Kubernetes Secret (``specmerge-redaction-key``, key ``key``), created
  once by whichever replica gets there first (a 409 means another did: read theirs).

:func:`specmerge.core.secrets.use_key_source` picks the source; the key is read once.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import InputError

KEY_FILE_ENV = "SPECMERGE_REDACTION_KEY_FILE"
KEY_BYTES = 32
SECRET_NAME = "specmerge-redaction-key"


class RedactionKeyError(InputError, RuntimeError):
    """The key cannot be read or created (the message names where)."""


def default_key_path() -> Path:
    override = os.environ.get(KEY_FILE_ENV)
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "specmerge" / "redaction.key"


class FileKey:
    """The key in a 0600 file, generated on first use. ``ephemeral``: when the file cannot be
    created (a read-only home in a container), warn and use a key for this process only -
    placeholders then differ between runs, but nothing is revealed."""

    def __init__(self, path: Path, ephemeral: bool = False) -> None:
        self.path = path
        self.ephemeral = ephemeral

    def __call__(self) -> bytes:
        try:
            return self._read()
        except (FileNotFoundError, NotADirectoryError):
            pass
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._read()  # another process created it first
        except OSError as exc:
            if self.ephemeral:
                warnings.warn(f"redaction key {self.path}: {exc.strerror}; using a key for this process only "
                              f"(placeholders will differ between runs)", stacklevel=2)
                return secrets.token_bytes(KEY_BYTES)
            raise RedactionKeyError(f"redaction key {self.path}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        return self._read()

    def _read(self) -> bytes:
        try:
            info = self.path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise
        except OSError as exc:
            raise RedactionKeyError(f"redaction key {self.path}: {exc.strerror}") from None
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise RedactionKeyError(f"redaction key {self.path} may be read by others "
                            f"(mode {stat.S_IMODE(info.st_mode):04o}); chmod 600 it")
        data = self.path.read_bytes()
        if len(data) < 16:  # a writer that died before writing: not a key
            raise RedactionKeyError(f"redaction key {self.path} is shorter than 16 bytes; remove it to generate a new one")
        return data


def default_key_source() -> Callable[[], bytes]:
    """The CLI's key: the file, or (when it cannot be created) a key for this process only."""
    return FileKey(default_key_path(), ephemeral=True)


def beside_store(store_dir: Path) -> FileKey:
    """The key of a directory store: ``redaction.key`` next to the store directory (unless
    ``$SPECMERGE_REDACTION_KEY_FILE`` names one explicitly)."""
    if os.environ.get(KEY_FILE_ENV):
        return FileKey(default_key_path())
    return FileKey(Path(store_dir).parent / "redaction.key")


class SecretKey:
    """The key in a Kubernetes Secret, created once (``core``: a ``CoreV1Api``)."""

    def __init__(self, core: Any, namespace: str, name: str = SECRET_NAME) -> None:
        self.core, self.namespace, self.name = core, namespace, name

    def __call__(self) -> bytes:
        from kubernetes.client import V1ObjectMeta, V1Secret
        from kubernetes.client.exceptions import ApiException

        where = f"Secret {self.namespace}/{self.name}"
        try:
            return self._decode(self.core.read_namespaced_secret(self.name, self.namespace))
        except ApiException as exc:
            if exc.status != 404:
                raise RedactionKeyError(f"redaction key {where}: {exc.status} {exc.reason}") from None
        body = V1Secret(metadata=V1ObjectMeta(name=self.name, labels={"app.kubernetes.io/managed-by": "specmerge"}),
                        type="Opaque", data={"key": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()})
        try:
            return self._decode(self.core.create_namespaced_secret(self.namespace, body))
        except ApiException as exc:
            if exc.status != 409:
                raise RedactionKeyError(f"redaction key {where}: {exc.status} {exc.reason}") from None
        return self._decode(self.core.read_namespaced_secret(self.name, self.namespace))  # a racing replica's

    def _decode(self, secret: Any) -> bytes:
        data = (secret.data or {}).get("key")
        key = base64.b64decode(data) if isinstance(data, str) else b""
        if len(key) < 16:
            raise RedactionKeyError(f"redaction key Secret {self.namespace}/{self.name} has no 'key' of 16+ bytes")
        return key
