"""Embedded channels under channels/: listing, latest by SemVer, pinning, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specmerge.channels import ChannelSpecError, ReleaseNotFound, embedded_dir, list_embedded, load_embedded, repo_root


def test_repo_root_holds_the_bundled_files() -> None:
    assert (repo_root() / "schemas" / "channel-spec.schema.json").is_file()
    assert embedded_dir() == repo_root() / "channels"


def test_lists_every_release_sorted() -> None:
    got = [(s.channel, s.version) for s in list_embedded()]
    assert got == [("beta", "0.63.0-beta.1"), ("stable", "0.61.0"), ("stable", "0.62.0")]


def test_embedded_charts_resolve_under_the_repo_root() -> None:
    for spec in list_embedded():
        assert (repo_root() / spec.chart["path"] / "Chart.yaml").is_file()


def test_latest_is_highest_semver_and_release_matches_version_or_id() -> None:
    assert load_embedded().version == "0.62.0"
    assert load_embedded("beta").version == "0.63.0-beta.1"
    assert load_embedded("stable", "0.61.0").release_id == "rel-2026-09-stable-0.61.0"
    assert load_embedded("stable", "rel-2026-09-stable-0.61.0").version == "0.61.0"


def test_unknown_channel_or_release_says_what_exists() -> None:
    with pytest.raises(ReleaseNotFound, match=r"no channel 'nightly' \(channels: beta, stable\)"):
        load_embedded("nightly")
    with pytest.raises(ReleaseNotFound, match=r"no release '9.9.9' in channel 'stable' \(have: 0.61.0"):
        load_embedded("stable", "9.9.9")


def _write(root: Path, channel: str, name: str, version: str) -> None:
    spec = json.loads((embedded_dir() / "stable" / "0.62.0.json").read_text())
    spec["metadata"].update(channel=channel, version=version, releaseId=f"rel-{version}")
    (root / channel).mkdir(parents=True, exist_ok=True)
    (root / channel / name).write_text(json.dumps(spec))


def test_env_override_and_semver_not_lexical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for v in ("1.9.0", "1.10.0", "1.10.0-rc.1"):
        _write(tmp_path, "edge", f"{v}.json", v)
    monkeypatch.setenv("SPECMERGE_CHANNELS_DIR", str(tmp_path))
    assert load_embedded("edge").version == "1.10.0"


def test_file_name_must_match_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "edge", "1.0.0.json", "1.0.1")
    monkeypatch.setenv("SPECMERGE_CHANNELS_DIR", str(tmp_path))
    with pytest.raises(ChannelSpecError, match=r"metadata says edge@1.0.1 but the file is edge/1.0.0.json"):
        list_embedded()


def test_a_release_is_read_without_checking_every_other_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A render reads only the release it uses: a broken file elsewhere does not stop it
    (the full listing, as `specmerge channel` commands use it, still refuses the tree)."""
    for v in ("1.9.0", "1.10.0"):
        _write(tmp_path, "edge", f"{v}.json", v)
    (tmp_path / "edge" / "1.2.0.json").write_text("{not json")
    _write(tmp_path, "other", "2.0.0.json", "2.0.0")
    monkeypatch.setenv("SPECMERGE_CHANNELS_DIR", str(tmp_path))
    assert load_embedded("edge").version == "1.10.0"
    assert load_embedded("other").release_id == "rel-2.0.0"
    with pytest.raises(ChannelSpecError, match=r"1\.2\.0\.json"):
        list_embedded()
    # a pin needs every file's releaseId: an unreadable one sends it to the full listing, which says so
    with pytest.raises(ChannelSpecError, match=r"1\.2\.0\.json"):
        load_embedded("edge", "1.9.0")


def test_the_release_used_is_still_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "edge", "1.9.0.json", "1.9.0")
    _write(tmp_path, "edge", "1.10.0.json", "1.10.1")
    monkeypatch.setenv("SPECMERGE_CHANNELS_DIR", str(tmp_path))
    with pytest.raises(ChannelSpecError, match=r"metadata says edge@1.10.1 but the file is edge/1.10.0.json"):
        load_embedded("edge")
    assert load_embedded("edge", "rel-1.9.0").version == "1.9.0"  # pinned by releaseId: read alone
    with pytest.raises(ChannelSpecError, match=r"metadata says edge@1.10.1"):
        load_embedded("edge", "rel-1.10.1")
