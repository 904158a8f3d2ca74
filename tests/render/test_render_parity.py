"""``specmerge render`` equals ``helm template`` (the real helm v4.2.3 CLI) byte for byte.

Same chart, same layers: Helm gets the embedded channel release's values as a ``-f`` file
in front of the user's ``-f``/``--set`` flags; specmerge gets ``--channel/--release`` and the
same flags. Both outputs are ``---\\n# Source: <template>\\n<doc>\\n`` per manifest;
normalisation is the same on both sides: split into documents at each ``---`` line followed
by ``# Source:`` (headers kept), strip each document's trailing whitespace (Helm trims the
end of the whole stream, so only the last document of each side loses its trailing blank
lines, and which one is last depends on the order), sort the documents as strings, join.
Only the order may differ (Helm orders by kind, specmerge by template path); every other
byte of every document, header included, must be equal. ``--show-secrets`` so Secret data are compared too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from renderkit import AGENT, AGENT_EXAMPLES, PLATFORM, REPO, run_cli, split_stream

from specmerge.channels import list_embedded

LAYERED = [
    "-f", str(REPO / "examples" / "env" / "prod.yaml"),
    "--set", "app.replicaCount=4,console.extraEnv[0].name=EXTRA,console.extraEnv[0].value=x",
    "--set-string", "app.image.tag=0.62.1-hotfix",
]  # fmt: skip


def normalised(stream: str) -> str:
    return "\n".join(sorted(d.rstrip() for d in split_stream(stream)))


def helm_template(helm_cli: Path, chart: Path, args: list[str]) -> str:
    cmd = [str(helm_cli), "template", "specmerge", str(chart), "--namespace", "default", "--kube-version", "1.36.0", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.helmcli
@pytest.mark.parametrize("layered", [False, True], ids=["channel-only", "channel+prod+set"])
@pytest.mark.parametrize("spec", list_embedded(), ids=lambda s: f"{s.channel}@{s.version}")
def test_bundled_chart_matches_helm_template(helm_cli: Path, tmp_path: Path, spec, layered: bool) -> None:
    channel_file = tmp_path / "channel-values.json"
    channel_file.write_text(json.dumps(spec.values), encoding="utf-8")
    flags = LAYERED if layered else []
    ours = run_cli("render", "--channel", spec.channel, "--release", spec.version, "--show-secrets", *flags)
    assert ours.exit_code == 0, ours.stderr
    theirs = helm_template(helm_cli, PLATFORM, ["-f", str(channel_file), *flags])
    assert len(split_stream(ours.stdout)) >= 10
    assert normalised(ours.stdout) == normalised(theirs)


@pytest.mark.helmcli
@pytest.mark.parametrize("overlay", AGENT_EXAMPLES, ids=lambda p: p.stem)
def test_agent_chart_with_example_overlay_matches_helm_template(helm_cli: Path, overlay: Path) -> None:
    flags = ["-f", str(overlay), "--set", "agent.maxJobs=3"]
    ours = run_cli("render", "--chart", str(AGENT), "--channel", "none", "--show-secrets", *flags)
    assert ours.exit_code == 0, ours.stderr
    theirs = helm_template(helm_cli, AGENT, flags)
    assert split_stream(ours.stdout)
    assert normalised(ours.stdout) == normalised(theirs)


def test_a_channel_null_deletes_the_chart_default_in_the_render() -> None:
    """0.62.0 deletes features.legacyRunPages with an explicit null; 0.61.0 sets it."""
    new = run_cli("render", "--release", "0.62.0")
    old = run_cli("render", "--release", "0.61.0")
    assert new.exit_code == old.exit_code == 0
    assert "legacyRunPages" not in new.stdout
    assert '\\"legacyRunPages\\":true' in old.stdout


@pytest.mark.helmcli
def test_document_splitting_follows_helm_on_odd_separators(helm_cli: Path, tmp_path: Path) -> None:
    """Leading blank lines, ``---`` with trailing spaces, doubled separators, a comment-only
    template, a whitespace-only template and no final newline: same documents as Helm."""
    chart = tmp_path / "sep"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: sep\nversion: 0.1.0\n")
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n"
    (chart / "templates" / "multi.yaml").write_text(
        "\n\n---\n" + cm.format("a") + "   \n\n---   \n# c\n" + cm.format("b") + "---\n---\n\n\n" + cm.format("c") + "\n\n\n"
    )
    (chart / "templates" / "twice.yaml").write_text(cm.format("f") + "---\n---\n")
    (chart / "templates" / "nonl.yaml").write_text(cm.format("d").rstrip("\n"))
    (chart / "templates" / "blank.yaml").write_text("   \n  \n")
    (chart / "templates" / "comment.yaml").write_text("# only a comment\n")
    ours = run_cli("render", "--chart", str(chart), "--channel", "none")
    assert ours.exit_code == 0, ours.stderr
    theirs = helm_template(helm_cli, chart, [])
    assert len(split_stream(ours.stdout)) == len(split_stream(theirs)) == 7
    assert normalised(ours.stdout) == normalised(theirs)
