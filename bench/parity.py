"""Parity corpus runner: ``specmerge render`` against ``helm template`` on charts you have.

    python3 bench/parity.py CHART_DIR... [--helm PATH] [--set EXPR ...]

Each chart is rendered with no overlay and then with each of its ``examples/*.yaml`` as
``-f``, by both tools, with the same release name and namespace (``--set`` flags given here
are added to every case). ``specmerge render`` runs with ``--show-secrets`` (Helm shows
them) and no channel layer (``--chart`` brings none unless asked). A case is ``identical``
when stdout is byte-equal and both exit 0, ``both fail`` when both exit non-zero, else
``differs`` with the first differing lines. Exit status: 0 when every case is identical or
fails in both, 1 otherwise.

The helm binary: ``--helm``, else ``$SPECMERGE_HELM``, else the one tests/cluster/build.sh
builds (``~/.cache/specmerge/bin/helm-v4.2.3``), else ``helm`` on PATH.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RELEASE, NAMESPACE = "parity", "default"


def find_helm(given: str | None) -> str:
    cache = Path(os.environ.get("SPECMERGE_CACHE", Path.home() / ".cache" / "specmerge")) / "bin" / "helm-v4.2.3"
    for candidate in (given, os.environ.get("SPECMERGE_HELM"), str(cache) if cache.exists() else None, shutil.which("helm")):
        if candidate:
            return candidate
    sys.exit("parity: no helm binary (give --helm PATH, or build it with tests/cluster/build.sh)")


@dataclass(frozen=True)
class Case:
    chart: Path
    overlay: Path | None

    @property
    def label(self) -> str:
        return f"{self.chart.name} + {self.overlay.name if self.overlay else '(defaults)'}"


@dataclass(frozen=True)
class Outcome:
    case: Case
    verdict: str  # identical | both fail | differs
    detail: str


def cases(chart: Path) -> list[Case]:
    return [Case(chart, None)] + [Case(chart, f) for f in sorted((chart / "examples").glob("*.yaml"))]


def run(args: list[str]) -> tuple[int, str, str]:
    out = subprocess.run(args, capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout, out.stderr


def first_difference(ours: str, theirs: str, context: int = 2) -> str:
    diff = difflib.unified_diff(theirs.splitlines(), ours.splitlines(), "helm", "specmerge", n=context, lineterm="")
    return "\n".join(list(diff)[:12])


def compare(case: Case, helm: str, extra: list[str]) -> Outcome:
    overlay = ["-f", str(case.overlay)] if case.overlay else []
    h_rc, h_out, h_err = run([helm, "template", RELEASE, str(case.chart), "-n", NAMESPACE, *overlay, *extra])
    s_rc, s_out, s_err = run(
        [sys.executable, "-m", "specmerge.cli", "render", "--chart", str(case.chart), "--name", RELEASE,
         "-n", NAMESPACE, "--show-secrets", *overlay, *extra]
    )
    if h_rc and s_rc:
        return Outcome(case, "both fail", f"helm: {h_err.strip().splitlines()[-1] if h_err.strip() else h_rc}")
    if h_rc or s_rc:
        failed = "helm" if h_rc else "specmerge"
        err = (h_err if h_rc else s_err).strip().splitlines()
        return Outcome(case, "differs", f"only {failed} fails: {err[-1] if err else ''}")
    if h_out == s_out:
        return Outcome(case, "identical", "")
    return Outcome(case, "differs", first_difference(s_out, h_out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("charts", nargs="+", type=Path, help="chart directories")
    parser.add_argument("--helm", help="the helm binary to compare with")
    parser.add_argument("--set", action="append", default=[], help="a --set flag added to every case")
    opts = parser.parse_args(argv)
    helm = find_helm(opts.helm)
    extra = [a for s in opts.set for a in ("--set", s)]
    outcomes = [compare(c, helm, extra) for chart in opts.charts for c in cases(chart.resolve())]
    width = max(len(o.case.label) for o in outcomes)
    print(f"{'case'.ljust(width)}  verdict")
    for o in outcomes:
        print(f"{o.case.label.ljust(width)}  {o.verdict}")
        if o.detail:
            print("    " + o.detail.replace("\n", "\n    "))
    bad = [o for o in outcomes if o.verdict == "differs"]
    print(f"\n{len(outcomes)} cases: {len(outcomes) - len(bad)} match, {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
