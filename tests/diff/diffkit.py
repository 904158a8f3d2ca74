"""Helpers for tests/diff: the CLI in-process, golden files, the secrets the tests plant, and
the ``at_repo_root`` fixture (import it into a test module to use it: tests/diff has no
conftest.py of its own; test helpers live in *kit modules so no test imports a module named conftest).

Golden files live in tests/diff/golden/. To regenerate them after an intended output
change, run ``SPECMERGE_UPDATE_GOLDEN=1 python3 -m pytest tests/cli tests/diff`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from specmerge.cli import app

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
DATA = Path(__file__).resolve().parent / "data"
UPDATE_ENV = "SPECMERGE_UPDATE_GOLDEN"

AGENT = ("--channel", "none", "--chart", "tests/charts/agent")
AGENT_EXAMPLES = "tests/charts/agent/examples"
USER_VALUES = "examples/user-values.yaml"
#: Secrets in examples/user-values.yaml and the ones tests set; none may ever be printed.
MYSQL_PASSWORD = "fake-mysql-password-change-me"
LICENSE = "FAKE-LICENSE-0000-0000-0000-not-a-real-licence"
NEW_PASSWORD = "rotated-mysql-password-4711"
AGENT_TOKEN = "agent-token-s3cr3t-9f8e7d"


@pytest.fixture(autouse=True)
def at_repo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated chart cache, and the repository root as the cwd, so relative paths (and
    so the locators in golden files) do not depend on where the tests run."""
    monkeypatch.setenv("SPECMERGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(REPO)
    return REPO


def run_cli(*args: str) -> Result:
    """``specmerge <args>`` in-process (not a TTY: no colour); ``.stdout`` and ``.stderr`` apart."""
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def check_golden(name: str, actual: str) -> None:
    """``actual`` equals tests/diff/golden/<name>; with SPECMERGE_UPDATE_GOLDEN=1 it is written."""
    path = GOLDEN / name
    if os.environ.get(UPDATE_ENV) == "1":
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"golden {path} missing: run with {UPDATE_ENV}=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path} (regenerate with {UPDATE_ENV}=1 if intended)"
