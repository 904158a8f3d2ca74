"""Shared parts of the deploy-chart tests: render ``deploy/chart`` with ``specmerge render`` (the
product) or the helm CLI, read its RBAC rules, and tell which (group, resource, verb) they grant."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from specmerge.locations import repo_root

CHART = repo_root() / "deploy" / "chart"
CRD_SOURCE = repo_root() / "deploy" / "crds" / "weightsandbiases.apps.wandb.com.yaml"
CRD_IN_CHART = CHART / "crds" / CRD_SOURCE.name
PLATFORM_TEMPLATES = repo_root() / "charts" / "platform" / "templates"
CLUSTER_WIDE = ["--set", "rbac.clusterWide=true"]
KUBE_VERSION = "1.36.0"
#: what Helm does to an object of the managed chart over install, upgrade, rollback, uninstall
HELM_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")
_TOKEN_LINE = re.compile(r"(?m)^(  token: )([A-Za-z0-9+/=]+)$")


def specmerge_render(release: str, namespace: str, *flags: str, show_secrets: bool = True) -> str:
    """``specmerge render --chart deploy/chart --channel none`` (by default with secrets shown, as
    ``helm template`` shows them)."""
    shown = ["--show-secrets"] if show_secrets else []
    done = subprocess.run(["specmerge", "render", "--chart", str(CHART), "--channel", "none", "--name", release,
                           "--namespace", namespace, "--kube-version", KUBE_VERSION, *shown, *flags],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def helm_template(helm: Path, release: str, namespace: str, *flags: str) -> str:
    done = subprocess.run([str(helm), "template", release, str(CHART), "--namespace", namespace,
                           "--kube-version", KUBE_VERSION, *flags],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def generated_tokens(stream: str) -> list[str]:
    return [m[2] for m in _TOKEN_LINE.finditer(stream)]


def without_generated_token(stream: str) -> str:
    """The stream with the generated bearer token (random on every render, by design) replaced."""
    return _TOKEN_LINE.sub(r"\1<generated>", stream)


def documents(stream: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(stream) if d]


def rules_of(docs: Iterable[Mapping[str, Any]], *kinds: str, namespace: str | None = None) -> list[dict[str, Any]]:
    """The rules of every Role/ClusterRole of ``kinds`` (Roles only in ``namespace`` when given)."""
    return [rule for d in docs if d["kind"] in kinds
            and (namespace is None or d["kind"] == "ClusterRole" or d["metadata"].get("namespace") == namespace)
            for rule in d.get("rules") or []]


def grants(rules: Iterable[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
    """Every (apiGroup, resource, verb) the rules allow (no wildcards are used, or allowed)."""
    out = set()
    for rule in rules:
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                for verb in rule.get("verbs") or []:
                    out.add((group, resource, verb))
    return out


def platform_kinds() -> set[tuple[str, str]]:
    """(apiVersion, kind) of every object the platform chart's templates can render, enabled by
    default or not: each top-level ``kind:`` line with the ``apiVersion:`` line before it."""
    found = set()
    for path in sorted(PLATFORM_TEMPLATES.rglob("*")):
        if path.suffix not in {".yaml", ".yml", ".tpl"}:
            continue
        api = None
        for line in path.read_text().splitlines():
            if m := re.match(r"apiVersion:\s*(\S+)", line):
                api = m[1].strip("\"'")
            elif m := re.match(r"kind:\s*(\S+)", line):
                assert api is not None, f"{path}: kind {m[1]} without an apiVersion before it"
                found.add((api, m[1].strip("\"'")))
                api = None
    return found
