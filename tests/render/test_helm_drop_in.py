"""``specmerge render --chart DIR`` as a drop-in for ``helm template`` (issue 12, items 1-10).

Every case runs the Go-built helm v4.2.3 CLI and ``specmerge render`` on the small charts
under tests/charts/ (ingress-lite: an ingress controller; exporter-lite: an exporter with a
subchart) with the same flags, and compares what a user sees: stdout byte for byte, the
exit status class, and for schema errors the JSON pointer Helm names.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from renderkit import REPO, run_cli

INGRESS = REPO / "tests" / "charts" / "ingress-lite"
EXPORTER = REPO / "tests" / "charts" / "exporter-lite"
RELEASE = "parity"


def helm(helm_cli: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm_cli), *args], capture_output=True, text=True, timeout=120, check=False)


def both(helm_cli: Path, chart: Path, *flags: str):
    """(helm template, specmerge render) of ``chart`` with ``flags``."""
    theirs = helm(helm_cli, "template", RELEASE, str(chart), "-n", "default", *flags)
    ours = run_cli("render", "--chart", str(chart), "--name", RELEASE, "-n", "default", "--show-secrets", *flags)
    return theirs, ours


def assert_same(helm_cli: Path, chart: Path, *flags: str) -> str:
    theirs, ours = both(helm_cli, chart, *flags)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.exit_code == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    return ours.stdout


def pointers(helm_stderr: str) -> list[str]:
    """The JSON pointers of Helm's schema errors: ``- at '/a/b': ...``."""
    return re.findall(r"- at '([^']*)'", helm_stderr)


# 1 ------------------------------------------------------------------------------------------


@pytest.mark.helmcli
def test_big_integers_from_set_print_as_helm_prints_them(helm_cli: Path) -> None:
    out = assert_same(
        helm_cli, INGRESS,
        "--set", "controller.config.worker-connections=1048576,controller.config.max-worker-open-files=1234567",
        "--set", "controller.extraArgs.v=2,controller.extraArgs.sync-period=-2000000",
    )  # fmt: skip
    assert 'worker-connections: "1048576"' in out and "--sync-period=-2000000" in out
    assert "e+06" not in out  # and so the checksum/config annotation is Helm's too


# 2 ------------------------------------------------------------------------------------------


@pytest.mark.helmcli
@pytest.mark.parametrize("chart", [INGRESS, EXPORTER], ids=["ingress-lite", "exporter-lite"])
def test_chart_default_nulls_are_dropped_as_in_helm(helm_cli: Path, chart: Path) -> None:
    out = assert_same(helm_cli, chart)
    assert "seLinuxOptions" not in out and "metric-labels-allowlist" not in out


@pytest.mark.helmcli
def test_a_user_null_for_a_subchart_default_erases_it_as_in_helm(helm_cli: Path) -> None:
    out = assert_same(helm_cli, EXPORTER, "--set", "state-metrics.resources=null", "--set", "state-metrics.collectors={pods}")
    assert "--resources=pods" in out


# 3 ------------------------------------------------------------------------------------------


@pytest.mark.helmcli
def test_set_json_whole_object_form(helm_cli: Path) -> None:
    out = assert_same(
        helm_cli, INGRESS, "-f", str(INGRESS / "examples" / "production.yaml"),
        "--set-json", '{"controller":{"replicaCount":2,"extraArgs":{"v":"3"}},"commonLabels":{"a":"b"}}',
    )  # fmt: skip
    assert "replicas: 2" in out and "--v=3" in out and "--enable-ssl-passthrough=true" in out


# 4 and 5 ---------------------------------------------------------------------------------------


@pytest.mark.helmcli
@pytest.mark.parametrize(
    ("chart", "flags", "pointer"),
    [
        (INGRESS, ["--set", "controller.replicaCount=-1"], "/controller/replicaCount"),  # $schema: .../schema#
        (INGRESS, ["--set", "controller.defaultBackendService=null"], "/controller/defaultBackendService"),
        (EXPORTER, ["--set", "exporter.port=70000"], "/exporter/port"),  # draft-04
    ],
    ids=["schema#-minimum", "null-where-string", "draft-04-maximum"],
)
def test_schema_verdicts_and_pointers_match_helm(helm_cli: Path, chart: Path, flags: list[str], pointer: str) -> None:
    theirs, ours = both(helm_cli, chart, *flags)
    assert theirs.returncode == 1 and ours.exit_code == 1, (theirs.stderr, ours.stderr)
    assert pointers(theirs.stderr) == [pointer]
    assert ours.stdout == ""
    dotted = pointer.strip("/").replace("/", ".")
    assert f"  - {dotted}: " in ours.stderr and "(from set set:--set " in ours.stderr


@pytest.mark.helmcli
@pytest.mark.parametrize("draft", ["http://json-schema.org/schema#", "http://json-schema.org/draft-04/schema#",
                                   "https://json-schema.org/draft-06/schema", "http://json-schema.org/draft-07/schema#"])
def test_old_and_unversioned_drafts_validate_as_in_helm(helm_cli: Path, tmp_path: Path, draft: str) -> None:
    chart = tmp_path / "drafts"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: drafts\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("name: web\nreplicas: 1\n")
    (chart / "values.schema.json").write_text(
        '{"$schema": "%s", "type": "object", "required": ["name"], "properties": {"replicas": '
        '{"type": "integer", "exclusiveMinimum": 0}, "name": {"type": "string"}}}' % draft
    )
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\ndata:\n  r: {{ .Values.replicas | quote }}\n"
    )
    if "draft-04" in draft:  # draft-04 spells exclusiveMinimum as a boolean beside minimum
        text = (chart / "values.schema.json").read_text().replace('"exclusiveMinimum": 0', '"minimum": 0, "exclusiveMinimum": true')
        (chart / "values.schema.json").write_text(text)
    assert_same(helm_cli, chart, "--set", "replicas=3")
    theirs, ours = both(helm_cli, chart, "--set", "replicas=0")
    assert (theirs.returncode, ours.exit_code) == (1, 1)
    assert pointers(theirs.stderr) == ["/replicas"] and "  - replicas: " in ours.stderr


# 6 (the vector table is tests/core/test_strvals_parity.py) ------------------------------------


@pytest.mark.helmcli
def test_set_edits_the_rbac_rules_a_values_file_set(helm_cli: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rbac.yaml"
    rules.write_text(
        "rbac:\n  rules:\n"
        "    - {apiGroups: [''], resources: [pods], verbs: [list]}\n"
        "    - {apiGroups: [''], resources: [services], verbs: [list]}\n"
        "    - {apiGroups: [apps], resources: [deployments], verbs: [list]}\n"
    )
    out = assert_same(
        helm_cli, INGRESS, "-f", str(rules),
        "--set", "rbac.rules[3].apiGroups[0]=discovery.k8s.io,rbac.rules[3].resources[0]=endpointslices",
        "--set", "rbac.rules[3].verbs={list,watch}", "--set", "rbac.rules[0].verbs[1]=watch",
    )  # fmt: skip
    assert "deployments" in out and "endpointslices" in out


@pytest.mark.helmcli
@pytest.mark.parametrize(
    "flags",
    [
        ["--set", "controller.image=nginx", "--set", "controller.image.tag=x"],  # a path through a scalar
        ["--set-json", '{"controller": '],
    ],
    ids=["through-scalar", "bad-json-object"],
)
def test_composition_errors_fail_in_both(helm_cli: Path, flags: list[str]) -> None:
    theirs, ours = both(helm_cli, INGRESS, *flags)
    assert theirs.returncode != 0 and ours.exit_code == 2, ours.stderr  # 2: bad input


@pytest.mark.helmcli
def test_a_map_over_a_chart_default_list_is_a_schema_error_in_both(helm_cli: Path) -> None:
    """The chart's rules list is not in the flags' map, so ``--set rbac.rules.a=1`` makes a
    map there (no parse error, in Helm either); the schema then refuses it."""
    theirs, ours = both(helm_cli, INGRESS, "--set", "rbac.rules.a=1")
    assert (theirs.returncode, ours.exit_code) == (1, 1)
    assert pointers(theirs.stderr) == ["/rbac/rules"] and "  - rbac.rules: " in ours.stderr


# 7 ------------------------------------------------------------------------------------------


@pytest.mark.helmcli
@pytest.mark.parametrize("example", ["production.yaml", "multi-document.yaml"])
def test_multi_document_files_and_integer_keys(helm_cli: Path, example: str) -> None:
    out = assert_same(helm_cli, INGRESS, "-f", str(INGRESS / "examples" / example))
    if example == "production.yaml":
        assert '"8080": "default/example-go:8080"' in out
    else:
        assert "--ingress-class=internal" in out and "kube-dns" in out


# 8 ------------------------------------------------------------------------------------------


@pytest.mark.helmcli
def test_strict_passes_stock_chart_slips_with_warnings(helm_cli: Path) -> None:
    flags = ["-f", str(EXPORTER / "examples" / "production.yaml")]
    assert_same(helm_cli, EXPORTER, *flags)
    out = run_cli("render", "--chart", str(EXPORTER), "--strict", "--show-secrets", *flags)
    assert out.exit_code == 0, out.stderr
    assert 'warning: exporter-lite/templates/daemonset.yaml: found duplicate key "app.kubernetes.io/name"' in out.stderr
    assert out.stderr.count("not checked") == 1
    assert "monitoring.coreos.com/v1 ServiceMonitor (1 object: ServiceMonitor/specmerge-exporter-lite)" in out.stderr
    assert "not an object" not in out.stderr  # the comment-only document is no document


# 9 ------------------------------------------------------------------------------------------


@pytest.mark.helmcli
def test_chart_dir_gets_no_channel_overlay_unless_asked(helm_cli: Path) -> None:
    flags = ["-f", str(EXPORTER / "examples" / "ingress.yaml")]
    out = assert_same(helm_cli, EXPORTER, *flags)
    assert "proxy-body-size" not in out and "ingressClassName: internal" in out
    asked = run_cli("render", "--chart", str(EXPORTER), "--channel", "stable", *flags)
    assert asked.exit_code == 0 and "nginx.ingress.kubernetes.io/proxy-body-size" in asked.stdout


# 10 -----------------------------------------------------------------------------------------


@pytest.mark.helmcli
@pytest.mark.parametrize("chart", [INGRESS, EXPORTER, REPO / "charts" / "platform"], ids=lambda c: c.name)
def test_show_values_is_byte_equal(helm_cli: Path, chart: Path) -> None:
    theirs = helm(helm_cli, "show", "values", str(chart))
    ours = run_cli("show", "values", "--chart", str(chart))
    assert (theirs.returncode, ours.exit_code) == (0, 0)
    assert ours.stdout == theirs.stdout


@pytest.mark.helmcli
@pytest.mark.parametrize(
    "only",
    [["-s", "templates/service.yaml"], ["-s", "charts/*/templates/*.yaml", "--show-only", "templates/daemonset.yaml"],
     ["-s", "templates/s*.yaml"]],
    ids=["one", "subchart-glob-and-one", "glob"],
)
def test_show_only_matches_helm(helm_cli: Path, only: list[str]) -> None:
    assert_same(helm_cli, EXPORTER, "-f", str(EXPORTER / "examples" / "production.yaml"), *only)


@pytest.mark.helmcli
def test_show_only_of_a_missing_template_fails_in_both(helm_cli: Path) -> None:
    theirs, ours = both(helm_cli, EXPORTER, "-s", "templates/nope.yaml")
    assert theirs.returncode != 0 and ours.exit_code == 2
    assert "could not find template templates/nope.yaml in chart" in ours.stderr


@pytest.mark.helmcli
def test_subchart_schema_violation_exits_1_naming_the_layer(helm_cli: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "prod.yaml"
    overlay.write_text("state-metrics:\n  replicas: 0\n")
    theirs, ours = both(helm_cli, EXPORTER, "-f", str(overlay))
    assert (theirs.returncode, ours.exit_code) == (1, 1)
    assert "state-metrics:" in theirs.stderr and pointers(theirs.stderr) == ["/replicas"]
    assert f"  - state-metrics.replicas: 0 is less than the minimum of 1 (from file file:{overlay}:2:3)" in ours.stderr


# the corpus runner -----------------------------------------------------------------------------


@pytest.mark.helmcli
def test_parity_runner_over_the_test_charts_is_all_identical(helm_cli: Path) -> None:
    charts = [str(p) for p in sorted((REPO / "tests" / "charts").iterdir()) if (p / "Chart.yaml").exists()]
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "parity.py"), "--helm", str(helm_cli), *charts],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert " differs" not in done.stdout and "0 differ" in done.stdout
