"""Charts from a real OCI registry (distribution, built from Go modules by tests/cluster/build.sh and
run on 127.0.0.1): pushed with Helm's own client, pulled by exact version and by range, cached by
digest, served from the cache when airgapped or when the registry is gone."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import helm_python as helm
import pytest
from renderkit import AGENT, run_cli, split_stream

from cluster.harness import Registry
from specmerge.render import ChartCache, ChartSourceError, PathRef, load_chart, parse_chart_ref, render


def push(host: str, version: str, tmp: Path) -> bytes:
    """Package the agent chart as ``version`` and push it to ``oci://host/charts``; the archive's bytes."""
    src = tmp / f"agent-{version}" / "mlops-agent"
    shutil.copytree(AGENT, src)
    meta = src / "Chart.yaml"
    meta.write_text(meta.read_text().replace("version: 0.9.0", f"version: {version}"))
    archive = Path(helm.package(src, destination=tmp))
    helm.push(archive, f"oci://{host}/charts", plain_http=True)
    return archive.read_bytes()


def ref(host: str, version: str) -> dict[str, object]:
    return {"url": f"oci://{host}/charts/mlops-agent", "version": version, "plainHttp": True}


def test_pull_by_version_and_range_then_serve_from_the_cache(registry_binary: Path, tmp_path: Path) -> None:
    cache = ChartCache(tmp_path / "cache")
    with Registry(registry_binary, tmp_path / "registry.log") as registry:
        old, new = push(registry.host, "0.9.0", tmp_path), push(registry.host, "0.9.1", tmp_path)
        exact = load_chart(parse_chart_ref(ref(registry.host, "0.9.0")), cache)
        assert (exact.name, exact.version) == ("mlops-agent", "0.9.0")
        assert exact.digest == "sha256:" + hashlib.sha256(old).hexdigest()  # the bytes Helm pushed
        newest = load_chart(parse_chart_ref(ref(registry.host, "^0.9")), cache)
        assert newest.version == "0.9.1" and newest.digest == "sha256:" + hashlib.sha256(new).hexdigest()
        with pytest.raises(ChartSourceError, match=r"no tag matches '\^2\.0' \(available: .*0\.9\.0"):
            load_chart(parse_chart_ref(ref(registry.host, "^2.0")), cache)
        values = dict(exact.values)
        assert render(exact, values) == render(load_chart(PathRef(AGENT, "agent")), values)
        host = registry.host
    # the registry is gone: an exact version comes from the cache, airgapped or not; a range cannot
    assert load_chart(parse_chart_ref(ref(host, "0.9.0")), cache, offline=True).digest == exact.digest
    assert load_chart(parse_chart_ref(ref(host, "0.9.0")), cache).digest == exact.digest
    with pytest.raises(ChartSourceError, match="airgapped: this chart is not in the cache .* pin an exact version"):
        load_chart(parse_chart_ref(ref(host, "^0.9")), cache, offline=True)


def test_specmerge_render_from_the_registry_matches_the_local_chart(oci_registry: Registry, tmp_path: Path) -> None:
    push(oci_registry.host, "0.9.2", tmp_path)
    overlay = ["-f", str(AGENT / "examples" / "prod_values.yaml")]
    remote = run_cli("render", "--channel", "none", "--chart", json.dumps(ref(oci_registry.host, "0.9.2")), *overlay)
    assert remote.exit_code == 0, remote.stderr
    local = run_cli("render", "--channel", "none", "--chart", str(tmp_path / "agent-0.9.2" / "mlops-agent"), *overlay)
    assert local.exit_code == 0, local.stderr
    assert remote.stdout == local.stdout and len(split_stream(remote.stdout)) >= 5
    missing = run_cli("render", "--channel", "none", "--chart", json.dumps(ref(oci_registry.host, "7.7.7")))
    assert missing.exit_code != 0 and f"oci://{oci_registry.host}/charts/mlops-agent:7.7.7" in missing.stderr
    assert "not found" in missing.stderr
