"""The channel server app in-process (FastAPI TestClient): routes, ETag, auth, reload,
bad directories. The real uvicorn process is exercised by the client and fault tests."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from channelkit import LICENSE_TEXT
from fastapi.testclient import TestClient

from specmerge.channels import ChannelSpecError, embedded_dir
from specmerge.channels.license import License
from specmerge.channels.server import create_app


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    shutil.copytree(embedded_dir(), tmp_path / "channels")
    return tmp_path / "channels"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_routes_etag_and_health(mirror: Path) -> None:
    http = TestClient(create_app(mirror))
    latest = http.get("/api/v1/operator/channel")
    assert latest.status_code == 200 and latest.headers["content-type"] == "application/json"
    assert latest.json()["metadata"]["version"] == "0.62.0"
    etag = latest.headers["etag"]
    assert http.get("/api/v1/operator/channel", headers={"If-None-Match": etag}).status_code == 304
    assert http.get("/api/v1/operator/channel", headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert http.get("/api/v1/operator/channel?channel=beta").json()["metadata"]["channel"] == "beta"
    pinned = http.get("/api/v1/operator/channel/release/rel-2026-09-stable-0.61.0")
    assert pinned.json()["metadata"]["version"] == "0.61.0" and pinned.headers["etag"] != etag
    missing = http.get("/api/v1/operator/channel/release/rel-nope")
    assert missing.status_code == 404 and "no release 'rel-nope'" in missing.json()["detail"]
    assert http.get("/healthz").json() == {"status": "ok", "releases": 3}
    metrics = http.get("/metrics").text
    assert 'specmerge_channel_requests_total{route="latest",status="304"} 2.0' in metrics


def test_license_check(mirror: Path) -> None:
    http = TestClient(create_app(mirror, License(LICENSE_TEXT)))
    missing = http.get("/api/v1/operator/channel")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic")
    assert http.get("/api/v1/operator/channel", headers=basic("license", "wrong")).status_code == 403
    assert http.get("/api/v1/operator/channel", headers=basic("admin", LICENSE_TEXT)).status_code == 403
    assert http.get("/api/v1/operator/channel", headers={"Authorization": "Basic !!!"}).status_code == 401
    assert http.get("/api/v1/operator/channel", headers=basic("license", LICENSE_TEXT)).status_code == 200
    assert http.get("/healthz").status_code == 200
    for r in (missing, http.get("/api/v1/operator/channel", headers=basic("license", "wrong"))):
        assert LICENSE_TEXT not in r.text


def test_new_release_in_the_directory_is_served_without_restart(mirror: Path) -> None:
    http = TestClient(create_app(mirror))
    doc = json.loads((mirror / "stable" / "0.62.0.json").read_text())
    doc["metadata"].update(version="0.63.0", releaseId="rel-2026-11-stable-0.63.0")
    (mirror / "stable" / "0.63.0.json").write_text(json.dumps(doc))
    assert http.get("/api/v1/operator/channel").json()["metadata"]["version"] == "0.63.0"


def test_bad_directory_fails_at_start_and_a_bad_new_file_is_a_500(mirror: Path) -> None:
    (mirror / "stable" / "9.9.9.json").write_text('{"metadata": {}}')
    with pytest.raises(ChannelSpecError, match="9.9.9.json"):
        create_app(mirror)
    (mirror / "stable" / "9.9.9.json").unlink()
    http = TestClient(create_app(mirror))
    (mirror / "stable" / "9.9.9.json").write_text("{")
    broken = http.get("/api/v1/operator/channel")
    assert broken.status_code == 500 and "9.9.9.json" in broken.json()["detail"]
    assert http.get("/healthz").status_code == 503


def test_listening_socket_disables_nagle() -> None:
    import socket

    from specmerge.channels.server import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0  # see bench/channels.md
        assert sock.getsockname()[1] != 0
    finally:
        sock.close()
