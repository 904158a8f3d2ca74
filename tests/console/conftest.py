"""Fixtures for the console tests: the real ``specmerge serve`` (directory store, embedded
channel) on 127.0.0.1, Debian's chromium driven by Playwright, and a seeded instance per test.

Chromium comes from Debian's package (``scripts/install-browser``), never from
``playwright install``. Without it (or without the playwright package) the browser tests
skip and say why; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from console_harness import CHROMIUM, CHROMIUM_ARGS, Seeded, seed_instance
from service.service_harness import Server, start_server, stop_server


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def browser_missing() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Debian's chromium is not installed at {CHROMIUM} (run scripts/install-browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The service; the token holder may reveal secrets (``--allow-reveal``)."""
    s = start_server(tmp_path_factory.mktemp("console-serve"), "--allow-reveal")
    yield s
    stop_server(s)


@pytest.fixture
def console_api(console_server: Server) -> Iterator[httpx.Client]:
    with console_server.client() as c:
        yield c


_counter = iter(range(10**6))


@pytest.fixture
def seeded(console_server: Server, console_api: httpx.Client) -> Seeded:
    """A fresh instance: console values (with secrets), a CR layer and an active spec."""
    instance = f"team-c/console-{next(_counter)}-{int(time.time() * 1000) % 100000}"
    return seed_instance(console_server, console_api, instance)


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    """One chromium per test module. Not per session: Playwright's sync API keeps an asyncio
    loop running in this thread while it is open, and later tests call ``asyncio.run``."""
    why = browser_missing()
    if why:
        if in_ci():
            pytest.fail(f"console browser tests need chromium under CI=true: {why}", pytrace=False)
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="specmerge-chromium-")
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30_000)
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    """A new tab (its own sessionStorage: signed out)."""
    tab = browser_context.new_page()
    yield tab
    tab.close()
