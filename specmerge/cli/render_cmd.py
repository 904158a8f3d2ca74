"""``specmerge render`` and ``specmerge show values``: the README's first job.

``render`` gathers the layers (bundled chart defaults, the embedded channel, an optional CR,
then ``-f``/``--set*``), runs :func:`specmerge.pipeline.plan`, and prints the manifests as
``helm template`` does (YAML stream with ``# Source:`` headers, deterministic order), or one
file per template into ``--output-dir``. No cluster, and no network unless ``--chart``
names a remote chart that is not cached.

Output is masked: Secret ``data``/``stringData`` and every sensitive value of the spec are
redacted unless ``--show-secrets``. Exit codes: 0 rendered; 1 violations (schema, or
``--strict`` Kubernetes checks), listed with the layer and file:line that set each value;
2 bad input (a file, a chart reference, a template error).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..core import Effective, Redactor, to_yaml
from ..core import Path as VPath
from ..pipeline import Plan, Rendering, plan
from ..render import RenderError, documents, load_chart, to_stream, write_tree
from .errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CliError, cli_errors
from .inputs import NO_CHANNEL, ChartName, ChartOpt, ChartVersion, InputFlags, chart_ref_from_cli, cr_layer, with_input_flags
from .options import ShowSecrets

# --- effective values with their sources ------------------------------------------------


def annotated_values(effective: Effective, redactor: Redactor) -> str:
    """The effective values (masked) as YAML, each leaf with ``# from: <layer> <locator>``."""
    masked = redactor.mask(effective.with_controls)

    def build(node: Any, path: VPath) -> Any:
        if isinstance(node, dict):
            out = CommentedMap()
            for k, v in node.items():
                out[k] = build(v, path + (k,))
                if not (isinstance(v, dict) and v):
                    winner = effective.chain(path + (k,)).winner
                    if winner is not None:
                        out.yaml_add_eol_comment(f"# from: {winner.layer} {winner.source}", k)
            return out
        if isinstance(node, list):
            return CommentedSeq(build(v, path + (i,)) for i, v in enumerate(node))
        return node

    y = YAML()
    y.version = (1, 1)
    y.default_flow_style = False
    y.width = 4096
    buf = io.StringIO()
    y.dump(build(masked, ()), buf)
    text = buf.getvalue()
    return text.split("---\n", 1)[1] if text.startswith("%YAML") else text


# --- --strict ---------------------------------------------------------------------------


def kube_findings(p: Plan, kube_version: str) -> Any:
    """:class:`specmerge.render.kube.Findings` of what is shown (the masked render, so no
    finding can quote a secret), plus a count of errors only the real render has (in fields
    derived from a secret: not described, they would quote it)."""
    from ..render.kube import Findings, check_documents

    shown, redactor = p.shown(), p.redactor()
    if shown is None:
        return Findings()
    found = check_documents(documents(shown.manifests), kube_version, redactor)
    if shown.manifests is not p.manifests:
        real = check_documents(documents(p.manifests or {}), kube_version, redactor)
        hidden = len(real.errors) - len(found.errors)
        if hidden > 0:
            found.errors.append(f"{hidden} more finding(s) in fields derived from secrets (not shown: they would quote them)")
    return found


def _report_violations(p: Plan) -> None:
    """The attributed violations on stderr (messages were masked when validated)."""
    redactor = p.redactor()
    print(f"error: the effective values violate the chart's schema ({len(p.violations)}):", file=sys.stderr)
    for v in p.violations:
        print(f"  - {redactor.scrub(v.describe())}", file=sys.stderr)


def plan_to_print(flags: InputFlags, *, show_values: bool, show_secrets: bool) -> Plan:
    """The plan ``render`` prints. With ``--show-secrets`` only the real render is made: the
    masked one would be thrown away. A template error still comes from the masked render
    when that fails too, so its text quotes placeholders, as without the flag."""
    if show_values or not show_secrets:
        return plan(flags.plan_inputs(render=not show_values))
    p = plan(flags.plan_inputs(render=False))
    if not p.ok:
        return p
    rendering = Rendering(p.chart, p.effective, p.inputs.options, p.helm_values)
    try:
        rendering.real()
    except RenderError:
        rendering.shown()  # the masked render's error, if it has one; else the real one's (scrubbed)
        raise
    return dataclasses.replace(p, rendering=rendering)


@cli_errors
@with_input_flags
def render_command(
    *,
    flags: InputFlags,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", help="Write one file per template here instead of stdout.")
    ] = None,
    show_values: Annotated[
        bool, typer.Option("--show-values", help="Print the effective values, each leaf with its layer and source.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Also check rendered objects against Kubernetes' OpenAPI schemas.")
    ] = False,
    show_secrets: ShowSecrets = False,
    show_only: Annotated[
        list[str] | None,
        typer.Option("--show-only", "-s", show_default=False,
                     help="Only the manifests from these templates (templates/x.yaml; globs as Helm's -s)."),
    ] = None,
) -> None:
    """Render the chart with the effective values of every layer, as `helm template` would.

    Layers, lowest first: chart defaults, the channel (embedded stable by default, or
    --channel-server), the CR's spec.values (--cr), then -f files and --set flags in Helm's order.
    """
    p = plan_to_print(flags, show_values=show_values, show_secrets=show_secrets)
    redactor = p.redactor(reveal=show_secrets)
    for w in p.warnings:
        print(f"warning: {redactor.scrub(w.message())}", file=sys.stderr)
    for message in redactor.weak_warnings():
        print(f"warning: {message}", file=sys.stderr)
    if show_values:
        sys.stdout.write(annotated_values(p.effective, redactor))
    if not p.ok:
        _report_violations(p)
        raise typer.Exit(EXIT_FINDINGS)
    if show_values:
        raise typer.Exit(EXIT_OK)
    rendered = p.shown(reveal=show_secrets)
    assert rendered is not None  # a valid plan asked to render has its render
    if rendered.fallback is not None:
        print(f"note: {rendered.note()}", file=sys.stderr)
    shown = rendered.documents(redactor)
    if show_only:
        from ..render.select import show_only as only

        try:
            sys.stdout.write(only(to_stream(shown), show_only))
        except ValueError as exc:
            raise CliError(str(exc)) from None
    elif output_dir is not None:
        for written in write_tree(shown, output_dir):
            print(f"wrote {written}", file=sys.stderr)
    else:
        sys.stdout.write(to_stream(shown))
    raise typer.Exit(_report_strict(p, flags.kube_version) if strict else EXIT_OK)


def _report_strict(p: Plan, kube_version: str) -> int:
    """``--strict``: the Kubernetes findings on stderr; the exit code they call for."""
    found = kube_findings(p, kube_version)
    for w in found.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for line in found.not_checked():
        print(f"warning: not checked: {line}", file=sys.stderr)
    if not found.errors:
        return EXIT_OK
    print(f"error: rendered objects violate the Kubernetes {kube_version} schemas ({len(found.errors)}):",
          file=sys.stderr)
    for f in found.errors:
        print(f"  - {f}", file=sys.stderr)
    return EXIT_FINDINGS


def masked_values_text(text: str, redactor: Redactor) -> str:
    """A values.yaml with each sensitive string or number replaced by its placeholder in the
    text itself (comments, quoting and layout kept; empty strings, booleans and nulls stay):
    ``text`` unchanged when it holds no secret, so it stays ``helm show values``."""
    doc = YAML().load(text)
    edits: dict[int, list[tuple[int, str, str, bool]]] = {}  # line -> (column, old scalar, placeholder, in flow)

    def walk(node: Any, path: VPath) -> None:
        pairs = list(node.items()) if isinstance(node, dict) else list(enumerate(node)) if isinstance(node, list) else []
        for k, v in pairs:
            here = path + (k,)
            if isinstance(v, (dict, list)):
                walk(v, here)
                continue
            masked = redactor.mask_for_render(v, here)
            if masked != v:
                line, col = node.lc.value(k) if isinstance(node, dict) else node.lc.item(k)
                edits.setdefault(line, []).append((col, str(v), str(masked), bool(node.fa.flow_style())))

    walk(doc, ())
    lines = text.splitlines(keepends=True)
    for line, found in edits.items():
        for col, old, new, flow in sorted(found, reverse=True):
            rest = lines[line][col:]
            quote = rest[:1] if rest[:1] in "'\"" else ""
            plain = re.split(r" #|[,\]}]" if flow else " #", rest)[0].rstrip("\r\n ")
            end = rest.find(quote, 1) + 1 if quote else len(plain)
            token = rest[:end]
            if end <= 0 or token.strip(quote).replace("''", "'") != old:  # not a one-line scalar we can edit
                return to_yaml(redactor.mask_for_render(json.loads(json.dumps(doc, default=str))))
            lines[line] = lines[line][:col] + quote + new + quote + rest[end:]
    return "".join(lines)


@cli_errors
def show_values_command(
    chart: ChartOpt = None,
    chart_name: ChartName = None,
    chart_version: ChartVersion = None,
    airgapped: Annotated[bool, typer.Option("--airgapped", help="Remote charts only from the cache.")] = False,
    show_secrets: ShowSecrets = False,
) -> None:
    """Print the chart's values.yaml as `helm show values` does (its text and a newline;
    nothing for a chart without one), its default secrets masked unless --show-secrets.
    Default: the bundled chart."""
    from ..pipeline import bundled_chart_ref

    ref = chart_ref_from_cli(chart, chart_name, chart_version) or bundled_chart_ref()
    loaded = load_chart(ref, offline=airgapped)
    redactor = Redactor(loaded.schema, reveal=show_secrets)
    if loaded.values_text is not None:
        text = loaded.values_text if show_secrets else masked_values_text(loaded.values_text, redactor)
        sys.stdout.write(text + "\n")
    raise typer.Exit(EXIT_OK)


show_app = typer.Typer(name="show", help="Show information about a chart.", no_args_is_help=True)
show_app.command("values")(show_values_command)

__all__ = ["render_command", "show_app", "EXIT_ERROR", "NO_CHANNEL", "chart_ref_from_cli", "cr_layer"]
