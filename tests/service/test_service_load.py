"""A bounded flood of the service on loopback with invalid tokens (issue 13): clients that
send 1 MiB bodies with a wrong token, and clients that send garbage, must not stall the
service for everyone else.

Two tests. Deterministic: a wrong token is answered from the headers alone, before its body
is even sent (a service that read the body first would wait for it). Under load: 4 flooding
threads for ~4 s while 150 ``/healthz`` probes run; every probe is answered and the p99
stays under :data:`P99_BOUND_MS`. The issue's goal is 50 ms; on 2 cores shared with other
test runs (load average 10+) the p99 of a protected service measured 30-130 ms, so the test
bound is looser (an unprotected service stalls for seconds) and the 50 ms goal is measured
by ``bench/bench_flood.py`` (bench/results.md)."""

from __future__ import annotations

import random
import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

from service_harness import Server

FLOODERS = 4
FLOOD_SECONDS = 4.0
PROBES = 150
P99_BOUND_MS = 250.0  # see the module docstring
BODY = b'{"user": {"x": "' + b"a" * (1024 * 1024 - 64) + b'"}}'


def _address(server: Server) -> tuple[str, int]:
    u = urlsplit(server.url)
    assert u.hostname and u.port
    return u.hostname, u.port


def _flood(addr: tuple[str, int], stop: threading.Event, seed: int, sent: list[int]) -> None:
    rnd = random.Random(seed)
    while not stop.is_set():
        kind = rnd.choice(["big"] * 6 + ["garbage", "nobody"])
        try:
            with socket.create_connection(addr, timeout=5) as s:
                if kind == "big":
                    s.sendall(b"POST /v1/preview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong-" +
                              str(rnd.random()).encode() + b"\r\nContent-Type: application/json\r\n"
                              b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)
                elif kind == "garbage":
                    s.sendall(rnd.randbytes(rnd.randint(1, 512)) + b"\r\n\r\n")
                else:
                    s.sendall(b"PUT /v1/instances/a/b/user-values HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nnull!")
                s.recv(4096)
                sent[0] += 1
        except OSError:
            sent[0] += 1  # the server may close on us mid-send: that is its right


def _probe(addr: tuple[str, int]) -> list[float]:
    latencies = []
    with socket.create_connection(addr, timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(PROBES):
            start = time.perf_counter()
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while not data.endswith(b'{"status":"ok"}'):
                chunk = s.recv(4096)
                assert chunk, "the service closed the health probe's connection"
                data += chunk
            latencies.append(time.perf_counter() - start)
            time.sleep(FLOOD_SECONDS / PROBES)
    return latencies


def test_healthz_stays_fast_while_clients_with_invalid_tokens_flood(server: Server) -> None:
    addr = _address(server)
    stop = threading.Event()
    sent = [0]
    threads = [threading.Thread(target=_flood, args=(addr, stop, i, sent), daemon=True) for i in range(FLOODERS)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        latencies = _probe(addr)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    assert sent[0] >= FLOODERS, "the flood sent (almost) nothing"
    assert p99 < P99_BOUND_MS, f"/healthz p99 {p99:.1f} ms while {sent[0]} invalid requests flooded (median {statistics.median(latencies) * 1000:.1f} ms)"


def test_a_wrong_token_is_answered_before_its_body_is_sent(server: Server) -> None:
    with socket.create_connection(_address(server), timeout=10) as s:
        s.sendall(b"POST /v1/preview HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1048000\r\n\r\n")  # and no body
        s.settimeout(5)
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 401")
