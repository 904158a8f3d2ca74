"""Running one client's command inside the daemon as if in the client's own process.

For the length of the command the daemon takes on the client's working directory, umask,
its whole environment (the keyed part is equal, or the daemon declined: :mod:`.where`) and the
client's stdin, stdout and stderr,
installed as file descriptors 0-2 (``dup2``): Python's streams, Typer's help width, rich's
terminal check and Helm's own Go code all see the client's terminal, pipe or file. The
redaction key is read again and warnings filters start fresh, as in a new process. Everything
is put back afterwards, so nothing of one command reaches the next.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ...core import use_key_source
from ...locations import repo_root

#: Exit status of a Python process whose stdout could not be flushed at exit (a closed pipe).
EXIT_FLUSH_FAILED = 120


@dataclass(frozen=True)
class Request:
    """One command to run: the client's argv, directory, umask, environment and fds 0-2 (which
    stay the caller's to close)."""

    argv: list[str]
    cwd: str
    umask: int
    environ: dict[bytes, bytes]
    fds: tuple[int, int, int]


def invoke(command: Callable[..., Any], argv: list[str]) -> int:
    """Run a Click command on ``argv`` as ``specmerge`` would; its exit status."""
    try:
        command(args=argv, prog_name="specmerge")
    except SystemExit as exc:
        return _status(exc.code)
    except KeyboardInterrupt:
        raise
    except BaseException:  # a bug: the traceback goes to the client, as an uncaught exception would
        traceback.print_exc()
        return 1
    return 0


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


@contextlib.contextmanager
def as_client(request: Request, home: tuple[int, int, int]) -> Iterator[list[int]]:
    """The client's process state around a command; yields a list that holds an exit status
    to report instead of the command's when stdout could not be flushed."""
    overrides: list[int] = []
    saved_env = dict(os.environb)
    mask = os.umask(request.umask)
    try:
        os.chdir(request.cwd)
        _set_env(request.environ)
        use_key_source(None)
        with warnings.catch_warnings(), _client_streams(request.fds, home, overrides):
            yield overrides
    finally:
        _set_env(saved_env)
        os.umask(mask)
        os.chdir("/")


def _set_env(values: dict[bytes, bytes]) -> None:
    """Make ``os.environ`` exactly ``values`` (changing only what differs)."""
    for name in [n for n in os.environb if n not in values]:
        del os.environb[name]
    for name, value in values.items():
        if os.environb.get(name) != value:
            os.environb[name] = value


@contextlib.contextmanager
def _client_streams(fds: tuple[int, int, int], home: tuple[int, int, int], overrides: list[int]) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        sys.stdin, sys.stdout, sys.stderr = (_stream(0, "r", sys.__stdin__), _stream(1, "w", sys.__stdout__),
                                             _stream(2, "w", sys.__stderr__))
        sys.stdout.reconfigure(line_buffering=os.isatty(1))
        sys.stderr.reconfigure(line_buffering=True)
        yield
    finally:
        if sys.stdout is not saved[1] and not _flushed(sys.stdout):
            overrides.append(EXIT_FLUSH_FAILED)
        if sys.stderr is not saved[2]:
            _flushed(sys.stderr)
        sys.stdin, sys.stdout, sys.stderr = saved
        for target, fd in enumerate(home):
            os.dup2(fd, target)


def _stream(fd: int, mode: str, like: Any) -> Any:
    """A text stream on ``fd`` as this interpreter made ``like``: its encoding, error handler and,
    under ``-u``/``PYTHONUNBUFFERED``, no buffer (the key holds these, so they are the client's)."""
    raw = io.FileIO(fd, mode, closefd=False)
    if like.write_through and mode == "w":
        return io.TextIOWrapper(raw, encoding=like.encoding, errors=like.errors, write_through=True)
    buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
    return io.TextIOWrapper(buffered, encoding=like.encoding, errors=like.errors)


def _flushed(stream: Any) -> bool:
    try:
        stream.flush()
    except (BrokenPipeError, OSError):
        return False
    return True


def code_signature() -> int:
    """A number that changes when the code a daemon runs could have: any file of the specmerge
    package, the channels and schemas it reads, or any directory on ``sys.path`` (an install or
    upgrade of a dependency changes its site-packages directory)."""
    from ... import __file__ as package_init

    package = os.path.dirname(package_init)
    roots = [package] + [str(repo_root() / d) for d in ("channels", "schemas")]
    entries: list[tuple[str, int, int]] = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:  # lstat: an editor's dangling lock link is a change, not a crash
                with contextlib.suppress(OSError):
                    st = os.lstat(os.path.join(dirpath, name))
                    entries.append((os.path.join(dirpath, name), st.st_mtime_ns, st.st_ctime_ns))
    for entry in sys.path:
        with contextlib.suppress(OSError):
            entries.append((entry, os.stat(entry or ".").st_mtime_ns, 0))
    return hash(tuple(entries))
