"""``specmerge render`` and ``specmerge show values`` end to end, in-process."""

from __future__ import annotations

import json

import pytest
from pathlib import Path

from renderkit import AGENT, PLATFORM, REPO, run_cli, split_stream

from specmerge.render.manifests import INSTALL_ORDER

USER_VALUES = REPO / "examples" / "user-values.yaml"
FAKE_MYSQL_PASSWORD = "fake-mysql-password-change-me"


def test_default_render_needs_no_flags_network_or_cluster() -> None:
    out = run_cli("render")
    assert out.exit_code == 0, out.stderr
    docs = split_stream(out.stdout)
    assert len(docs) >= 10
    assert out.stdout == run_cli("render").stdout  # deterministic
    assert all(d.startswith("# Source: platform/templates/") for d in docs)
    kinds = [next(line.split(": ", 1)[1] for line in d.splitlines() if line.startswith("kind: ")) for d in docs]
    ranks = [INSTALL_ORDER.index(k) for k in kinds]  # every kind of the bundled chart is a known one
    assert ranks == sorted(ranks), f"not in Helm's install order: {kinds}"
    assert kinds.index("ServiceAccount") < kinds.index("Secret") < kinds.index("Deployment")


def test_violation_in_a_values_file_names_file_and_line_and_stops(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("app:\n  # too many\n  replicaCount: many\n  colour: blue\n")
    out = run_cli("render", "-f", str(bad))
    assert out.exit_code == 1
    assert out.stdout == ""  # nothing rendered
    assert f"app.replicaCount: " in out.stderr and f"(from file file:{bad}:3:3)" in out.stderr
    assert f"unknown key 'colour'" in out.stderr and f"file:{bad}:4:3" in out.stderr


def test_secrets_are_masked_unless_show_secrets() -> None:
    masked = run_cli("render", "-f", str(USER_VALUES))
    assert masked.exit_code == 0, masked.stderr
    assert FAKE_MYSQL_PASSWORD not in masked.stdout
    import base64

    encoded = base64.b64encode(FAKE_MYSQL_PASSWORD.encode()).decode()
    assert encoded not in masked.stdout and "<redacted hmac:" in masked.stdout
    shown = run_cli("render", "-f", str(USER_VALUES), "--show-secrets")
    assert encoded in shown.stdout or FAKE_MYSQL_PASSWORD in shown.stdout


def test_show_values_annotates_every_leaf_with_its_layer_and_masks(tmp_path: Path) -> None:
    out = run_cli("render", "--show-values", "-f", str(USER_VALUES), "--set", "app.replicaCount=5")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(l.strip().startswith("replicaCount: 5") and "# from: set set:--set app.replicaCount" in l for l in lines)
    assert any("# from: channel channel:stable@0.62.0" in l for l in lines)
    assert any(f"# from: file file:{USER_VALUES}:" in l for l in lines)
    assert any("# from: chart chart:platform@1.4.0/values.yaml:" in l for l in lines)
    assert FAKE_MYSQL_PASSWORD not in out.stdout
    assert "legacyRunPages" not in out.stdout  # deleted by the 0.62.0 channel


def test_cr_file_is_the_cr_layer_and_its_chart_is_used(tmp_path: Path) -> None:
    cr = REPO / "examples" / "cr.yaml"
    out = run_cli("render", "--cr", str(cr), "--namespace", "platform", "--show-values")
    assert out.exit_code == 0, out.stderr
    assert any("replicaCount: 2" in l and f"# from: cr cr:platform/demo@file:{cr}:" in l for l in out.stdout.splitlines())
    pinned = tmp_path / "cr.yaml"
    pinned.write_text(
        "apiVersion: apps.wandb.com/v1\nkind: WeightsAndBiases\nmetadata: {name: old}\n"
        f"spec:\n  chart: {{path: {AGENT}}}\n  values: {{}}\n"
    )
    agent = run_cli("render", "--cr", str(pinned), "--channel", "none")
    assert agent.exit_code == 0, agent.stderr
    assert "# Source: mlops-agent/templates/deployment.yaml" in agent.stdout


def test_output_dir_writes_one_file_per_template(tmp_path: Path) -> None:
    out = run_cli("render", "--output-dir", str(tmp_path / "out"))
    assert out.exit_code == 0, out.stderr
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.yaml"))
    assert "platform/templates/configmap.yaml" in written and "platform/templates/app/deployment.yaml" in written
    assert not any(w.endswith("hpa.yaml") for w in written)  # rendered empty: no file, as Helm
    assert (tmp_path / "out/platform/templates/configmap.yaml").read_text().startswith("---\n# Source: platform/templates/configmap.yaml\n")


def test_release_name_namespace_kube_version_and_api_versions(tmp_path: Path) -> None:
    out = run_cli("render", "--name", "demo", "--namespace", "ml", "--kube-version", "1.31.2")
    assert out.exit_code == 0, out.stderr
    assert 'name: "demo-platform-app"' in out.stdout and "namespace: ml" in out.stdout
    old = run_cli("render", "--kube-version", "1.20.0")
    assert old.exit_code == 2
    assert "requires kubeVersion: >=1.29.0-0 which is incompatible with Kubernetes v1.20.0" in old.stderr
    chart = tmp_path / "caps"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: caps\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caps}\ndata:\n"
        '  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n'
        '  foo: {{ .Capabilities.APIVersions.Has "foo.example.com/v1" | quote }}\n'
    )
    caps = run_cli("render", "--chart", str(chart), "--channel", "none", "-a", "foo.example.com/v1")
    assert caps.exit_code == 0, caps.stderr
    assert 'kube: "v1.36.0"' in caps.stdout and 'foo: "true"' in caps.stdout


def test_template_error_is_exit_2_naming_template_and_line(broken_chart: Path) -> None:
    out = run_cli("render", "--chart", str(broken_chart), "--channel", "none")
    assert out.exit_code == 2
    assert "mlops-agent/templates/broken.yaml:3" in out.stderr


def test_bad_chart_references_say_the_closest_form_and_what_is_missing() -> None:
    repo = run_cli("render", "--chart", "https://charts.example.com", "--chart-version", "1.0.0")
    assert repo.exit_code == 2 and "closest to the chart repository form" in repo.stderr and "missing: name" in repo.stderr
    oci = run_cli("render", "--chart", "oci://registry.example.com/charts/platform")
    assert oci.exit_code == 2 and "closest to the OCI form" in oci.stderr and "missing: version" in oci.stderr
    obj = run_cli("render", "--chart", json.dumps({"name": "platform", "version": "1.4.0"}))
    assert obj.exit_code == 2 and "missing: url" in obj.stderr


def test_airgapped_refuses_an_uncached_remote_chart() -> None:
    out = run_cli(
        "render", "--airgapped", "--chart", "https://charts.example.com", "--chart-name", "platform", "--chart-version", "1.4.0"
    )
    assert out.exit_code == 2 and "airgapped: this chart is not in the cache" in out.stderr


def test_strict_checks_rendered_objects_against_kubernetes_schemas(tmp_path: Path) -> None:
    assert run_cli("render", "--strict").exit_code == 0
    chart = tmp_path / "bad-k8s"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: badk8s\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndatta: {a: b}\n")
    out = run_cli("render", "--chart", str(chart), "--channel", "none", "--strict")
    assert out.exit_code == 1
    assert "badk8s/templates/cm.yaml ConfigMap/x" in out.stderr and "datta" in out.stderr


def test_show_values_prints_the_chart_defaults_like_helm_show_values() -> None:
    out = run_cli("show", "values")
    assert out.exit_code == 0
    assert out.stdout == (PLATFORM / "values.yaml").read_text() + "\n"  # Helm prints the text with Println
    agent = run_cli("show", "values", "--chart", str(AGENT))
    assert agent.stdout == (AGENT / "values.yaml").read_text() + "\n"


def test_rendered_manifests_match_the_effective_spec_when_a_default_map_was_dropped(tmp_path: Path) -> None:
    """-f drops ``features``, a later -f sets a new map: the -f files merge first (as in
    Helm), so the new flag joins the defaults of the layers below; the flag the channel
    deleted (``legacyRunPages: null``) stays deleted in the render, as ``--show-values`` shows."""
    off, on = tmp_path / "off.yaml", tmp_path / "on.yaml"
    off.write_text("features: null\n")
    on.write_text("features:\n  shinyNewThing: true\n")
    out = run_cli("render", "-f", str(off), "-f", str(on))
    assert out.exit_code == 0, out.stderr
    (configmap,) = [d for d in split_stream(out.stdout) if "FEATURE_FLAGS" in d]
    line = next(l for l in configmap.splitlines() if "FEATURE_FLAGS" in l)
    assert "shinyNewThing" in line and "artifactsV2" in line and "legacyRunPages" not in line
    shown = run_cli("render", "-f", str(off), "-f", str(on), "--show-values").stdout
    assert "legacyRunPages" not in shown and "shinyNewThing: true" in shown


@pytest.mark.parametrize("override", ["x\n---\nz: y", "x\n---\nkind: ConfigMap\nz: y", "x\n---\n"])
@pytest.mark.parametrize("key", ["nameOverride", "fullnameOverride"])
def test_values_that_split_a_secret_template_cannot_carry_its_data_out(key: str, override: str) -> None:
    """A `---` inside a name the chart prints unquoted splits the Secret's template into more
    documents; the one holding `data:` then has another kind or none. Its data stays masked."""
    import base64

    out = run_cli("render", "-f", str(USER_VALUES), "--set-json", f"{key}={json.dumps(override)}")
    assert FAKE_MYSQL_PASSWORD not in out.stdout + out.stderr
    assert base64.b64encode(FAKE_MYSQL_PASSWORD.encode()).decode() not in out.stdout + out.stderr
