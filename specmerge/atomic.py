"""The one atomic file write: a reader sees the old file or the new one, never a part of either.

The data goes to a temporary file in the target's directory, is flushed and fsynced, gets
its mode, is renamed over the target, and the directory is fsynced so the rename itself
survives a crash (the strongest of the three copies this replaced: channel cache, values
store and chart cache). On any failure the temporary file is removed and the old target is
left as it was. Errors are the ``OSError`` the system gave; callers turn it into their own
error with their own locator.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, prefix: str = ".") -> None:
    """Replace ``path`` with ``data`` (creating its directory), durably and all at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename or a create inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["fsync_directory", "write_atomic"]
