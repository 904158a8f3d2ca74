"""``specmerge render`` equals ``helm template`` (the real helm v4.2.3 CLI) byte for byte.

Same chart, same layers: Helm gets the embedded channel release's values as a ``-f`` file
in front of the user's ``-f``/``--set`` flags; specmerge gets ``--channel/--release`` and the
same flags. The two outputs must be equal byte for byte: the same documents with the same
headers, in the same order (Helm's install order by kind, hooks last). ``--show-secrets`` so
Secret data are compared too.
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
    assert ours.stdout == theirs


@pytest.mark.helmcli
@pytest.mark.parametrize("overlay", AGENT_EXAMPLES, ids=lambda p: p.stem)
def test_agent_chart_with_example_overlay_matches_helm_template(helm_cli: Path, overlay: Path) -> None:
    flags = ["-f", str(overlay), "--set", "agent.maxJobs=3"]
    ours = run_cli("render", "--chart", str(AGENT), "--channel", "none", "--show-secrets", *flags)
    assert ours.exit_code == 0, ours.stderr
    theirs = helm_template(helm_cli, AGENT, flags)
    assert split_stream(ours.stdout)
    assert ours.stdout == theirs


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
    assert ours.stdout == theirs


@pytest.mark.helmcli
def test_document_order_is_helms_install_order_with_hooks_last(helm_cli: Path, tmp_path: Path) -> None:
    """Kinds in Helm's install order whatever the template names (a CRD and a Namespace before
    what uses them), unknown kinds after the known ones alphabetically, documents of one kind
    in template/position order, flow-style JSON documents, then hooks (test hooks too) in the
    same kind order; a hook with an event Helm does not know, or an empty one, is left out, as
    Helm leaves it."""
    chart = tmp_path / "order"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: order\nversion: 0.1.0\n")

    def doc(kind: str, name: str, hook: str | None = None, api: str = "v1") -> str:
        notes = f"\n  annotations:\n    helm.sh/hook: {hook}\n    helm.sh/hook-weight: \"-5\"" if hook else ""
        return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}{notes}\n"

    templates = {
        "a-deploy.yaml": doc("Deployment", "web", api="apps/v1") + "---\n" + doc("Widget", "w1", api="x.io/v1"),
        "b-job-hook.yaml": doc("Job", "migrate", "pre-install,pre-upgrade", "batch/v1"),
        "c-test.yaml": doc("Pod", "smoke", "test"),
        "d-unknown-hook.yaml": doc("ConfigMap", "odd", "pre-frobnicate"),
        "e-json.yaml": '{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}}\n',
        "f-crd.yaml": doc("CustomResourceDefinition", "widgets.x.io", api="apiextensions.k8s.io/v1"),
        "g-more.yaml": doc("Apple", "a1", api="x.io/v1") + "---\n" + doc("ConfigMap", "cm") + "---\n"
                       + doc("Namespace", "ns") + "---\n" + "kind: 'Secret'   # quoted\napiVersion: v1\nmetadata:\n  name: s\n",
        "h-hook-cm.yaml": doc("ConfigMap", "pre", "post-install"),
        "i-empty-hook.yaml": doc("ConfigMap", "empty", "post-install").replace("helm.sh/hook: post-install",
                                                                              "helm.sh/hook:"),
    }
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    ours = run_cli("render", "--chart", str(chart), "--channel", "none", "--show-secrets")
    assert ours.exit_code == 0, ours.stderr
    theirs = helm_template(helm_cli, chart, [])
    assert ours.stdout == theirs
    sources = [d.splitlines()[0].removeprefix("# Source: order/templates/") for d in split_stream(ours.stdout)]
    assert sources == ["g-more.yaml", "e-json.yaml", "g-more.yaml", "g-more.yaml", "f-crd.yaml", "a-deploy.yaml",
                       "g-more.yaml", "a-deploy.yaml", "h-hook-cm.yaml", "c-test.yaml", "b-job-hook.yaml"]
    assert "pre-frobnicate" not in ours.stdout and "name: empty" not in ours.stdout
