"""What the console page needs from the service, over HTTP (no browser): the page's files
and headers, the instance and release listings, and the preview of a draft that holds the
secrets it was shown as placeholders."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import tomllib
from pathlib import Path

import httpx

from console_harness import Seeded
from service.service_harness import LICENSE, MYSQL_PASSWORD, ROOT, Server, values_url

CONSOLE = ROOT / "specmerge" / "console"


def test_the_page_is_served_with_a_strict_policy(console_server: Server) -> None:
    page = httpx.get(f"{console_server.url}/console/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/main.js">' in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    moved = httpx.get(f"{console_server.url}/console", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/console/"
    js = httpx.get(f"{console_server.url}/console/js/main.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert httpx.get(f"{console_server.url}/console/js/nope.js").status_code == 404
    # the page is public (no data in it); every API call it makes needs the token
    assert httpx.get(f"{console_server.url}/v1/instances").status_code == 401


def test_every_page_file_ships_as_package_data() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["specmerge"]
    shipped = [p.relative_to(ROOT / "specmerge").as_posix() for p in CONSOLE.rglob("*") if p.is_file()]
    assert shipped
    missing = [p for p in shipped if not any(fnmatch.fnmatch(p, g) for g in globs)]
    assert missing == []


def test_the_vendored_yaml_parser_is_the_pinned_one() -> None:
    pin = re.search(r"js-yaml@4\.1\.0 .*?sha256 ([0-9a-f]{64})", (CONSOLE / "js" / "editor.js").read_text(), re.S)
    assert pin, "editor.js names the vendored js-yaml version and sha256"
    vendored = CONSOLE / "vendor" / "js-yaml-4.1.0.mjs"
    assert hashlib.sha256(vendored.read_bytes()).hexdigest() == pin[1]
    assert (CONSOLE / "vendor" / "js-yaml-4.1.0.LICENSE").read_text().startswith("(The MIT License)")


def test_instances_lists_the_stored_ones(console_server: Server, console_api: httpx.Client, seeded: Seeded) -> None:
    assert console_server.store is not None
    (console_server.store / "team-c" / "no-user-file").mkdir(parents=True, exist_ok=True)  # a CR only: not listed
    (console_server.store / "Not_A_Label" / "x").mkdir(parents=True, exist_ok=True)
    (console_server.store / "Not_A_Label" / "x" / "user.json").write_text("{}")
    r = console_api.get("/v1/instances")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    listed = {f"{i['namespace']}/{i['name']}": i for i in r.json()["instances"]}
    assert listed[seeded.instance]["source"] == seeded.user_locator
    assert "team-c/no-user-file" not in listed and not any(k.startswith("Not_A_Label") for k in listed)
    names = [(i["namespace"], i["name"]) for i in r.json()["instances"]]
    assert names == sorted(names)


def test_releases_of_a_channel_newest_first(console_api: httpx.Client) -> None:
    r = console_api.get("/v1/channels/stable/releases")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["latest"] == "rel-2026-10-stable-0.62.0"
    assert [x["version"] for x in body["releases"]] == ["0.62.0", "0.61.0"]
    assert body["releases"][1] == {"version": "0.61.0", "releaseId": "rel-2026-09-stable-0.61.0",
                                   "publishedAt": "2026-09-15T14:00:00Z", "source": "embedded"}
    assert [x["version"] for x in console_api.get("/v1/channels/beta/releases").json()["releases"]] == ["0.63.0-beta.1"]
    unknown = console_api.get("/v1/channels/nightly/releases")
    assert unknown.status_code == 422 and "nightly" in unknown.json()["detail"]
    assert console_api.get("/v1/channels/Bad_Name/releases").status_code == 422


def test_a_draft_preview_keeps_the_stored_secret_behind_its_placeholder(console_api: httpx.Client, seeded: Seeded) -> None:
    shown = console_api.get(values_url(seeded.instance)).json()["values"]
    placeholder = shown["mysql"]["password"]
    assert placeholder.startswith("<redacted hmac:")
    shown["mysql"]["port"] = 3307
    ref = {"namespace": seeded.namespace, "name": seeded.name}
    r = console_api.post("/v1/preview", json={"instance": ref, "user": shown})
    assert r.status_code == 200 and r.json()["ok"], r.text
    body = r.json()
    assert body["values"]["mysql"]["password"] == placeholder  # the stored secret's redaction, not the placeholder's
    changed = {c["dotted"] for c in body["diff"]["changes"]}
    assert changed == {"mysql.port"}
    revealed = console_api.post("/v1/preview", params={"showSecrets": "true"}, json={"instance": ref, "user": shown})
    assert revealed.json()["values"]["mysql"]["password"] == MYSQL_PASSWORD
    assert revealed.json()["values"]["license"]["value"] == LICENSE
    # a placeholder that stands for nothing stored stays what it is (a save of it is refused)
    shown["mysql"]["password"] = "<redacted hmac:00000000>"
    r = console_api.post("/v1/preview", params={"showSecrets": "true"}, json={"instance": ref, "user": shown})
    assert r.json()["values"]["mysql"]["password"] == "<redacted hmac:00000000>"


def test_console_dir_is_inside_the_package() -> None:
    from specmerge.service.console import console_dir

    assert console_dir() == Path(CONSOLE)
    assert (console_dir() / "index.html").is_file()
