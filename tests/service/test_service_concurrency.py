"""50 concurrent console writers on one instance (GET -> PUT If-Match): every write lands
or gets 412, the successful writes form one chain of ETags (no two replaced the same
document: no lost update), and the stored document is the chain's last write. Run against
one process and against ``--workers 2``, where the writers' requests land in different
processes and only the store's cross-process lock keeps the chain whole."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import pytest

from service_harness import TOKEN, VALID_USER, Server, create, values_url

WRITERS = 50
ATTEMPTS = 4


async def _writer(client: httpx.AsyncClient, url: str, i: int, read: asyncio.Barrier) -> list[dict[str, Any]]:
    """Up to ATTEMPTS tries (GET -> PUT) until one lands; every attempt is recorded."""
    attempts = []
    for attempt in range(ATTEMPTS):
        got = await client.get(url)
        if attempt == 0:
            await read.wait()  # everyone has read before anyone writes: maximal contention
        doc = copy.deepcopy(VALID_USER)
        doc["features"] = {f"writer{i}": True, f"attempt{attempt}": True}
        r = await client.put(url, json=doc, headers={"If-Match": got.headers["etag"]})
        attempts.append({"status": r.status_code, "if_match": got.headers["etag"], "etag": r.headers.get("etag"), "doc": doc})
        if r.status_code != 412:
            break
    return attempts


async def _race(server: Server, url: str) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=WRITERS)
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {TOKEN}"},
                                 timeout=60, limits=limits) as client:
        barrier = asyncio.Barrier(WRITERS)
        per_writer = await asyncio.gather(*(_writer(client, url, i, barrier) for i in range(WRITERS)))
        return [a for attempts in per_writer for a in attempts]


@pytest.mark.parametrize("which", ["server", "workers_server"])
def test_concurrent_writers_lose_no_update(which: str, request: pytest.FixtureRequest, instance: str) -> None:
    server: Server = request.getfixturevalue(which)
    api = server.client()
    start = create(api, instance).headers["etag"]
    url = values_url(instance)
    results = asyncio.run(_race(server, url))
    assert {r["status"] for r in results} <= {200, 412}
    wins = [r for r in results if r["status"] == 200]
    assert len(wins) > 1, "the race should let several writes land in turn"
    # each success replaced a distinct document: a chain start -> ... -> end
    replaced = [w["if_match"] for w in wins]
    assert len(set(replaced)) == len(replaced), "two writes replaced the same document (lost update)"
    by_parent = {w["if_match"]: w for w in wins}
    tag, last = start, None
    while tag in by_parent:
        last = by_parent.pop(tag)
        tag = last["etag"]
    assert not by_parent and last is not None, "successful writes do not form one chain"
    final = api.get(url, params={"showSecrets": "true"})
    assert final.headers["etag"] == last["etag"]
    assert final.json()["values"] == last["doc"]
