"""``specmerge channel show|list`` and ``channel-server`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from channelkit import LICENSE_TEXT, SPECMERGE, RunningServer
from typer.testing import CliRunner

from specmerge.cli import app

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("private_cache")  # channelkit: a cache of each test's own


def test_airgapped_show_prints_the_embedded_stable_release() -> None:
    out = subprocess.run([SPECMERGE, "channel", "show", "--airgapped"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "# release: stable 0.62.0 (rel-2026-10-stable-0.62.0)"
    assert lines[1].startswith("# source:  embedded ") and lines[1].endswith("channels/stable/0.62.0.json")
    assert lines[2].startswith("# reason:  airgapped mode: no network connection made; no cached release at dir:")
    assert "  tag: 0.62.0" in out.stdout


def test_show_from_server_with_license_then_not_modified(
    licensed_server: RunningServer, license_file: Path, private_cache: Path
) -> None:
    args = ["channel", "show", "--server", licensed_server.url, "--license-file", str(license_file), "-o", "json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["result"]["source"] == "server" and doc["spec"]["metadata"]["version"] == "0.62.0"
    second = json.loads(runner.invoke(app, args).stdout)
    assert second["result"]["source"] == "not-modified"
    assert (private_cache / "stable.json").is_file()
    assert LICENSE_TEXT not in first.output + (private_cache / "stable.json").read_text()


def test_show_falls_back_and_says_why(licensed_server: RunningServer) -> None:
    res = runner.invoke(app, ["channel", "show", "--server", licensed_server.url, "--release", "0.61.0"])
    assert res.exit_code == 0, res.output
    assert "# source:  embedded" in res.stdout
    assert "HTTP 401 Unauthorized, the server wants a license" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["channel", "show", "--channel", "Nope!"], "channel 'Nope!' is not a channel name"),
        (["channel", "show", "--airgapped", "--release", "rel-none"], "no usable release for channel stable release rel-none"),
        (["channel", "show", "--server", f"https://license:{LICENSE_TEXT}@x"], "must not carry credentials"),
        (["channel", "show", "--license-file", "/nonexistent/license"], "license file /nonexistent/license: cannot read"),
        (["channel", "show", "-o", "toml"], "--output must be yaml or json"),
        (["channel", "list", "--dir", "/nonexistent"], "does not exist"),
    ],
)
def test_bad_input_exits_2_naming_what(args: list[str], message: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and message in res.stderr, res.output
    assert LICENSE_TEXT not in res.output


def test_list_marks_the_latest() -> None:
    res = runner.invoke(app, ["channel", "list"])
    assert res.exit_code == 0
    rows = [line.split() for line in res.stdout.splitlines()]
    assert rows[0][:2] == ["CHANNEL", "VERSION"]
    assert rows[1:] == [
        ["beta", "0.63.0-beta.1", "rel-2026-10-beta-0.63.0-beta.1", "2026-10-27T16:30:00Z", "latest"],
        ["stable", "0.61.0", "rel-2026-09-stable-0.61.0", "2026-09-15T14:00:00Z"],
        ["stable", "0.62.0", "rel-2026-10-stable-0.62.0", "2026-10-13T14:00:00Z", "latest"],
    ]
    doc = json.loads(runner.invoke(app, ["channel", "list", "-o", "json"]).stdout)
    assert [r["latest"] for r in doc["releases"]] == [True, False, True]


def test_channel_server_refuses_a_bad_directory(tmp_path: Path) -> None:
    (tmp_path / "stable").mkdir()
    (tmp_path / "stable" / "1.0.0.json").write_text("{")
    res = runner.invoke(app, ["channel-server", "--dir", str(tmp_path), "--port", "0"])
    assert res.exit_code == 2 and "1.0.0.json" in res.stderr and "invalid JSON" in res.stderr
