"""The console page in Debian's chromium against a real ``specmerge serve`` (directory store):
what an administrator sees and does — sources of values, filters, live validation, preview,
save with If-Match and the 412 flow, write-only secrets, keyboard-only use."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from console_harness import SCREENSHOT, Console, Seeded, seed_instance, stored_values
from service.service_harness import MYSQL_PASSWORD, SECRETS, TOKEN, Server, start_server, stop_server, values_url


def test_sign_in_pick_an_instance_and_its_release(page: Any, console_server: Server, seeded: Seeded) -> None:
    c = Console(page, console_server)
    c.sign_in()
    options = page.locator("#instance-list option").evaluate_all("os => os.map(o => o.value)")
    assert seeded.instance in options
    c.open(seeded.instance)
    assert page.locator("#rel-channel").inner_text() == "stable"
    assert page.locator("#rel-version").inner_text() == "0.62.0"
    assert page.locator("#rel-pinned").inner_text().startswith("latest")
    pins = page.locator("#pin option").all_inner_texts()
    assert pins[0].startswith("latest of stable") and any("0.61.0" in p for p in pins)
    # the token is kept for this tab only: a new tab starts signed out
    other = page.context.new_page()
    try:
        other.goto(f"{console_server.url}/console/")
        assert other.locator("#login").is_visible() and other.locator("#session").is_hidden()
    finally:
        other.close()


def test_winning_layer_locator_and_shadowed_values(page: Any, console_server: Server, seeded: Seeded) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    c.filter_text("mysql.user")
    row = c.row("/mysql/user")
    assert row.locator("td").nth(0).inner_text() == "platform-rw"
    assert row.locator(".badge").inner_text() == "console"
    assert row.locator("td.source").inner_text() == seeded.user_locator
    row.get_by_role("button", name=re.compile("Show 2 shadowed")).click()
    shadows = page.locator('tr.shadowed[data-shadow-of="/mysql/user"]')
    assert shadows.count() == 2
    assert shadows.nth(0).locator(".badge").inner_text() == "channel"
    assert shadows.nth(0).locator("td.source").inner_text() == "channel:stable@0.62.0"
    assert shadows.nth(1).locator(".badge").inner_text() == "chart"
    assert re.fullmatch(r"chart:platform@[\d.]+/values\.yaml:\d+:\d+", shadows.nth(1).locator("td.source").inner_text())
    # four layers set app.replicaCount; the CR's is the one that wins
    c.filter_text("app.replicaCount")
    cr_row = c.row("/app/replicaCount")
    assert cr_row.locator(".badge").inner_text() == "cr"
    assert cr_row.locator("td.source").inner_text() == seeded.cr_locator
    assert cr_row.locator("td").nth(0).inner_text() == "5"


def test_filters_by_text_layer_and_overridden(page: Any, console_server: Server, seeded: Seeded) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    total = int(page.locator("#table-count").inner_text().split()[0])
    pages = -(-total // 50)
    assert page.locator("#page-info").inner_text() == f"Page 1 of {pages} (rows 1–50)"
    first = c.visible_paths()
    page.get_by_role("button", name="Next page").click()
    assert page.locator("#page-info").inner_text() == f"Page 2 of {pages} (rows 51–100)"
    assert len(c.visible_paths()) == 50 and not set(first) & set(c.visible_paths())
    c.filter_text("mysql")
    assert page.locator("#page-info").inner_text().startswith("Page 1 of 1")
    paths = c.visible_paths()
    assert paths and all("mysql" in p for p in paths)
    assert "mysql.user" in paths and "redis.host" not in paths
    assert re.match(r"\d+ of \d+ values match", page.locator("#table-count").inner_text())
    c.filter_text("")
    page.get_by_label("Winning layer").select_option("user")
    badges = page.locator("#table tbody tr[data-pointer] .badge").all_inner_texts()
    assert badges and set(badges) == {"console"}
    assert set(c.visible_paths()) == {"bucket.accessKey", "bucket.name", "bucket.region", "global.host",
                                      "license.value", "mysql.host", "mysql.password", "mysql.user"}
    page.get_by_label("Winning layer").select_option("")
    page.get_by_label("Overridden only").check()
    rows = page.locator("#table tbody tr[data-pointer]")
    assert rows.count() > 0
    assert rows.locator("button.expand").count() == rows.count()


def test_edit_live_violation_fix_preview_412_reapply_save(page: Any, console_server: Server, seeded: Seeded,
                                                        console_api: httpx.Client) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    text = c.editor_text()
    assert "mysql:" in text and "<redacted hmac:" in text and MYSQL_PASSWORD not in text
    broken = text.replace("  user: platform-rw", "  user: platform-rw\n  port: not-a-port")
    c.set_editor(broken)
    problems = page.locator("#problems").inner_text()
    line = broken.split("\n").index("  port: not-a-port") + 1
    assert f"Line {line}: mysql.port:" in problems and "from layer console (draft)" in problems
    assert page.locator("#gutter div.mark").all_inner_texts() == [str(line)]
    c.filter_text("mysql.port")
    assert "from layer console" in c.row("/mysql/port").locator(".violation").inner_text()
    assert "invalid" in (c.row("/mysql/port").get_attribute("class") or "")
    # fix it
    c.set_editor(broken.replace("port: not-a-port", "port: 3307"))
    assert c.wait_checked().startswith("Valid")
    assert page.locator("#problems li").count() == 0
    page.get_by_role("button", name="Preview changes").click()
    page.wait_for_selector("#preview:not([hidden])")
    change = page.locator("#draft-changes tr", has_text="mysql.port")
    assert change.locator("td").nth(0).inner_text() == "3306" and change.locator("td").nth(1).inner_text() == "3307"
    assert change.locator(".badge").inner_text() == "console (draft)"
    assert "mysql.port" in page.locator("#active-changes").inner_text()
    assert "(changed)" in page.locator("#manifest-diff").inner_text()  # the port reaches a manifest
    # someone else saves in between
    other = json.loads(json.dumps(stored_values(console_api, seeded.instance)))
    other["bucket"]["region"] = "us-east-1"
    r = console_api.put(values_url(seeded.instance), json=other, headers={"If-Match": seeded.etag})
    assert r.status_code == 200, r.text
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("#conflict:not([hidden])")
    assert "412" in c.status()
    theirs = page.locator("#their-changes").inner_text()
    assert "bucket.region" in theirs and "eu-west-1" in theirs and "us-east-1" in theirs
    assert "mysql.port" in page.locator("#my-changes").inner_text()
    page.get_by_role("button", name="Re-apply my changes on top").click()
    assert c.wait_checked().startswith("Valid")
    merged = c.editor_text()
    assert "port: 3307" in merged and "region: us-east-1" in merged
    page.get_by_role("button", name="Preview changes").click()
    page.wait_for_selector("#preview:not([hidden])")
    page.get_by_role("button", name="Save").click()
    c.wait_status("Saved")
    stored = stored_values(console_api, seeded.instance)
    assert stored["mysql"]["port"] == 3307 and stored["bucket"]["region"] == "us-east-1"
    assert stored["mysql"]["password"] == MYSQL_PASSWORD  # the placeholder kept the stored secret
    # the table now shows the stored value from the console layer's file
    c.filter_text("mysql.port")
    assert c.row("/mysql/port").locator("td.source").inner_text() == seeded.user_locator


def test_422_keeps_the_editor_text(page: Any, console_server: Server, seeded: Seeded, console_api: httpx.Client) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    text = re.sub(r"password: <redacted hmac:[0-9a-f]{8}>", "password: <redacted hmac:00000000>", c.editor_text())
    c.set_editor(text)
    page.get_by_role("button", name="Preview changes").click()
    page.wait_for_selector("#preview:not([hidden])")
    page.get_by_role("button", name="Save").click()
    c.wait_status("Not saved (422)")
    assert c.editor_text() == text
    assert "mysql.password: a <redacted …> placeholder that stands for no stored value" in page.locator("#problems").inner_text()
    assert stored_values(console_api, seeded.instance)["mysql"]["password"] == MYSQL_PASSWORD


def test_type_clash_is_a_live_warning_and_in_the_preview(page: Any, console_server: Server, seeded: Seeded) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    c.set_editor(c.editor_text() + "redis:\n  tls: {enabled: true}\n")  # a map where the channel has a boolean
    clash = "redis.tls: map from user (request:user) replaced boolean from channel (channel:stable@0.62.0)"
    assert f"Warning: {clash}" in page.locator("#warnings-live").inner_text()
    assert "redis.tls" in page.locator("#problems").inner_text()  # and the schema refuses it
    c.set_editor(c.editor_text().replace("tls: {enabled: true}", "tls: true"))
    assert page.locator("#warnings-live li").count() == 0


def test_override_here_remove_override_and_pin_a_release(page: Any, console_server: Server, seeded: Seeded,
                                                         console_api: httpx.Client) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    c.filter_text("redis.host")
    c.row("/redis/host").get_by_role("button", name="Override redis.host in the console layer").click()
    assert c.wait_checked().startswith("Valid")
    assert "redis:\n  host: redis\n" in c.editor_text()
    row = c.row("/redis/host")
    assert row.locator(".badge").inner_text() == "console (draft)"
    row.get_by_role("button", name="Remove the console override of redis.host").click()
    c.wait_checked()
    assert "redis:" not in c.editor_text()
    assert c.row("/redis/host").locator(".badge").inner_text() == "chart"
    shown = console_api.get(values_url(seeded.instance)).json()["values"]  # secrets as placeholders
    c.set_editor(json.dumps(shown, indent=2))  # the editor takes JSON too
    assert c.wait_checked().startswith("Valid")
    page.get_by_label("Pin a release").select_option("rel-2026-09-stable-0.61.0")
    c.wait_checked()
    assert '"_releaseId": "rel-2026-09-stable-0.61.0"' in c.editor_text()  # JSON stays JSON
    page.wait_for_function("() => document.querySelector('#rel-version').textContent === '0.61.0'")
    assert page.locator("#rel-pinned").inner_text().startswith("pinned by console (draft)")
    page.get_by_role("button", name="Preview changes").click()
    page.wait_for_selector("#preview:not([hidden])")
    page.get_by_role("button", name="Save").click()
    c.wait_status("Saved")
    assert stored_values(console_api, seeded.instance)["_releaseId"] == "rel-2026-09-stable-0.61.0"
    assert page.locator("#rel-pinned").inner_text().startswith("pinned by console (file:")


def test_secrets_never_reach_dom_network_or_console_unless_revealed(page: Any, console_server: Server, seeded: Seeded,
                                                                    console_api: httpx.Client) -> None:
    new_secret = "new-mysql-pw-Hk3vQ9zX1pLw"
    logs: list[str] = []
    finished: list[Any] = []
    page.on("console", lambda m: logs.append(m.text))
    page.on("pageerror", lambda e: logs.append(str(e)))
    page.on("requestfinished", lambda r: finished.append(r))
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    doms = [page.content()]
    c.filter_text("mysql.password")
    row = c.row("/mysql/password")
    assert row.locator("td.value").inner_text().startswith("<redacted hmac:")
    row.get_by_role("button", name=re.compile("shadowed")).click()
    row.get_by_role("button", name="Set a new value for mysql.password (write-only)").click()
    secret_input = page.get_by_label("New value for mysql.password (write-only)", exact=True)
    assert secret_input.get_attribute("type") == "password"
    secret_input.fill(new_secret)
    page.get_by_role("button", name="Use this value").click()
    assert c.wait_checked().startswith("Valid")
    assert "new value pending (write-only)" in c.row("/mysql/password").inner_text()
    assert new_secret not in c.editor_text()
    page.get_by_role("button", name="Preview changes").click()
    page.wait_for_selector("#preview:not([hidden])")
    doms.append(page.content())
    page.get_by_role("button", name="Save").click()
    c.wait_status("Saved")
    doms.append(page.content())
    assert stored_values(console_api, seeded.instance)["mysql"]["password"] == new_secret
    hidden = (*seeded.secrets, new_secret)
    bodies = [r.response().text() for r in finished if "/v1/" in r.url and r.response() is not None]
    assert len(bodies) >= 6
    for where, texts in (("DOM", doms), ("network response", bodies), ("console log", logs)):
        for text in texts:
            for secret in hidden:
                assert secret not in text, f"a secret reached the {where}"
    # an authorised user may reveal them (the token holder has --allow-reveal)
    page.get_by_label("Show secret values (needs permission)").check()
    c.wait_status(f"Opened {seeded.instance}")
    c.filter_text("mysql.password")
    assert c.row("/mysql/password").locator("td.value").inner_text() == new_secret


def _focused(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement.id || document.activeElement.getAttribute('aria-label')"
                             " || document.activeElement.textContent.trim()"))


def _tab_to(page: Any, target: str, limit: int, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus; fail after ``limit`` presses."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if _focused(page) == target:
            return
    raise AssertionError(f"{target!r} not reached with {limit} presses (at {_focused(page)!r})")


def test_keyboard_only_flow_and_focus_order(page: Any, console_server: Server, seeded: Seeded,
                                            console_api: httpx.Client) -> None:
    page.goto(f"{console_server.url}/console/")
    kb = page.keyboard
    kb.press("Tab")
    assert _focused(page) == "Skip to content"
    kb.press("Tab")
    assert _focused(page) == "token"
    kb.type(TOKEN)
    kb.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'instance'")
    kb.type(seeded.instance)
    kb.press("Enter")
    Console(page, console_server).wait_status(f"Opened {seeded.instance}")
    order = []
    for _ in range(7):
        kb.press("Tab")
        order.append(_focused(page))
    assert order == ["open", "reveal", "pin", "filter-text", "filter-layer", "filter-overridden",
                     order[6]] and order[6].startswith(("Show", "Override", "Remove", "Set"))
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    _tab_to(page, "filter-text", 5, backwards=True)
    kb.type("redis.database")
    _tab_to(page, "Override redis.database in the console layer", 10)
    kb.press("Enter")
    page.wait_for_function("() => document.querySelector('#editor').value.includes('database: 0')")
    # "Override here" put the caret in the editor on the new line, selected: type over it
    Console(page, console_server).wait_checked()
    assert _focused(page) == "editor"
    assert page.evaluate("() => { const t = document.activeElement; return t.value.slice(t.selectionStart, t.selectionEnd); }") == "  database: 0"
    kb.type("  database: 2")
    assert Console(page, console_server).wait_checked().startswith("Valid")
    _tab_to(page, "preview-btn", 15)
    kb.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'preview'")
    _tab_to(page, "save", 40)
    kb.press("Enter")
    Console(page, console_server).wait_status("Saved")
    assert stored_values(console_api, seeded.instance)["redis"]["database"] == 2


def _contrast(page: Any, selector: str) -> float:
    return float(page.evaluate("""sel => {
      const lum = c => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const e = document.querySelector(sel);
      let bg = null;
      for (let n = e; n; n = n.parentElement) {
        const b = getComputedStyle(n).backgroundColor;
        if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') { bg = b; break; }
      }
      const a = lum(getComputedStyle(e).color), b = lum(bg || 'rgb(255, 255, 255)');
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""", selector))


def test_labels_and_contrast(page: Any, console_server: Server, seeded: Seeded) -> None:
    c = Console(page, console_server)
    c.sign_in()
    c.open(seeded.instance)
    c.set_editor(c.editor_text().replace("replicaCount: 4", "replicaCount: -1"))
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter(e => e.offsetParent !== null)
      .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
      .map(e => e.id || e.outerHTML.slice(0, 80))""")
    assert unlabelled == []
    for selector in (".badge.layer-user", ".badge.layer-channel", ".badge.layer-chart", ".badge.layer-cr",
                     "button.primary", "#table tbody th.path code", ".help", "#problems .problem span",
                     "#table-count", "td.secret code"):
        if page.locator(selector).count():
            assert _contrast(page, selector) >= 4.5, selector


def test_screenshot_for_the_readme(page: Any, console_server: Server, console_api: httpx.Client, tmp_path: Path) -> None:
    demo = seed_instance(console_server, console_api, "ml/platform")
    c = Console(page, console_server)
    c.sign_in()
    c.open(demo.instance)
    c.filter_text("mysql")
    c.row("/mysql/user").get_by_role("button", name=re.compile("shadowed")).click()
    c.set_editor(c.editor_text().replace("  user: platform-rw", "  user: platform-rw\n  port: not-a-port"))
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    shot = SCREENSHOT if os.environ.get("SPECMERGE_UPDATE_SCREENSHOT") == "1" else tmp_path / "console.png"
    shot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(shot), full_page=False)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_new_instance_is_created_with_if_none_match(page: Any, console_server: Server, console_api: httpx.Client) -> None:
    instance = f"team-c/fresh-{int(time.time() * 1000) % 10**6}"
    c = Console(page, console_server)
    c.sign_in()
    c.page.get_by_label("Instance (namespace/name)").fill(instance)
    c.page.get_by_role("button", name="Open", exact=True).click()
    c.wait_status("has no console values yet")
    assert c.editor_text() == "{}\n"
    c.set_editor("global:\n  host: https://fresh.example.com\nbucket:\n  name: fresh\n")
    assert c.wait_checked().startswith("Valid")
    page.get_by_role("button", name="Preview changes").click()
    page.wait_for_selector("#preview:not([hidden])")
    assert "global.host" in page.locator("#draft-changes").inner_text()
    page.get_by_role("button", name="Save").click()
    c.wait_status("Saved")
    assert console_api.get(values_url(instance)).json()["values"] == {
        "global": {"host": "https://fresh.example.com"}, "bucket": {"name": "fresh"}}


@pytest.fixture(scope="module")
def no_reveal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The service without --allow-reveal: the token holder may not see secrets."""
    s = start_server(Path(tmp_path_factory.mktemp("console-no-reveal")))
    yield s
    stop_server(s)


def test_revealing_without_permission_is_refused_and_stays_masked(page: Any, no_reveal_server: Server) -> None:
    with no_reveal_server.client() as api:
        seeded = seed_instance(no_reveal_server, api, "team-c/no-reveal", active=False)
    bodies: list[Any] = []
    page.on("requestfinished", lambda r: bodies.append(r))
    c = Console(page, no_reveal_server)
    c.sign_in()
    c.open(seeded.instance)
    page.get_by_label("Show secret values (needs permission)").click()  # not check(): the page unticks it at once
    c.wait_status("Not allowed to reveal secret values (403)")
    assert not page.get_by_label("Show secret values (needs permission)").is_checked()
    c.filter_text("mysql.password")
    assert c.row("/mysql/password").locator("td.value").inner_text().startswith("<redacted hmac:")
    texts = [page.content(), *(r.response().text() for r in bodies if "/v1/" in r.url and r.response() is not None)]
    assert not [s for s in SECRETS for t in texts if s in t]
