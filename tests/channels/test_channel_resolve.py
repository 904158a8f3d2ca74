"""Resolution order and its reasons: server -> not-modified -> cache -> embedded; pinning
never answered by another release; cache write failures reported; airgapped opens no
connection."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from channelkit import FAST, Reply, RunningServer, ScriptedServer, spec_body

from specmerge.channels import load_embedded
from specmerge.channels.cache import CacheEntry, CacheError, DirectoryCache, MemoryCache
from specmerge.channels.client import ChannelClient
from specmerge.channels.resolve import ChannelRequest, ChannelRequestError, ChannelUnavailable, Resolver
from specmerge.channels.singleflight import SingleFlight
from specmerge.core import layer_from_values, merge


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket that would accept any connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def assert_nothing_arrived(sock: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        sock.accept()


def test_airgapped_opens_no_connection(listener: socket.socket, last_good: DirectoryCache) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with ChannelClient(url, policy=FAST, flights=SingleFlight()) as c:
        # the same client without airgapped mode does reach the listener: the probe works
        probe = Resolver(c, None, airgapped=False)
        cached = Resolver(c, last_good, airgapped=True).resolve(ChannelRequest("stable"))
        embedded = Resolver(c, None, airgapped=True).resolve(ChannelRequest("beta"))
        assert_nothing_arrived(listener)
        assert (cached.source, cached.version) == ("cache", "0.61.0")
        assert (embedded.source, embedded.version) == ("embedded", "0.63.0-beta.1")
        assert "airgapped mode: no network connection made" in (embedded.reason or "")
        assert not embedded.degraded and embedded.condition()["status"] == "True"
        c.policy = type(FAST)(max_attempts=1, total=0.5, connect_timeout=0.2, read_timeout=0.2)
        probe.resolve(ChannelRequest("stable"))
    conn, _ = listener.accept()
    conn.close()


def test_server_answer_is_stored_then_304_served_from_it(open_server: RunningServer, tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path)
    with ChannelClient(open_server.url, policy=FAST, flights=SingleFlight()) as c:
        first = Resolver(c, cache).resolve(ChannelRequest("stable"))
        second = Resolver(c, cache).resolve(ChannelRequest("stable"))
    assert (first.source, second.source) == ("server", "not-modified")
    assert first.spec == second.spec == load_embedded("stable")
    assert second.reason is None and second.condition()["reason"] == "ReleaseUnchanged"


def test_a_pinned_answer_does_not_replace_the_cached_latest_release(open_server: RunningServer, tmp_path: Path) -> None:
    """The last-good cache is the channel's latest release: after an instance pinned to an old
    release is resolved, an outage must still give unpinned instances the latest one."""
    cache = DirectoryCache(tmp_path)
    with ChannelClient(open_server.url, policy=FAST, flights=SingleFlight()) as c:
        latest = Resolver(c, cache).resolve(ChannelRequest("stable"))
        pinned = Resolver(c, cache).resolve(ChannelRequest("stable", "0.61.0"))
    assert (latest.spec.version, pinned.spec.version, pinned.source) == ("0.62.0", "0.61.0", "server")
    entry = cache.load("stable")
    assert entry is not None and entry.spec.version == "0.62.0"


def test_pinned_release_never_from_a_cache_of_another_release(refused_url_cache: tuple[str, DirectoryCache]) -> None:
    url, cache = refused_url_cache  # cache holds stable 0.61.0
    with ChannelClient(url, policy=FAST, flights=SingleFlight()) as c:
        pinned = Resolver(c, cache).resolve(ChannelRequest("stable", "rel-2026-10-stable-0.62.0"))
        same = Resolver(c, cache).resolve(ChannelRequest("stable", "rel-2026-09-stable-0.61.0"))
    assert (pinned.source, pinned.release_id) == ("embedded", "rel-2026-10-stable-0.62.0")
    assert "it holds release rel-2026-09-stable-0.61.0 (stable 0.61.0), not the pinned rel-2026-10-stable-0.62.0" in (
        pinned.reason or ""
    )
    assert (same.source, same.version) == ("cache", "0.61.0")


@pytest.fixture
def refused_url_cache(last_good: DirectoryCache) -> tuple[str, DirectoryCache]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}", last_good


def test_unpinned_request_never_from_a_cache_of_another_channel(last_good: DirectoryCache) -> None:
    memory = MemoryCache()
    memory.store(CacheEntry.now(load_embedded("beta"), None, "seed"))
    result = Resolver(None, memory).resolve(ChannelRequest("stable"))
    assert result.source == "embedded" and result.version == "0.62.0"
    assert "no cached release at memory:stable" in (result.reason or "")


def test_pin_comes_from_the_merged_controls() -> None:
    user = layer_from_values("user", "secret:ns/demo-spec-user#values", {"_releaseId": "rel-2026-09-stable-0.61.0"})
    request = ChannelRequest.from_controls(merge([user]).controls)
    assert request == ChannelRequest("stable", "rel-2026-09-stable-0.61.0")
    result = Resolver().resolve(request)
    assert (result.source, result.version, result.reason) == ("embedded", "0.61.0", "no channel server configured; no cache configured")
    with pytest.raises(ChannelRequestError, match="_releaseId in controls: expected a releaseId or version string, got int"):
        ChannelRequest.from_controls({"_releaseId": 7})
    with pytest.raises(ChannelRequestError, match="_releaseId in controls: .* got '../x'"):
        ChannelRequest.from_controls({"_releaseId": "../x"})


def test_one_release_pin_rule_the_highest_layer_wins_and_names_itself() -> None:
    from specmerge.channels import release_pin
    from specmerge.pipeline import pinned_release

    user = layer_from_values("user", "secret:ns/demo-spec-user#values", {"_releaseId": "0.61.0"})
    cr = layer_from_values("cr", "cr:ns/demo", {"_releaseId": 7})
    with pytest.raises(ChannelRequestError, match="_releaseId in cr:ns/demo: .* got int"):
        release_pin(user, cr)
    with pytest.raises(ChannelRequestError):  # the pipeline's name for it is the same rule
        pinned_release(user, cr)
    unpin = layer_from_values("cr", "cr:ns/demo", {"_releaseId": ""})
    assert release_pin(user, unpin) is None and release_pin(user, None) == "0.61.0"


def test_nothing_anywhere_lists_every_reason(tmp_path: Path) -> None:
    with pytest.raises(ChannelUnavailable) as info:
        Resolver(None, DirectoryCache(tmp_path), airgapped=True).resolve(ChannelRequest("stable", "rel-nope"))
    reasons = info.value.reasons
    assert reasons[0] == "airgapped mode: no network connection made"
    assert reasons[1].startswith("no cached release at dir:")
    assert reasons[2].startswith("embedded: no release 'rel-nope' in channel 'stable'")


class BrokenCache(MemoryCache):
    def store(self, entry: CacheEntry) -> None:
        raise CacheError("memory:stable: cannot write: disk full")


def test_failed_cache_write_is_reported_not_fatal(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(Reply(200, spec_body()))
    with ChannelClient(server.url, policy=FAST, flights=SingleFlight()) as c:
        result = Resolver(c, BrokenCache()).resolve(ChannelRequest("stable"))
    assert result.source == "server" and result.cache_error == "memory:stable: cannot write: disk full"
    assert "cache not updated: memory:stable: cannot write: disk full" in result.describe()


def test_unwritable_cache_directory_is_reported(scripted: Callable[..., ScriptedServer], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    server = scripted(Reply(200, spec_body()))
    with ChannelClient(server.url, policy=FAST, flights=SingleFlight()) as c:
        result = Resolver(c, DirectoryCache(blocker)).resolve(ChannelRequest("stable"))
    assert result.source == "server" and "cannot write" in (result.cache_error or "")


def test_corrupt_cache_is_reported_and_skipped(tmp_path: Path) -> None:
    cache = DirectoryCache(tmp_path)
    cache.path("stable").write_text('{"spec": {"metadata": {}}}')
    result = Resolver(None, cache).resolve(ChannelRequest("stable"))
    assert result.source == "embedded"
    assert "cache unusable: " in (result.reason or "") and "not a valid channel spec" in (result.reason or "")
