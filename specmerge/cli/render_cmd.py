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

import functools
import io
import json
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any

import typer
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..channels import ChannelSpec, ChannelSpecError, ReleaseNotFound, load_embedded
from ..core import Effective, Layer, LayerInputError, Positions, Redactor
from ..core.loaders import read_text, yaml_layer
from ..core.paths import Path as VPath
from ..pipeline import Plan, PlanInputs, pinned_release, plan
from ..render import (
    DEFAULT_KUBE_VERSION,
    ChartRef,
    RenderError,
    RenderOptions,
    documents,
    load_chart,
    mask_secrets,
    parse_chart_ref,
    to_stream,
    write_tree,
)
from .errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CliError, handles_errors
from .options import SetFile, SetJson, SetLiteral, SetString, SetValues, ShowSecrets, ValuesFiles, cli_layers

#: Credentials for a remote ``--chart`` come from the environment, never from argv.
CHART_USERNAME_ENV = "SPECMERGE_CHART_USERNAME"
CHART_PASSWORD_ENV = "SPECMERGE_CHART_PASSWORD"

ChartOpt = Annotated[
    str | None,
    typer.Option(
        "--chart",
        help="Chart: a directory, .tgz or base64 .tgz file; https://repo (with --chart-name, --chart-version); "
        "oci://host/path/name (with --chart-version); or a JSON chart object. Default: the channel's chart.",
        show_default=False,
    ),
]
ChartName = Annotated[str | None, typer.Option("--chart-name", help="Chart name in an https:// repository.")]
ChartVersion = Annotated[
    str | None, typer.Option("--chart-version", help="Exact version or SemVer range for a remote --chart.")
]


def chart_ref_from_cli(chart: str | None, name: str | None, version: str | None) -> ChartRef | None:
    """``--chart`` and friends as a chart reference; relative paths resolve against the cwd."""
    if chart is None:
        if name or version:
            raise CliError("--chart-name/--chart-version need --chart")
        return None
    text = chart.strip()
    if text.startswith("{"):
        try:
            raw: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CliError(f"--chart: invalid JSON chart object: {exc.msg} at column {exc.colno}") from None
    elif "://" in text:
        raw = {"url": text}
        if name is not None:
            raw["name"] = name
        if version is not None:
            raw["version"] = version
        user, password = os.environ.get(CHART_USERNAME_ENV), os.environ.get(CHART_PASSWORD_ENV)
        if user is not None:
            raw["username"] = user
        if password is not None:
            raw["password"] = password
    else:
        if name or version:
            raise CliError("--chart-name/--chart-version only apply to a remote --chart (https:// or oci://)")
        raw = {"path": text}
    return parse_chart_ref(raw, base=Path.cwd(), where="--chart")


# --- the CR file ------------------------------------------------------------------------


def cr_layer(path: Path) -> tuple[Layer, dict[str, Any] | None]:
    """The ``cr`` layer (``spec.values``, with file:line positions) and ``spec.chart`` of a
    CR file of the W&B shape (``apiVersion/kind/metadata/spec``)."""
    source = f"file:{path}"
    whole = yaml_layer("cr-file", source, read_text(path, source))
    doc = whole.values
    spec = doc.get("spec")
    if not isinstance(doc.get("kind"), str) or not isinstance(doc.get("metadata"), dict):
        raise LayerInputError(source, "not a custom resource: needs apiVersion, kind, metadata and spec", 1, 1)
    if not isinstance(spec, dict):
        raise LayerInputError(source, "spec must be a map with values and (optionally) chart")
    values = spec.get("values", {})
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise LayerInputError(source, "spec.values must be a map")
    chart = spec.get("chart")
    if chart is not None and not isinstance(chart, dict):
        raise LayerInputError(source, "spec.chart must be a map (a chart reference)")
    meta = doc["metadata"]
    name = f"{meta.get('namespace', 'default')}/{meta.get('name', '?')}"
    prefix = ("spec", "values")

    def positions() -> dict[VPath, tuple[int, int]]:
        return {p[2:]: pos for p, pos in whole.positions.table().items() if p[:2] == prefix}

    return Layer("cr", f"cr:{name}@{source}", values, Positions(compute=positions)), chart


# --- effective values with their sources ------------------------------------------------


def annotated_values(effective: Effective, redactor: Redactor) -> str:
    """The effective values (masked) as YAML, each leaf with ``# from: <layer> <locator>``."""
    masked = redactor.mask(effective.full)

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


def kube_findings(p: Plan, kube_version: str) -> list[str]:
    from ..render.kube import check_documents

    return check_documents(documents(p.manifests or {}), kube_version, p.redactor())


def _report_violations(p: Plan) -> None:
    """The attributed violations on stderr (messages were masked when validated)."""
    redactor = p.redactor()
    print(f"error: the effective values violate the chart's schema ({len(p.violations)}):", file=sys.stderr)
    for v in p.violations:
        print(f"  - {redactor.scrub(v.describe())}", file=sys.stderr)


def render_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Chart-reference, chart-source and template errors are bad input: exit 2 via CliError."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RenderError as exc:
            raise CliError(str(exc)) from None

    return wrapper


#: ``--channel none``: no channel layer (e.g. a third-party chart with its own overlays).
NO_CHANNEL = "none"


def _channel(channel: str, release: str | None, pinned: str | None) -> ChannelSpec | None:
    """The embedded channel release: ``--release``, else the CR's ``_releaseId``, else the latest."""
    if channel == NO_CHANNEL:
        if release:
            raise CliError("--release needs a channel; --channel none has no releases")
        return None
    try:
        return load_embedded(channel, release or pinned)
    except (ReleaseNotFound, ChannelSpecError) as exc:
        raise CliError(f"channel: {exc}") from None


@handles_errors
@render_errors
def render_command(
    values: ValuesFiles = None,
    set_: SetValues = None,
    set_string: SetString = None,
    set_json: SetJson = None,
    set_file: SetFile = None,
    set_literal: SetLiteral = None,
    channel: Annotated[str, typer.Option("--channel", help="Embedded channel for the channel layer; 'none' for no channel layer.")] = "stable",
    release: Annotated[
        str | None, typer.Option("--release", help="Pin a channel release by version or releaseId.", show_default=False)
    ] = None,
    airgapped: Annotated[
        bool, typer.Option("--airgapped", help="No network at all: embedded channel, remote charts only from the cache.")
    ] = False,
    chart: ChartOpt = None,
    chart_name: ChartName = None,
    chart_version: ChartVersion = None,
    cr: Annotated[
        Path | None, typer.Option("--cr", help="CR file (W&B shape): spec.values is the cr layer, spec.chart the chart.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Release name.")] = "specmerge",
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="Release namespace.")] = "default",
    kube_version: Annotated[
        str, typer.Option("--kube-version", help="Kubernetes version for Capabilities and --strict.")
    ] = DEFAULT_KUBE_VERSION,
    api_versions: Annotated[
        list[str] | None,
        typer.Option("--api-versions", "-a", help="Extra API versions for Capabilities (repeat).", show_default=False),
    ] = None,
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
) -> None:
    """Render the chart with the effective values of every layer, as `helm template` would.

    Layers, lowest first: chart defaults, the channel (embedded stable by default), the CR's
    spec.values (--cr), then -f files and --set flags in Helm's order.
    """
    extra = tuple(cli_layers(values, set_, set_string, set_json, set_file, set_literal))
    cr_values, cr_chart = cr_layer(cr) if cr is not None else (None, None)
    ref = chart_ref_from_cli(chart, chart_name, chart_version)
    if ref is None and cr_chart is not None:
        ref = parse_chart_ref(cr_chart, base=Path.cwd(), where=f"{cr_values.source if cr_values else cr} spec.chart")
    spec = _channel(channel, release, pinned_release(cr_values))
    inputs = PlanInputs(
        chart=ref,
        channel=spec,
        cr=cr_values,
        extra=extra,
        options=RenderOptions(name, namespace, kube_version, tuple(api_versions or ())),
        render=not show_values,
        offline=airgapped,
    )
    p = plan(inputs)
    redactor = p.redactor(reveal=show_secrets)
    for w in p.warnings:
        print(f"warning: {redactor.scrub(w.message())}", file=sys.stderr)
    if show_values:
        sys.stdout.write(annotated_values(p.effective, redactor))
    if not p.ok:
        _report_violations(p)
        raise typer.Exit(EXIT_FINDINGS)
    if show_values:
        raise typer.Exit(EXIT_OK)
    docs = documents(p.manifests or {})
    shown = mask_secrets(docs, redactor)
    if output_dir is not None:
        for written in write_tree(shown, output_dir):
            print(f"wrote {written}", file=sys.stderr)
    else:
        sys.stdout.write(to_stream(shown))
    if strict:
        findings = kube_findings(p, kube_version)
        if findings:
            print(f"error: rendered objects violate the Kubernetes {kube_version} schemas ({len(findings)}):", file=sys.stderr)
            for f in findings:
                print(f"  - {f}", file=sys.stderr)
            raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)


@handles_errors
@render_errors
def show_values_command(
    chart: ChartOpt = None,
    chart_name: ChartName = None,
    chart_version: ChartVersion = None,
    airgapped: Annotated[bool, typer.Option("--airgapped", help="Remote charts only from the cache.")] = False,
) -> None:
    """Print the chart's default values.yaml, like `helm show values` (default: the bundled chart)."""
    from ..pipeline import bundled_chart_ref

    ref = chart_ref_from_cli(chart, chart_name, chart_version) or bundled_chart_ref()
    loaded = load_chart(ref, offline=airgapped)
    if loaded.values_text is not None:
        sys.stdout.write(loaded.values_text)
    else:
        from ..core.dump import to_yaml

        sys.stdout.write(to_yaml(dict(loaded.values)))
    raise typer.Exit(EXIT_OK)


show_app = typer.Typer(name="show", help="Show information about a chart.", no_args_is_help=True)
show_app.command("values")(show_values_command)

__all__ = ["render_command", "show_app", "EXIT_ERROR"]
