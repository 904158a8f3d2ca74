"""Load /v1/preview of a real ``specmerge serve`` from this (separate) process.

    python bench/bench_service.py [--duration 10] [--concurrency 1,4,8] [--workers 1,2]
                                  [--scenario all] [--write bench/service.md]

For each worker count, starts the server (directory backend, embedded channel, bundled
chart) as a subprocess on 127.0.0.1; for each scenario and concurrency, warms it up, then
keeps that many keep-alive requests in flight for ``--duration`` seconds (asyncio, raw
keep-alive HTTP/1.1 connections) and records throughput, p50, p99 and errors. Both
processes share this machine's cores. Also times the preview's stages in-process (min of
5 batches), so a regression can be traced to one. ``--write`` renders the markdown report,
including whether the issue's goal (>= 200 req/s at p99 <= 50 ms) was met and where.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
sys.path[:0] = [str(REPO), str(TESTS), str(TESTS / "service")]  # the harness imports tests/procs.py
from service_harness import TOKEN, VALID_USER, start_server, stop_server  # noqa: E402

SCENARIOS: dict[str, dict[str, Any]] = {
    "values": {"user": VALID_USER, "provenance": False},
    "values+provenance": {"user": VALID_USER},
    "values+provenance+render": {"user": VALID_USER, "render": {"enabled": True}},
    # every request differs (a feature flag of its own): no memo or cache answers it
    "values+provenance+render (distinct bodies)": {"user": VALID_USER, "render": {"enabled": True}},
}
GOAL_RPS, GOAL_P99_MS = 200.0, 50.0  # issue 7, cache-friendly bodies
#: Issue 13's goal where no memo or cache can answer: with render, distinct bodies, --workers 2.
GOALS: dict[str, tuple[float, float]] = {"values+provenance+render (distinct bodies)": (100.0, 80.0)}


def goal(scenario: str) -> tuple[float, float]:
    return GOALS.get(scenario, (GOAL_RPS, GOAL_P99_MS))


@dataclass
class Row:
    scenario: str
    workers: int
    concurrency: int
    rps: float
    p50: float
    p99: float
    errors: int

    @property
    def meets_goal(self) -> bool:
        rps, p99 = goal(self.scenario)
        return self.errors == 0 and self.rps >= rps and self.p99 <= p99


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


def _raw(host: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    return (f"POST /v1/preview HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload


def _distinct(body: dict[str, Any], n: int) -> dict[str, Any]:
    """``body`` with a feature flag no other request has: nothing can be answered from a cache."""
    user = dict(body.get("user") or {})
    user["features"] = {**(user.get("features") or {}), f"bench{n}": n % 2 == 0}
    return {**body, "user": user}


async def _load(url: str, body: dict[str, Any], duration: float, concurrency: int,
                distinct: bool = False) -> tuple[list[float], int]:
    host, port = url.removeprefix("http://").split(":")
    raw = _raw(host, body)
    counter = iter(range(10**9))
    latencies: list[float] = []
    errors = 0
    end = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port), limit=2**24)
        try:
            while time.perf_counter() < end:
                request = _raw(host, _distinct(body, next(counter))) if distinct else raw
                t0 = time.perf_counter()
                status = await _request(reader, writer, request)
                latencies.append(time.perf_counter() - t0)
                errors += status != 200
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


def measure(url: str, name: str, workers: int, concurrency: int, duration: float, distinct: bool = False) -> Row:
    body = SCENARIOS[name]
    distinct = distinct or name.endswith("(distinct bodies)")
    asyncio.run(_load(url, body, 1.0, max(2, concurrency), distinct))  # warm-up: chart load, caches, every worker
    lat, errors = asyncio.run(_load(url, body, duration, concurrency, distinct))
    if not lat:
        raise SystemExit(f"{name}: no request finished in {duration:g} s")
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return Row(name, workers, concurrency, len(lat) / duration, statistics.median(lat) * 1000, p99 * 1000, errors)


def stages() -> list[tuple[str, float]]:
    """Milliseconds per stage of one preview, in-process (min over 5 batches)."""
    from specmerge.channels import ChannelRequest, Resolver, list_embedded
    from specmerge.core import Redactor, layer_from_values
    from specmerge.core.report import chain_dict
    from specmerge.pipeline import PlanInputs, Rendering, plan
    from specmerge.render import documents, helm_values, mask_secrets, render
    from specmerge.render.manifests import _secret_masked
    from specmerge.service.specs import provenance_dicts

    channel = Resolver(None, None, airgapped=True, embedded=list_embedded).resolve(ChannelRequest("stable")).spec
    user = layer_from_values("user", "request:user", VALID_USER)
    p = plan(PlanInputs(channel=channel, user=user, render=False))
    redactor = Redactor(p.chart.schema)
    chains = p.effective.provenance()
    rendered = render(p.chart, helm_values(p.effective, p.chart.values), prevalidated=True)
    docs = documents(rendered)

    def best(fn: Callable[[], object], n: int = 40) -> float:
        for _ in range(3):
            fn()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - t) / n * 1000)
        return min(times)

    return [
        ("plan: merge + validate (chart cached)", best(lambda: plan(PlanInputs(channel=channel, user=user, render=False)))),
        ("mask effective values", best(lambda: Redactor(p.chart.schema).mask(p.effective.with_controls))),
        (f"provenance of {len(chains)} leaves", best(p.effective.provenance)),
        ("provenance as masked JSON data (no memo)", best(lambda: [chain_dict(c, redactor) for c in chains.values()])),
        ("provenance walk + masked JSON data, as a preview makes it (shared chains remembered)",
         best(lambda: provenance_dicts(p, redactor))),
        ("render with Helm's engine", best(lambda: render(p.chart, helm_values(p.effective, p.chart.values),
                                                          prevalidated=True), 10)),
        ("masked render (differential: what a preview shows)",
         best(lambda: Rendering(p.chart, p.effective, p.inputs.options, p.helm_values).shown(), 10)),
        ("mask rendered Secrets (remembered per document)", best(lambda: mask_secrets(docs, redactor, scrub=False), 10)),
        ("mask rendered Secrets (first time: 2 YAML parses each)",
         best(lambda: [_secret_masked(d.text, "Secret" in d.text) for d in docs if "Secret" in d.text], 10)),
    ]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def report(rows: list[Row], stage_ms: list[tuple[str, float]], args: argparse.Namespace, load: str,
           load_after: str) -> str:
    met = [r for r in rows if r.meets_goal]
    one = args.scenario != "all"
    title = ("# /v1/preview with render and per-request-distinct bodies (issue 13 goal)" if args.scenario in GOALS
             else "# /v1/preview benchmark (issue 7)")
    scenario = f'--scenario "{args.scenario}" ' if one else ""
    lines = [
        title,
        "",
        f"`python bench/bench_service.py {scenario}--workers {args.workers} --concurrency {args.concurrency} "
        f"--duration {args.duration:g} --write {args.write}` starts `specmerge serve [--workers N]` (directory "
        "backend, embedded `stable` channel, bundled `charts/platform`) as a subprocess on 127.0.0.1 and loads "
        "`POST /v1/preview` from the benchmark's own process: asyncio with raw keep-alive HTTP/1.1 connections "
        "(httpx costs ~1 ms of CPU per request, which on 2 shared cores would be billed as server time). A "
        f"warm-up, then {args.duration:g} s of closed-loop load with `conc` requests in flight. The body is the "
        "console example's user layer (`VALID_USER` in `tests/service/service_harness.py`).",
        "",
        "Scenarios: `values` — masked effective values, warnings, violations (`\"provenance\": false`); "
        "`values+provenance` — the default request: plus the provenance of every leaf; "
        "`values+provenance+render` — plus the chart rendered by Helm's engine, Secrets masked.",
        "",
        f"Machine: {os.cpu_count()} vCPU ({cpu_model()}), shared with other "
        f"sessions (load average before the run: {load}; after it: {load_after}); server and load generator share "
        "the cores. "
        "Figures move by ±20 % between runs.",
        "",
        "| scenario | workers | conc | req/s | p50 ms | p99 ms | errors | goal |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in rows:
        lines.append(f"| {r.scenario} | {r.workers} | {r.concurrency} | {r.rps:.1f} | {r.p50:.1f} | {r.p99:.1f} | "
                     f"{r.errors} | {'yes' if r.meets_goal else 'no'} |")
    goals = sorted({goal(name) for name in SCENARIOS if not one or name == args.scenario}, reverse=True)
    lines += ["", "**Goal (" + "; ".join(f">= {rps:.0f} req/s at p99 <= {p99:.0f} ms" for rps, p99 in goals) + ")**: "]
    for name in SCENARIOS if not one else [args.scenario]:
        if not any(r.scenario == name for r in rows):
            lines[-1] += f"`{name}` not measured; "
            continue
        hits = [f"{r.workers} worker{'s' if r.workers > 1 else ''} at conc {r.concurrency}"
                for r in met if r.scenario == name]
        verdict = "met with " + ", ".join(hits) if hits else "not met"
        lines[-1] += f"`{name}` {verdict}; "
    lines[-1] = lines[-1].rstrip("; ") + "."
    lines += ["", "In-process cost of one preview's stages (min over 5 batches; ms):", "",
              "| stage | ms |", "|---|---:|"]
    lines += [f"| {name} | {value:.2f} |" for name, value in stage_ms]
    lines += ["", "Throughput is about workers / (CPU per request) while cores are free: one process runs one "
              "preview at a time (CPU-bound Python under the GIL), so `--workers 2` roughly doubles it on 2 cores "
              "— keep-alive connections stay with the worker that accepted them, and a worker that already holds "
              "connections lets the others accept first (`specmerge.service.connections.TakingTurns`), so the "
              "benchmark's connections are split evenly (before, all 4 often landed on one worker)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--concurrency", default="1,4,8", help="comma-separated")
    ap.add_argument("--workers", default="1,2", help="comma-separated `serve --workers` values")
    ap.add_argument("--scenario", default="all", choices=["all", *SCENARIOS])
    ap.add_argument("--write", type=Path, help="write the markdown report here")
    ap.add_argument("--distinct", action="store_true",
                    help="every request's body differs (a numbered pod annotation): no content-keyed cache hits")
    args = ap.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    rows: list[Row] = []
    print(f"{'scenario':28} {'wrk':>3} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}", flush=True)
    for workers in (int(w) for w in args.workers.split(",")):
        scratch = Path(tempfile.mkdtemp(prefix="bench-serve-"))
        server = start_server(scratch, "--log-level", "WARNING", "--workers", str(workers))
        try:
            for name in names:
                for conc in (int(c) for c in args.concurrency.split(",")):
                    r = measure(server.url, name, workers, conc, args.duration, args.distinct)
                    rows.append(r)
                    print(f"{name:28} {workers:>3} {conc:>4} {r.rps:>8.1f} {r.p50:>8.1f} {r.p99:>8.1f} {r.errors:>6}",
                          flush=True)
        finally:
            stop_server(server)
            shutil.rmtree(scratch, ignore_errors=True)
    stage_ms = stages()
    for name, value in stage_ms:
        print(f"{name:40} {value:8.2f} ms")
    if args.write:
        load_after = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        args.write.write_text(report(rows, stage_ms, args, load, load_after), encoding="utf-8")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
