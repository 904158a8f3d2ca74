"""Recovery on the real kube-apiserver: a crash between the Helm release and ``-spec-active``,
a channel server that goes away, and a new channel release that moves only unpinned instances."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from operatorkit import (
    channels_copy,
    condition,
    create_cr,
    get_cr,
    helm_revisions,
    install_crd,
    ready,
    secret_json,
    service_account,
    start_channel_server,
    start_operator,
    wait_for,
    writes,
)
from procs import stop_process

from specmerge.operator.failpoints import AFTER_APPLY, ENV

pytestmark = pytest.mark.cluster


def test_sigkill_between_apply_and_spec_active_resumes_without_a_second_revision(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("crash")
    kc, user = service_account(kube, home, "op", tmp_path)
    args = ("--namespace", ns, "--airgapped", "--lease-namespace", home, "--lease-seconds", "3")
    # The fail point SIGKILLs the operator right after Helm wrote the release (a crash the real
    # process cannot be made to have at that exact point from outside).
    crashing = start_operator(kc, user, tmp_path / "crash.log", *args, env={ENV: AFTER_APPLY})
    create_cr(kube, ns, "demo")
    wait_for(lambda: crashing.process.poll() is not None, 60, "the crash")
    assert crashing.process.returncode == -9
    assert list(helm_revisions(kube, ns, "demo")) == [1]
    assert secret_json(kube, ns, "demo-spec-active") is None
    since = time.time()
    resumed = start_operator(kc, user, tmp_path / "resumed.log", *args)
    try:
        wait_for(lambda: ready(kube, ns, "demo"), 60, "Ready after the restart")
        time.sleep(1)
        assert list(helm_revisions(kube, ns, "demo")) == [1]  # no second revision
        digest = helm_revisions(kube, ns, "demo")[1]["specmerge.io/digest"]
        assert secret_json(kube, ns, "demo-spec-active")["_annotations"]["specmerge.io/digest"] == digest  # type: ignore[index]
        kinds = {w[1] for w in writes(kube, user, ns, since)}
        assert "secrets" in kinds and "weightsandbiases/status" in kinds
        assert "helm_calls_total{action=\"upgrade\"" not in resumed.text("/metrics")
    finally:
        resumed.stop()


def test_channel_server_down_uses_the_last_good_release(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("down")
    kc, user = service_account(kube, home, "op", tmp_path)
    server, url = start_channel_server(channels_copy(tmp_path))
    args = ("--namespace", ns, "--channel-server", url, "--lease-namespace", home, "--lease-seconds", "3",
            "--poll-interval", "1")
    op = start_operator(kc, user, tmp_path / "up.log", *args)
    try:
        create_cr(kube, ns, "demo")
        wait_for(lambda: ready(kube, ns, "demo"), 90, "Ready")
        assert secret_json(kube, ns, "demo-latest-cached-release")["metadata"]["version"] == "0.62.0"  # type: ignore[index]
    finally:
        op.stop()
        stop_process(server)
    # a restart while the channel server is down: the last good release comes from the Secret
    restarted = start_operator(kc, user, tmp_path / "down.log", *args)
    try:
        cr = wait_for(lambda: (c := get_cr(kube, ns, "demo")) and condition(c, "ChannelReady").get("status") == "False"
                      and c, 60, "ChannelReady=False")
        channel = condition(cr, "ChannelReady")
        assert channel["reason"] == "UsingCachedRelease" and "demo-latest-cached-release" not in json.dumps(cr["status"]["channel"])
        assert cr["status"]["channel"]["version"] == "0.62.0" and condition(cr, "Ready")["status"] == "True"
        assert list(helm_revisions(kube, ns, "demo")) == [1]  # same release: nothing to apply
    finally:
        restarted.stop()


def test_a_new_channel_release_upgrades_only_unpinned_instances(kube, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    install_crd(kube)
    home, ns = kube.namespace("op"), kube.namespace("publish")
    kc, user = service_account(kube, home, "op", tmp_path)
    directory = channels_copy(tmp_path)
    server, url = start_channel_server(directory)
    op = start_operator(kc, user, tmp_path / "op.log", "--namespace", ns, "--channel-server", url,
                        "--lease-namespace", home, "--poll-interval", "1")
    try:
        create_cr(kube, ns, "latest")
        create_cr(kube, ns, "pinned", {"_releaseId": "rel-2026-10-stable-0.62.0"})
        wait_for(lambda: ready(kube, ns, "latest") and ready(kube, ns, "pinned"), 90, "both Ready")
        spec = json.loads((directory / "stable" / "0.62.0.json").read_text())
        spec["metadata"].update({"version": "0.62.1", "releaseId": "rel-2026-11-stable-0.62.1",
                                 "publishedAt": "2026-11-01T00:00:00Z"})
        spec["values"]["app"]["image"]["tag"] = "0.62.1"
        tmp = directory / "stable" / ".0.62.1.json.tmp"
        tmp.write_text(json.dumps(spec))
        shutil.move(tmp, directory / "stable" / "0.62.1.json")
        wait_for(lambda: (get_cr(kube, ns, "latest") or {}).get("status", {}).get("version") == "0.62.1", 60,
                 "the unpinned instance on 0.62.1")
        time.sleep(2)
        assert list(helm_revisions(kube, ns, "latest")) == [1, 2]
        assert list(helm_revisions(kube, ns, "pinned")) == [1]
        assert get_cr(kube, ns, "pinned")["status"]["version"] == "0.62.0"  # type: ignore[index]
        assert secret_json(kube, ns, "latest-spec-active")["values"]["app"]["image"]["tag"] == "0.62.1"  # type: ignore[index]
    finally:
        op.stop()
        stop_process(server)
