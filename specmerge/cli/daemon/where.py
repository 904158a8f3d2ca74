"""Where a resident ``specmerge`` process listens, and which one a client may use.

One daemon serves one *installation in one environment*: the same interpreter (executable,
flags), the same specmerge package and version, and the same values of the variables that are
read once per process - by Helm's Go runtime (which copies the environment when it starts:
``HELM_*``, ``KUBE*``, proxies, ``SSL_CERT_*``, ``GO*``, ``HOME``, ``PATH``), by the interpreter
at start-up (``PYTHON*``, the locale) or by a module on first use (``TMPDIR``): :func:`keyed`.
Those make its key. Every other variable (a terminal's, a shell's, ``PYENV_DIR``, ``TERM``,
``NO_COLOR``...) is the client's own for the length of each command (:mod:`.running`), so it
neither splits daemons nor goes stale.

The socket lives in a directory only this user can enter: ``$SPECMERGE_DAEMON_DIR``, else
``$XDG_RUNTIME_DIR/specmerge``, else ``$TMPDIR/specmerge-<uid>``. A directory that another
user owns, or that others may enter, is refused on both sides (a client would otherwise hand
its environment and its terminal to whoever made it).

This module is imported on every proxied command before anything else: it uses builtin
modules only (no ``socket``, ``hashlib``, ``typing`` or ``dataclasses``), to keep the client's start-up small.
"""

from __future__ import annotations

import os
import sys
import time
import zlib

from ...errors import InputError

DIR_ENV = "SPECMERGE_DAEMON_DIR"
MODE_ENV = "SPECMERGE_DAEMON"
IDLE_ENV = "SPECMERGE_DAEMON_IDLE"
#: Seconds without a command after which a daemon exits (``$SPECMERGE_DAEMON_IDLE``).
IDLE_DEFAULT = 900.0
#: Variables read once per process (see the module's doc): these make a daemon's key.
KEYED_PREFIXES = (b"PYTHON", b"SPECMERGE_", b"HELM_", b"KUBE", b"XDG_", b"LC_", b"SSL_", b"GO", b"DOCKER_",
                  b"REGISTRY_", b"TYPER_", b"_TYPER_", b"RUAMEL_")  # the last three: read on import
KEYED_NAMES = frozenset({b"HOME", b"PATH", b"LANG", b"LANGUAGE", b"TZ", b"TMPDIR", b"USER", b"LOGNAME",
                         b"HTTP_PROXY", b"HTTPS_PROXY", b"NO_PROXY", b"ALL_PROXY", b"http_proxy", b"https_proxy",
                         b"no_proxy", b"all_proxy", b"REQUESTS_CA_BUNDLE", b"CURL_CA_BUNDLE"})
#: ``SPECMERGE_DAEMON`` only steers the client.
UNKEYED = frozenset({MODE_ENV.encode()})
#: At most this many daemons (environments) per user: a client starts no more (README).
MAX_DAEMONS = 4
#: A daemon that failed to start is not started again unasked for this many seconds (its
#: reason is kept beside the socket, in ``<socket>.failed``, for ``specmerge daemon start``).
RETRY_AFTER_FAILURE = 600.0
#: Longest path a Unix socket address holds (Linux ``sun_path`` less its terminating NUL).
MAX_SOCKET_PATH = 107


class Unsafe(InputError):
    """The daemon directory cannot be trusted or made (the message says why)."""


def runtime_dir() -> str:
    """The directory of this user's daemon sockets (not created here)."""
    override = os.environ.get(DIR_ENV)
    if override:
        return override
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "specmerge")
    return os.path.join(os.environ.get("TMPDIR") or "/tmp", f"specmerge-{os.getuid()}")


def checked_dir(path: str, create: bool = False) -> str:
    """``path`` if it is a directory of this user's that nobody else may enter (made so when
    ``create``); else :class:`Unsafe`."""
    if create:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise Unsafe(f"{path}: {exc.strerror}") from None
    info = os.lstat(path)  # FileNotFoundError: no daemon directory yet
    if (info.st_mode & 0o170000) != 0o040000:
        raise Unsafe(f"{path} is not a directory")
    if info.st_uid != os.getuid():
        raise Unsafe(f"{path} belongs to uid {info.st_uid}, not to this user ({os.getuid()})")
    if info.st_mode & 0o077:
        raise Unsafe(f"{path} may be entered by others (mode {info.st_mode & 0o777:04o}); chmod 700 it")
    return path


def keyed(name: bytes) -> bool:
    """Whether the variable ``name`` is part of a daemon's key."""
    return name not in UNKEYED and (name in KEYED_NAMES or name.startswith(KEYED_PREFIXES))


def keyed_environment(environ: dict[bytes, bytes]) -> list[bytes]:
    """The ``NAME=value`` of :func:`keyed` variables, sorted: what makes a daemon's key."""
    return sorted(k + b"=" + v for k, v in environ.items() if keyed(k))


def idle_seconds() -> float:
    """``$SPECMERGE_DAEMON_IDLE`` (seconds, > 0), else :data:`IDLE_DEFAULT`."""
    text = os.environ.get(IDLE_ENV) or ""
    try:
        value = float(text) if text else IDLE_DEFAULT
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise Unsafe(f"${IDLE_ENV}={text!r}: expected a number of seconds above 0")
    return value


def checked_socket(path: str) -> str:
    """``path`` if a Unix socket address can hold it; else :class:`Unsafe`."""
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise Unsafe(f"socket path {path} is longer than {MAX_SOCKET_PATH} bytes; set ${DIR_ENV} to a shorter directory")
    return path


def interpreter() -> bytes:
    """A digest of what a daemon's interpreter must share with its clients: the executable,
    specmerge's location and version, and the flags that change how code runs (``-O``, ``-X dev``, ``-W``...)."""
    from ... import __file__ as package_init, __version__

    flags = sys.flags
    relevant = (flags.debug, flags.optimize, flags.dont_write_bytecode, flags.no_user_site, flags.no_site,
                flags.ignore_environment, flags.verbose, flags.bytes_warning, flags.dev_mode, flags.utf8_mode,
                flags.isolated, flags.int_max_str_digits, getattr(sys.__stdout__, "write_through", False))
    parts = (sys.executable, os.path.dirname(package_init), __version__, repr(relevant),
             repr(sys.warnoptions), repr(sorted(sys._xoptions.items())))
    return _digest("\0".join(parts).encode("utf-8", "surrogateescape")).encode()


def _digest(blob: bytes) -> str:
    """64 bits of checksum: enough to tell keys apart (equality is checked again on every request)."""
    return f"{zlib.crc32(blob):08x}{zlib.adler32(blob):08x}"


def socket_path(environ: dict[bytes, bytes] | None = None) -> str:
    """The socket of the daemon for this interpreter and ``environ`` (default: this process's)."""
    env = os.environb if environ is None else environ
    key = _digest(interpreter() + b"\0\0" + b"\0".join(keyed_environment(dict(env))))
    return os.path.join(runtime_dir(), f"d-{key}.sock")


def take_lock(path: str) -> int | None:
    """The held ``flock`` of ``path`` (an fd; held until the process exits), or ``None`` when
    another process holds it: one daemon per key, decided before it loads anything."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def record_failure(path: str, exc: BaseException) -> None:
    """Keep why the daemon of socket ``path`` could not start or serve (its type and first line:
    start-up errors are about files and imports, not about any command's values)."""
    from pathlib import Path

    from ...atomic import write_atomic  # the daemon's side only: the client never records

    first = (str(exc).splitlines() or [""])[0][:300]
    try:
        write_atomic(Path(path + ".failed"), f"{type(exc).__name__}: {first}\n".encode())
    except OSError:
        return  # nowhere to keep it: the next command will try to start one again


def clear_failure(path: str) -> None:
    try:
        os.unlink(path + ".failed")
    except OSError:
        return  # none was kept


def failed_recently(path: str, now: float | None = None) -> str | None:
    """Why the daemon of socket ``path`` failed, if it did less than :data:`RETRY_AFTER_FAILURE` ago."""
    try:
        with open(path + ".failed", encoding="utf-8") as f:
            reason = f.read().strip()
            age = (time.time() if now is None else now) - os.fstat(f.fileno()).st_mtime
    except OSError:
        return None
    return reason if 0 <= age < RETRY_AFTER_FAILURE else None
