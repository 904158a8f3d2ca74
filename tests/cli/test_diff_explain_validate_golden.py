"""``specmerge diff``, ``explain`` and ``validate`` end to end, against stored expected output.

Golden files are in tests/diff/golden/; regenerate them after an intended change with
``SPECMERGE_UPDATE_GOLDEN=1 python3 -m pytest tests/cli tests/diff`` and review ``git diff``. Inputs
are the embedded channel releases (0.61.0 -> 0.62.0), the agent chart's example overlays
(``--channel none --chart tests/charts/agent``) and tests/diff/data/stored-spec.json; every
path is relative to the repository root (the tests' cwd), so goldens hold no tmp paths,
no timestamps, and no colour (stdout is not a TTY).
"""

from __future__ import annotations

import json

import pytest

from diffkit import at_repo_root, AGENT, AGENT_EXAMPLES, DATA, check_golden, run_cli  # noqa: F401 (autouse fixture)

RELEASES = ("--from-release", "0.61.0", "--to-release", "0.62.0")
DEV, PROD = f"{AGENT_EXAMPLES}/dev_values.yaml", f"{AGENT_EXAMPLES}/prod_values.yaml"
DEV_TO_PROD = (*AGENT, "-f", DEV, "--", *AGENT, "-f", PROD)


@pytest.mark.parametrize("output,ext", [("text", "txt"), ("json", "json")])
def test_release_upgrade_diff_golden(output: str, ext: str) -> None:
    out = run_cli("diff", *RELEASES, "-o", output, "--exit-code")
    assert out.exit_code == 1, out.stderr
    check_golden(f"diff-release-0.61.0-0.62.0.{ext}", out.stdout)


def test_release_diff_json_names_the_channel_release_behind_each_change() -> None:
    doc = json.loads(run_cli("diff", *RELEASES, "-o", "json", "--only", "values").stdout)
    by_path = {c["path"]: c for c in doc["values"]}
    tag = by_path["/app/image/tag"]
    assert (tag["old"], tag["new"], tag["change"]) == ("0.61.0", "0.62.0", "changed")
    assert tag["oldOrigin"]["source"] == "channel:stable@0.61.0"
    assert tag["newOrigin"]["source"] == "channel:stable@0.62.0"
    gone = by_path["/features/legacyRunPages"]
    assert gone["change"] == "removed" and gone["newOrigin"]["op"] == "delete"
    assert doc["manifests"] is None and doc["summary"]["manifests"] is None


@pytest.mark.parametrize("output,ext", [("text", "txt"), ("json", "json")])
def test_agent_overlays_dev_to_prod_golden(output: str, ext: str) -> None:
    out = run_cli("diff", "--context", "1", "-o", output, *DEV_TO_PROD)
    assert out.exit_code == 0, out.stderr  # without --exit-code a diff is not a failure
    check_golden(f"diff-agent-dev-prod.{ext}", out.stdout)


def test_from_file_stored_spec_golden() -> None:
    out = run_cli("diff", "--from-file", str(DATA.relative_to(DATA.parents[2]) / "stored-spec.json"), *AGENT, "-f", DEV)
    assert out.exit_code == 0, out.stderr
    check_golden("diff-stored-to-dev.txt", out.stdout)


def test_only_manifests_and_yaml_output() -> None:
    out = run_cli("diff", "--only", "manifests", "-o", "yaml", *DEV_TO_PROD)
    assert out.exit_code == 0, out.stderr
    assert "values: []" in out.stdout and "kind: Deployment" in out.stdout and "- kind: ConfigMap" in out.stdout


def test_exit_codes_like_git_diff() -> None:
    same = run_cli("diff", "--exit-code", *AGENT, "-f", DEV, "--", *AGENT, "-f", DEV)
    assert same.exit_code == 0 and same.stdout.endswith("No differences.\n")
    assert run_cli("diff", "--exit-code", *DEV_TO_PROD).exit_code == 1
    assert run_cli("diff", "--exit-code", *RELEASES, "--only", "values").exit_code == 1
    for bad in (
        ("diff",),  # nothing to compare
        ("diff", "--from-release", "0.61.0"),  # half a pair
        ("diff", "--only", "everything", *DEV_TO_PROD),
        ("diff", "-o", "xml", *DEV_TO_PROD),
        ("diff", "--from-file", "tests/diff/data/missing.json", *AGENT),
        ("diff", "--from-release", "0.61.0", "--to-release", "7.0.0"),  # no such release
        ("diff", *AGENT, "--", "--no-such-flag"),
        ("diff", "--live", "no-slash"),
    ):
        out = run_cli(*bad)
        assert out.exit_code == 2, (bad, out.stdout, out.stderr)
        assert out.stderr.startswith("error: "), (bad, out.stderr)


def test_explain_one_path_golden_and_json() -> None:
    args = ("explain", "agent.logLevel", *AGENT, "-f", DEV, "-f", PROD, "--set", "agent.logLevel=error")
    out = run_cli(*args)
    assert out.exit_code == 0, out.stderr
    check_golden("explain-agent-loglevel.txt", out.stdout)
    doc = json.loads(run_cli(*args, "-o", "json").stdout)
    assert doc["path"] == "/agent/logLevel" and doc["winner"]["layer"] == "set"
    assert [e["source"] for e in doc["shadowed"]] == [
        f"file:{PROD}:11:3", f"file:{DEV}:8:3", "chart:mlops-agent@0.9.0/values.yaml:26:3"
    ]


def test_explain_shows_the_null_that_deleted_a_path() -> None:
    out = run_cli("explain", "features.legacyRunPages", "--release", "0.62.0")
    assert out.exit_code == 0, out.stderr
    assert "(deleted)" in out.stdout and "null (deletes)" in out.stdout and "channel:stable@0.62.0" in out.stdout
    assert run_cli("explain", "no.such.path", *AGENT).exit_code == 1
    assert run_cli("explain", *AGENT).exit_code == 2  # neither PATH nor --all


def test_explain_all_golden() -> None:
    out = run_cli("explain", "--all", *AGENT, "-f", PROD)
    assert out.exit_code == 0, out.stderr
    check_golden("explain-all-agent-prod.txt", out.stdout)
    doc = json.loads(run_cli("explain", "--all", *AGENT, "-f", PROD, "-o", "json").stdout)
    paths = [p["path"] for p in doc["paths"]]
    assert "/agent/queues" in paths and "/replicaCount" in paths and paths == sorted(paths)


def test_validate_golden_exit_codes_and_json(tmp_path) -> None:
    bad = DATA / "bad-agent-values.yaml"
    rel = str(bad.relative_to(DATA.parents[2]))
    out = run_cli("validate", *AGENT, "-f", rel)
    assert out.exit_code == 1
    check_golden("validate-agent-bad.txt", out.stdout)
    doc = json.loads(run_cli("validate", *AGENT, "-f", rel, "-o", "json").stdout)
    assert doc["valid"] is False
    assert {(v["path"], v["source"]) for v in doc["violations"]} >= {("/replicaCount", f"file:{rel}:2:1")}
    ok = run_cli("validate", *AGENT, "-f", PROD)
    assert ok.exit_code == 0 and ok.stdout.startswith("valid: ")
    assert run_cli("validate", *AGENT, "-f", "tests/diff/data/missing.yaml").exit_code == 2


def test_text_is_coloured_only_for_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from specmerge.cli.diff_cmd import print_lines

    lines = [("+ added: 1", "green"), ("plain", None)]
    print_lines(lines, colour=False)
    assert capsys.readouterr().out == "+ added: 1\nplain\n"
    print_lines(lines, colour=True)
    coloured = capsys.readouterr().out
    assert "\x1b[32m+ added: 1" in coloured and "plain" in coloured


def test_from_file_takes_the_new_side_from_the_flags_after_the_separator_too() -> None:
    stored = ("--from-file", "tests/diff/data/stored-spec.json", "--only", "values")
    leading = run_cli("diff", *stored, *AGENT, "-f", DEV)
    tail = run_cli("diff", *stored, "--", *AGENT, "-f", DEV)
    assert leading.exit_code == tail.exit_code == 0, tail.stderr
    assert tail.stdout.replace("+++ new layers", "+++ layers") == leading.stdout
    assert "~ replicaCount: 2 -> 1" in tail.stdout
