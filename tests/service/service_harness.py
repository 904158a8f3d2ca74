"""Helpers for the service tests: start the real ``specmerge serve`` (a subprocess on 127.0.0.1)
with its log captured to a file, the fake secrets the masking tests hunt for, and request helpers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from procs import await_served, stop_process

SPECMERGE = shutil.which("specmerge") or str(Path(sys.executable).with_name("specmerge"))
TOKEN = "svc-token-5b1e0c7d2f"
ROOT = Path(__file__).resolve().parents[2]

#: Fake secrets every masking test hunts for; long and unique so a hit is never a coincidence.
MYSQL_PASSWORD = "mysql-pw-Zq8fK2rV9xLm"
LICENSE = "LIC-7hQ2-svc-test-licence-Yp4W"
ACCESS_KEY = "AKIA-SVC-TEST-3F9QX1"

VALID_USER: dict[str, Any] = {
    "global": {"host": "https://ml.example.com"},
    "license": {"value": LICENSE},
    "mysql": {"host": "mysql.db.svc", "user": "platform", "password": MYSQL_PASSWORD},
    "bucket": {"name": "ml-artifacts", "region": "eu-west-1", "accessKey": ACCESS_KEY},
}
SECRETS = (MYSQL_PASSWORD, LICENSE, ACCESS_KEY)


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    log: Path
    store: Path | None

    def client(self, token: str | None = TOKEN, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    token_file = tmp / "token"
    token_file.write_text(TOKEN + "\n")
    log = tmp / "serve.log"
    store = None if any(a.startswith(("--kubeconfig", "--in-cluster")) for a in extra) else tmp / "store"
    args = [SPECMERGE, "serve", "--port", "0", "--token-file", str(token_file), "--log-level", "DEBUG"]
    if store is not None:
        args += ["--store-dir", str(store)]
    with open(log, "w") as err:
        proc = subprocess.Popen([*args, *extra], stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    url = await_served(proc, "specmerge serve", log.read_text)
    return Server(url, proc, log, store)


def stop_server(server: Server) -> None:
    stop_process(server.process)


def values_url(instance: str) -> str:
    return f"/v1/instances/{instance}/user-values"


def create(api: httpx.Client, instance: str, values: dict[str, Any] = VALID_USER) -> httpx.Response:
    r = api.put(values_url(instance), json=values, headers={"If-None-Match": "*"})
    assert r.status_code == 200, r.text
    return r


def seed_active(server: Server, instance: str, values: dict[str, Any]) -> None:
    """Write the instance's active spec as the operator would (directory backend layout)."""
    assert server.store is not None
    d = server.store / instance
    d.mkdir(parents=True, exist_ok=True)
    (d / "active.json").write_text(json.dumps(values))
