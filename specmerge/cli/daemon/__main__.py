"""``python -m specmerge.cli.daemon``: the resident process (started by :mod:`.spawn`).

The key's lock is taken before the server and everything it loads are imported, so the losers
of a start race (parallel first commands) leave at once."""

import os
import sys

from . import where


def _serve() -> int:
    path = where.socket_path()
    try:
        where.checked_dir(os.path.dirname(path), create=True)
    except where.Unsafe as exc:
        print(f"error: daemon: {exc}", file=sys.stderr)
        return 2
    lock = where.take_lock(path + ".lock")
    if lock is None:
        return 0  # another daemon serves this key
    try:
        from .server import main

        return main(path, lock)
    except Exception as exc:  # it cannot start: keep why, so clients do not start it again and again
        where.record_failure(path, exc)
        raise


raise SystemExit(_serve())
