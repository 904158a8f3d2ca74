"""Every fault of issue 3 leads to: last good used, nothing applied from the bad response,
reason reported. Faults the real channel server cannot produce on demand (hang, 5xx,
truncation, bad content type, huge body) come from the scripted loopback server in
conftest.py; connection refused needs no server; 401 comes from the real server."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest
from channelkit import FAST, Reply, RunningServer, ScriptedServer, spec_body

from specmerge.channels import load_embedded
from specmerge.channels.cache import DirectoryCache
from specmerge.channels.client import ChannelClient
from specmerge.channels.resolve import ChannelRequest, Resolver
from specmerge.channels.retry import RetryPolicy
from specmerge.channels.singleflight import SingleFlight

LIMIT = 64 * 1024


@pytest.fixture
def refused_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """Accepts connections (the kernel completes the handshake) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def not_a_spec() -> bytes:
    doc = json.loads(spec_body())
    del doc["metadata"]["releaseId"]
    doc["values"]["_releaseId"] = "sneaky"
    return json.dumps(doc).encode()


SCRIPTED = {
    "500": ([Reply(500, b"internal error")], "HTTP 500"),
    "truncated-json": ([Reply(200, spec_body()[:200])], "invalid JSON"),
    "cut-connection": ([Reply(200, spec_body(), cut=True)], "connection broke during the response"),
    "fails-schema": ([Reply(200, not_a_spec())], "not a valid channel spec (2 violations)"),
    "huge-declared": ([Reply(200, b" " * (LIMIT + 1))], f"over the {LIMIT} byte limit"),
    "huge-chunked": ([Reply(200, b" " * (4 * LIMIT), chunked=True)], f"passed the {LIMIT} byte limit"),
    "wrong-content-type": ([Reply(200, b"<html>login</html>", {"Content-Type": "text/html"})], "'text/html' is not JSON"),
    "another-release": ([Reply(200, spec_body("beta"))], "it holds channel beta, not stable"),
    "404": ([Reply(404, b'{"detail": "gone"}')], "HTTP 404 Not Found, no such channel or release on the server: gone"),
}


def assert_last_good_used(resolver: Resolver, cache: DirectoryCache, reason: str) -> None:
    before = cache.path("stable").read_bytes()
    result = resolver.resolve(ChannelRequest("stable"))
    assert result.source == "cache" and result.degraded
    assert result.spec == load_embedded("stable", "0.61.0")  # the seeded last good, not the response
    assert reason in (result.reason or ""), result.reason
    assert cache.path("stable").read_bytes() == before  # nothing from the bad response stored
    assert result.condition()["reason"] == "UsingCachedRelease" and result.condition()["status"] == "False"


@pytest.mark.parametrize("fault", sorted(SCRIPTED))
def test_scripted_fault_falls_back_to_last_good(
    fault: str, scripted: Callable[..., ScriptedServer], last_good: DirectoryCache
) -> None:
    replies, reason = SCRIPTED[fault]
    server = scripted(*replies)
    with ChannelClient(server.url, policy=FAST, flights=SingleFlight(), max_bytes=LIMIT) as c:
        assert_last_good_used(Resolver(c, last_good), last_good, reason)
    assert server.count >= 1


def test_connection_refused(refused_url: str, last_good: DirectoryCache) -> None:
    with ChannelClient(refused_url, policy=FAST, flights=SingleFlight()) as c:
        assert_last_good_used(Resolver(c, last_good), last_good, "connection refused; gave up after 3 attempts")


def test_timeout_on_a_server_that_never_answers(silent_url: str, last_good: DirectoryCache) -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, total=2.0, connect_timeout=0.5, read_timeout=0.3)
    with ChannelClient(silent_url, policy=policy, flights=SingleFlight()) as c:
        assert_last_good_used(Resolver(c, last_good), last_good, "timed out waiting for the response")


def test_401_from_the_real_server(licensed_server: RunningServer, last_good: DirectoryCache) -> None:
    before = licensed_server.requests()
    with ChannelClient(licensed_server.url, policy=FAST, flights=SingleFlight()) as c:
        assert_last_good_used(Resolver(c, last_good), last_good, "HTTP 401 Unauthorized, the server wants a license")
    assert licensed_server.requests() == before + 1


def test_502_then_success_is_retried_and_stored(scripted: Callable[..., ScriptedServer], last_good: DirectoryCache) -> None:
    server = scripted(Reply(502, b"bad gateway"), Reply(200, spec_body(), {"Content-Type": "application/json", "ETag": '"v2"'}))
    with ChannelClient(server.url, policy=FAST, flights=SingleFlight()) as c:
        result = Resolver(c, last_good).resolve(ChannelRequest("stable"))
    assert (result.source, result.attempts, result.version, result.reason) == ("server", 2, "0.62.0", None)
    assert server.count == 2 and server.seen[0][1]["If-None-Match"] == '"etag-0.61.0"'
    stored = last_good.load("stable")
    assert stored is not None and stored.spec.version == "0.62.0" and stored.etag == '"v2"'


def test_fault_without_a_cache_falls_back_to_embedded(refused_url: str) -> None:
    with ChannelClient(refused_url, policy=FAST, flights=SingleFlight()) as c:
        result = Resolver(c, None).resolve(ChannelRequest("stable"))
    assert (result.source, result.version, result.degraded) == ("embedded", "0.62.0", True)
    assert "connection refused" in (result.reason or "") and "no cache configured" in (result.reason or "")
    assert result.condition()["reason"] == "UsingEmbeddedRelease"
