"""``specmerge render|validate|explain --channel-server``: the channel layer resolved as the
operator resolves it (real channel server -> last-good cache -> embedded), with the license,
and ``--airgapped`` never touching the network."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from channelkit import LICENSE_TEXT, RunningServer, start_channel_server, stop
from typer.testing import CliRunner

from specmerge.channels import embedded_dir
from specmerge.cli import app

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("private_cache")  # channelkit: a cache of each test's own


def newer_release(tmp_path: Path) -> Path:
    """The embedded channels plus stable 0.64.0 (not embedded), which turns reportsEditorV2 on."""
    root = tmp_path / "channels"
    shutil.copytree(embedded_dir(), root)
    spec = json.loads((root / "stable" / "0.62.0.json").read_text())
    spec["metadata"].update(version="0.64.0", releaseId="rel-2026-11-stable-0.64.0", publishedAt="2026-11-20T09:00:00Z")
    spec["values"]["features"]["reportsEditorV2"] = True
    (root / "stable" / "0.64.0.json").write_text(json.dumps(spec))
    return root


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_render_takes_the_servers_release_then_the_cache_when_the_server_is_gone(tmp_path: Path) -> None:
    license = tmp_path / "license.txt"
    license.write_text(LICENSE_TEXT + "\n")
    server = start_channel_server(newer_release(tmp_path), "--license-file", str(license))
    try:
        # no license: the server says 401 and, as the operator would, the CLI falls back and says why
        denied = run("render", "--channel-server", server.url, "--show-values")
        assert denied.exit_code == 0 and "channel:stable@0.62.0" in denied.stdout
        assert denied.stderr.startswith("warning: channel stable 0.62.0 (rel-2026-10-stable-0.62.0) from embedded ")
        assert "401" in denied.stderr
        served = run("render", "--channel-server", server.url, "--license-file", str(license), "--show-values")
        assert served.exit_code == 0, served.stderr
        assert "channel:stable@0.64.0" in served.stdout and "reportsEditorV2: true" in served.stdout
        assert served.stderr == ""  # the server answered: nothing to warn about
        before = server.requests()
        airgapped = run("render", "--channel-server", server.url, "--license-file", str(license), "--airgapped",
                        "--show-values")
        assert airgapped.exit_code == 0 and "channel:stable@0.62.0" in airgapped.stdout
        assert server.requests() == before  # --airgapped opened no connection
        pinned = run("validate", "--channel-server", server.url, "--license-file", str(license), "--release", "0.61.0")
        assert pinned.exit_code == 0, pinned.stderr
    finally:
        stop(server)
    fallback = run("explain", "features.reportsEditorV2", "--channel-server", server.url, "--license-file", str(license))
    assert fallback.exit_code == 0, fallback.stderr
    assert "channel:stable@0.64.0" in fallback.stdout  # the last good answer, from the cache
    assert fallback.stderr.startswith("warning: channel stable 0.64.0 (rel-2026-11-stable-0.64.0) from cache ")
    assert "because" in fallback.stderr and LICENSE_TEXT not in fallback.stderr


def test_plain_render_never_goes_online_and_a_bad_server_url_is_a_clear_error(
    open_server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPECMERGE_CHANNEL_SERVER", open_server.url)  # serve/channel show read it; render does not
    before = open_server.requests()
    plain = run("render", "--show-values")
    assert plain.exit_code == 0 and "channel:stable@0.62.0" in plain.stdout and plain.stderr == ""
    assert open_server.requests() == before
    bad = run("render", "--channel-server", "channels.example.com")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --channel-server: channel server URL must be http(s)://host[:port][/path]")


def test_a_channel_server_url_that_hides_credentials_is_refused_without_echo() -> None:
    for url in ("https://bob:S3CRET#pw-123456@channels.example.com", "https://channels.example.com:S3CRET-123456"):
        out = run("render", "--channel-server", url)
        assert out.exit_code == 2 and "S3CRET" not in out.stderr and out.stderr.startswith("error: --channel-server: ")
