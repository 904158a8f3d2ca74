"""The bundled platform chart: it lints with Helm's linter, its 2020-12 schema validates and
rejects what it should, and Helm's engine renders the secrets, pods and routes we expect."""

from __future__ import annotations

import base64
import json
from typing import Any

import helm_python as helm
import pytest
from jsonschema import Draft202012Validator

from chartkit import (
    EXAMPLES,
    PLATFORM,
    PLATFORM_WRITE_ONLY,
    _channel,
    _container_env,
    _errors,
    _fold,
    _kinds,
    _load_yaml,
    _objects,
    _one,
    check_secrets_write_only,
)


def test_chart_lints_clean() -> None:
    report = helm.lint(PLATFORM, strict=True)
    assert report["errors"] == []
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == []


def test_platform_metadata_and_size(platform: Any) -> None:
    meta = platform.metadata
    assert (meta["apiVersion"], meta["name"], meta["version"]) == ("v2", "platform", "1.4.0")
    assert meta["appVersion"] == "0.62.0"
    assert meta["kubeVersion"] == ">=1.29.0-0"
    assert 15 <= len(platform.templates) <= 30
    assert any(t["name"] == "templates/NOTES.txt" for t in platform.templates)
    assert len((PLATFORM / "values.yaml").read_text().splitlines()) >= 200

# ---------------------------------------------------------------- schema


def test_platform_schema_is_2020_12_and_defaults_validate(
    platform: Any, platform_schema: dict[str, Any], platform_validator: Draft202012Validator
) -> None:
    assert platform_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert _errors(platform_validator, platform.values) == []
    assert _errors(platform_validator, _load_yaml(PLATFORM / "values.yaml")) == []


@pytest.mark.parametrize(
    "override, pointer",
    [
        ({"bogus": 1}, "$"),
        ({"app": {"replicas": 2}}, "$.app"),
        ({"worker": {"image": {"tags": "x"}}}, "$.worker.image"),
        ({"mysql": {"port": 70000}}, "$.mysql.port"),
        ({"console": {"replicaCount": -1}}, "$.console.replicaCount"),
        ({"bucket": {"provider": "ftp"}}, "$.bucket.provider"),
        ({"ingress": {"tls": [{"secretName": "x", "hostz": []}]}}, "$.ingress.tls[0]"),
    ],
)
def test_platform_schema_rejects(
    platform: Any, platform_validator: Draft202012Validator, override: dict[str, Any], pointer: str
) -> None:
    errors = _errors(platform_validator, platform.merge_values(override))
    assert [e for e in errors if e.startswith(f"{pointer}:")], errors
    with pytest.raises(helm.HelmValuesError):
        platform.render(override, name="specmerge", namespace="default")


def test_platform_schema_leaves_kubernetes_passthrough_open(
    platform: Any, platform_validator: Draft202012Validator
) -> None:
    override = {
        "app": {
            "resources": {"limits": {"nvidia.com/gpu": 1}},
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}},
            "securityContext": {"privileged": False},
        }
    }
    assert _errors(platform_validator, platform.merge_values(override)) == []


def test_every_secret_in_schema_is_write_only() -> None:
    check_secrets_write_only(PLATFORM / "values.schema.json", PLATFORM_WRITE_ONLY)


# ---------------------------------------------------------------- channels
# ---------------------------------------------------------------- secrets in the chart


def test_empty_secret_values_render_empty_secrets(platform: Any) -> None:
    objects = _objects(platform.render({}, name="specmerge", namespace="default"))
    license_secret = _one(objects, "Secret", "specmerge-platform-license")
    assert license_secret["data"] == {"license": ""}
    assert _one(objects, "Secret", "specmerge-platform-bucket")["data"] == {"accessKey": "", "secretKey": ""}


def test_given_secret_values_land_in_chart_secrets(platform: Any) -> None:
    values = {
        "license": {"value": "FAKE-LICENSE"},
        "mysql": {"password": "fake-pw"},
        "bucket": {"accessKey": "AKIAFAKE", "secretKey": "fake-secret"},
    }
    objects = _objects(platform.render(values, name="specmerge", namespace="default"))

    def decoded(name: str, key: str) -> str:
        return base64.b64decode(_one(objects, "Secret", name)["data"][key]).decode()

    assert decoded("specmerge-platform-license", "license") == "FAKE-LICENSE"
    assert decoded("specmerge-platform-mysql", "password") == "fake-pw"
    assert decoded("specmerge-platform-bucket", "accessKey") == "AKIAFAKE"
    assert decoded("specmerge-platform-bucket", "secretKey") == "fake-secret"
    configmap = _one(objects, "ConfigMap", "specmerge-platform-config")
    assert "fake-pw" not in json.dumps(configmap)


def test_existing_secrets_suppress_chart_secrets(platform: Any) -> None:
    values = _fold(
        _channel("stable/0.62.0")["values"],
        {
            "license": {"value": "ignored-when-existing", "existingSecret": "site-license"},
            "mysql": {"existingSecret": "site-mysql"},
            "bucket": {"existingSecret": "site-bucket"},
        },
    )
    rendered = platform.render(values, name="specmerge", namespace="platform")
    assert _kinds(rendered)["Secret"] == 0
    assert "ignored-when-existing" not in json.dumps(rendered)
    for deployment in (o for o in _objects(rendered) if o["kind"] == "Deployment"):
        env = _container_env(deployment)
        expected = {
            "LICENSE": "site-license",
            "MYSQL_PASSWORD": "site-mysql",
            "BUCKET_ACCESS_KEY": "site-bucket",
            "BUCKET_SECRET_KEY": "site-bucket",
        }
        refs = {n: env[n]["valueFrom"]["secretKeyRef"]["name"] for n in expected}
        assert refs == expected


def test_one_existing_secret_suppresses_only_its_own(platform: Any) -> None:
    objects = _objects(platform.render({"mysql": {"existingSecret": "site-mysql"}}, name="specmerge"))
    names = sorted(o["metadata"]["name"] for o in objects if o["kind"] == "Secret")
    assert names == ["specmerge-platform-bucket", "specmerge-platform-license"]


def test_checksum_annotations_follow_config_and_secrets(platform: Any) -> None:
    def annotations(values: dict[str, Any]) -> dict[str, str]:
        objects = _objects(platform.render(values, name="specmerge", namespace="default"))
        app = _one(objects, "Deployment", "specmerge-platform-app")
        annotations: dict[str, str] = app["spec"]["template"]["metadata"]["annotations"]
        return annotations

    base = annotations({})
    moved_db = annotations({"mysql": {"host": "db.elsewhere"}})
    new_password = annotations({"mysql": {"password": "rotated"}})
    assert moved_db["checksum/config"] != base["checksum/config"]
    assert moved_db["checksum/secret"] == base["checksum/secret"]
    assert new_password["checksum/secret"] != base["checksum/secret"]
    assert new_password["checksum/config"] == base["checksum/config"]


# ---------------------------------------------------------------- pods and routing


def test_deployments_have_secure_defaults(platform: Any) -> None:
    objects = _objects(platform.render({"worker": {"enabled": True}}, name="specmerge"))
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    assert len(deployments) == 3
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        container = pod["containers"][0]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    worker = _one(objects, "Deployment", "specmerge-platform-worker")
    assert worker["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "worker",
        "--queues=default,filestream",
        "--concurrency=4",
    ]


def test_component_settings_reach_their_pods(platform: Any) -> None:
    values = {
        "global": {"imageRegistry": "mirror.local:5000", "imagePullSecrets": [{"name": "pull"}]},
        "console": {
            "nodeSelector": {"pool": "web"},
            "tolerations": [{"key": "web", "operator": "Exists", "effect": "NoSchedule"}],
            "extraEnv": [{"name": "CONSOLE_THEME", "value": "dark"}],
            "podAnnotations": {"team": "ml"},
            "serviceAccount": {"create": False, "name": "shared-sa"},
        },
    }
    objects = _objects(platform.render(values, name="specmerge"))
    console = _one(objects, "Deployment", "specmerge-platform-console")
    pod = console["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "mirror.local:5000/specmerge/platform-console:2.13.4"
    assert pod["imagePullSecrets"] == [{"name": "pull"}]
    assert pod["nodeSelector"] == {"pool": "web"}
    assert pod["tolerations"][0]["key"] == "web"
    assert pod["serviceAccountName"] == "shared-sa"
    assert _container_env(console)["CONSOLE_THEME"]["value"] == "dark"
    assert console["spec"]["template"]["metadata"]["annotations"]["team"] == "ml"
    app = _one(objects, "Deployment", "specmerge-platform-app")
    assert "nodeSelector" not in app["spec"]["template"]["spec"]
    service_accounts = {o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount"}
    assert service_accounts == {"specmerge-platform-app"}


def test_ingress_routes_console_and_app(platform: Any) -> None:
    values = _fold(_channel("stable/0.62.0")["values"], _load_yaml(EXAMPLES / "user-values.yaml"))
    objects = _objects(platform.render(values, name="demo", namespace="platform"))
    ingress = _one(objects, "Ingress", "demo-platform")
    assert ingress["spec"]["tls"] == [{"secretName": "ml-example-com-tls", "hosts": ["ml.example.com"]}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "ml.example.com"
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert routes == {"/console": "demo-platform-console", "/": "demo-platform-app"}
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"


def test_ingress_fails_clearly_without_a_host(platform: Any) -> None:
    with pytest.raises(helm.HelmRenderError, match="global.host"):
        platform.render({"global": {"host": "http://:8080"}}, name="specmerge")


def test_hpa_and_pdb_per_component(platform: Any) -> None:
    values = {
        "worker": {
            "enabled": True,
            "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80},
        },
        "console": {"pdb": {"enabled": True, "maxUnavailable": "50%"}},
    }
    objects = _objects(platform.render(values, name="specmerge"))
    hpa = _one(objects, "HorizontalPodAutoscaler", "specmerge-platform-worker")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == "specmerge-platform-worker"
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu", "memory"]
    assert "replicas" not in _one(objects, "Deployment", "specmerge-platform-worker")["spec"]
    pdb = _one(objects, "PodDisruptionBudget", "specmerge-platform-console")
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"] == {
        "maxUnavailable": "50%",
        "selector": {"matchLabels": {
            "app.kubernetes.io/name": "platform",
            "app.kubernetes.io/instance": "specmerge",
            "app.kubernetes.io/component": "console",
        }},
    }
