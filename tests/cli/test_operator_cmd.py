"""``specmerge operator`` argument handling that needs no cluster: the CRD it prints, bad input."""

from __future__ import annotations

import subprocess

import yaml
from operatorkit import CRD, SPECMERGE


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SPECMERGE, "operator", *args], capture_output=True, text=True, timeout=60)


def test_print_crd_for_another_group_and_kind_keeps_the_status_superset() -> None:
    out = _run("--print-crd", "--cr-resource", "platforms.v1alpha1.example.com", "--cr-kind", "Platform")
    assert out.returncode == 0, out.stderr
    crd = yaml.safe_load(out.stdout)
    assert crd["metadata"]["name"] == "platforms.example.com" and crd["spec"]["group"] == "example.com"
    assert crd["spec"]["names"]["kind"] == "Platform" and "shortNames" not in crd["spec"]["names"]
    version = crd["spec"]["versions"][0]
    assert version["name"] == "v1alpha1" and version["subresources"] == {"status": {}}
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert {"conditions", "observedGeneration", "lastAppliedDigest", "lastAttemptedDigest", "helmRelease",
            "history", "channel", "phase", "version"} <= set(status)
    default = yaml.safe_load(_run("--print-crd").stdout)
    assert default == CRD  # the default is the file in deploy/crds


def test_bad_arguments_exit_2_naming_the_option() -> None:
    bad = _run("--cr-resource", "weightsandbiases")
    assert bad.returncode == 2 and "expected PLURAL.VERSION.GROUP" in bad.stderr
    both = _run("--airgapped", "--channel-server", "http://127.0.0.1:1")
    assert both.returncode == 2 and "--airgapped and --channel-server exclude each other" in both.stderr
