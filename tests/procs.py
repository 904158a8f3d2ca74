"""Process helpers shared by the test folders that start real servers."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
from collections.abc import Callable


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s; always reaps the process."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def await_served(process: subprocess.Popen, what: str, detail: Callable[[], str], timeout: float = 20) -> str:
    """The URL a specmerge server prints (``... on http://host:port``), once ``/healthz`` answers.

    The socket listens before uvicorn serves, so the printed line alone is not readiness.
    A server that prints no URL, dies, or does not answer in ``timeout`` s is killed, and the
    error carries ``detail()`` (its stderr or log).
    """
    assert process.stdout is not None
    line = process.stdout.readline()
    m = re.search(r"on (http://\S+)", line)
    if not m:
        process.kill()
        raise RuntimeError(f"{what} did not start: {line!r}\n{detail()}")
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{m[1]}/healthz", timeout=2).read()
            return m[1]
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.03)
