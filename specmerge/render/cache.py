"""The on-disk chart cache: archives by content digest, plus named aliases to digests.

Layout under ``${SPECMERGE_CACHE:-~/.cache/specmerge}/charts``::

    sha256/<hex>.tgz      a chart archive, named by the SHA-256 of its bytes
    alias/<hex>           the digest a remote reference resolved to (``<hex>`` hashes the
                          reference, so no URL or credential is written in a file name)

Writes are :func:`~specmerge.atomic.write_atomic` (a temporary file renamed into place,
fsynced), so concurrent writers (threads or processes) never expose a half-written archive,
and a reader verifies the digest of what it reads. Nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..atomic import write_atomic

CACHE_ENV = "SPECMERGE_CACHE"
TEMP_PREFIX = ".tmp-"


def cache_root() -> Path:
    """``$SPECMERGE_CACHE`` or ``~/.cache/specmerge``."""
    override = os.environ.get(CACHE_ENV)
    return Path(override).expanduser() if override else Path.home() / ".cache" / "specmerge"


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``: the digest Helm's repository indexes carry."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _hex(digest: str) -> str:
    algo, _, value = digest.partition(":")
    if algo != "sha256" or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return value


class ChartCache:
    """Archives by digest and aliases to them, under ``root`` (default: :func:`cache_root`/charts)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_root() / "charts"

    def archive_path(self, digest: str) -> Path:
        return self.root / "sha256" / f"{_hex(digest)}.tgz"

    def get(self, digest: str) -> bytes | None:
        """The archive with ``digest``, or ``None`` if absent or corrupt on disk."""
        try:
            data = self.archive_path(digest).read_bytes()
        except (OSError, ValueError):
            return None
        return data if sha256_digest(data) == digest else None

    def put(self, data: bytes) -> str:
        """Store an archive; returns its digest."""
        digest = sha256_digest(data)
        path = self.archive_path(digest)
        if not path.exists():
            write_atomic(path, data, prefix=TEMP_PREFIX)
        return digest

    @staticmethod
    def _alias_path_name(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def alias(self, key: str) -> str | None:
        """The digest ``key`` (a reference such as ``repo:<url>|<name>|<version>``) resolved to."""
        try:
            digest = (self.root / "alias" / self._alias_path_name(key)).read_text().strip()
            _hex(digest)
        except (OSError, ValueError):
            return None
        return digest

    def set_alias(self, key: str, digest: str) -> None:
        _hex(digest)
        write_atomic(self.root / "alias" / self._alias_path_name(key), digest.encode(), prefix=TEMP_PREFIX)
