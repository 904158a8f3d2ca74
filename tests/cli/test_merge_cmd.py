"""``specmerge merge``: output forms and exit codes (0 ok, 1 violations, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from specmerge.cli import app

runner = CliRunner()
SCHEMA = {"type": "object", "properties": {"replicas": {"type": "integer"}}, "additionalProperties": False}


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    a, b, s = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "s.json"
    a.write_text("replicas: 1\n")
    b.write_text("replicas: 2\n")
    s.write_text(json.dumps(SCHEMA))
    return a, b, s


def test_later_files_and_set_win_and_exit_0(tmp_path: Path) -> None:
    a, b, s = _files(tmp_path)
    out = runner.invoke(app, ["merge", "-f", str(a), "-f", str(b), "--schema", str(s)])
    assert (out.exit_code, out.stdout) == (0, "replicas: 2\n")
    out = runner.invoke(app, ["merge", "--set", "replicas=3", "-f", str(a)])
    assert out.stdout == "replicas: 3\n"  # --set beats -f whatever the flag order


def test_violation_exit_1_with_attribution_on_stderr(tmp_path: Path) -> None:
    a, _, s = _files(tmp_path)
    out = runner.invoke(app, ["merge", "-f", str(a), "--set-string", "replicas=3", "--schema", str(s)])
    assert out.exit_code == 1
    assert 'violation: replicas: "3" is not of type "integer" (from set set:--set-string replicas)' in out.stderr


def test_json_output_carries_values_layers_warnings_violations(tmp_path: Path) -> None:
    a, b, _ = _files(tmp_path)
    b.write_text("replicas:\n  min: 1\n")
    doc = json.loads(runner.invoke(app, ["merge", "-f", str(a), "-f", str(b), "--set", "x=1", "-o", "json"]).stdout)
    assert doc["values"] == {"replicas": {"min": 1}, "x": 1}
    # the files and flags are one group, merged as Helm merges them (a map replaces a
    # scalar silently there, as in Helm); provenance stays per leaf
    assert [l["source"] for l in doc["layers"]] == [f"file:{a} file:{b} set:--set x"]
    assert doc["warnings"] == [] and doc["violations"] == []


def test_explain_prints_the_chain(tmp_path: Path) -> None:
    a, b, _ = _files(tmp_path)
    out = runner.invoke(app, ["merge", "-f", str(a), "-f", str(b), "--explain", "replicas"])
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "replicas  (set)"
    assert "=> file" in lines[1] and "2" in lines[1] and f"{b}:1:1" in lines[1]
    assert "shadowed" in lines[2] and f"{a}:1:1" in lines[2]  # what the later file hid, inside the group


def test_bad_input_and_usage_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    out = runner.invoke(app, ["merge", "-f", str(bad)])
    assert out.exit_code == 2 and out.stderr.startswith(f"error: file:{bad}:2:1: invalid YAML")
    assert runner.invoke(app, ["merge", "-o", "xml"]).exit_code == 2
    assert runner.invoke(app, ["merge", "--schema", str(tmp_path / "none.json")]).exit_code == 2
    assert runner.invoke(app, ["merge", "--no-such-flag"]).exit_code == 2
