"""Fixtures for the service tests: the real ``specmerge serve`` (directory backend, embedded
channel) for the session, an httpx client, and a fresh instance per test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from service_harness import Server, start_server, stop_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The service with the directory backend; the token holder may reveal secrets."""
    s = start_server(tmp_path_factory.mktemp("serve"), "--allow-reveal")
    yield s
    stop_server(s)


@pytest.fixture(scope="session")
def workers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The same service as ``server`` run as two worker processes on one socket."""
    s = start_server(tmp_path_factory.mktemp("serve-workers"), "--allow-reveal", "--workers", "2")
    yield s
    stop_server(s)


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


_counter = iter(range(10**6))


@pytest.fixture
def instance() -> str:
    """A fresh instance path segment ``ns/name`` for each test."""
    return f"team-a/demo-{next(_counter)}-{int(time.time() * 1000) % 100000}"


