"""Load /v1/preview of a real ``specmerge serve`` from this (separate) process.

    python bench/bench_service.py [--duration 10] [--concurrency 8] [--scenario all]

Starts the server (directory backend, embedded channel, bundled chart) as a subprocess on
127.0.0.1, warms it up, then for each scenario keeps ``--concurrency`` keep-alive requests
in flight for ``--duration`` seconds (asyncio, raw keep-alive HTTP/1.1 connections) and prints throughput, p50, p99
and errors. Both processes share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path[:0] = [str(TESTS), str(TESTS / "service")]  # the harness imports tests/procs.py
from service_harness import TOKEN, VALID_USER, start_server, stop_server  # noqa: E402

SCENARIOS: dict[str, dict[str, Any]] = {
    "values": {"user": VALID_USER, "provenance": False},
    "values+provenance": {"user": VALID_USER},
    "values+provenance+render": {"user": VALID_USER, "render": {"enabled": True}},
}


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    """One keep-alive request on a raw connection; returns the status. httpx costs ~1 ms of
    CPU per request, which on 2 shared cores would be measured as server time."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _load(url: str, body: dict[str, Any], duration: float, concurrency: int) -> tuple[list[float], int]:
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    raw = (f"POST /v1/preview HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port), limit=2**24)
        try:
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                status = await _request(reader, writer, raw)
                latencies.append(time.perf_counter() - t0)
                errors += status != 200
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--scenario", default="all", choices=["all", *SCENARIOS])
    ap.add_argument("--workers", type=int, default=1, help="specmerge serve --workers")
    args = ap.parse_args()
    server = start_server(Path(tempfile.mkdtemp(prefix="bench-serve-")), "--log-level", "WARNING",
                          "--workers", str(args.workers))
    try:
        names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
        print(f"{'scenario':28} {'wrk':>3} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for name in names:
            body = SCENARIOS[name]
            asyncio.run(_load(server.url, body, 1.0, 2))  # warm-up: chart load, caches
            lat, errors = asyncio.run(_load(server.url, body, args.duration, args.concurrency))
            lat.sort()
            p50 = statistics.median(lat) * 1000
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            print(f"{name:28} {args.workers:>3} {args.concurrency:>4} {len(lat) / args.duration:>8.1f} {p50:>8.1f} {p99:>8.1f} {errors:>6}")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
