"""``specmerge serve --workers N``: N processes behind one socket, supervised.

The workers are found through /proc (children of the ``serve`` process that run
multiprocessing's spawn entry point), so these tests are Linux-only, like CI.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from service_harness import VALID_USER, Server, create, start_server, stop_server, values_url


def worker_pids(parent: int) -> set[int]:
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"multiprocessing.spawn" in cmdline:
            pids.add(int(stat.parent.name))
    return pids


def two_workers(parent: int, unlike: set[int] = set(), timeout: float = 30.0) -> set[int]:
    """The two worker pids of ``parent`` once there are two and they differ from ``unlike``."""
    deadline = time.monotonic() + timeout
    while True:
        pids = worker_pids(parent)
        if len(pids) == 2 and pids != unlike:
            return pids
        if time.monotonic() > deadline:
            raise AssertionError(f"serve {parent} has workers {pids}, expected two other than {unlike}")
        time.sleep(0.1)


def healthz_count(text: str) -> float:
    m = re.search(r'^specmerge_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$', text, re.M)
    return float(m[1]) if m else 0.0


def test_two_workers_serve_and_metrics_count_every_workers_requests(workers_server: Server) -> None:
    two_workers(workers_server.process.pid)
    before = healthz_count(httpx.get(f"{workers_server.url}/metrics").text)

    def fresh_connection(_: int) -> int:  # a new connection each time: the workers share them
        return httpx.get(f"{workers_server.url}/healthz").status_code

    # both serve: each writes its samples to <metrics dir>/counter_<pid>.db on its first request.
    # Which worker accepts a connection is the kernel's choice, so allow a few rounds.
    pids = worker_pids(workers_server.process.pid)
    shared = Path(next(e.split(b"=", 1)[1].decode() for e in Path(f"/proc/{min(pids)}/environ").read_bytes().split(b"\0")
                       if e.startswith(b"PROMETHEUS_MULTIPROC_DIR=")))
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while True:
            assert set(pool.map(fresh_connection, range(40))) == {200}
            sent += 40
            if sent >= 200 or {f"counter_{pid}.db" for pid in pids} <= {p.name for p in shared.iterdir()}:
                break
    assert {f"counter_{pid}.db" for pid in pids} <= {p.name for p in shared.iterdir()}, "one worker served everything"
    # whichever worker answers /metrics reports every request (+1 for the /metrics read before)
    for _ in range(6):
        assert healthz_count(httpx.get(f"{workers_server.url}/metrics").text) == before + sent


def socket_owners(pids: set[int]) -> dict[int, int]:
    """``{socket inode: pid}`` of the sockets the processes ``pids`` hold open."""
    owners = {}
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                owners[int(target[8:-1])] = pid
    return owners


def server_side_inodes(server_port: int) -> dict[int, int]:
    """``{client port: inode of the server's end}`` of the loopback connections to ``server_port``."""
    out = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, remote_port = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        if local_port == server_port and fields[3] == "01":  # 01: ESTABLISHED
            out[remote_port] = int(fields[9])
    return out


def test_connections_opened_together_are_spread_over_the_workers(workers_server: Server) -> None:
    """Keep-alive clients that connect at the same moment must not all land on one worker
    (whose requests would then queue while the other idles): a worker that already holds
    connections lets the others take the next one (``connections.TakingTurns``)."""
    pids = two_workers(workers_server.process.pid)
    host, port = workers_server.url.removeprefix("http://").split(":")

    def served_by(clients: list[socket.socket]) -> Counter[int]:
        for c in clients:  # one request each: the connection is served by whoever accepted it
            c.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        for c in clients:
            assert c.recv(65536).startswith(b"HTTP/1.1 200")
        owners, inodes = socket_owners(pids), server_side_inodes(int(port))
        held = Counter(owners[inodes[c.getsockname()[1]]] for c in clients)
        for c in clients:
            c.close()
        return held

    seen: set[int] = set()
    for _ in range(200):  # both workers are up and serving (one connection at a time, either may take it)
        seen |= set(served_by([socket.create_connection((host, int(port)))]))
        if seen == pids:
            break
    assert seen == pids
    burst = [socket.socket() for _ in range(6)]
    for c in burst:  # connect all six within microseconds, as a pool of keep-alive clients does
        c.setblocking(False)
        c.connect_ex((host, int(port)))
    for c in burst:
        select.select([], [c], [], 10)
        c.setblocking(True)
    held = served_by(burst)
    assert sorted(held.values()) in ([3, 3], [2, 4]), f"connections per worker: {dict(held)}"


def test_a_killed_worker_is_replaced_and_writes_survive(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "2")
    try:
        pids = two_workers(server.process.pid)
        api = server.client()
        create(api, "team-a/kill-test")
        os.kill(min(pids), signal.SIGKILL)
        replaced = two_workers(server.process.pid, unlike=pids)
        assert min(pids) not in replaced and max(pids) in replaced
        for _ in range(6):  # fresh connections reach both the survivor and the replacement
            r = httpx.get(f"{server.url}{values_url('team-a/kill-test')}", headers=api.headers)
            assert r.status_code == 200 and r.json()["values"]["global"] == VALID_USER["global"]
    finally:
        parent = server.process.pid
        stop_server(server)
    assert worker_pids(parent) == set(), "SIGTERM to serve left worker processes behind"


@pytest.mark.parametrize("bad", ["0", "65"])
def test_worker_count_out_of_range_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(RuntimeError, match=f"workers must be between 1 and 64, not {bad}"):
        start_server(tmp_path, "--workers", bad)
