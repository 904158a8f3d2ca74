"""The operator at scale on the real kube-apiserver (issue 14's benchmark).

    python bench/bench_operator.py [--crs 200] [--resync-crs 1000] [--workers 4] [--write bench/operator.md]

Starts etcd + kube-apiserver (tests/cluster/harness.py, audit log on), the real channel server
and ``specmerge operator`` as its own process with its own ServiceAccount token. Then:

1. creates ``--crs`` CRs at once and records the time until all are ``Ready`` (Helm installs
   through helm-python-sdk; no kubelet, so nothing waits for pods);
2. tops the instances up to ``--resync-crs`` and waits until they are converged, then forces
   a resync (``--resync 5``) and counts, from the audit log, the operator user's requests in
   one resync window: the pass criterion is **0 writes** (Lease renewals excluded);
3. records the operator's CPU seconds during that window and its RSS (``/proc/<pid>``), and
   checks every Helm revision and CR resourceVersion is unchanged;
4. reads ``specmerge_operator_channel_polls_total`` to show channel requests per poll = channels.

Prints the figures; ``--write`` also renders them as markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
sys.path[:0] = [str(REPO), str(TESTS), str(TESTS / "operator")]
from cluster.harness import Cluster, Kube, locate_binaries  # noqa: E402
from operatorkit import (  # noqa: E402
    create_cr,
    get_cr,
    helm_revisions,
    install_crd,
    ready,
    requests,
    service_account,
    start_channel_server,
    start_operator,
    writes,
)
from procs import stop_process  # noqa: E402


def _proc_stats(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MiB) of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return cpu, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20



def _wait(kube: Kube, ns: str, names: list[str], timeout: float) -> float:
    began = time.monotonic()
    pending = list(names)
    while pending:
        if time.monotonic() - began > timeout:
            raise SystemExit(f"{len(pending)} CRs not Ready after {timeout:g}s")
        pending = [n for n in pending if not ready(kube, ns, n)]
        time.sleep(0.5)
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crs", type=int, default=200)
    parser.add_argument("--resync-crs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--topup-chart", default="tests/cluster/testchart",
                        help="chart path of the CRs beyond --crs (a small chart keeps the set-up short; a resync "
                             "of a converged CR costs the same whatever its chart); '' for the channel's")
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-operator-"))
    rows: list[tuple[str, str]] = []
    with Cluster(locate_binaries(require=("kube-apiserver", "etcd")), log_dir=tmp / "logs") as cluster:
        kube = Kube(cluster)
        install_crd(kube)
        home, ns = kube.namespace("op"), kube.namespace("bench")
        kubeconfig, user = service_account(kube, home, "op", tmp)
        server, url = start_channel_server(REPO / "channels")
        op = start_operator(kubeconfig, user, tmp / "operator.log", "--namespace", ns, "--channel-server", url,
                            "--lease-namespace", home, "--workers", str(args.workers), "--resync", "5",
                            "--poll-interval", "5", "--log-level", "warning")
        try:
            names = [f"i{n:04d}" for n in range(args.crs)]
            began = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda n: create_cr(kube, ns, n), names))
            _wait(kube, ns, names, 3600)
            converge = time.monotonic() - began
            rows.append((f"{args.crs} CRs created at once: all Ready after", f"{converge:.1f} s "
                         f"({converge / args.crs * 1000:.0f} ms per instance, {args.workers} workers)"))
            more = [f"i{n:04d}" for n in range(args.crs, args.resync_crs)]
            topup = {"chart": {"path": str(REPO / args.topup_chart)}} if args.topup_chart else {}
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda n: create_cr(kube, ns, n, **topup), more))
            names += more
            _wait(kube, ns, names, 7200)
            setup = time.monotonic() - began - converge
            time.sleep(6)  # one full resync after convergence, so the window below is steady state
            revisions = {n: list(helm_revisions(kube, ns, n)) for n in names}
            versions = {n: get_cr(kube, ns, n)["metadata"]["resourceVersion"] for n in names}  # type: ignore[index]
            cpu0, _ = _proc_stats(op.process.pid)
            since = time.time()
            time.sleep(11)  # two resyncs (--resync 5) of every CR, and two channel polls
            cpu1, rss = _proc_stats(op.process.pid)
            window = requests(kube, user, since)
            wrote = writes(kube, user, since=since)
            reads = [e for e in window if (e.get("objectRef") or {}).get("resource") != "leases"]
            rows += [
                (f"set-up: {len(more)} more CRs (chart {args.topup_chart or 'from the channel'}) Ready after",
                 f"{setup:.0f} s"),
                (f"forced resyncs of {len(names)} converged CRs: writes by the operator (Leases excluded)",
                 f"{len(wrote)} (pass: 0)"),
                ("... other requests by the operator in that window (Leases excluded)", str(len(reads))),
                ("... operator CPU in the 11 s window (two resyncs)", f"{cpu1 - cpu0:.2f} s (pass: <= 1 s per resync)"),
                ("... operator RSS", f"{rss:.0f} MiB (pass: <= 250 MB)"),
                ("... Helm revisions unchanged", str(revisions == {n: list(helm_revisions(kube, ns, n)) for n in names})),
                ("... CR resourceVersions unchanged", str(versions == {
                    n: get_cr(kube, ns, n)["metadata"]["resourceVersion"] for n in names})),  # type: ignore[index]
            ]
            polls = [line for line in op.text("/metrics").splitlines()
                     if line.startswith("specmerge_operator_channel_polls_total{")]
            rows.append(("channel resolutions so far (1 channel; one per poll, not per instance)", "; ".join(polls)))
        finally:
            op.stop()
            stop_process(server)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key.ljust(width)}  {value}")
    if args.write:
        lines = ["# Operator benchmark", "", f"`python bench/bench_operator.py --crs {args.crs} --resync-crs "
                 f"{args.resync_crs} --workers {args.workers}` on {os.cpu_count()} cores shared with the apiserver.",
                 "", "| measure | figure |", "|---|---|", *[f"| {k} | {v} |" for k, v in rows]]
        args.write.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
