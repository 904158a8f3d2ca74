"""Prometheus metrics of one service instance (its own registry, so tests and several apps
in one process never share counters). Under ``serve --workers N`` prometheus-client's
multiprocess mode is on (``PROMETHEUS_MULTIPROC_DIR``, see :mod:`.workers`): each worker
writes its samples to that directory and :meth:`Metrics.render` sums every worker's."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "specmerge_http_requests", "HTTP requests by route, method and status",
            ["route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "specmerge_http_request_duration_seconds", "HTTP request latency by route",
            ["route"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.stage = Histogram(
            "specmerge_stage_duration_seconds", "Pipeline stage durations (merge_validate, render)",
            ["stage"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.channel = Counter(
            "specmerge_channel_results", "Channel resolutions by source and whether degraded",
            ["source", "degraded"], registry=self.registry,
        )

        self.reviews = Counter(
            "specmerge_access_reviews", "TokenReview/SubjectAccessReview answers by kind and source (apiserver, cache)",
            ["kind", "source"], registry=self.registry,
        )

    def review_answered(self, kind: str, source: str) -> None:
        self.reviews.labels(kind, source).inc()

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stage.labels(stage).observe(time.perf_counter() - start)

    def render(self) -> bytes:
        shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not shared:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=shared)
        return generate_latest(registry)
