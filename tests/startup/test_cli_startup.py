"""What `specmerge render` loads and computes as a user runs it (issue 12: start-up speed).

The figures are in bench/bench_cli.py; these tests pin the behaviour the figures rest on:
a render on the embedded channel imports no HTTP client and no pydantic, and a plain
render never computes a layer's line positions (only messages need them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from specmerge.core import Layer, Positions
from specmerge.pipeline import PlanInputs, plan

REPO = Path(__file__).resolve().parents[2]

#: Runs the CLI as `specmerge` does, then reports which of these modules it loaded.
_PROBE = """
import json, sys, runpy
sys.argv = ["specmerge"] + json.loads(sys.argv[1])
code = 0
try:
    runpy.run_module("specmerge.cli", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
print(json.dumps({"code": code, "loaded": sorted(m for m in ("httpx", "pydantic", "typer._adapters", "helm_python")
                                                  if m in sys.modules)}), file=sys.stderr)
"""


def _run(*args: str) -> tuple[str, str, dict]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(list(args))], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120, check=False)
    *err, last = done.stderr.strip().splitlines()
    return done.stdout, "\n".join(err), json.loads(last)


def test_render_on_the_embedded_channel_loads_neither_httpx_nor_pydantic() -> None:
    out, _, report = _run("render", "--set", "app.replicaCount=3")
    assert report["code"] == 0
    assert "kind: Deployment" in out and "replicas: 3" in out
    assert report["loaded"] == ["helm_python"]  # Helm's library, and nothing for HTTP or coercion


def test_a_typed_option_still_refuses_a_bad_value_and_help_still_prints() -> None:
    """Values the fast coercion does not answer go to Typer's own (pydantic) coercion."""
    for bad, why in (("x", "valid integer"), ("-1", "greater than or equal to 0")):
        _, err, report = _run("diff", "-U", bad, "-f", "a.yaml", "--", "-f", "b.yaml")
        assert report["code"] == 2
        assert "Invalid value for '--context'" in err and why in " ".join(err.replace("│", " ").split())
    out, _, report = _run("render", "--help")
    assert report["code"] == 0 and "--show-secrets" in out and "--set-json" in out


def test_a_plain_render_computes_no_line_positions() -> None:
    """A null that deletes a chart default is handed to Helm as a null; finding those paths
    must not locate them (the chart's values.yaml would be composed again, for nothing)."""
    located: list[str] = []

    def positions() -> dict:
        located.append("user")
        return {("features", "legacyRunPages"): (3, 5)}

    user = Layer("user", "file:user.yaml", {"features": {"legacyRunPages": None}}, Positions(compute=positions))
    p = plan(PlanInputs(user=user))
    rendered = "".join((p.manifests or {}).values())
    assert p.ok and "artifactsV2" in rendered and "legacyRunPages" not in rendered
    assert located == []
    assert p.effective.deleted()[0].winner is not None  # provenance, when asked, still locates it
    assert located == ["user"]


def test_show_secrets_error_still_comes_from_the_masked_render(tmp_path: Path) -> None:
    """``--show-secrets`` renders only the real values; a template error is still the masked
    render's (a short secret is not scrubbed from free text, so only masking keeps it out)."""
    chart = tmp_path / "c"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("db:\n  password: ''\n  size: 1\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  size: {{ .Values.db.size | quote }}\n"
        "{{- if gt (int .Values.db.size) 5 }}{{ fail (printf \"password %s, size too big\" .Values.db.password) }}{{ end }}\n")
    out, _, report = _run("render", "--chart", str(chart), "--show-secrets", "--set", "db.password=pw1")
    assert report["code"] == 0 and 'size: "1"' in out
    out, err, report = _run("render", "--chart", str(chart), "--show-secrets", "--set", "db.password=pw1",
                            "--set", "db.size=9")
    assert report["code"] == 2 and "size too big" in err
    assert "pw1" not in err and "<redacted" in err
