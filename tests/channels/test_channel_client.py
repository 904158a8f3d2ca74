"""The channel client against the real ``specmerge channel-server``: happy path, pinning,
304, license good/bad/missing; retry policy; the license never leaks."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import pytest
from channelkit import FAST, LICENSE_TEXT, Reply, RunningServer, ScriptedServer, spec_body

from specmerge.channels import load_embedded
from specmerge.channels.client import ChannelClient, ChannelFetchError, Known, normalise_base_url
from specmerge.channels.license import License
from specmerge.channels.retry import RetryPolicy, retry_after_seconds, verdict
from specmerge.channels.singleflight import SingleFlight


def client(url: str, license: License | None = None, **kw: object) -> ChannelClient:
    return ChannelClient(url, license, policy=FAST, flights=SingleFlight(), **kw)  # type: ignore[arg-type]


def test_latest_of_each_channel(open_server: RunningServer) -> None:
    with client(open_server.url) as c:
        stable = c.fetch("stable")
        beta = c.fetch("beta")
    assert stable.spec == load_embedded("stable") and not stable.not_modified and stable.attempts == 1
    assert beta.spec.version == "0.63.0-beta.1"
    assert stable.etag == f'"{stable.spec.digest()}"'


def test_pinned_release_by_id_and_by_version(open_server: RunningServer) -> None:
    with client(open_server.url) as c:
        by_id = c.fetch("stable", "rel-2026-09-stable-0.61.0")
        by_version = c.fetch("stable", "0.61.0")
        with pytest.raises(ChannelFetchError) as info:
            c.fetch("stable", "rel-does-not-exist")
    assert by_id.spec.version == by_version.spec.version == "0.61.0"
    assert info.value.kind == "not-found" and info.value.attempts == 1
    assert "HTTP 404" in str(info.value) and "not retried" in str(info.value)


def test_unchanged_channel_costs_one_304(open_server: RunningServer) -> None:
    with client(open_server.url) as c:
        first = c.fetch("stable")
        assert first.etag
        before = open_server.metrics().get(("latest", "304"), 0)
        again = c.fetch("stable", known=Known(first.etag, first.spec))
    assert again.not_modified and again.spec == first.spec and again.attempts == 1
    assert open_server.metrics()[("latest", "304")] == before + 1


def test_stale_etag_gets_the_new_body(open_server: RunningServer) -> None:
    old = load_embedded("stable", "0.61.0")
    with client(open_server.url) as c:
        got = c.fetch("stable", known=Known('"stale"', old))
    assert not got.not_modified and got.spec.version == "0.62.0"


def test_license_good(licensed_server: RunningServer, license: License) -> None:
    with client(licensed_server.url, license) as c:
        assert c.fetch("stable").spec.version == "0.62.0"


@pytest.mark.parametrize(
    ("given", "status", "words"),
    [(None, 401, "the server wants a license"), (License("LIC-wrong-0000"), 403, "not allowed")],
    ids=["missing", "bad"],
)
def test_license_missing_or_bad_fails_at_once(
    licensed_server: RunningServer, given: License | None, status: int, words: str
) -> None:
    before = licensed_server.requests()
    with client(licensed_server.url, given) as c:
        with pytest.raises(ChannelFetchError) as info:
            c.fetch("stable")
    assert (info.value.kind, info.value.status, info.value.attempts) == ("auth", status, 1)
    assert words in str(info.value) and "not retried" in str(info.value)
    assert licensed_server.requests() == before + 1  # no retry reached the server


def test_license_never_in_url_repr_error_or_logs(
    scripted: Callable[..., ScriptedServer], license: License, caplog: pytest.LogCaptureFixture
) -> None:
    echo = ('{"detail": "bad license ' + LICENSE_TEXT + '"}').encode()
    server = scripted(Reply(500, b"oops"), Reply(401, echo))
    caplog.set_level(logging.DEBUG)
    with client(server.url, license) as c:
        with pytest.raises(ChannelFetchError) as info:
            c.fetch("stable", "rel-x")
        texts = [repr(c), c.url_for("stable", "rel-x"), str(info.value), repr(info.value), caplog.text, repr(license)]
    assert "bad license <license>" in str(info.value)  # the echo was scrubbed, the rest kept
    for text in texts:
        assert LICENSE_TEXT not in text
    path, headers = server.seen[0]
    assert LICENSE_TEXT not in path and headers["Authorization"].startswith("Basic ")


def test_base_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError) as info:
        normalise_base_url(f"https://license:{LICENSE_TEXT}@channels.example.com")
    assert LICENSE_TEXT not in str(info.value) and "--license-file" in str(info.value)
    with pytest.raises(ValueError, match="http"):
        normalise_base_url("ftp://x")
    assert normalise_base_url("https://c.example.com/base/") == "https://c.example.com/base"


def test_pinned_release_is_a_single_url_segment(open_server: RunningServer) -> None:
    with client(open_server.url) as c:
        assert c.url_for("stable", "a/../b").endswith("/release/a%2F..%2Fb?channel=stable")


# -- retry policy ----------------------------------------------------------------------------


def test_status_verdicts() -> None:
    assert [verdict(s) for s in (200, 304, 429, 500, 502, 503, 401, 403, 404, 400)] == [
        "ok", "not-modified", "retry", "retry", "retry", "retry", "fail", "fail", "fail", "fail"
    ]


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0)
    rng = random.Random(7)
    for failures, step in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)):
        waits = {policy.backoff(failures, rng) for _ in range(50)}
        assert all(step / 2 <= w <= step for w in waits) and len(waits) > 1


def test_retry_after_forms() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:10 GMT", now) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_retry_after_is_honoured(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(Reply(429, b"", {"Retry-After": "2"}), Reply(200, spec_body()))
    waits: list[float] = []
    with client(server.url, sleep=waits.append) as c:
        got = c.fetch("stable")
    assert got.attempts == 2 and waits == [2.0]


def test_retry_after_past_the_budget_stops_at_once(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(Reply(503, b"", {"Retry-After": "120"}))
    waits: list[float] = []
    with client(server.url, sleep=waits.append) as c:
        with pytest.raises(ChannelFetchError) as info:
            c.fetch("stable")
    assert waits == [] and server.count == 1
    assert "Retry-After 120 s" in str(info.value) and "would pass the 5 s budget" in str(info.value)


def test_5xx_retried_up_to_max_attempts_with_growing_waits(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(Reply(500, b"boom"))
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=4, base_delay=0.1, max_delay=10, total=60)
    with ChannelClient(server.url, policy=policy, flights=SingleFlight(), sleep=waits.append) as c:
        with pytest.raises(ChannelFetchError) as info:
            c.fetch("stable")
    assert server.count == 4 and info.value.attempts == 4 and len(waits) == 3
    assert 0.05 <= waits[0] <= 0.1 and 0.1 <= waits[1] <= 0.2 and 0.2 <= waits[2] <= 0.4
    assert "HTTP 500" in str(info.value) and "gave up after 4 attempts" in str(info.value)


def test_default_policy_total_is_under_30_seconds() -> None:
    p = RetryPolicy()
    assert p.total < 30 and p.max_attempts > 1


def test_redirects_are_not_followed(scripted: Callable[..., ScriptedServer], license: License) -> None:
    server = scripted(Reply(302, b"", {"Location": "http://elsewhere.invalid/"}))
    with client(server.url, license) as c:
        with pytest.raises(ChannelFetchError) as info:
            c.fetch("stable")
    assert info.value.status == 302 and server.count == 1
