"""Shared fixtures for the channel tests: the real ``specmerge channel-server`` (a
subprocess on 127.0.0.1), a scripted loopback HTTP server for faults the real server
cannot produce on demand, a fast retry policy and a seeded last-good cache."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from procs import await_served, stop_process

from specmerge.channels import embedded_dir, load_embedded
from specmerge.channels.cache import CacheEntry, DirectoryCache
from specmerge.channels.license import License
from specmerge.channels.retry import RetryPolicy
from specmerge.channels.singleflight import SingleFlight

SPECMERGE = shutil.which("specmerge") or str(Path(sys.executable).with_name("specmerge"))
LICENSE_TEXT = "LIC-7f3a9c-super-secret-licence-0042"
FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, total=5.0, connect_timeout=1.0, read_timeout=1.0)


@dataclass
class RunningServer:
    url: str
    process: subprocess.Popen[str]

    def metrics(self) -> dict[tuple[str, str], float]:
        """``{(route, status): count}`` from the server's /metrics."""
        text = urllib.request.urlopen(f"{self.url}/metrics", timeout=5).read().decode()
        out = {}
        for m in re.finditer(r'^specmerge_channel_requests_total\{route="(\w+)",status="(\d+)"\} (\S+)$', text, re.M):
            out[(m[1], m[2])] = float(m[3])
        return out

    def requests(self) -> float:
        return sum(self.metrics().values())


def start_channel_server(directory: Path, *extra: str) -> RunningServer:
    """``specmerge channel-server --dir D --port 0 ...``; waits for its 'serving' line."""
    proc = subprocess.Popen(
        [SPECMERGE, "channel-server", "--dir", str(directory), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = await_served(proc, "channel-server", lambda: proc.stderr.read() if proc.stderr else "")
    return RunningServer(url, proc)


def stop(server: RunningServer) -> None:
    stop_process(server.process)


@pytest.fixture(scope="session")
def license_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("license") / "license.txt"
    path.write_text(LICENSE_TEXT + "\n")
    return path


@pytest.fixture(scope="session")
def license() -> License:
    return License(LICENSE_TEXT)


@pytest.fixture(scope="session")
def open_server() -> Iterator[RunningServer]:
    """The real channel server over the embedded channels, no license check."""
    server = start_channel_server(embedded_dir())
    yield server
    stop(server)


@pytest.fixture(scope="session")
def licensed_server(license_file: Path) -> Iterator[RunningServer]:
    """The real channel server over the embedded channels, license required."""
    server = start_channel_server(embedded_dir(), "--license-file", str(license_file))
    yield server
    stop(server)


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A last-good cache of the test's own, and no channel settings from the environment."""
    monkeypatch.setenv("SPECMERGE_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("SPECMERGE_CHANNEL_SERVER", "SPECMERGE_AIRGAPPED", "SPECMERGE_LICENSE_FILE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "cache"


@pytest.fixture
def flights() -> SingleFlight[Any]:
    """A private flight table, so tests never share requests with each other."""
    return SingleFlight()


@pytest.fixture
def last_good(tmp_path: Path) -> DirectoryCache:
    """A directory cache holding stable 0.61.0 — older than the embedded latest (0.62.0),
    so a test can tell a cache answer from an embedded one."""
    cache = DirectoryCache(tmp_path / "cache")
    cache.store(CacheEntry.now(load_embedded("stable", "0.61.0"), '"etag-0.61.0"', "test-seed"))
    return cache


# -- a scripted loopback server for faults -------------------------------------------------


@dataclass
class Reply:
    """One scripted answer. ``hang``: accept and never answer. ``cut``: declare a longer
    Content-Length than sent and close. ``gate``: wait for this event before answering."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    hang: bool = False
    cut: bool = False
    chunked: bool = False
    gate: threading.Event | None = None


def spec_body(channel: str = "stable", release: str | None = None) -> bytes:
    return load_embedded(channel, release).canonical_json().encode()


class ScriptedServer:
    """A ThreadingHTTPServer on 127.0.0.1 answering from a script; the last reply repeats.
    Records every request's path and headers."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                return None

            def do_GET(self) -> None:
                with outer._lock:
                    outer.seen.append((self.path, dict(self.headers)))
                    reply = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                if reply.hang:
                    outer.stopping.wait(30)
                    return
                if reply.gate is not None:
                    reply.gate.wait(30)
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(reply.body), 65536):
                        part = reply.body[i : i + 65536]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(reply.body) * (2 if reply.cut else 1)))
                self.end_headers()
                self.wfile.write(reply.body)
                if reply.cut:
                    self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    made: list[ScriptedServer] = []

    def make(*replies: Reply) -> ScriptedServer:
        server = ScriptedServer(list(replies))
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())

