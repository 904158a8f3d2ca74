"""The daemon's wire format over a Unix socket: a request frame, then single bytes and frames.

A frame is a 4-byte big-endian length, then a one-byte operation, then NUL-separated byte
fields (argv, the environment and paths cannot hold a NUL, so no escaping is needed):

====  ==================  ===============================================================
op    sent by             fields
====  ==================  ===============================================================
R     client: run         interpreter digest, cwd, umask, argc, argv..., NAME=value...
                          (with the client's stdin, stdout and stderr as SCM_RIGHTS)
P     client: status      -
Q     client: stop        -
A     daemon: ready       - (the command is next: the client answers the byte ``G`` to run it)
X     daemon: exit        exit code (the command ran; its output went to the client's fds)
P     daemon: status      pid, seconds up, commands run, 1 if one runs now, idle limit, socket path
Q     daemon: stopping    -
B     daemon: busy        - (another command is running: the client runs this one itself)
N     daemon: not this    reason (another interpreter/environment, code changed, bad cwd:
                          the client runs the command itself)
====  ==================  ===============================================================

A run is a two-step commitment, so a command never runs twice or for nobody: the daemon
sends ``A`` and waits for ``G``; a client that gave up waiting (it then runs the command itself)
has closed the connection, and the daemon drops the job. After ``G`` the client may send ``I``
(Ctrl-C: interrupt the command, as Ctrl-C would in its own process); hanging up interrupts it too.

Builtin modules only (the client imports this on every proxied command).
"""

from __future__ import annotations

from ...errors import UnavailableError

RUN, STATUS, STOP = b"R", b"P", b"Q"
TYPE_CHECKING = False  # no typing/collections.abc at run time: see specmerge.cli
if TYPE_CHECKING:
    from collections.abc import Callable

READY, EXITED, BUSY, DECLINED = b"A", b"X", b"B", b"N"
#: Single bytes the client sends after ``READY``.
GO, INTERRUPT = b"G", b"I"
#: Largest frame either side accepts (a request carries the environment and argv).
MAX_FRAME = 4 << 20


class WireError(UnavailableError):
    """A frame that is cut short, too large or malformed (the other side is gone or is not a
    specmerge daemon): the client runs the command itself."""


def frame(op: bytes, fields: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    payload = op + b"\0".join(fields)
    return len(payload).to_bytes(4, "big") + payload


def parse(payload: bytes) -> tuple[bytes, list[bytes]]:
    """``(op, fields)`` of a frame's payload."""
    if not payload:
        raise WireError("empty frame")
    rest = payload[1:]
    return payload[:1], (rest.split(b"\0") if rest else [])


def read_frame(recv: Callable[[int], bytes], first: bytes = b"") -> tuple[bytes, list[bytes]]:
    """Read one frame with ``recv(n)`` (``first``: bytes already received)."""
    data = _exactly(recv, 4, first)
    size = int.from_bytes(data[:4], "big")
    if size > MAX_FRAME:
        raise WireError(f"frame of {size} bytes (limit {MAX_FRAME})")
    return parse(_exactly(recv, 4 + size, data)[4:])


def _exactly(recv: Callable[[int], bytes], n: int, have: bytes) -> bytes:
    chunks, got = [have], len(have)
    while got < n:
        chunk = recv(min(n - got, 1 << 16))
        if not chunk:
            raise WireError(f"connection closed after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def run_fields(interpreter: bytes, cwd: bytes, umask: int, argv: list[bytes], env: list[bytes]) -> list[bytes]:
    return [interpreter, cwd, b"%d" % umask, b"%d" % len(argv), *argv, *env]


def split_run(fields: list[bytes]) -> tuple[bytes, bytes, int, list[bytes], list[bytes]]:
    """``(interpreter, cwd, umask, argv, env)`` of a run request's fields."""
    try:
        interpreter, cwd, umask, argc = fields[0], fields[1], int(fields[2]), int(fields[3])
    except (IndexError, ValueError):
        raise WireError("malformed run request") from None
    if argc < 0 or 4 + argc > len(fields):
        raise WireError("malformed run request")
    env = [f for f in fields[4 + argc:] if f]
    return interpreter, cwd, umask, fields[4:4 + argc], env
