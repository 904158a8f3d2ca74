"""The channel server says at start-up which specs an incumbent operator's client could not
load (metadata that is not all strings, a chart path that is a directory), and only those."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import helm_python as helm

from channelkit import start_channel_server, stop
from specmerge.channels.compat import incumbent_problems
from specmerge.channels.spec import parse_channel_spec
from specmerge.locations import repo_root

STABLE = repo_root() / "channels" / "stable" / "0.62.0.json"


def spec_dict(**changes: object) -> dict:
    data = json.loads(STABLE.read_text())
    for key, value in changes.items():
        section, _, name = key.partition("__")
        data[section][name] = value
    return data


def packaged_chart(tmp_path: Path) -> Path:
    with helm.Chart.load(str(repo_root() / "charts" / "platform")) as chart:
        return Path(chart.save(str(tmp_path)))


def test_a_packaged_chart_and_string_metadata_load_in_an_incumbent_client(tmp_path: Path) -> None:
    tgz = packaged_chart(tmp_path)
    spec = parse_channel_spec(spec_dict(chart__path=str(tgz)), "test")
    assert incumbent_problems(spec) == []


def test_a_chart_directory_and_a_number_in_metadata_are_named(tmp_path: Path) -> None:
    spec = parse_channel_spec(spec_dict(metadata__build=42), "test")  # the bundled spec's path is a directory
    assert incumbent_problems(spec) == [
        "metadata.build is not a string (integer)",
        "chart.path charts/platform is a directory, not a packaged chart (.tgz)",
    ]


def test_the_channel_server_lists_at_start_up_what_an_incumbent_client_could_not_load(tmp_path: Path) -> None:
    tgz = packaged_chart(tmp_path)
    directory = tmp_path / "channels"
    (directory / "stable").mkdir(parents=True)
    shutil.copy(STABLE, directory / "stable" / "0.62.0.json")  # chart path: a directory
    ok = spec_dict(chart__path=str(tgz))
    ok["metadata"].update(version="0.62.1", releaseId="rel-test-0.62.1")
    (directory / "stable" / "0.62.1.json").write_text(json.dumps(ok))
    server = start_channel_server(directory)
    try:
        body = json.loads(urllib.request.urlopen(f"{server.url}/api/v1/operator/channel", timeout=5).read())
        assert body["metadata"]["version"] == "0.62.1"  # specmerge's own clients are served as before
    finally:
        stop(server)
    stderr = server.process.stderr.read() if server.process.stderr else ""
    lines = [line for line in stderr.splitlines() if "incumbent" in line]
    assert lines == ["channel-server: an incumbent (W&B operator v1) client could not load stable/0.62.0: "
                     "chart.path charts/platform is a directory, not a packaged chart (.tgz)"], stderr
