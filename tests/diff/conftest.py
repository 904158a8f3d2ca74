"""Fixtures for tests/diff: an isolated chart cache, and the repository root as the cwd so
relative paths (and so the locators in golden files) do not depend on where tests run."""

from __future__ import annotations

from pathlib import Path

import pytest

from diffkit import REPO


@pytest.fixture(autouse=True)
def at_repo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPECMERGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(REPO)
    return REPO
