"""The client half: hand a command to this user's resident ``specmerge`` and wait for its exit code.

:func:`via_daemon` is called by :func:`specmerge.cli.main` for the read-only commands
(:data:`PROXIED`). It returns the command's exit code when a daemon ran it, or ``None`` when
this process must run it itself: no daemon (one is then started in the background for the
next command, unless in CI), a busy one, one that declines (another environment, its code
changed), or any failure to talk to it. A daemon is an accelerator, never a requirement: the
command's output and exit code are the same either way (tests/cli/test_daemon.py).

The daemon writes straight to this process's stdin/stdout/stderr, which are passed to it
over the socket (SCM_RIGHTS), so pipes, files and terminals behave as they would here.

``$SPECMERGE_DAEMON``: ``auto`` (default; use a running daemon, start one unless ``$CI``),
``on`` (start one even in CI), ``off`` (never).
"""

from __future__ import annotations

import os
import sys

import _socket

from . import where, wire

#: Commands a daemon may run: they read files, charts and channels, and print; none changes
#: a cluster. ``diff --live`` reads a cluster and is run here.
PROXIED = frozenset({"render", "show", "merge", "explain", "validate", "diff"})
MODES = ("auto", "on", "off")
#: Seconds a client waits for a daemon to take its command before it runs the command itself.
HANDSHAKE_SECONDS = 5.0


def mode() -> str:
    """``$SPECMERGE_DAEMON`` (``auto`` when unset); an unknown value is a usage error."""
    value = os.environ.get(where.MODE_ENV, "").strip().lower() or "auto"
    aliases = {"1": "on", "true": "on", "yes": "on", "0": "off", "false": "off", "no": "off"}
    value = aliases.get(value, value)
    if value not in MODES:
        sys.stderr.write(f"error: ${where.MODE_ENV}={os.environ[where.MODE_ENV]!r}: expected auto, on or off\n")
        raise SystemExit(2)
    return value


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def proxied(command: str | None, argv: list[str]) -> bool:
    return command in PROXIED and not any(a == "--live" or a.startswith("--live=") for a in argv)


def via_daemon(command: str | None, argv: list[str]) -> int | None:
    """The exit code of ``argv`` run by this user's daemon, or ``None``: run it here."""
    if not proxied(command, argv) or not hasattr(_socket, "SO_PEERCRED"):
        return None
    chosen = mode()
    if chosen == "off" or not _standalone():
        return None
    try:
        path = where.checked_socket(where.socket_path())
        where.checked_dir(os.path.dirname(path))
    except (OSError, where.Unsafe):
        path = None
    answer, reached = _ask(path, argv) if path else (None, False)
    if not reached and (chosen == "on" or not in_ci()):
        _start_in_background()
    return answer


def _standalone() -> bool:
    """Whether this process can hand over its command: fds 0-2 open (else the socket itself would
    take one of their numbers) and no ``SPECMERGE_ROOT`` relative to this directory."""
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
    except OSError:
        return False
    root = os.environ.get("SPECMERGE_ROOT")
    return not root or os.path.isabs(root)


def _start_in_background() -> bool:
    """Start a daemon for the next command; ``False`` (and nothing said) when it cannot be."""
    from .spawn import spawn

    try:
        spawn(wait=False)
    except (OSError, where.Unsafe):
        return False
    return True


def _ask(path: str, argv: list[str]) -> tuple[int | None, bool]:
    """``(exit code or None, whether a daemon answered)``."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(HANDSHAKE_SECONDS)  # a stopped (SIGSTOP) or wedged daemon: run here instead
        sock.connect(path)
        if not _same_user(sock):
            return None, True
        fields = wire.run_fields(where.interpreter(), os.fsencode(os.getcwd()), _umask(),
                                 [os.fsencode(a) for a in argv], [k + b"=" + v for k, v in os.environb.items()])
        fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
        sock.sendmsg([wire.frame(wire.RUN, fields)], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
        op, reply = wire.read_frame(sock.recv)
        if op == wire.READY:
            sock.settimeout(None)
            sock.sendall(wire.GO)
            op, reply = _outcome(sock)
    except (OSError, wire.WireError):
        return None, False  # no daemon, a dead or stopped one: run here (it never got the go-ahead)
    except KeyboardInterrupt:  # Ctrl-C before the go-ahead: the daemon drops the command when we hang up
        raise SystemExit(130) from None
    finally:
        sock.close()
    if op == wire.EXITED and reply:
        return int(reply[0]), True
    return None, True  # busy, or declined (another environment, its code changed)


def _outcome(sock: _socket.socket) -> tuple[bytes, list[bytes]]:
    """The exit frame of the command the daemon runs. Ctrl-C asks the daemon to interrupt it
    (its exit status is then the command's, as in its own process); a second one gives up.
    If the daemon dies first, the command may have written part of its output, so it must not
    run again here: exit 2, said why."""
    got = bytearray()

    def recv(n: int) -> bytes:
        chunk = sock.recv(n)
        got.extend(chunk)
        return chunk

    interrupted = False
    while True:
        try:
            return wire.read_frame(recv, bytes(got))
        except KeyboardInterrupt:
            if interrupted:
                raise SystemExit(130) from None
            interrupted = True
            _send(sock, wire.INTERRUPT)
        except (OSError, wire.WireError):
            sys.stderr.write("error: the specmerge daemon stopped while running this command; run it again "
                             f"(or with {where.MODE_ENV}=off)\n")
            raise SystemExit(2) from None


def _send(sock: _socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        return  # the daemon is gone: reading its answer says so


def _same_user(sock: _socket.socket) -> bool:
    """Whether the process at the other end runs as this user (``SO_PEERCRED``: pid, uid, gid)."""
    creds = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(creds[4:8], sys.byteorder) == os.getuid()


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current
