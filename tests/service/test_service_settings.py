"""Service settings: config file + flags, refusals that protect a deployment, CORS off."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from service_harness import SPECMERGE, Server
from specmerge.service.settings import SettingsError, load_settings


def test_config_file_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPECMERGE_TOKEN", raising=False)
    (tmp_path / "token").write_text("t0ken\n")
    cfg = tmp_path / "serve.yaml"
    cfg.write_text(f"port: 9001\nbody-limit: 2048\ntoken_file: {tmp_path / 'token'}\ncors_origins: ['https://console.example.com']\n")
    s = load_settings(cfg, port=9002)
    assert (s.port, s.body_limit, s.cors_origins, s.token()) == (9002, 2048, ("https://console.example.com",), "t0ken")
    cfg.write_text("prot: 1\n")
    with pytest.raises(SettingsError, match="unknown settings prot"):
        load_settings(cfg)


def test_refusals(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SPECMERGE_TOKEN", raising=False)
    with pytest.raises(SettingsError, match="no bearer token"):
        load_settings()
    with pytest.raises(SettingsError, match="loopback"):
        load_settings(no_auth=True, host="0.0.0.0")
    with pytest.raises(SettingsError, match="choose one store"):
        load_settings(no_auth=True, store_dir=str(tmp_path), kubeconfig="k")
    monkeypatch.setenv("SPECMERGE_TOKEN", "from-env")
    assert load_settings().token() == "from-env"


@pytest.mark.parametrize(("text", "error"), [
    ("workers: '2'\n", "workers must be an integer, not '2'"),
    ("workers: 2.5\n", "workers must be an integer, not 2.5"),
    ("auth_cache_ttl: '5'\n", "auth_cache_ttl must be a finite number, not '5'"),
    ("auth_cache_ttl: .inf\n", "auth_cache_ttl must be a finite number, not inf"),
    ("body_limit: true\n", "body_limit must be an integer, not True"),
    ("allow_reveal: 'false'\n", "allow_reveal must be true or false, not 'false'"),
    ("host: 8080\n", "host must be a string, not 8080"),
    ("channel_server: 5\n", "channel_server must be a string or null, not 5"),
    ("port: 70000\n", "port must be between 0 and 65535, not 70000"),
    ("workers: 100000000000000000000000000000000000\n",
     "workers must be between 1 and 64, not 100000000000000000000000000000000000"),
    ("request_timeout: -1\n", "body_limit and request_timeout must be positive"),
])
def test_a_config_file_of_the_wrong_type_is_a_settings_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            text: str, error: str) -> None:
    monkeypatch.setenv("SPECMERGE_TOKEN", "from-env")
    config = tmp_path / "settings.yaml"
    config.write_text(text)
    with pytest.raises(SettingsError) as exc:
        load_settings(config)
    assert str(exc.value) == error


def test_serve_without_a_token_exits_2_with_a_reason() -> None:
    env = {"PATH": str(Path(SPECMERGE).parent), "HOME": "/tmp"}
    r = subprocess.run([SPECMERGE, "serve", "--port", "0"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "no bearer token" in r.stderr


def test_cors_is_off_by_default(server: Server) -> None:
    r = httpx.options(f"{server.url}/v1/preview", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in r.headers
