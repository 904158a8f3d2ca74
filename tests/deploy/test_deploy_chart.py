"""The ``specmerge`` chart (deploy/chart) as files: its CRD is deploy/crds' byte for byte,
``specmerge render`` of it equals ``helm template`` byte for byte, its values schema rejects
bad names, and its RBAC grants what the operator needs (what the operator tests grant it) and
every kind the managed platform chart can render, mapped to resources by the real apiserver."""

from __future__ import annotations

import json
from pathlib import Path

import helm_python
import pytest
import yaml
from deploykit import (
    CHART,
    CLUSTER_WIDE,
    CRD_IN_CHART,
    CRD_SOURCE,
    HELM_VERBS,
    documents,
    generated_tokens,
    grants,
    helm_template,
    platform_kinds,
    rules_of,
    specmerge_render,
    without_generated_token,
)
from jsonschema import Draft202012Validator
from kubernetes.dynamic import DynamicClient
from operatorkit import INCUMBENT_GROUP, RULES

from specmerge.locations import repo_root

NAMESPACE = "specmerge-system"


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    """``specmerge render`` of the chart: namespaced (default values) and cluster-wide."""
    return {"namespaced": specmerge_render("sm", NAMESPACE), "cluster-wide": specmerge_render("sm", NAMESPACE, *CLUSTER_WIDE)}


def test_the_charts_crd_is_deploy_crds_byte_for_byte() -> None:
    # Helm installs crds/ before templates and never templates it; one CRD, two places (the
    # operator's --print-crd reads deploy/crds). Refresh with:
    #   cp deploy/crds/weightsandbiases.apps.wandb.com.yaml deploy/chart/crds/
    assert CRD_IN_CHART.read_bytes() == CRD_SOURCE.read_bytes()
    assert sorted(p.name for p in (CHART / "crds").iterdir()) == [CRD_SOURCE.name]


@pytest.mark.helmcli
@pytest.mark.parametrize("mode", ["namespaced", "cluster-wide"])
def test_specmerge_render_equals_helm_template(helm_cli: Path, rendered: dict[str, str], mode: str) -> None:
    ours = rendered[mode]
    theirs = helm_template(helm_cli, "sm", NAMESPACE, *(CLUSTER_WIDE if mode == "cluster-wide" else []))
    # the bearer token is generated at random on every render: one each, different, 40 characters
    tokens = generated_tokens(ours) + generated_tokens(theirs)
    assert len(tokens) == 2 and tokens[0] != tokens[1]
    assert without_generated_token(ours) == without_generated_token(theirs)
    kinds = sorted(d["kind"] for d in documents(ours))
    expected = ["Deployment", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"]
    expected += ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]  # the cluster reads
    expected += ["ClusterRole", "ClusterRoleBinding"] if mode == "cluster-wide" else []
    assert kinds == sorted(expected)


def test_the_chart_lints_strictly_and_its_schema_is_2020_12() -> None:
    report = helm_python.lint(CHART, strict=True)
    assert report["errors"] == [] and [m for m in report["messages"] if m["severity"] >= 2] == []
    Draft202012Validator.check_schema(json.loads((CHART / "values.schema.json").read_text()))


def test_a_masked_render_hides_the_generated_token_and_nothing_else() -> None:
    masked = specmerge_render("sm", NAMESPACE, show_secrets=False)
    secret = next(d for d in documents(masked) if d["kind"] == "Secret")
    assert secret["metadata"]["name"] == "sm-specmerge-token" and list(secret["data"]) == ["token"]
    assert secret["data"]["token"].startswith("<redacted")
    assert masked.count("<redacted") == 1
    assert "--token-file=/var/run/specmerge/auth/token" in masked


def test_an_existing_secret_replaces_the_generated_token() -> None:
    docs = documents(specmerge_render("sm", NAMESPACE, "--set", "auth.existingSecret=my-token,auth.tokenKey=api"))
    assert "Secret" not in [d["kind"] for d in docs]
    pod = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert {"name": "auth", "secret": {"secretName": "my-token", "items": [{"key": "api", "path": "api"}]}} in pod["volumes"]
    serve = next(c for c in pod["containers"] if c["name"] == "serve")
    assert "--token-file=/var/run/specmerge/auth/api" in serve["args"]


def test_one_pod_runs_the_operator_with_serve_beside_it_locked_down(rendered: dict[str, str]) -> None:
    deployment = next(d for d in documents(rendered["namespaced"]) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["containers"]] == ["operator", "serve"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["serviceAccountName"] == "sm-specmerge"
    # the image's default tag is the package's version; its user the one the Dockerfile runs as
    import tomllib

    version = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]["version"]
    assert yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"] == version
    assert f"USER {pod['securityContext']['runAsUser']}" in (repo_root() / "Dockerfile").read_text().splitlines()
    for c in pod["containers"]:
        assert c["image"] == f"ghcr.io/specmerge/specmerge:{version}"
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz" and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert {"name": "cache", "mountPath": "/var/cache/specmerge"} in c["volumeMounts"]
    operator, serve = pod["containers"]
    assert operator["args"][0] == "operator" and f"--namespace={NAMESPACE}" in operator["args"]
    assert f"--lease-namespace={NAMESPACE}" in operator["args"]
    assert {"--drift-interval=10m", "--preflight-interval=60s"} <= set(operator["args"])
    assert serve["args"][0] == "serve" and "--in-cluster" in serve["args"]
    # the Service reaches both containers' ports; the NetworkPolicy admits only those two
    docs = documents(rendered["namespaced"])
    service = next(d for d in docs if d["kind"] == "Service")
    assert {(p["name"], p["targetPort"]) for p in service["spec"]["ports"]} == {("http", "http"), ("metrics", "metrics")}
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert [p["port"] for rule in policy["ingress"] for p in rule["ports"]] == ["http", "metrics"]
    assert {p["port"] for rule in policy["egress"] for p in rule["ports"]} == {53, 443, 6443}
    wide = next(d for d in documents(rendered["cluster-wide"]) if d["kind"] == "Deployment")
    assert not [a for a in wide["spec"]["template"]["spec"]["containers"][0]["args"] if a.startswith("--namespace")]


@pytest.mark.parametrize("flags, where", [
    (["--set", "rbac.namespaces[0]=Not_A_Label"], "rbac.namespaces"),
    (["--set", "fullnameOverride=-bad-"], "fullnameOverride"),
    (["--set", "rbac.clusterwide=true"], "clusterwide"),
    (["--set", "operator.driftInterval=soon"], "operator.driftInterval"),
])  # fmt: skip
def test_the_values_schema_rejects_bad_names_and_unknown_keys(flags: list[str], where: str) -> None:
    import subprocess

    done = subprocess.run(["specmerge", "render", "--chart", str(CHART), "--channel", "none", *flags],
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 1 and where in done.stderr, done.stderr


def test_rbac_grants_what_the_operator_tests_grant_in_both_modes(rendered: dict[str, str]) -> None:
    needed = grants(r.to_dict() | {"apiGroups": [g for g in r.api_groups if g != INCUMBENT_GROUP]}
                    for r in RULES if r.api_groups)
    urls = {(u, v) for r in RULES for u in r.non_resource_urls or () for v in r.verbs}
    assert len(needed) > 40 and urls
    for mode in ("namespaced", "cluster-wide"):
        rules = rules_of(documents(rendered[mode]), "Role", "ClusterRole", namespace=NAMESPACE)
        assert needed <= grants(rules), f"{mode}: missing {sorted(needed - grants(rules))}"
        granted = {(u, v) for r in rules for u in r.get("nonResourceURLs") or () for v in r["verbs"]}
        assert urls <= granted, f"{mode}: missing {sorted(urls - granted)}"
        assert not [r for r in rules if "*" in r["verbs"] or "*" in r.get("resources", ())
                    or "*" in r.get("apiGroups", ())]
    # Leases (leader election) only in the release namespace, also in cluster-wide mode
    wide = documents(rendered["cluster-wide"])
    assert not [r for r in rules_of(wide, "ClusterRole") if "coordination.k8s.io" in r.get("apiGroups", ())]
    assert rules_of(wide, "Role") == [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                                       "verbs": ["get", "create", "update"]}]


def test_kube_auth_binds_the_account_to_auth_delegator_only_when_asked(rendered: dict[str, str]) -> None:
    docs = documents(specmerge_render("sm", NAMESPACE, "--set", "serve.kubeAuth=true"))
    binding = next(d for d in docs if d["kind"] == "ClusterRoleBinding" and "auth-delegator" in d["metadata"]["name"])
    assert binding["roleRef"]["name"] == "system:auth-delegator"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "sm-specmerge", "namespace": NAMESPACE}]
    serve = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][1]
    assert "--kube-auth" in serve["args"]
    # namespaced mode: the only cluster-wide grant is the read-only one preflight needs
    namespaced = documents(rendered["namespaced"])
    bindings = [d for d in namespaced if d["kind"] == "ClusterRoleBinding"]
    assert [b["roleRef"]["name"] for b in bindings] == [f"{NAMESPACE}-sm-specmerge-cluster-reads"]
    reads = grants(rules_of(namespaced, "ClusterRole"))
    assert {v for _, _, v in reads} == {"list"}
    assert {r for _, r, _ in reads} == {"nodes", "ingressclasses", "storageclasses"}
    off = documents(specmerge_render("sm", NAMESPACE, "--set", "rbac.clusterReads=false"))
    assert not [d for d in off if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_namespaced_mode_has_one_role_per_managed_namespace() -> None:
    docs = documents(specmerge_render("sm", NAMESPACE, "--set", "rbac.namespaces={team-a,specmerge-system}"))
    roles = sorted((d["kind"], d["metadata"]["namespace"]) for d in docs if d["kind"] in ("Role", "RoleBinding"))
    assert roles == [("Role", NAMESPACE), ("Role", "team-a"), ("RoleBinding", NAMESPACE), ("RoleBinding", "team-a")]
    leases = ("coordination.k8s.io", "leases", "update")
    assert leases in grants(rules_of(docs, "Role", namespace=NAMESPACE))
    assert leases not in grants(rules_of(docs, "Role", namespace="team-a"))
    operator = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert [a for a in operator["args"] if a.startswith("--namespace")] == [f"--namespace={NAMESPACE}", "--namespace=team-a"]


@pytest.mark.cluster
def test_rbac_covers_every_kind_the_platform_chart_renders(kube, rendered: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Fails when charts/platform gains a kind (say a CronJob) the chart's RBAC does not grant."""
    kinds = platform_kinds()
    assert {k for _, k in kinds} >= {"Deployment", "Secret", "Service", "Ingress"}
    discovery = DynamicClient(kube.api_client).resources
    for mode, role in (("namespaced", "Role"), ("cluster-wide", "ClusterRole")):
        granted = grants(rules_of(documents(rendered[mode]), role))
        for api_version, kind in sorted(kinds):
            resource = discovery.get(api_version=api_version, kind=kind)
            missing = [v for v in HELM_VERBS if (resource.group, resource.name, v) not in granted]
            assert not missing, f"{mode}: {kind} ({resource.group or 'core'}/{resource.name}) lacks {missing}"
