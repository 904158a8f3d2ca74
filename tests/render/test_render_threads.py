"""Concurrent renders are safe: the same renders done from 8 threads at once (sharing one
loaded chart handle) give exactly what they give one after another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from specmerge.channels import load_embedded
from specmerge.core import layer_from_values
from specmerge.pipeline import PlanInputs, plan
from specmerge.render import RenderOptions


def _inputs(i: int) -> PlanInputs:
    user = layer_from_values("user", f"test:user-{i}", {"app": {"replicaCount": i % 7}, "global": {"host": f"https://h{i}.example.com"}})
    return PlanInputs(channel=load_embedded("stable"), user=user, options=RenderOptions(name=f"rel-{i % 5}", namespace=f"ns-{i % 3}"))


def test_parallel_renders_equal_serial_renders() -> None:
    inputs = [_inputs(i) for i in range(48)]
    serial = [plan(x).manifests for x in inputs]
    assert len({str(m) for m in serial}) > 10  # the inputs really differ
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda x: plan(x).manifests, inputs))
    assert parallel == serial
    for i, manifests in enumerate(parallel):
        assert f"https://h{i}.example.com" in manifests["platform/templates/configmap.yaml"]
