"""Single-flight: 50 concurrent callers for one (base, license, channel, release) make one
request, counted on the server. The scripted loopback server holds its answer until all
49 followers are waiting (read from the flight table), so the test does not depend on
timing; the real server's 1,000-caller figure is in bench/channels.md."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from channelkit import FAST, Reply, ScriptedServer, spec_body

from specmerge.channels.client import ChannelClient, ChannelFetchError, Fetched
from specmerge.channels.license import License
from specmerge.channels.singleflight import SingleFlight


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)


def run_50(client: ChannelClient, flights: SingleFlight[Fetched], gate: threading.Event, key: tuple) -> list:
    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(client.fetch, "stable") for _ in range(50)]
        wait_for(lambda: flights.followers(key) == 49, "49 callers waiting on one flight")
        gate.set()
        out = []
        for f in futures:
            try:
                out.append(f.result(timeout=30))
            except ChannelFetchError as exc:
                out.append(exc)
        return out


def test_50_concurrent_callers_make_1_request(scripted: Callable[..., ScriptedServer], license: License) -> None:
    gate = threading.Event()
    server = scripted(Reply(200, spec_body(), gate=gate))
    flights: SingleFlight[Fetched] = SingleFlight()
    with ChannelClient(server.url, license, policy=FAST, flights=flights) as c:
        results = run_50(c, flights, gate, (c.base_url, license.fingerprint, "stable", None))
    assert server.count == 1
    assert len({r.spec.digest() for r in results}) == 1
    assert sum(not r.shared for r in results) == 1  # one leader; it alone would write the cache


def test_followers_share_the_leaders_failure(scripted: Callable[..., ScriptedServer]) -> None:
    gate = threading.Event()
    server = scripted(Reply(404, b"", gate=gate))
    flights: SingleFlight[Fetched] = SingleFlight()
    with ChannelClient(server.url, policy=FAST, flights=flights) as c:
        results = run_50(c, flights, gate, (c.base_url, None, "stable", None))
    assert server.count == 1
    assert all(isinstance(r, ChannelFetchError) and r.kind == "not-found" for r in results)


def test_different_keys_do_not_share_and_the_key_frees_after_the_call(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(Reply(200, spec_body()))
    with ChannelClient(server.url, policy=FAST, flights=SingleFlight()) as c:
        c.fetch("stable")
        c.fetch("stable")
        c.fetch("stable", "0.62.0")
    assert server.count == 3


def test_asyncio_callers_share_a_flight_through_threads(scripted: Callable[..., ScriptedServer]) -> None:
    import asyncio

    gate = threading.Event()
    server = scripted(Reply(200, spec_body(), gate=gate))
    flights: SingleFlight[Fetched] = SingleFlight()

    async def main(c: ChannelClient) -> list[Fetched]:
        # the default executor has min(32, CPUs + 4) threads: too few for 8 waiting callers here
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=8))
        tasks = [asyncio.create_task(asyncio.to_thread(c.fetch, "stable")) for _ in range(8)]
        key = (c.base_url, None, "stable", None)
        while flights.followers(key) < 7:
            await asyncio.sleep(0.005)  # the loop stays free while callers wait
        gate.set()
        return await asyncio.gather(*tasks)

    with ChannelClient(server.url, policy=FAST, flights=flights) as c:
        results = asyncio.run(asyncio.wait_for(main(c), 30))
    assert server.count == 1 and len(results) == 8
