"""Shared fixtures for the render tests: an isolated chart cache, the CLI in-process, and a
real chart repository served over HTTP from 127.0.0.1.

The repository is a directory made with Helm's own ``package`` and ``repo index`` (via
helm-python-sdk) and served by a stdlib HTTP server, optionally behind basic auth.
"""

from __future__ import annotations

import base64
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import helm_python as helm
import pytest
from typer.testing import CliRunner

from specmerge.cli import app

REPO = Path(__file__).resolve().parents[2]
PLATFORM = REPO / "charts" / "platform"
AGENT = REPO / "tests" / "charts" / "agent"
AGENT_EXAMPLES = sorted((AGENT / "examples").glob("*_values.yaml"))
REPO_USER, REPO_PASSWORD = "ci-reader", "s3cret-repo-pass"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own chart cache (``SPECMERGE_CACHE``)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("SPECMERGE_CACHE", str(root))
    return root / "charts"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str) -> CliResult:
    """``specmerge <args>`` in-process; stdout and stderr kept apart."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return CliResult(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli():
    return run_cli


def split_stream(text: str) -> list[str]:
    """A ``helm template``-style stream as its documents, each starting ``# Source:``.

    Both Helm and specmerge print every manifest as ``---\\n# Source: <template>\\n<doc>\\n``;
    splitting on a ``---`` line followed by a ``# Source:`` line gives the documents with
    their headers, whatever order they were printed in.
    """
    docs = re.split(r"(?m)^---\n(?=# Source: )", text)
    return [d for d in docs if d.strip()]


@dataclass
class ChartRepo:
    url: str
    directory: Path
    auth: tuple[str, str] | None


def _serve(directory: Path, auth: tuple[str, str] | None) -> tuple[ThreadingHTTPServer, str]:
    expected = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode() if auth else None

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(directory), **kw)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if expected and self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="charts"')
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            return None  # keep test output quiet; requests are asserted on, not logged

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _make_repo(directory: Path) -> None:
    helm.package(PLATFORM, destination=directory)
    helm.package(AGENT, destination=directory)
    helm.package(AGENT, destination=directory, version="9.9.0-rc.1")
    helm.package(AGENT, destination=directory, version="0.1.0")
    helm.repo_index_generate(directory)


@pytest.fixture(scope="session")
def chart_repo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("chart-repo")
    _make_repo(directory)
    return directory


@pytest.fixture(scope="session")
def chart_repo(chart_repo_dir: Path) -> Iterator[ChartRepo]:
    """An open chart repository on 127.0.0.1."""
    server, url = _serve(chart_repo_dir, None)
    yield ChartRepo(url, chart_repo_dir, None)
    server.shutdown()


@pytest.fixture(scope="session")
def private_chart_repo(chart_repo_dir: Path) -> Iterator[ChartRepo]:
    """The same repository behind HTTP basic auth."""
    server, url = _serve(chart_repo_dir, (REPO_USER, REPO_PASSWORD))
    yield ChartRepo(url, chart_repo_dir, (REPO_USER, REPO_PASSWORD))
    server.shutdown()


@pytest.fixture
def broken_chart(tmp_path: Path) -> Path:
    """A copy of the agent chart with a template that fails on line 3."""
    target = tmp_path / "broken"
    shutil.copytree(AGENT, target)
    (target / "templates" / "broken.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{ .Values.nothing.here }}\n", encoding="utf-8"
    )
    return target
