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
    """A run request taken off a connection: the connection, the request, and the client's fds
    0-2 (the job's to close, once)."""

    def __init__(self, conn: socket.socket, request: Request) -> None:
        self.conn, self.request = conn, request
        self.gone = False  # the client hung up

    @property
    def fds(self) -> tuple[int, int, int]:
        return self.request.fds


class Daemon:
    def __init__(self, path: str, idle: float) -> None:
        self.path, self.idle = path, idle
        self.started = self.last = time.monotonic()
        self.commands_run = 0
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.busy = threading.Lock()
        self.stopping = threading.Event()
        self.current: Job | None = None  # the job whose command runs now
        self.interrupt: Job | None = None  # the job its client asked to interrupt (Ctrl-C or hang-up)
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
        where.clear_failure(self.path)
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="accept").start()
        try:
            while not self.stopping.is_set() and time.monotonic() - self.last < self.idle:
                with contextlib.suppress(queue.Empty, KeyboardInterrupt):
                    self._run(self.jobs.get(timeout=TICK), home)
        except Exception as exc:  # a bug of the daemon's own: say it where its stderr goes, keep why, leave
            traceback.print_exc()
            where.record_failure(self.path, exc)
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
        try:
            if code_signature() != self.signature:
                self.stopping.set()
                return _decline(job, "its code changed on disk")
            if not os.access(job.request.cwd, os.X_OK):
                return _decline(job, f"cannot enter {job.request.cwd}")
            if not _go_ahead(job):
                return None  # the client gave up waiting and runs the command itself
            self.last = time.monotonic()
            try:
                status = self._command(job, home)
            except KeyboardInterrupt:  # one that landed as the command ended
                status = 130
            self.commands_run += 1
            with contextlib.suppress(OSError):
                job.conn.sendall(wire.frame(wire.EXITED, [b"%d" % status]))
        finally:
            self.current = None
            self.last = time.monotonic()
            _close(job)
            self.busy.release()
        return None

    def _command(self, job: Job, home: tuple[int, int, int]) -> int:
        """Run ``job``'s command as its client; the exit status (130 when interrupted)."""
        self.current = job
        threading.Thread(target=self._watch, args=(job,), daemon=True, name="watch").start()
        status = 130
        try:
            with as_client(job.request, home) as overrides:
                status = invoke(self.commands[str(_command_of(job.request.argv))], job.request.argv)
            status = overrides[0] if overrides else status
        except KeyboardInterrupt:
            status = 130
        except OSError as exc:  # its directory went away since it was checked
            with contextlib.suppress(OSError):
                os.write(job.fds[2], f"error: cannot run in {job.request.cwd}: {exc.strerror}\n".encode())
            status = 2
        finally:
            self.current = None
        return status

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        """SIGINT: interrupt the running command only if its own client asked (or hung up)."""
        job = self.current
        if job is not None and job is self.interrupt:
            if job.gone:  # nothing more reaches a terminal whose client has left
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
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
            if not _same_world(conn):
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
            info = [str(os.getpid()), f"{up:.0f}", str(self.commands_run), "1" if self.current is not None else "0",
                    f"{idle:.0f}", self.path]
            return wire.frame(wire.STATUS, [f.encode() for f in info])
        if op == wire.STOP:
            self.stopping.set()
            return wire.frame(wire.STOP)
        if op != wire.RUN:
            return wire.frame(wire.DECLINED, [b"unknown operation"])
        interpreter, cwd, umask, argv, env = wire.split_run(fields)
        environ = dict(e.split(b"=", 1) for e in env if b"=" in e)
        why = self._refusal(interpreter, environ, fds)
        if why:
            return wire.frame(wire.DECLINED, [why.encode()])
        if not self.busy.acquire(blocking=False):
            return wire.frame(wire.BUSY)
        conn.settimeout(None)
        request = Request([os.fsdecode(a) for a in argv], os.fsdecode(cwd), umask, environ, (fds[0], fds[1], fds[2]))
        self.jobs.put(Job(conn, request))
        return None

    def _refusal(self, interpreter: bytes, environ: dict[bytes, bytes], fds: list[int]) -> str:
        if self.stopping.is_set():
            return "the daemon is stopping"
        if len(fds) != 3:
            return "expected the client's stdin, stdout and stderr"
        if interpreter != self.interpreter:
            return "another interpreter, specmerge or interpreter flags"
        if where.keyed_environment(environ) != self.environment:
            return "another environment"
        return ""

    def _watch(self, job: Job) -> None:
        """Interrupt ``job``'s command when its client sends Ctrl-C or hangs up while it runs."""
        while True:
            try:
                data = job.conn.recv(1)  # b"" when the client hangs up (or the daemon closes the connection)
            except OSError:
                data = b""
            if data and data != wire.INTERRUPT:
                continue  # nothing else is sent after the go-ahead
            job.gone = not data
            if self.current is job:
                self.interrupt = job
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
            if job.gone:
                return


def _go_ahead(job: Job) -> bool:
    """Tell the client its command is next, and whether it still wants it run here."""
    try:
        job.conn.sendall(wire.frame(wire.READY))
        job.conn.settimeout(10)
        answer = job.conn.recv(1)
        job.conn.settimeout(None)
    except OSError:
        return False
    return answer == wire.GO


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


def _same_world(conn: socket.socket) -> bool:
    """Whether the client is this user in this process's world: uid, gid and groups (files it may
    read), and mount, network and user namespaces (what its paths and hosts mean)."""
    pid, uid, gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    if (uid, gid) != (os.getuid(), os.getgid()):
        return False
    try:
        groups = next(line.split()[1:] for line in open(f"/proc/{pid}/status") if line.startswith("Groups:"))
        same_ns = all(os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/self/ns/{ns}")
                      for ns in ("mnt", "net", "user"))
    except (OSError, StopIteration):
        return False
    return same_ns and sorted(map(int, groups)) == sorted(os.getgroups())


def _listen(path: str) -> socket.socket:
    where.checked_socket(path)
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
    return Daemon(path, where.idle_seconds()).serve(lock)
