"""Starting, asking and stopping a daemon from outside it (the client and ``specmerge daemon``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import _socket

from . import where, wire


def spawn(wait: bool, timeout: float = 60.0) -> str:
    """Start this environment's daemon in the background (a no-op when one runs: the newcomer
    finds the lock taken and leaves); with ``wait``, until it answers. Returns its socket path.
    Unasked (``wait`` false), none is started while :data:`~.where.MAX_DAEMONS` others run, nor
    while one for this key failed to start in the last :data:`~.where.RETRY_AFTER_FAILURE` seconds."""
    path = where.checked_socket(where.socket_path())
    where.checked_dir(os.path.dirname(path), create=True)
    where.idle_seconds()  # a bad value is said here, not by a daemon that cannot start
    if not wait and (where.failed_recently(path) or len(running(os.path.dirname(path))) >= where.MAX_DAEMONS):
        return path
    # this interpreter's flags (-s, -E, -X ..., -u), so the daemon's key is this client's; and -P: no
    # working directory on sys.path (the daemon runs commands for many directories)
    flags = subprocess._args_from_interpreter_flags() + (["-u"] if getattr(sys.__stdout__, "write_through", False) else [])
    child = subprocess.Popen([sys.executable, *flags, "-P", "-m", "specmerge.cli.daemon"], cwd="/",
                             start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             close_fds=True)
    if wait:
        deadline = time.monotonic() + timeout
        while status(path) is None:
            if child.poll() not in (None, 0) and status(path) is None:  # 0: another daemon has the lock
                why = where.failed_recently(path)
                raise RuntimeError(f"the daemon exited with status {child.returncode} before it answered at {path}"
                                   + (f": {why}" if why else ""))
            if time.monotonic() > deadline:
                raise RuntimeError(f"the daemon did not answer at {path} within {timeout:.0f} s")
            time.sleep(0.05)
    return path


def running(directory: str) -> list[str]:
    """The sockets in ``directory`` a daemon answers on (a dead daemon's socket file may linger)."""
    found = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".sock"):
            sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            try:
                sock.connect(os.path.join(directory, name))
            except OSError:
                continue
            finally:
                sock.close()
            found.append(os.path.join(directory, name))
    return found


def ask(path: str, op: bytes, timeout: float = 5.0) -> tuple[bytes, list[bytes]] | None:
    """The daemon's answer to ``op`` (status or stop), or ``None`` when none answers at ``path``."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        sock.sendall(wire.frame(op))
        return wire.read_frame(sock.recv)
    except (OSError, wire.WireError):
        return None
    finally:
        sock.close()


def status(path: str) -> dict[str, str] | None:
    """A running daemon's pid, uptime, commands run, whether one runs now, idle limit and socket; ``None`` if none runs."""
    answer = ask(path, wire.STATUS)
    names = ("pid", "up", "commands", "running", "idle", "socket")
    if answer is None or answer[0] != wire.STATUS or len(answer[1]) != len(names):
        return None
    return dict(zip(names, (f.decode("utf-8", "replace") for f in answer[1]), strict=True))


def stop(path: str, timeout: float = 10.0) -> str:
    """Ask the daemon at ``path`` to exit and wait until its socket is gone: ``"stopped"``, ``"not
    running"``, or ``"still running"`` (its command has not ended within ``timeout``)."""
    if ask(path, wire.STOP) is None:
        return "not running"
    deadline = time.monotonic() + timeout
    while os.path.exists(path):
        if time.monotonic() > deadline:
            return "still running"
        time.sleep(0.02)
    return "stopped"
