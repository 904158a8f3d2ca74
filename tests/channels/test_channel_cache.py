"""The directory cache: round trip, and atomicity under a real process kill mid-write."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from specmerge.channels import load_embedded
from specmerge.channels.cache import CacheEntry, CacheError, DirectoryCache, default_cache_dir


def test_round_trip_keeps_spec_and_bookkeeping(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path / "c")
    assert cache.load("stable") is None
    entry = CacheEntry.now(load_embedded("stable"), '"abc"', "http://server/api")
    cache.store(entry)
    assert cache.load("stable") == entry
    assert cache.load("beta") is None
    assert [p.name for p in (tmp_path / "c").iterdir()] == ["stable.json"]  # no temp files left


def test_default_dir_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPECMERGE_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("SPECMERGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "specmerge" / "channels"


@pytest.mark.parametrize("text", ["{not json", '{"no": "spec"}', '{"spec": {"metadata": 1}}'])
def test_corrupt_entry_is_an_error_naming_the_file(tmp_path: Path, text: str) -> None:
    cache = DirectoryCache(tmp_path)
    cache.path("stable").write_text(text)
    with pytest.raises(CacheError, match=f"dir:{tmp_path}/stable.json"):
        cache.load("stable")


def test_channel_names_cannot_escape_the_directory(tmp_path: Path) -> None:
    with pytest.raises(CacheError, match="is not a channel name"):
        DirectoryCache(tmp_path).path("../etc")


# The child stores a new entry and is SIGKILLed at the named step of the write: with half
# the temp file written, or with it written and fsynced (just before the rename).
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from specmerge.channels import load_embedded
    from specmerge.channels.cache import CacheEntry, DirectoryCache

    step = sys.argv[2]
    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    if step == "mid-write":
        real_fdopen = os.fdopen
        class Dying:
            def __init__(self, fh):
                self.fh = fh
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return False
            def write(self, data):
                self.fh.write(data[: len(data) // 2])
                self.fh.flush()
                die()
        os.fdopen = lambda fd, mode: Dying(real_fdopen(fd, mode))
    elif step == "before-rename":
        os.replace = die
    entry = CacheEntry.now(load_embedded("stable", "0.62.0"), '"new"', "child")
    DirectoryCache(sys.argv[1]).store(entry)
    """
)


@pytest.mark.parametrize("step", ["mid-write", "before-rename"])
def test_kill_during_write_leaves_the_previous_entry(tmp_path: Path, step: str) -> None:
    cache = DirectoryCache(tmp_path)
    old = CacheEntry.now(load_embedded("stable", "0.61.0"), '"old"', "parent")
    cache.store(old)
    before = cache.path("stable").read_bytes()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), step], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers, "the child should have died with its temp file written"
    assert cache.path("stable").read_bytes() == before
    assert cache.load("stable") == old
    cache.store(CacheEntry.now(load_embedded("stable", "0.62.0"), '"new"', "parent"))  # and the next write works
    got = cache.load("stable")
    assert got is not None and got.spec.version == "0.62.0"
    assert json.loads(cache.path("stable").read_text())["etag"] == '"new"'
