"""The resident ``specmerge``: one process per user and environment that keeps the interpreter,
Typer, ruamel.yaml, jsonschema-rs and Helm's Go library loaded, and runs the read-only commands
its clients hand it (:mod:`.client`), one at a time.

Life cycle: it takes ``<socket>.lock`` (``flock``; a second daemon for the same key leaves at
once), listens on the socket (mode 0600, in a 0700 directory), and exits after
``$SPECMERGE_DAEMON_IDLE`` seconds without a command (default 900), on ``specmerge daemon
stop``, on SIGTERM, or when its code changed on disk (it declines that command first, so the
client runs it itself). Connections are read on their own threads; commands run on the main
thread, because each borrows the process's file descriptors 0-2, directory and umask
(:mod:`.running`). A command arriving while another runs is answered "busy" at once and the
client runs it itself, so parallel invocations never queue behind each other.

A client that goes away mid-command (Ctrl-C, a kill) interrupts that command as Ctrl-C would
have: its hang-up raises ``KeyboardInterrupt`` in the main thread (``pthread_kill``), and the
handler only does so while that very command is running.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any

from . import where, wire
from .. import _command_of
from .client import PROXIED
from .running import Request, as_client, code_signature, invoke

#: How often the main thread looks at the clock and the stop flag while idle (seconds).
TICK = 0.5


class Job:
    """A run request taken off a connection: the connection, the request and its fds."""

    def __init__(self, conn: socket.socket, argv: list[str], cwd: str, umask: int, volatile: dict[bytes, bytes | None],
                 fds: tuple[int, int, int]) -> None:
        self.conn, self.argv, self.cwd, self.umask, self.volatile, self.fds = conn, argv, cwd, umask, volatile, fds
        self.token = object()  # identifies this command to the SIGINT handler


class Daemon:
    def __init__(self, path: str, idle: float) -> None:
        self.path, self.idle = path, idle
        self.started = self.last = time.monotonic()
        self.commands_run = 0
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.busy = threading.Lock()
        self.stopping = threading.Event()
        self.current: object | None = None  # the running command's token
        self.interrupt: object | None = None  # the token a hang-up asked to interrupt
        self.environment = where.keyed_environment(dict(os.environb))
        self.interpreter = where.interpreter()
        self.signature = code_signature()
        self.commands: dict[str, Any] = {}

    # --- the main thread ----------------------------------------------------------------

    def serve(self, lock: int) -> int:
        """Serve until idle or stopped (``lock``: this key's held lock, :func:`~.where.take_lock`)."""
        listener = _listen(self.path)
        home = (os.dup(0), os.dup(1), os.dup(2))
        os.chdir("/")
        signal.signal(signal.SIGINT, self._on_interrupt)
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        self._warm()
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="accept").start()
        try:
            while not self.stopping.is_set() and time.monotonic() - self.last < self.idle:
                with contextlib.suppress(queue.Empty, KeyboardInterrupt):
                    self._run(self.jobs.get(timeout=TICK), home)
        except Exception:  # a bug of the daemon's own: say it where the daemon's stderr goes, and leave
            traceback.print_exc()
            return 1
        finally:
            _unlisten(listener, self.path)
            self._decline_queued()
            os.close(lock)
        return 0

    def _decline_queued(self) -> None:
        """Jobs taken in while the daemon decided to stop: their clients run them themselves."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            _decline(job, "the daemon is stopping")
            _close(job)

    def _warm(self) -> None:
        """Load every proxied command (and with ``render``, Helm's library) before the first client."""
        import typer.main

        from .. import build_app

        for name in sorted(PROXIED):
            self.commands[name] = typer.main.get_command(build_app(name))

    def _run(self, job: Job, home: tuple[int, int, int]) -> None:
        status = None
        try:
            if code_signature() != self.signature:
                self.stopping.set()
                return _decline(job, "its code changed on disk")
            self.last = time.monotonic()
            request = Request(job.argv, job.cwd, job.umask, job.volatile, job.fds)
            try:
                with as_client(request, home) as overrides:
                    job.conn.sendall(wire.frame(wire.STARTED))
                    status = self._command(job)
                    status = overrides[0] if overrides else status
            except KeyboardInterrupt:
                status = 130
            except OSError as exc:  # the client's directory is gone, or the client is
                if status is None:
                    return _decline(job, f"cannot run there: {exc.strerror}")
            self.commands_run += 1
            with contextlib.suppress(OSError):
                job.conn.sendall(wire.frame(wire.EXITED, [b"%d" % (status if status is not None else 1)]))
        finally:
            self.current = None
            self.last = time.monotonic()
            _close(job)
            self.busy.release()

    def _command(self, job: Job) -> int:
        self.current = job.token
        try:
            return invoke(self.commands[str(_command_of(job.argv))], job.argv)
        except KeyboardInterrupt:
            return 130
        finally:
            self.current = None

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        """SIGINT: interrupt the running command only if its own client hung up."""
        if self.current is not None and self.current is self.interrupt:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # the client is gone: nothing more reaches its terminal
            os.dup2(devnull, 2)
            os.close(devnull)
            raise KeyboardInterrupt

    # --- connection threads ------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the daemon is exiting
            threading.Thread(target=self._intake, args=(conn,), daemon=True, name="intake").start()

    def _intake(self, conn: socket.socket) -> None:
        fds: list[int] = []
        queued = False
        try:
            conn.settimeout(10)
            if _peer_uid(conn) != os.getuid():
                return
            data, ancdata, _, _ = conn.recvmsg(1 << 16, socket.CMSG_SPACE(3 * 4))
            fds = _received_fds(ancdata)
            op, fields = wire.read_frame(conn.recv, data)
            answer = self._answer(conn, op, fields, fds)
            queued = answer is None
            if answer is not None:
                conn.sendall(answer)
        except (OSError, wire.WireError):
            return
        finally:
            if not queued:  # a queued job owns its connection and fds
                _close_all(fds)
                conn.close()

    def _answer(self, conn: socket.socket, op: bytes, fields: list[bytes], fds: list[int]) -> bytes | None:
        """The frame to send back, or ``None`` when the job was queued (it owns conn and fds now)."""
        if op == wire.STATUS:
            up, idle = time.monotonic() - self.started, self.idle
            info = [str(os.getpid()), f"{up:.0f}", str(self.commands_run), "1" if self.busy.locked() else "0",
                    f"{idle:.0f}", self.path]
            return wire.frame(wire.STATUS, [f.encode() for f in info])
        if op == wire.STOP:
            self.stopping.set()
            return wire.frame(wire.STOP)
        if op != wire.RUN:
            return wire.frame(wire.DECLINED, [b"unknown operation"])
        interpreter, cwd, umask, argv, env = wire.split_run(fields)
        why = self._refusal(interpreter, env, fds)
        if why:
            return wire.frame(wire.DECLINED, [why.encode()])
        if not self.busy.acquire(blocking=False):
            return wire.frame(wire.BUSY)
        conn.settimeout(None)
        environ = dict(e.split(b"=", 1) for e in env if b"=" in e)
        volatile = {k: environ.get(k) for k in where.VOLATILE}
        job = Job(conn, [os.fsdecode(a) for a in argv], os.fsdecode(cwd), umask, volatile, (fds[0], fds[1], fds[2]))
        self.jobs.put(job)
        threading.Thread(target=self._watch, args=(job,), daemon=True, name="watch").start()
        return None

    def _refusal(self, interpreter: bytes, env: list[bytes], fds: list[int]) -> str:
        if self.stopping.is_set():
            return "the daemon is stopping"
        if len(fds) != 3:
            return "expected the client's stdin, stdout and stderr"
        if interpreter != self.interpreter:
            return "another interpreter, specmerge or interpreter flags"
        environ = dict(e.split(b"=", 1) for e in env if b"=" in e)
        if where.keyed_environment(environ) != self.environment:
            return "another environment"
        return ""

    def _watch(self, job: Job) -> None:
        """Interrupt ``job``'s command if its client hangs up while it runs."""
        with contextlib.suppress(OSError):
            job.conn.recv(1)  # b"" when the client hangs up, or when the daemon closes the connection
        if self.current is job.token:
            self.interrupt = job.token
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def _decline(job: Job, why: str) -> None:
    with contextlib.suppress(OSError):
        job.conn.sendall(wire.frame(wire.DECLINED, [why.encode()]))


def _close(job: Job) -> None:
    with contextlib.suppress(OSError):
        job.conn.shutdown(socket.SHUT_RDWR)
    job.conn.close()
    _close_all(list(job.fds))


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _received_fds(ancdata: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds.extend(int.from_bytes(data[i:i + 4], sys.byteorder) for i in range(0, usable, 4))
    return fds


def _peer_uid(conn: socket.socket) -> int:
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return int(uid)


def _listen(path: str) -> socket.socket:
    if len(os.fsencode(path)) > where.MAX_SOCKET_PATH:
        raise where.Unsafe(f"socket path {path} is longer than {where.MAX_SOCKET_PATH} bytes; "
                           f"set ${where.DIR_ENV} to a shorter directory")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # we hold the lock: a socket left here is a dead daemon's
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(mask)
    listener.listen(64)
    return listener


def _unlisten(listener: socket.socket, path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
    listener.close()


def main(path: str, lock: int) -> int:
    """Serve this environment's socket ``path`` until idle (``lock``: its held lock)."""
    idle = float(os.environ.get(where.IDLE_ENV) or where.IDLE_DEFAULT)
    return Daemon(path, idle).serve(lock)
