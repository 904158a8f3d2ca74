"""The console page on a 5,000-leaf spec, measured in the browser (Debian's chromium).

    python bench/bench_console.py [--leaves 5000] [--runs 5] [--write bench/console.md]

Starts ``specmerge serve`` (directory store, embedded channel, bundled chart) on 127.0.0.1,
stores a console layer with ``--leaves`` feature flags (``features.flagNNNN``: the chart's
one open map) and drives the page with Playwright:

* time to interactive: from pressing Open to the table's first page rendered and the
  controls enabled (``performance.mark("console:interactive")``), which includes the GET of
  the values, the preview with provenance of every leaf, and building the rows; and from
  navigation to interactive for a signed-in tab (page load + the same);
* filter: from the input event to the next frame after the table re-rendered, for a text
  filter, a layer filter and "overridden only" over all rows.

Prints a table; ``--write`` also renders it as markdown (then ``bash bench/collect.sh``).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
sys.path[:0] = [str(REPO), str(TESTS), str(TESTS / "console")]
from console_harness import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from service.service_harness import TOKEN, VALID_USER, start_server, stop_server  # noqa: E402

INSTANCE = "bench/console"

FILTER_JS = """async ([selector, value]) => {
  const el = document.querySelector(selector);
  const t0 = performance.now();
  if (el.type === 'checkbox') { el.checked = value; el.dispatchEvent(new Event('change')); }
  else if (el.tagName === 'SELECT') { el.value = value; el.dispatchEvent(new Event('change')); }
  else { el.value = value; el.dispatchEvent(new Event('input')); }
  const rendered = performance.now() - t0;
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [rendered, performance.now() - t0, document.querySelector('#table-count').textContent];
}"""

FILTERS: list[tuple[str, str, Any]] = [
    ("text 'flag12' (one keystroke)", "#filter-text", "flag12"),
    ("text 'flag4999'", "#filter-text", "flag4999"),
    ("clear text", "#filter-text", ""),
    ("layer = console", "#filter-layer", "user"),
    ("layer = all", "#filter-layer", ""),
    ("overridden only", "#filter-overridden", True),
    ("overridden off", "#filter-overridden", False),
]


def seed(url: str, leaves: int) -> int:
    values = {**VALID_USER, "features": {f"flag{i:04d}": i % 2 == 0 for i in range(leaves)}}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as api:
        r = api.put(f"/v1/instances/{INSTANCE}/user-values", json=values, headers={"If-None-Match": "*"})
        r.raise_for_status()
        preview = api.post("/v1/preview", json={"instance": dict(zip(("namespace", "name"), INSTANCE.split("/")))})
        preview.raise_for_status()
        return len(preview.json()["provenance"])


def interactive_ms(page: Any) -> float:
    return float(page.evaluate(
        "() => { const m = performance.getEntriesByName('console:interactive').pop();"
        " const s = performance.getEntriesByName('bench:open').pop(); return m.startTime - s.startTime; }"))


def measure(url: str, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {"open": [], "load": [], "filters": {name: [] for name, _, _ in FILTERS}}
    with tempfile.TemporaryDirectory(prefix="bench-chromium-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                   args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(120_000)
        page = ctx.new_page()
        page.goto(f"{url}/console/")
        page.fill("#token", TOKEN)
        page.click("#login button")
        page.wait_for_selector("#session:not([hidden])")
        for _ in range(runs):
            page.evaluate("() => { performance.clearMarks(); }")
            page.fill("#instance", INSTANCE)
            page.evaluate("() => performance.mark('bench:open')")
            page.click("#open")
            page.wait_for_function("() => performance.getEntriesByName('console:interactive').length > 0")
            out["open"].append(interactive_ms(page))
        for _ in range(runs):
            fresh = ctx.new_page()  # a new tab: sign in through sessionStorage, then open
            fresh.add_init_script(f"sessionStorage.setItem('specmerge.console.token', {TOKEN!r})")
            t0 = time.perf_counter()
            fresh.goto(f"{url}/console/")
            fresh.fill("#instance", INSTANCE)
            fresh.click("#open")
            fresh.wait_for_function("() => performance.getEntriesByName('console:interactive').length > 0")
            out["load"].append((time.perf_counter() - t0) * 1000)
            fresh.close()
        for _ in range(runs):
            for name, selector, value in FILTERS:
                rendered, painted, count = page.evaluate(FILTER_JS, [selector, value])
                out["filters"][name].append((rendered, painted, count))
        ctx.close()
    return out


def report(leaves: int, rows: int, runs: int, m: dict[str, Any]) -> str:
    med = statistics.median
    lines = [
        "# Console page (issue 16)",
        "",
        f"`python bench/bench_console.py --leaves {leaves} --runs {runs}` on {platform.machine()}, "
        f"Python {platform.python_version()}, Debian chromium headless; `specmerge serve` (one process) "
        "on 127.0.0.1 on the same 2 cores. Medians of the runs.",
        "",
        f"Spec: {rows} leaves in the table ({leaves} console feature flags + the chart's and channel's values).",
        "",
        "| measurement | median ms | max ms |",
        "| --- | ---: | ---: |",
        f"| time to interactive: Open pressed -> table rendered (GET + preview with provenance + rows) "
        f"| {med(m['open']):.0f} | {max(m['open']):.0f} |",
        f"| time to interactive: new signed-in tab, navigation -> table rendered "
        f"| {med(m['load']):.0f} | {max(m['load']):.0f} |",
    ]
    for name, samples in m["filters"].items():
        painted = [s[1] for s in samples]
        rendered = [s[0] for s in samples]
        lines.append(f"| filter {name}: input -> rows re-rendered (next frame) | {med(rendered):.1f} ({med(painted):.1f}) "
                     f"| {max(rendered):.1f} ({max(painted):.1f}) |")
    lines += ["", "The table renders one page (50 rows) of the filtered rows; filtering scans every row's "
              "precomputed lower-case text, so its cost grows with the leaves, not with the DOM."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaves", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        server = start_server(Path(tmp))
        try:
            rows = seed(server.url, args.leaves)
            m = measure(server.url, args.runs)
        finally:
            stop_server(server)
    text = report(args.leaves, rows, args.runs, m)
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
