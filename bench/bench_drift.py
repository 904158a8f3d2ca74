"""Benchmark: the cost of a drift check of one Helm release of >= 30 objects, on the real
kube-apiserver harness (tests/cluster; binaries from tests/cluster/build.sh).

A generated chart (ConfigMaps, Secrets, Services, Deployments) is installed with
helm-python-sdk, then ``specmerge.drift.check`` runs:

* cold: a new memo (discovery of each apiVersion, GET and SSA dry run per object);
* full: the memo keeps discovery but no clean marks (GET + dry run per object);
* warm: an unchanged release with the memo of a clean check (one GET per object, no dry run);
* one edit: after a foreign edit of one Deployment's replicas (one dry run);
* correct: ``correct()`` of that edit.

Requests come from the check's own per-method count; "writes" is how many of the release's
objects changed resourceVersion across all the checks (a check must write nothing).

Run: ``python bench/bench_drift.py [--objects 34] [--repeat 10] [--write bench/drift.md]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from cluster.harness import Cluster, Kube, locate_binaries  # noqa: E402
from specmerge.drift import DriftMemo, DriftReport, check, correct, release_objects  # noqa: E402


def write_chart(root: Path, objects: int) -> dict[str, int]:
    """A chart rendering ``objects`` objects: 1/2 ConfigMaps, 1/6 Secrets, 1/6 Services, rest Deployments."""
    counts = {"cm": objects // 2, "secret": objects // 6, "svc": objects // 6}
    counts["deploy"] = objects - sum(counts.values())
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: driftbench\nversion: 0.1.0\n")
    (root / "values.yaml").write_text("".join(f"{k}: {v}\n" for k, v in counts.items()))
    (root / "templates" / "all.yaml").write_text("""\
{{- range $i := until (int .Values.cm) }}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: "{{ $.Release.Name }}-cm-{{ $i }}", labels: {app: bench}}
data: {index: "{{ $i }}", text: "some configuration text for object {{ $i }}"}
{{- end }}
{{- range $i := until (int .Values.secret) }}
---
apiVersion: v1
kind: Secret
metadata: {name: "{{ $.Release.Name }}-secret-{{ $i }}"}
stringData: {password: "not-a-real-secret-{{ $i }}"}
{{- end }}
{{- range $i := until (int .Values.svc) }}
---
apiVersion: v1
kind: Service
metadata: {name: "{{ $.Release.Name }}-svc-{{ $i }}"}
spec: {selector: {app: "bench-{{ $i }}"}, ports: [{port: 80, targetPort: 8080}]}
{{- end }}
{{- range $i := until (int .Values.deploy) }}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: "{{ $.Release.Name }}-deploy-{{ $i }}"}
spec:
  replicas: 1
  selector: {matchLabels: {app: "bench-{{ $i }}"}}
  template:
    metadata: {labels: {app: "bench-{{ $i }}"}}
    spec: {containers: [{name: app, image: "registry.example.com/app:1.0", ports: [{containerPort: 8080}]}]}
{{- end }}
""")
    return counts


def versions(kube: Kube, objects: list[dict[str, Any]], ns: str) -> dict[str, str]:
    from specmerge.drift.check import object_path
    from specmerge.kubeapi import KubeHttp

    http, memo = KubeHttp(kube.api_client), DriftMemo()
    out = {}
    for obj in objects:
        ref, path, _ = object_path(http, memo, obj, ns)
        out[str(ref)] = http.get(path)["metadata"]["resourceVersion"]
    return out


def timed(fn: Any) -> tuple[float, DriftReport]:
    began = time.perf_counter()
    result = fn()
    return (time.perf_counter() - began) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=34)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--write", type=Path, default=REPO / "bench" / "drift.md")
    args = parser.parse_args()
    import helm_python

    with tempfile.TemporaryDirectory() as tmp, Cluster(locate_binaries(require=("kube-apiserver", "etcd")),
                                                       log_dir=Path(tmp) / "logs") as cluster:
        kube = Kube(cluster)
        counts = write_chart(Path(tmp) / "chart", args.objects)
        ns = kube.namespace("bench")
        with helm_python.Config(kubeconfig_path=kube.kubeconfig, namespace=ns) as helm:
            began = time.perf_counter()
            helm.install(Path(tmp) / "chart", "bench", {}, timeout=120)
            install_ms = (time.perf_counter() - began) * 1000
            objects = release_objects(helm, "bench", ns)
        assert len(objects) == args.objects, len(objects)
        before = versions(kube, objects, ns)

        cold_ms, cold = timed(lambda: check(kube.api_client, objects, ns, DriftMemo()))
        assert cold.ok, cold
        full: list[tuple[float, DriftReport]] = []
        for _ in range(args.repeat):
            memo = DriftMemo()
            check(kube.api_client, objects, ns, memo)  # fills discovery
            memo.clean.clear()
            full.append(timed(lambda: check(kube.api_client, objects, ns, memo)))
        memo = DriftMemo()
        check(kube.api_client, objects, ns, memo)
        warm = [timed(lambda: check(kube.api_client, objects, ns, memo)) for _ in range(args.repeat)]
        assert all(r.ok and all(o.state == "unchanged" for o in r.objects) for _, r in warm)
        writes = sum(1 for k, v in versions(kube, objects, ns).items() if before[k] != v)

        from kubernetes import client

        client.AppsV1Api(kube.api_client).patch_namespaced_deployment(
            "bench-deploy-0", ns, {"spec": {"replicas": 4}}, field_manager="kubectl-edit")
        edit_ms, edited = timed(lambda: check(kube.api_client, objects, ns, memo))
        assert [o.paths for o in edited.drifted] == [("/spec/replicas",)], edited
        fix_ms, fixed = timed(lambda: correct(kube.api_client, objects, ns, edited, memo))
        assert len(fixed.corrected) == 1

    def req(r: Any) -> str:
        return ", ".join(f"{n} {m}" for m, n in sorted(r.requests.items())) + f" = {sum(r.requests.values())}"

    def med(runs: list[tuple[float, DriftReport]]) -> str:
        ms = sorted(t for t, _ in runs)
        return f"{statistics.median(ms):.1f} (min {ms[0]:.1f}, max {ms[-1]:.1f})"

    lines = [
        "# Drift check cost (issue 15) — `python3 bench/bench_drift.py`",
        "",
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"kube-apiserver {kube.kube_version} + etcd (tests/cluster harness) on 127.0.0.1, client in the same "
        f"machine. One release of {args.objects} objects ({counts['cm']} ConfigMaps, {counts['secret']} Secrets, "
        f"{counts['svc']} Services, {counts['deploy']} Deployments), installed with helm-python-sdk in "
        f"{install_ms:.0f} ms. Medians of {args.repeat} runs where repeated; the 2 cores are shared with other "
        "jobs, so the spread (min/max) is mostly the machine's.",
        "",
        "| check | requests | ms per check |",
        "| --- | --- | ---: |",
        f"| cold: new memo (discovery + GET + SSA dry run per object) | {req(cold)} | {cold_ms:.1f} |",
        f"| full: discovery cached, every object dry-run | {req(full[0][1])} | {med(full)} |",
        f"| warm: unchanged release, memo of the last clean check | {req(warm[0][1])} | {med(warm)} |",
        f"| after one foreign edit (one Deployment's replicas) | {req(edited)} | {edit_ms:.1f} |",
        f"| `correct()` of that edit (SSA with force as Helm's manager) | {req(fixed)} | {fix_ms:.1f} |",
        "",
        f"Writes by all the checks above: **{writes}** of {args.objects} objects changed resourceVersion "
        "(dry runs store nothing). The warm path is one GET per object: per-object GETs are what the "
        "memo cannot avoid without a watch; an operator that watches the release's objects can skip "
        "the check entirely until an event arrives.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
