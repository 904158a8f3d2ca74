"""Bounded previews (issue 13): the values a request supplies or stores are counted before any
work (422 past ``max_leaves``), and a preview that runs past the request timeout stops at its
next stage instead of running on after the 504."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service_harness import VALID_USER, Server, start_server, stop_server, values_url
from specmerge.service.limits import Deadline, DeadlinePassed, leaves_over
from specmerge.service.settings import load_settings
from specmerge.service.specs import PreviewInputs, Previews

MAX_LEAVES = 5000


def _with_annotations(n: int) -> dict[str, Any]:
    return dict(VALID_USER, app={"podAnnotations": {f"k{i}": f"v{i}" for i in range(n)}})


def test_a_preview_over_the_leaf_limit_is_422_before_any_work(api: httpx.Client) -> None:
    r = api.post("/v1/preview", json={"user": _with_annotations(MAX_LEAVES + 10), "render": {"enabled": True}})
    assert r.status_code == 422 and f"more than {MAX_LEAVES} values" in r.json()["detail"]
    split = {"user": VALID_USER, "overrides": [{"values": _with_annotations(MAX_LEAVES // 2)}] * 3}
    assert api.post("/v1/preview", json=split).status_code == 422  # the limit is on the whole request


def test_a_write_over_the_leaf_limit_is_422_and_stores_nothing(api: httpx.Client, instance: str) -> None:
    r = api.put(values_url(instance), json=_with_annotations(MAX_LEAVES + 10), headers={"If-None-Match": "*"})
    assert r.status_code == 422 and "more than" in r.json()["detail"]
    assert api.get(values_url(instance)).status_code == 404


@pytest.fixture(scope="module")
def hasty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("serve-hasty"), "--timeout", "0.1")
    yield s
    stop_server(s)


def test_a_preview_past_the_timeout_is_504_and_its_work_stops(hasty: Server) -> None:
    with hasty.client() as c:
        # the deadline must pass before the work's last stage starts (the render, after which
        # there is no check): ~5000 leaves and their provenance take ~twice the timeout to get there
        r = c.post("/v1/preview", json={"user": _with_annotations(MAX_LEAVES - 100), "render": {"enabled": True}})
    assert r.status_code == 504
    rid = r.json()["requestId"]
    for _ in range(100):  # the thread reaches its next stage and stops there (logged)
        if "work stopped at its deadline" in hasty.log_text():
            break
        time.sleep(0.1)
    log = hasty.log_text()
    assert f"request {rid} timed out" in log and "work stopped at its deadline" in log


def test_the_preview_checks_its_deadline_between_stages(tmp_path: Path) -> None:
    from specmerge.render.sources import recheck_directories_after
    from specmerge.service.build import build_service

    service = build_service(load_settings(None, no_auth=True, store_dir=str(tmp_path)))
    try:
        specs = Previews(service.resolver, service.store, service.metrics)
        with pytest.raises(DeadlinePassed, match="before masking"):
            specs.preview(PreviewInputs(user=VALID_USER, render=True), False, Deadline(time.monotonic() - 1))
        assert specs.preview(PreviewInputs(user=VALID_USER), False, Deadline.after(60))["ok"]
    finally:
        recheck_directories_after(0)  # building a service set the process-wide recheck interval


def _leaves(node: Any) -> int:
    if isinstance(node, dict) and node:
        return sum(_leaves(v) for v in node.values())
    if isinstance(node, list) and node:
        return sum(_leaves(v) for v in node)
    return 1


values = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
                      max_leaves=40)


@given(st.lists(st.dictionaries(st.text(max_size=3), values, max_size=5), max_size=3), st.integers(0, 60))
def test_leaves_over_is_the_leaf_count_past_the_limit(layers: list[dict[str, Any]], limit: int) -> None:
    total = sum(_leaves(v) for v in layers)
    over = leaves_over(layers, limit)
    assert (over is None) == (total <= limit)
    assert over is None or over == limit + 1
