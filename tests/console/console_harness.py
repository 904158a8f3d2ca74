"""Helpers for the console tests: the browser's launch settings, a seeded instance (console
values with secrets, a CR layer above them, an active spec) and a driver for the page."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.service_harness import ROOT, SECRETS, TOKEN, VALID_USER, Server, create, values_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: The README's screenshot; a test run rewrites it only when asked (SPECMERGE_UPDATE_SCREENSHOT=1),
#: so running the suite leaves the checkout as it was.
SCREENSHOT = ROOT / "docs" / "console.png"

#: The console layer of a seeded instance: ``mysql.user`` is set by chart, channel and console.
SEED_USER: dict[str, Any] = copy.deepcopy(VALID_USER)
SEED_USER["mysql"]["user"] = "platform-rw"
SEED_USER["app"] = {"replicaCount": 4}
#: The CR layer (above the console's): ``app.replicaCount`` is set in four layers, the CR wins.
SEED_CR: dict[str, Any] = {"app": {"replicaCount": 5}}


@dataclass
class Seeded:
    instance: str
    store_dir: str
    etag: str
    secrets: tuple[str, ...] = field(default=SECRETS)

    @property
    def namespace(self) -> str:
        return self.instance.split("/")[0]

    @property
    def name(self) -> str:
        return self.instance.split("/")[1]

    @property
    def user_locator(self) -> str:
        return f"file:{self.store_dir}/{self.instance}/user.json"

    @property
    def cr_locator(self) -> str:
        return f"file:{self.store_dir}/{self.instance}/cr.json"


def seed_instance(server: Server, api: httpx.Client, instance: str, active: bool = True) -> Seeded:
    """Store the console layer and a CR layer; with ``active``, the resulting effective spec
    as the active one (read with ``showSecrets``, so the server must allow revealing)."""
    assert server.store is not None
    directory = server.store / instance
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "cr.json").write_text(json.dumps(SEED_CR))
    created = create(api, instance, SEED_USER)
    if not active:
        return Seeded(instance, str(server.store), created.headers["etag"])
    ns, name = instance.split("/")
    effective = api.post("/v1/preview", params={"showSecrets": "true"},
                         json={"instance": {"namespace": ns, "name": name}, "provenance": False})
    assert effective.status_code == 200, effective.text
    (directory / "active.json").write_text(json.dumps(effective.json()["values"]))
    return Seeded(instance, str(server.store), created.headers["etag"])


def stored_values(api: httpx.Client, instance: str) -> dict[str, Any]:
    got = api.get(values_url(instance), params={"showSecrets": "true"})
    assert got.status_code == 200, got.text
    return got.json()["values"]


class Console:
    """Drives the page the way a person would (labels and roles), with a few waits."""

    def __init__(self, page: Any, server: Server) -> None:
        self.page, self.server = page, server

    def sign_in(self, token: str = TOKEN) -> None:
        self.page.goto(f"{self.server.url}/console/")
        self.page.get_by_label("API token").fill(token)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_selector("#session:not([hidden])")
        self.page.wait_for_function("() => /instance\\(s\\) found|No stored instances/.test("
                                    "document.querySelector('#status').textContent)")

    def open(self, instance: str) -> None:
        self.page.get_by_label("Instance (namespace/name)").fill(instance)
        self.page.get_by_role("button", name="Open", exact=True).click()
        self.wait_status(f"Opened {instance}")
        self.page.wait_for_selector("#workspace:not([hidden])")

    def row(self, pointer: str) -> Any:
        return self.page.locator(f'#table tbody tr[data-pointer="{pointer}"]')

    def editor_text(self) -> str:
        return str(self.page.locator("#editor").input_value())

    def set_editor(self, text: str) -> None:
        """Replace the editor's text as typing would (an input event), then wait for the check."""
        self.page.locator("#editor").fill(text)
        self.wait_checked()

    def wait_checked(self) -> str:
        self.page.wait_for_function(
            "() => { const t = document.querySelector('#validation').textContent;"
            " return t && !t.startsWith('Checking'); }")
        return str(self.page.locator("#validation").inner_text())

    def filter_text(self, text: str) -> None:
        self.page.get_by_label("Filter", exact=True).fill(text)

    def visible_paths(self) -> list[str]:
        return [str(p) for p in self.page.locator("#table tbody tr[data-pointer] th.path code").all_inner_texts()]

    def status(self) -> str:
        return str(self.page.locator("#status").inner_text())

    def wait_status(self, text: str) -> str:
        self.page.wait_for_function("t => document.querySelector('#status').textContent.includes(t)", arg=text)
        return self.status()
