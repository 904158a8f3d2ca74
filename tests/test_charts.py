"""The bundled platform chart, the agent-shaped test chart, the embedded channels
and the examples: they lint with Helm's linter, validate against the charts'
2020-12 schemas, and render with Helm's engine to the objects we expect.

Values are composed with Helm's own coalesce (``Chart.merge_values``), so an
explicit null in a higher layer deletes the chart default, as it does in Helm.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml
from jsonschema import Draft202012Validator

REPO = Path(__file__).resolve().parent.parent
PLATFORM = REPO / "charts" / "platform"
AGENT = REPO / "tests" / "charts" / "agent"
CHANNELS = REPO / "channels"
EXAMPLES = REPO / "examples"

RELEASES = {
    "stable/0.61.0": {"Deployment": 2, "HorizontalPodAutoscaler": 0, "PodDisruptionBudget": 1},
    "stable/0.62.0": {"Deployment": 3, "HorizontalPodAutoscaler": 0, "PodDisruptionBudget": 1},
    "beta/0.63.0-beta.1": {"Deployment": 3, "HorizontalPodAutoscaler": 1, "PodDisruptionBudget": 2},
}
AGENT_ENVS = ["dev", "staging", "prod"]

# design.md §5: sensitive when the whole key or its suffix matches one of these.
SENSITIVE_KEY = re.compile(
    r"(password|secret|secretkey|accesskey|token|apikey|license|privatekey|credentials)$",
    re.IGNORECASE,
)
# Keys that name a Secret rather than hold one.
SECRET_REFERENCE_KEY = re.compile(r"existingSecret$")

PLATFORM_WRITE_ONLY = {
    "/license/value",
    "/mysql/password",
    "/bucket/accessKey",
    "/bucket/secretKey",
}
AGENT_WRITE_ONLY = {"/agent/apiToken"}


# ---------------------------------------------------------------- helpers


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _channel(release: str) -> dict[str, Any]:
    spec: dict[str, Any] = _load_json(CHANNELS / f"{release}.json")
    return spec


def _fold(*layers: dict[str, Any]) -> dict[str, Any]:
    """Layers lowest first, merged as Helm merges -f files: maps key by key,
    anything else replaced whole, and an explicit null kept, so that Helm's
    coalesce with the chart defaults deletes that key (as `-f` + null does)."""
    effective: dict[str, Any] = {}
    for layer in layers:
        effective = _overlay(effective, layer)
    return effective


def _overlay(lower: dict[str, Any], higher: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(lower)
    for key, value in higher.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _overlay(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _objects(rendered: dict[str, str]) -> list[dict[str, Any]]:
    docs = []
    for name, text in sorted(rendered.items()):
        if name.endswith("NOTES.txt"):
            continue
        docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


def _kinds(rendered: dict[str, str]) -> Counter[str]:
    return Counter(obj["kind"] for obj in _objects(rendered))


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, got {len(found)}"
    return found[0]


def _leaves(value: Any, pointer: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, child in value.items():
            out.update(_leaves(child, f"{pointer}/{key}"))
        return out
    return {pointer: value}


def _schema_nodes(node: Any, pointer: str = "") -> list[tuple[str, str, dict[str, Any]]]:
    """(values pointer, key, schema node) for every named property, $defs included."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    if not isinstance(node, dict):
        return found
    for key, child in node.get("properties", {}).items():
        found.append((f"{pointer}/{key}", key, child))
        found.extend(_schema_nodes(child, f"{pointer}/{key}"))
    for key, child in node.get("$defs", {}).items():
        found.extend(_schema_nodes(child, f"#/$defs/{key}"))
    return found


def _container_env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def platform() -> Any:
    with helm.Chart.load(PLATFORM) as chart:
        yield chart


@pytest.fixture(scope="module")
def agent() -> Any:
    with helm.Chart.load(AGENT) as chart:
        yield chart


@pytest.fixture(scope="module")
def platform_schema() -> dict[str, Any]:
    schema: dict[str, Any] = _load_json(PLATFORM / "values.schema.json")
    return schema


@pytest.fixture(scope="module")
def platform_validator(platform_schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(platform_schema)
    return Draft202012Validator(platform_schema)


@pytest.fixture(scope="module")
def agent_validator() -> Draft202012Validator:
    schema = _load_json(AGENT / "values.schema.json")
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator: Draft202012Validator, values: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(values)]


# ---------------------------------------------------------------- lint & metadata


@pytest.mark.parametrize("chart_dir", [PLATFORM, AGENT], ids=["platform", "agent"])
def test_chart_lints_clean(chart_dir: Path) -> None:
    report = helm.lint(chart_dir, strict=True)
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


def test_agent_metadata_and_size(agent: Any) -> None:
    assert (agent.name, agent.version) == ("mlops-agent", "0.9.0")
    assert 6 <= len(agent.templates) <= 10


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


@pytest.mark.parametrize(
    "schema_path, expected",
    [
        (PLATFORM / "values.schema.json", PLATFORM_WRITE_ONLY),
        (AGENT / "values.schema.json", AGENT_WRITE_ONLY),
    ],
    ids=["platform", "agent"],
)
def test_every_secret_in_schema_is_write_only(schema_path: Path, expected: set[str]) -> None:
    nodes = _schema_nodes(_load_json(schema_path))
    write_only = {pointer for pointer, _, node in nodes if node.get("writeOnly") is True}
    assert write_only == expected
    for pointer, key, node in nodes:
        holds_secret = node.get("type") == "string" and not SECRET_REFERENCE_KEY.search(key)
        if holds_secret and SENSITIVE_KEY.search(key):
            assert node.get("writeOnly") is True, f"{pointer} looks secret but is not writeOnly"
        if SECRET_REFERENCE_KEY.search(key):
            assert "writeOnly" not in node, f"{pointer} names a Secret; it is not one"


# ---------------------------------------------------------------- channels


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_envelope(release: str) -> None:
    spec = _channel(release)
    channel, version = release.split("/")
    meta = spec["metadata"]
    assert (meta["channel"], meta["version"]) == (channel, version)
    assert meta["releaseId"].startswith("rel-") and meta["releaseId"].endswith(f"-{channel}-{version}")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", meta["publishedAt"])
    assert set(spec) - {"requirements"} == {"metadata", "chart", "values"}  # requirements: optional (preflight)
    assert spec["chart"] == {"path": "charts/platform"}
    assert (REPO / spec["chart"]["path"] / "Chart.yaml").is_file()


def test_channel_release_ids_are_unique() -> None:
    ids = [_channel(r)["metadata"]["releaseId"] for r in RELEASES]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_values_carry_no_secrets(release: str) -> None:
    for pointer, value in _leaves(_channel(release)["values"]).items():
        keys = pointer.strip("/").split("/")
        if any(SENSITIVE_KEY.search(k) and not SECRET_REFERENCE_KEY.search(k) for k in keys):
            pytest.fail(f"{release} carries a secret-looking value at {pointer}")
    assert "license" not in _channel(release)["values"]


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_release_validates_over_chart_defaults(
    platform: Any, platform_validator: Draft202012Validator, release: str
) -> None:
    merged = platform.merge_values(_channel(release)["values"])
    assert _errors(platform_validator, merged) == []
    report = helm.lint(PLATFORM, _channel(release)["values"], strict=True)
    assert report["errors"] == []


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_channel_release_renders_expected_objects(platform: Any, release: str) -> None:
    spec = _channel(release)
    rendered = platform.render(spec["values"], name="specmerge", namespace="platform")
    kinds = _kinds(rendered)
    expected = RELEASES[release]
    assert kinds["Deployment"] == expected["Deployment"]
    assert kinds["ServiceAccount"] == expected["Deployment"]
    assert kinds["Service"] == 2
    assert kinds["Ingress"] == 1
    assert kinds["ConfigMap"] == 1
    assert kinds["Secret"] == 3
    assert kinds["HorizontalPodAutoscaler"] == expected["HorizontalPodAutoscaler"]
    assert kinds["PodDisruptionBudget"] == expected["PodDisruptionBudget"]

    objects = _objects(rendered)
    app = _one(objects, "Deployment", "specmerge-platform-app")
    image = app["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == f"specmerge/platform-app:{spec['metadata']['version']}"
    ingress = _one(objects, "Ingress", "specmerge-platform")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    if expected["HorizontalPodAutoscaler"]:
        assert "replicas" not in app["spec"]
    else:
        assert app["spec"]["replicas"] == spec["values"]["app"]["replicaCount"]


def test_stable_062_changes_against_061(platform: Any) -> None:
    old = _channel("stable/0.61.0")["values"]
    new = _channel("stable/0.62.0")["values"]
    old_leaves, new_leaves = _leaves(old), _leaves(new)
    changed = {p for p in old_leaves.keys() & new_leaves.keys() if old_leaves[p] != new_leaves[p]}
    assert {"/app/image/tag", "/app/replicaCount", "/console/image/tag", "/worker/enabled"} <= changed
    assert len(changed) >= 6
    assert "/features/runComparerV2" in new_leaves.keys() - old_leaves.keys()
    assert new_leaves["/features/legacyRunPages"] is None
    removed = old_leaves.keys() - new_leaves.keys()
    assert "/ingress/annotations/nginx.ingress.kubernetes.io~1proxy-read-timeout" in {
        p.replace("nginx.ingress.kubernetes.io/", "nginx.ingress.kubernetes.io~1") for p in removed
    }

    # The list is replaced whole, never merged by index.
    merged_old = platform.merge_values(_fold(old))
    merged_new = platform.merge_values(_fold(old, new))
    assert merged_new["app"]["extraEnv"] == new["app"]["extraEnv"] != merged_old["app"]["extraEnv"]
    # The explicit null retires the chart default in the effective values and in the ConfigMap.
    assert "legacyRunPages" in merged_old["features"]
    assert "legacyRunPages" not in merged_new["features"]
    objects = _objects(platform.render(_fold(old, new), name="specmerge", namespace="platform"))
    flags = json.loads(_one(objects, "ConfigMap", "specmerge-platform-config")["data"]["FEATURE_FLAGS"])
    assert flags == {"artifactsV2": True, "reportsEditorV2": False, "runComparerV2": True}


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


# ---------------------------------------------------------------- examples


def test_examples_validate_and_render(platform: Any, platform_validator: Draft202012Validator) -> None:
    channel = _channel("stable/0.62.0")["values"]
    user = _load_yaml(EXAMPLES / "user-values.yaml")
    cr = _load_yaml(EXAMPLES / "cr.yaml")
    prod = _load_yaml(EXAMPLES / "env" / "prod.yaml")
    assert (cr["apiVersion"], cr["kind"]) == ("apps.wandb.com/v1", "WeightsAndBiases")
    assert (cr["metadata"]["name"], cr["metadata"]["namespace"]) == ("demo", "platform")
    assert cr["spec"]["chart"] == {"path": "charts/platform"}

    for layers in ([channel, user], [channel, user, cr["spec"]["values"]], [channel, prod]):
        values = _fold(*layers)
        assert _errors(platform_validator, platform.merge_values(values)) == []
        platform.render(values, name="demo", namespace="platform")

    with_cr = _objects(
        platform.render(_fold(channel, user, cr["spec"]["values"]), name="demo", namespace="platform")
    )
    assert sorted(o["metadata"]["name"] for o in with_cr if o["kind"] == "Secret") == [
        "demo-platform-license",
        "demo-platform-mysql",
    ]
    prod_objects = _objects(platform.render(_fold(channel, prod), name="demo", namespace="platform"))
    assert not [o for o in prod_objects if o["kind"] == "Secret"]
    app = _one(prod_objects, "Deployment", "demo-platform-app")
    image = app["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith("registry.prod.example.com/mirror/")


# ---------------------------------------------------------------- agent chart overlays


@pytest.mark.parametrize("env", AGENT_ENVS)
def test_agent_overlay_lints_validates_and_renders(
    agent: Any, agent_validator: Draft202012Validator, env: str
) -> None:
    overlay = _load_yaml(AGENT / "examples" / f"{env}_values.yaml")
    report = helm.lint(AGENT, overlay, strict=True)
    assert report["errors"] == [] and not [m for m in report["messages"] if m["severity"] >= 2]
    merged = agent.merge_values(overlay)
    assert _errors(agent_validator, merged) == []

    objects = _objects(agent.render(overlay, name="agent", namespace="mlops"))
    kinds = Counter(o["kind"] for o in objects)
    assert kinds["Deployment"] == kinds["ServiceAccount"] == kinds["ConfigMap"] == 1
    assert kinds["Role"] == kinds["RoleBinding"] == 1
    assert kinds["Secret"] == (0 if overlay.get("agent", {}).get("existingSecret") else 1)

    deployment = _one(objects, "Deployment", "agent-mlops-agent")
    assert deployment["spec"]["replicas"] == overlay.get("replicaCount", 1)
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":" + overlay["image"]["tag"])

    # The overlay's queue list replaces the default one: nothing of ["default"] survives.
    config = yaml.safe_load(_one(objects, "ConfigMap", "agent-mlops-agent")["data"]["agent.yaml"])
    assert config["queues"] == overlay["agent"]["queues"]
    assert "default" not in config["queues"]
    assert config["logLevel"] == overlay["agent"]["logLevel"]

    env_vars = _container_env(deployment)
    no_proxy = overlay.get("proxy", {}).get("noProxy", agent.values["proxy"]["noProxy"])
    assert env_vars["NO_PROXY"]["value"] == ",".join(no_proxy)
    assert ("HTTPS_PROXY" in env_vars) == bool(overlay.get("proxy", {}).get("https"))


def test_agent_overlays_differ_from_each_other() -> None:
    overlays = {env: _load_yaml(AGENT / "examples" / f"{env}_values.yaml") for env in AGENT_ENVS}
    for field in (("agent", "logLevel"), ("agent", "queues"), ("image", "tag")):
        seen = [overlays[env][field[0]][field[1]] for env in AGENT_ENVS]
        assert len({json.dumps(v) for v in seen}) >= 2, field
    assert overlays["prod"]["replicaCount"] > overlays["staging"]["replicaCount"] > 1
