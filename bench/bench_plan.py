"""In-process ``plan()`` against a whole ``helm template`` process (issue 12: >= 10x faster).

    python3 bench/bench_plan.py [--pairs N] [--plans N] [--helm PATH] [--write bench/plan.md]

Workload (as bench/bench_cli.py's last row): the bundled chart (charts/platform) with the
embedded stable channel, ``-f examples/env/prod.yaml`` and two ``--set`` flags; ``plan()``
merges, validates with attribution and renders (Helm's engine, in-process, from the masked
values: the chart has secrets). ``helm template`` gets the channel's values as a ``-f`` file.

Figures:

* the first call in a fresh process (chart load and parse, schema compile, layer reads), and
  what importing ``specmerge.pipeline`` cost before it;
* warm calls (the second and later in one process: what the service and a resident CLI see),
  median and p90 wall time, and the median CPU time of the calling thread (Helm's render runs
  on it; the Go runtime's background GC workers do not), which a busy machine disturbs less;
* where a warm call goes: Helm's native render call alone, and the rest (specmerge's own);
* ``helm template`` (one process per render), median;
* the ratio, from paired rounds: each round runs ``helm template`` once and ``--plans`` warm
  plans, so both see the same machine load; the figure is the median of the per-round ratios.

Figures only, no assertions: targets are judged by reading them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "bench"))
from parity import find_helm  # noqa: E402

OVERLAY = REPO / "examples" / "env" / "prod.yaml"
SETS = ["app.replicaCount=4", "console.image.tag=2.13.5"]


def _p90(xs: list[float]) -> float:
    return sorted(xs)[min(len(xs) - 1, int(len(xs) * 0.9))]


def first_call() -> tuple[float, float]:
    """(import seconds, first ``plan()`` seconds) in a fresh interpreter."""
    code = (
        "import json, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from specmerge.cli.inputs import InputFlags\n"
        "from specmerge.pipeline import plan\n"
        "t1 = time.perf_counter()\n"
        f"inputs = InputFlags(values=[{str(OVERLAY)!r}], set_={SETS!r}).plan_inputs(render=True)\n"
        "plan(inputs)\n"
        "print(json.dumps([t1 - t0, time.perf_counter() - t1]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    runs = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                              cwd=tempfile.gettempdir(), timeout=300)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


class NativeTimer:
    """Times Helm's native calls (``helm_render``) made while it is installed: each warm plan's
    native share is read off it, so "the rest" is measured within the same calls."""

    def __init__(self) -> None:
        from specmerge.render import engine

        self._native = engine._native
        self._real = engine._native.call_string
        self.spent = 0.0

    def __call__(self, *args: object) -> str:
        t = time.perf_counter()
        try:
            return self._real(*args)
        finally:
            self.spent += time.perf_counter() - t

    def __enter__(self) -> NativeTimer:
        self._native.call_string = self
        return self

    def __exit__(self, *exc: object) -> None:
        self._native.call_string = self._real


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=11, help="paired rounds (one helm template each)")
    parser.add_argument("--plans", type=int, default=15, help="warm plans per round")
    parser.add_argument("--helm")
    parser.add_argument("--write", type=Path)
    opts = parser.parse_args()
    helm = find_helm(opts.helm)
    load_before = os.getloadavg()
    imported, first = first_call()

    from specmerge.channels import load_embedded
    from specmerge.cli.inputs import InputFlags
    from specmerge.pipeline import plan

    inputs = InputFlags(values=[OVERLAY], set_=SETS).plan_inputs(render=True)
    plan(inputs)
    walls: list[float] = []
    cpus: list[float] = []
    helms: list[float] = []
    ratios: list[float] = []
    natives: list[float] = []
    rests: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        channel = Path(tmp) / "channel.json"
        channel.write_text(json.dumps(load_embedded("stable", None).values))
        cmd = [helm, "template", "specmerge", str(REPO / "charts" / "platform"), "-f", str(channel),
               "-f", str(OVERLAY), *(a for s in SETS for a in ("--set", s))]
        subprocess.run(cmd, capture_output=True, check=True, timeout=300)  # warm the page cache
        for _ in range(opts.pairs):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, timeout=300)
            helms.append(time.perf_counter() - t)
            round_walls = []
            with NativeTimer() as native:
                for _ in range(opts.plans):
                    native.spent = 0.0
                    t, c = time.perf_counter(), time.thread_time()
                    plan(inputs)
                    round_walls.append(time.perf_counter() - t)
                    cpus.append(time.thread_time() - c)
                    natives.append(native.spent)
                    rests.append(round_walls[-1] - native.spent)
            walls.extend(round_walls)
            ratios.append(helms[-1] / statistics.median(round_walls))
    warm = statistics.median(walls)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    rows = [
        ("first `plan()` in a fresh process (after imports) / importing `specmerge.pipeline` + the CLI inputs",
         f"{first * 1000:.0f} ms / {imported * 1000:.0f} ms"),
        ("warm `plan()`: median / p90 (wall)", f"**{warm * 1000:.2f} ms** / {_p90(walls) * 1000:.2f} ms"),
        ("warm `plan()`: median CPU time of the calling thread", f"{statistics.median(cpus) * 1000:.2f} ms"),
        ("of a warm `plan()` (medians over the same calls): Helm's native render call / the rest, specmerge's own",
         f"{statistics.median(natives) * 1000:.2f} ms / {statistics.median(rests) * 1000:.2f} ms"),
        ("`helm template` (whole process), median", f"{statistics.median(helms) * 1000:.0f} ms"),
        ("ratio `helm template` / warm `plan()` (median of per-round ratios; range)",
         f"**{statistics.median(ratios):.1f}x faster** ({min(ratios):.1f}x-{max(ratios):.1f}x)"),
    ]
    load = f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    text = ("# In-process `plan()` vs `helm template` (issue 12) - `python3 bench/bench_plan.py --write bench/plan.md`\n\n"
            f"Produced by `python3 bench/bench_plan.py` ({machine}; {opts.pairs} rounds of 1 `helm template` + "
            f"{opts.plans} warm plans; {load}; the machine is shared, so read ratios and CPU time, not absolute "
            "wall times).\n\n| measurement | value |\n| --- | --- |\n"
            + "\n".join(f"| {k} | {v} |" for k, v in rows) + "\n")
    print(text)
    if opts.write:
        opts.write.write_text(text + NOTES)


NOTES = """
Where a warm `plan()` goes (cProfile of specmerge's side with Helm's answer replayed, and the
native call timed alone): Helm's render (`helm_render`: values decode, coalesce with the chart's
defaults, parse and execute every template, encode the output) is three quarters of it and is
Helm's own; the Go runtime's garbage collector runs about every second render there (its heap
target is 4-8 MB), which is most of the spread between the native call's minimum and its median.
specmerge's own ~1.1 ms (quiet machine) is a handful of walks over the ~240 nodes of the effective
values, none dominant: the masking walk for the masked render (the chart has secrets), the
defaults walks that decide what Helm is handed (`helm_values`, `for_engine`), the merge, the chart
directory's stat walk (an edit is seen on the next call), the render guard's taint walk over the
layers a request supplies, validation (jsonschema-rs), and the values/output JSON of the native
call. Nothing is remembered between calls except what is keyed by identity or content (chart by
digest, shared layers, schema answers per schema object), so every figure here is the work, not
a cache hit.

The first call in a process adds the chart load (Helm parses it; one archive save for the
schema-less copy), the schema compile, the layer reads and the first masking walk, whose answers
per path are then remembered per schema (one schema step per path: `SchemaMemo`).

Outside specmerge: Go reads `GOGC` only from the environment the process started with (setting
it from Python before Helm's library loads has no effect). With `GOGC=400` in the environment of
the process, the native call's median fell from ~4.1 to ~3.4 ms here (+15 MB peak RSS); a
resident process (the service, a CLI daemon) can be started that way.
"""

if __name__ == "__main__":
    main()
