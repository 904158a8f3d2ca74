"""Charts on the local file system: a directory, a ``.tgz`` archive, or a file holding a
base64-encoded ``.tgz``.

A directory's digest is SHA-256 over every file's relative path and bytes (``.git``
skipped), remembered under the directory's stat signature so an unchanged chart is not
re-read on every render; a long-running service may also trust its last stat walk for a
while (:func:`recheck_directories_after`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import time
from pathlib import Path
from typing import Any

import helm_python as helm

from ...core import Memo
from ..errors import ChartSourceError
from ..ref import PathRef
from .loading import GZIP_MAGIC, MAX_ARCHIVE_BYTES, LoadedChart, describe_chart, load_archive, remember


class DirectoryDigests:
    """Directory digests, remembered by stat signature; and, when ``recheck_after`` > 0, the
    last walk of each directory trusted for that many seconds. Both tables are bounded."""

    def __init__(self, size: int = 256) -> None:
        self.recheck_after = 0.0
        self.by_stat: Memo[tuple[Any, ...], str] = Memo(size)
        self.checked: Memo[str, tuple[float, str]] = Memo(size)  # root -> (monotonic time of the walk, digest)

    def recheck(self, seconds: float) -> None:
        self.recheck_after = max(0.0, seconds)
        self.checked.clear()

    def digest(self, root: Path) -> str:
        now = time.monotonic()
        checked = self.checked.get(str(root))
        if checked is not None and now - checked[0] < self.recheck_after:
            return checked[1]
        digest = self._walked(root)
        if self.recheck_after > 0:
            self.checked.put(str(root), (now, digest))
        return digest

    def _walked(self, root: Path) -> str:
        files = _files(root)
        # ctime too: a rewrite that keeps size and mtime (cp -p, touch -r) still moves it
        signature = (str(root), tuple((rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                                      for rel, _, st in files))
        known = self.by_stat.get(signature)
        if known is not None:
            return known
        h = hashlib.sha256()
        for rel, full, _ in files:
            h.update(rel.encode() + b"\0")
            h.update(Path(full).read_bytes())
            h.update(b"\0")
        return self.by_stat.put(signature, "sha256:" + h.hexdigest())


def _files(root: Path) -> list[tuple[str, str, os.stat_result]]:
    """``(relative posix path, full path, stat)`` of every file under ``root``, sorted: a
    directory's files, then its subdirectories (``.git`` skipped, symlinked ones not
    entered, unreadable ones skipped), in ``os.walk``'s top-down order."""
    out: list[tuple[str, str, os.stat_result]] = []
    _scan(os.fspath(root), "", out)
    return out


def _scan(top: str, rel: str, out: list[tuple[str, str, os.stat_result]]) -> None:
    try:
        with os.scandir(top) as entries:
            named = [(entry.name, _is_dir(entry)) for entry in entries]
    except OSError:
        return
    for name in sorted(n for n, is_dir in named if not is_dir):
        full = os.path.join(top, name)
        out.append((rel + name, full, os.stat(full)))
    for name in sorted(n for n, is_dir in named if is_dir and n != ".git"):
        sub = os.path.join(top, name)
        if not os.path.islink(sub):
            _scan(sub, f"{rel}{name}/", out)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


_DIGESTS = DirectoryDigests()


def recheck_directories_after(seconds: float) -> None:
    """Let :func:`directory_digest` trust its last stat walk of a directory for ``seconds``
    (default 0: walk every time). A long-running service sets this (1 s): a chart directory
    is then stat-walked at most once a second instead of on every preview, and an edit to it
    is seen within that second."""
    _DIGESTS.recheck(seconds)


def directory_digest(root: Path) -> str:
    """``sha256:<hex>`` over every file's relative path and bytes (``.git`` skipped).

    Remembered per process under the directory's stat signature (path, size, mtime_ns,
    inode of every file), so an unchanged chart directory is not re-read on every render
    while any edit (which changes size or mtime) is seen (within
    :func:`recheck_directories_after`'s interval, when one is set).
    """
    return _DIGESTS.digest(root)


def _load_directory(path: Path, where: str) -> LoadedChart:
    if not (path / "Chart.yaml").is_file():
        raise ChartSourceError(f"{where}: {path} is a directory without a Chart.yaml; not a chart")
    try:
        digest = directory_digest(path)
    except OSError as exc:
        raise ChartSourceError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None

    def build() -> LoadedChart:
        try:
            chart = helm.Chart.load(path)
        except helm.HelmError as exc:
            raise ChartSourceError(f"{where}: cannot load chart: {exc}") from None
        values_file = path / "values.yaml"
        text = values_file.read_text(encoding="utf-8") if values_file.is_file() else None
        return describe_chart(chart, digest, text)

    return remember(digest, build)


def _read_file(path: Path, where: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_ARCHIVE_BYTES * 2:
            raise ChartSourceError(f"{where}: {size} bytes, over the {MAX_ARCHIVE_BYTES} byte archive limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise ChartSourceError(f"{where}: no such file or directory: {path}") from None
    except OSError as exc:
        raise ChartSourceError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None


def load_path(ref: PathRef) -> LoadedChart:
    """The chart a path reference names: a directory, a ``.tgz`` or a base64-encoded ``.tgz``."""
    path, where = ref.path, ref.describe()
    if path.is_dir():
        return _load_directory(path, where)
    data = _read_file(path, where)
    if data.startswith(GZIP_MAGIC):
        return load_archive(data, where)
    try:
        decoded = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded.startswith(GZIP_MAGIC):
        raise ChartSourceError(f"{where}: not a chart: neither a directory, a .tgz archive nor a base64-encoded .tgz")
    return load_archive(decoded, f"{where} (base64)")


__all__ = ["DirectoryDigests", "directory_digest", "load_path", "recheck_directories_after"]
