"""Every chart source form of design.md §6, the cache, and the failures that must be clear.

The chart repository is real: Helm's package + repo index output (helm-python-sdk) served
over HTTP from 127.0.0.1 (tests/render/conftest.py), open and behind basic auth.
"""

from __future__ import annotations

import base64
import shutil
import socket
from pathlib import Path

import helm_python as helm
import pytest
from renderkit import AGENT, PLATFORM, REPO_PASSWORD, REPO_USER

from specmerge.render import (
    ChartCache,
    ChartSourceError,
    PathRef,
    TemplateError,
    load_chart,
    parse_chart_ref,
    render,
)
from specmerge.render.ref import OciRef, RepoRef


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_directory_tgz_and_base64_tgz_load_the_same_chart(tmp_path: Path) -> None:
    archive = Path(helm.package(AGENT, destination=tmp_path))
    b64 = tmp_path / "agent.tgz.b64"
    b64.write_text(base64.encodebytes(archive.read_bytes()).decode())  # wrapped lines, as base64(1) writes
    from_dir = load_chart(parse_chart_ref({"path": str(AGENT)}))
    from_tgz = load_chart(parse_chart_ref({"path": archive.name}, base=tmp_path))
    from_b64 = load_chart(parse_chart_ref({"path": str(b64)}))
    assert from_tgz.digest == from_b64.digest != from_dir.digest
    assert (from_dir.name, from_dir.version) == (from_tgz.name, from_tgz.version) == ("mlops-agent", "0.9.0")
    assert from_tgz.values == from_dir.values and from_b64.values_text == (AGENT / "values.yaml").read_text()
    values = dict(from_dir.values)
    assert render(from_tgz, values) == render(from_b64, values) == render(from_dir, values)


def test_a_directory_is_reloaded_when_its_content_changes(tmp_path: Path) -> None:
    chart = tmp_path / "agent"
    shutil.copytree(AGENT, chart)
    first = load_chart(PathRef(chart, "agent"))
    assert load_chart(PathRef(chart, "agent")) is first  # same digest: Helm parses it once
    (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text().replace("version: 0.9.0", "version: 0.9.1"))
    second = load_chart(PathRef(chart, "agent"))
    assert second.digest != first.digest and second.version == "0.9.1"


def test_corrupt_tgz_and_non_chart_files_are_clear_errors(tmp_path: Path) -> None:
    corrupt = tmp_path / "broken.tgz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage that is not a gzip stream")
    with pytest.raises(ChartSourceError, match=r"path:.*broken.tgz: not a valid chart archive"):
        load_chart(PathRef(corrupt, str(corrupt)))
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n")
    with pytest.raises(ChartSourceError, match="neither a directory, a .tgz archive nor a base64-encoded .tgz"):
        load_chart(PathRef(text, "notes.txt"))
    with pytest.raises(ChartSourceError, match="no such file or directory"):
        load_chart(PathRef(tmp_path / "missing", "missing"))
    with pytest.raises(ChartSourceError, match="without a Chart.yaml"):
        load_chart(PathRef(tmp_path, "."))


def test_template_error_names_the_template_and_line(broken_chart: Path) -> None:
    chart = load_chart(PathRef(broken_chart, "broken"))
    with pytest.raises(TemplateError) as err:
        render(chart, dict(chart.values))
    assert "mlops-agent/templates/broken.yaml:3" in str(err.value)
    assert "nothing" in str(err.value)


def test_repo_chart_is_resolved_downloaded_verified_and_cached(chart_repo, isolated_cache: Path) -> None:
    ref = parse_chart_ref({"url": chart_repo.url, "name": "mlops-agent", "version": "^0.9"})
    loaded = load_chart(ref)
    assert (loaded.name, loaded.version) == ("mlops-agent", "0.9.0")  # 9.9.0-rc.1 is a pre-release: not chosen
    archive = ChartCache(isolated_cache).archive_path(loaded.digest)
    assert archive.read_bytes() == (chart_repo.directory / "mlops-agent-0.9.0.tgz").read_bytes()
    exact = parse_chart_ref({"url": chart_repo.url, "name": "mlops-agent", "version": "0.1.0"})
    assert load_chart(exact).version == "0.1.0"
    pre = parse_chart_ref({"url": chart_repo.url, "name": "mlops-agent", "version": ">=9.0.0-0"})
    assert load_chart(pre).version == "9.9.0-rc.1"


def test_cached_exact_version_needs_no_network(chart_repo, isolated_cache: Path) -> None:
    ref = parse_chart_ref({"url": chart_repo.url, "name": "platform", "version": "1.4.0"})
    online = load_chart(ref)
    offline = load_chart(ref, offline=True)  # airgapped: served from the cache only
    assert offline.digest == online.digest
    unknown = parse_chart_ref({"url": chart_repo.url, "name": "platform", "version": "1.3.0"})
    with pytest.raises(ChartSourceError, match="airgapped: this chart is not in the cache"):
        load_chart(unknown, offline=True)


def test_repo_basic_auth(private_chart_repo) -> None:
    good = {"url": private_chart_repo.url, "name": "platform", "version": "1.4.0", "username": REPO_USER, "password": REPO_PASSWORD}
    assert load_chart(parse_chart_ref(good)).name == "platform"
    bad = dict(good, password="wrong-password-123", version=">=1.0.0")
    with pytest.raises(ChartSourceError) as err:
        load_chart(parse_chart_ref(bad))
    assert "HTTP 401 (check username/password)" in str(err.value)
    assert "wrong-password-123" not in str(err.value) and REPO_USER not in str(err.value)
    anonymous = {"url": private_chart_repo.url, "name": "platform", "version": ">=1.0.0"}
    with pytest.raises(ChartSourceError, match="needs username/password"):
        load_chart(parse_chart_ref(anonymous))


def test_repo_failures_say_what_and_where(chart_repo) -> None:
    missing_version = parse_chart_ref({"url": chart_repo.url, "name": "mlops-agent", "version": "2.x"})
    with pytest.raises(ChartSourceError, match=r"no version of 'mlops-agent' matches '2.x' \(available: .*0.9.0"):
        load_chart(missing_version)
    missing_chart = parse_chart_ref({"url": chart_repo.url, "name": "nope", "version": "1.0.0"})
    with pytest.raises(ChartSourceError, match=r"no chart named 'nope' in the repository \(it has: mlops-agent, platform\)"):
        load_chart(missing_chart)
    not_a_repo = parse_chart_ref({"url": chart_repo.url + "/sub", "name": "x", "version": "1.0.0"})
    with pytest.raises(ChartSourceError, match="index .*/sub/index.yaml: not found"):
        load_chart(not_a_repo)
    port = _closed_port()
    unreachable = RepoRef(f"http://127.0.0.1:{port}", "platform", "1.4.0", "user", "hunter2-pass")
    with pytest.raises(ChartSourceError) as err:
        load_chart(unreachable)
    assert f"cannot reach http://127.0.0.1:{port}/index.yaml" in str(err.value)
    assert "hunter2-pass" not in str(err.value)


def test_repo_archive_with_a_wrong_digest_is_refused(tmp_path: Path) -> None:
    from renderkit import _make_repo, _serve

    repo = tmp_path / "repo"
    repo.mkdir()
    _make_repo(repo)
    (repo / "platform-1.4.0.tgz").write_bytes((repo / "mlops-agent-0.9.0.tgz").read_bytes())  # swapped after indexing
    server, url = _serve(repo, None)
    try:
        with pytest.raises(ChartSourceError, match=r"has digest sha256:[0-9a-f]+, the index says sha256:"):
            load_chart(RepoRef(url, "platform", "1.4.0"))
    finally:
        server.shutdown()


def test_unreachable_oci_registry_is_a_clear_error() -> None:
    port = _closed_port()
    ref = OciRef(f"oci://127.0.0.1:{port}/charts/platform", "1.4.0", "robot", "oci-secret-pass", plain_http=True)
    with pytest.raises(ChartSourceError) as err:
        load_chart(ref)
    text = str(err.value)
    assert text.startswith(f"oci://127.0.0.1:{port}/charts/platform:1.4.0: ")
    assert "oci-secret-pass" not in text


def test_bundled_chart_reference_renders(tmp_path: Path) -> None:
    chart = load_chart(parse_chart_ref({"path": str(PLATFORM)}))
    assert chart.locator == "chart:platform@1.4.0/values.yaml"
    assert chart.schema is not None and chart.kube_version


def test_prevalidated_render_skips_only_helms_second_schema_check() -> None:
    chart = load_chart(PathRef(PLATFORM, "charts/platform"))
    assert chart.prevalidated.schema is None and chart.chart.schema == chart.schema
    values = dict(chart.values)
    assert render(chart, values, prevalidated=True) == render(chart, values)
    bad = dict(values, app=dict(values["app"], replicaCount="many"))
    with pytest.raises(TemplateError, match="values rejected by Helm|replicaCount"):
        render(chart, bad)


def test_a_service_rechecks_a_chart_directory_at_most_once_per_interval(tmp_path: Path) -> None:
    """The service trusts its last stat walk for a while (1 s); the CLI walks every time."""
    from specmerge.render.sources import recheck_directories_after

    chart = tmp_path / "agent"
    shutil.copytree(AGENT, chart)
    first = load_chart(PathRef(chart, "agent"))
    recheck_directories_after(3600)
    try:
        assert load_chart(PathRef(chart, "agent")).digest == first.digest  # walked, remembered
        (chart / "Chart.yaml").write_text((chart / "Chart.yaml").read_text().replace("0.9.0", "0.9.7"))
        assert load_chart(PathRef(chart, "agent")).digest == first.digest  # within the interval: not walked
    finally:
        recheck_directories_after(0)
    assert load_chart(PathRef(chart, "agent")).version == "0.9.7"  # every call walks again
