"""Where a worker's time goes on /v1/preview: a sampling profile of the real server.

    python bench/profile_service.py [--duration 8] [--concurrency 2] [--top 40] [--scenario NAME]

Runs one service worker in this process exactly as ``specmerge serve`` builds it
(``build_service`` + ``create_app`` + the service's uvicorn config, on 127.0.0.1), loads it
from a *separate* process with bench_service.py's keep-alive client (distinct bodies by
default), and samples every server thread's stack every millisecond (the event loop: HTTP
parsing, request validation, JSON encoding; the preview thread: the pipeline). Prints
the functions by share of samples, inclusive (on the stack) and self (at the top).
cProfile sees one thread and inflates small calls; a sampler sees both threads at their
real proportions.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent

LOAD = """
import asyncio, json, sys
sys.path.insert(0, {bench!r})
import bench_service as b
lat, errors = asyncio.run(b._load({url!r}, b.SCENARIOS[{scenario!r}], {duration}, {conc}, {distinct}))
print(json.dumps({{"n": len(lat), "errors": errors}}))
"""


def where(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    for marker in ("site-packages/", "specmerge/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{code.co_name}"


#: A thread whose innermost Python frame is one of these is waiting, not working (uvloop's
#: poll is C code called from asyncio's runner).
IDLE = ("selectors.py:select", "threading.py:wait", "queue.py:get", "asyncio/runners.py:run")


class Sampler(threading.Thread):
    """Every ``interval`` seconds, the stacks of the threads in ``watched``."""

    def __init__(self, interval: float = 0.001) -> None:
        super().__init__(daemon=True)
        self.interval, self.stop = interval, threading.Event()
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.self_: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.ignored: set[int] = set()

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == me or ident in self.ignored:
                    continue
                stack, f = [], frame
                while f is not None:
                    stack.append(where(f))
                    f = f.f_back
                if stack[0].endswith(IDLE):
                    continue  # waiting for work (the event loop's poll, an idle pool thread)
                self.samples += 1
                self.self_[stack[0]] += 1
                for name in set(stack):
                    self.inclusive[name] += 1


def start_worker() -> tuple[object, threading.Thread, str]:
    """One service worker as ``specmerge serve`` builds it, on 127.0.0.1, in a thread."""
    import uvicorn

    from specmerge.service.app import create_app
    from specmerge.service.build import build_service
    from specmerge.service.connections import server_config
    from specmerge.service.settings import load_settings

    scratch = Path(tempfile.mkdtemp(prefix="profile-serve-"))
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "service")]
    from service_harness import TOKEN

    (scratch / "token").write_text(TOKEN + "\n")
    settings = load_settings(None, token_file=str(scratch / "token"), store_dir=str(scratch / "store"))
    server = uvicorn.Server(server_config(create_app(build_service(settings)), settings, host="127.0.0.1", port=0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--no-sample", action="store_true", help="only the CPU per request, no sampler")
    ap.add_argument("--scenario", default="values+provenance+render (distinct bodies)")
    args = ap.parse_args()
    server, thread, url = start_worker()

    def load(duration: float) -> dict[str, int]:
        code = LOAD.format(bench=str(BENCH), url=url, scenario=args.scenario, duration=duration,
                           conc=args.concurrency, distinct=args.scenario.endswith("(distinct bodies)"))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
        return json.loads(out.stdout.strip().splitlines()[-1])

    load(1.0)  # warm-up
    # A sampler thread only sees another thread's stack when that thread lets go of the GIL
    # (every 5 ms by default, or in native code): switch often so Python code is not
    # under-sampled against native calls.
    sampler = Sampler()
    sampler.ignored.add(threading.get_ident())
    if not args.no_sample:
        sys.setswitchinterval(0.0002)
        sampler.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    result = load(args.duration)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if not args.no_sample:
        sampler.stop.set()
        sampler.join()
    cpu_ms = ((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)) * 1000
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(5)
    n = max(sampler.samples, 1)
    print(f"{result['n']} requests ({result['n'] / args.duration:.1f}/s, {result['errors']} errors); "
          f"{sampler.samples} busy samples; server CPU {cpu_ms / max(result['n'], 1):.1f} ms per request "
          f"({'no sampler' if args.no_sample else 'sampler included'})")
    for title, counts in (("inclusive %", sampler.inclusive), ("self %", sampler.self_)):
        print(f"\n{title:>11}  function")
        for name, count in counts.most_common(args.top):
            print(f"{100 * count / n:10.1f}%  {name}")


if __name__ == "__main__":
    main()
