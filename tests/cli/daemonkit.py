"""A resident ``specmerge`` for tests: started in a directory of its own, stopped (or killed) after.

Commands run as a user runs them, as separate processes (``python -m specmerge.cli``), so the
daemon serves real clients over its real socket."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Daemons:
    """The daemons of one test's directory, and the environment its commands run with."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = REPO  # `python -m` imports specmerge from here first

    def cli(self, *args: str, mode: str = "on", stdin: str | None = None, cwd: Path | None = None,
            extra: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**self.env, "SPECMERGE_DAEMON": mode, **(extra or {})}
        return subprocess.run([sys.executable, "-m", "specmerge.cli", *args], input=stdin, capture_output=True,
                              text=True, env=env, cwd=cwd or self.cwd, timeout=timeout, check=False)

    def holding(self, stdout: int = subprocess.PIPE, mode: str = "on") -> subprocess.Popen[bytes]:
        """A ``render -f -`` client whose command waits on its stdin until the test writes and closes it."""
        return subprocess.Popen([sys.executable, "-m", "specmerge.cli", "render", "-f", "-"], stdin=subprocess.PIPE,
                                stdout=stdout, stderr=stdout, env={**self.env, "SPECMERGE_DAEMON": mode}, cwd=REPO)

    def start(self) -> dict[str, str]:
        done = self.cli("daemon", "start")
        assert done.returncode == 0, done.stderr
        return self.status()

    def status(self) -> dict[str, str]:
        """The running daemon's figures (``pid``, ``commands`` ...); empty when none runs."""
        done = self.cli("daemon", "status")
        if done.returncode != 0:
            return {}
        found = re.search(r"pid (\d+), up \d+ s, (\d+) commands run \((one|none) running now\)", done.stdout)
        assert found, done.stdout
        return {"pid": found[1], "commands": found[2], "running": str(found[3] == "one")}

    def commands(self) -> int:
        return int(self.status().get("commands", "-1"))

    def sockets(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("*.sock"))

    def pids(self) -> list[int]:
        """Daemons whose environment points at this directory (``/proc``: they may have other keys)."""
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    if f"SPECMERGE_DAEMON_DIR={self.root}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                        found.append(int(proc.name))
                except OSError:
                    continue
        return [pid for pid in found if pid != os.getpid()]

    def wait_gone(self, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.1)
        return not self.pids()


@pytest.fixture
def daemons() -> Iterator[Daemons]:
    # short: a Unix socket path holds at most 107 bytes
    root = Path(tempfile.mkdtemp(prefix="smd-", dir="/tmp"))
    env = {**os.environ, "SPECMERGE_DAEMON_DIR": str(root),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("CI", None)
    kit = Daemons(root, env)
    try:
        yield kit
    finally:
        kit.cli("daemon", "stop")
        for pid in kit.pids():
            os.kill(pid, signal.SIGTERM)
        if not kit.wait_gone(10):
            for pid in kit.pids():
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
