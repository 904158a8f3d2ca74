"""/healthz latency while clients with invalid tokens flood the service (issue 13's goal:
p99 < 50 ms).

    python bench/bench_flood.py [--flooders 4] [--seconds 10] [--probes 500]

Starts ``specmerge serve`` (directory backend) on 127.0.0.1, measures ``/healthz`` on one
keep-alive connection idle, then while ``--flooders`` threads send 1 MiB preview bodies with
wrong tokens (and some garbage) in a loop. Prints p50/p99/max for both and whether the goal
was met. The flood and probe code is the load test's (tests/service/test_service_load.py),
which asserts only a loose bound: shared CI cores make a 50 ms p99 a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "service")]
import test_service_load as load  # noqa: E402
from service_harness import start_server, stop_server  # noqa: E402

GOAL_P99_MS = 50.0


def _summary(latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p99 = statistics.quantiles(ms, n=100)[98]
    return f"p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flooders", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--probes", type=int, default=500)
    args = parser.parse_args()
    load.PROBES, load.FLOOD_SECONDS = args.probes, args.seconds
    server = start_server(Path(tempfile.mkdtemp(prefix="bench-flood-")))
    try:
        addr = load._address(server)
        idle = load._probe(addr)
        stop, sent = threading.Event(), [0]
        threads = [threading.Thread(target=load._flood, args=(addr, stop, i, sent), daemon=True)
                   for i in range(args.flooders)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        flooded = load._probe(addr)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        stop_server(server)
    p99 = statistics.quantiles([x * 1000 for x in flooded], n=100)[98]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"/healthz idle:    {_summary(idle)}")
    print(f"/healthz flooded: {_summary(flooded)}; {sent[0]} invalid requests from {args.flooders} threads")
    print(f"goal p99 < {GOAL_P99_MS:.0f} ms: {'met' if p99 < GOAL_P99_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
