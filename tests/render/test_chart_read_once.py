"""What a render reads of a chart, and how often (issue 12's CLI speed): Helm's reading of
the chart's ``values.yaml`` is the chart layer (the text is kept only for line numbers), and
one save of the chart's archive gives both its schema-less copy and its subcharts' schemas."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import helm_python as helm
import pytest
from renderkit import REPO, run_cli

from specmerge.render.ref import PathRef
from specmerge.render.sources import load_chart

EXPORTER = REPO / "tests" / "charts" / "exporter-lite"


def _integer_key_chart(root: Path) -> Path:
    chart = root / "tcp"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tcp\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text('tcp:\n  8080: "ns/svc:9000"\n')
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tcp\ndata:\n"
        "{{- range $k, $v := .Values.tcp }}\n  \"{{ $k }}\": {{ $v | quote }}\n{{- end }}\n"
    )
    return chart


@pytest.mark.helmcli
def test_a_chart_default_with_an_integer_key_renders_as_helm_renders_it(helm_cli: Path, tmp_path: Path) -> None:
    """A popular ingress chart's documented ``tcp: {8080: ...}`` in the chart's own values.yaml:
    Helm reads the key as the string "8080"; so does specmerge (it no longer re-reads the text)."""
    chart = _integer_key_chart(tmp_path)
    theirs = subprocess.run([str(helm_cli), "template", "x", str(chart)], capture_output=True, text=True,
                            timeout=120, check=False)
    ours = run_cli("render", "--chart", str(chart), "--name", "x")
    assert theirs.returncode == 0, theirs.stderr
    assert ours.exit_code == 0, ours.stderr
    assert ours.stdout == theirs.stdout
    assert '"8080": "ns/svc:9000"' in ours.stdout


def test_the_archive_is_saved_once_for_the_schema_less_copy_and_the_subchart_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted on the real Helm chart handle (a spy that calls through, not a mock)."""
    saves: list[str] = []
    real_save = helm.Chart.save

    def counted(self: helm.Chart, destination: str) -> str:
        saves.append(str(destination))
        return real_save(self, destination)

    monkeypatch.setattr(helm.Chart, "save", counted)
    chart = tmp_path / "exporter"
    subprocess.run(["cp", "-r", str(EXPORTER), str(chart)], check=True)  # a digest of its own: not loaded before
    loaded = load_chart(PathRef(chart, "exporter"))
    from specmerge.render.subcharts import subchart_schemas

    paths = [s.path for s in subchart_schemas(loaded)]
    assert paths == [("state-metrics",)]
    assert len(saves) == 1
    schema_file = chart / "charts" / "state-metrics" / "values.schema.json"
    assert subchart_schemas(loaded)[0].schema == json.loads(schema_file.read_text())
    assert loaded.unchecked is not None and loaded.unchecked.schema is None
    assert len(saves) == 1
