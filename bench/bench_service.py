"""Load /v1/preview of a real ``specmerge serve`` from this (separate) process.

    python bench/bench_service.py [--duration 10] [--concurrency 8] [--scenario all]

Starts the server (directory backend, embedded channel, bundled chart) as a subprocess on
127.0.0.1, warms it up, then for each scenario keeps ``--concurrency`` keep-alive requests
in flight for ``--duration`` seconds (asyncio + httpx) and prints throughput, p50, p99
and errors. Both processes share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "service"))
from service_harness import TOKEN, VALID_USER, start_server, stop_server  # noqa: E402

SCENARIOS: dict[str, dict[str, Any]] = {
    "values": {"user": VALID_USER, "provenance": False},
    "values+provenance": {"user": VALID_USER},
    "values+provenance+render": {"user": VALID_USER, "render": {"enabled": True}},
}


async def _load(url: str, body: dict[str, Any], duration: float, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, limits=limits,
                                 timeout=30) as client:
        end = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                r = await client.post("/v1/preview", json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--scenario", default="all", choices=["all", *SCENARIOS])
    args = ap.parse_args()
    server = start_server(Path(tempfile.mkdtemp(prefix="bench-serve-")), "--log-level", "WARNING")
    try:
        names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
        print(f"{'scenario':28} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for name in names:
            body = SCENARIOS[name]
            asyncio.run(_load(server.url, body, 1.0, 2))  # warm-up: chart load, caches
            lat, errors = asyncio.run(_load(server.url, body, args.duration, args.concurrency))
            lat.sort()
            p50 = statistics.median(lat) * 1000
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            print(f"{name:28} {args.concurrency:>4} {len(lat) / args.duration:>8.1f} {p50:>8.1f} {p99:>8.1f} {errors:>6}")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
