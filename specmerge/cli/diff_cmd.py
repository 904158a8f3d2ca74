"""``specmerge diff``: what changes between two effective specs, who caused it, and what it
does to the rendered manifests.

Sides (old -> new):

* ``--from-release A --to-release B``: the same site layers (the layer flags) over two
  releases of the embedded channel;
* ``--live NS/NAME``: the live instance's last applied spec (``<name>-spec-active``) ->
  the spec it would get now (its ``<name>-spec-user`` Secret and CR, the channel, plus any
  layer flags), read with the user's kubeconfig; plus a "drift" section: the Helm release
  NAME's objects edited or deleted behind Helm's back (:mod:`specmerge.drift`);
* ``--from-file SPEC``: a stored effective spec (JSON/YAML) -> the layer flags (or the
  flags after ``--``);
* ``[flags] -- [flags]``: the layers before ``--`` -> the layers after it, both parsed
  by the same flag parser as ``render``.

Output: text (coloured on a TTY), ``-o json|yaml`` (:mod:`specmerge.diff.report`). Secrets
are masked unless ``--show-secrets``. Exit codes as ``git diff``: with ``--exit-code`` 0 no
changes and 1 changes; without it 0 either way; 2 bad input or an unreachable cluster.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from ..core import to_json, to_yaml
from ..diff import (
    GROUP as LIVE_GROUP,
    Line,
    PLURAL as LIVE_PLURAL,
    Side,
    StoredSpec,
    VERSION as LIVE_VERSION,
    compare,
    diff_document,
    diff_lines,
    plan_side,
    read_stored_spec,
    redactor_for,
    stored_side,
)
from ..pipeline import Plan, plan
from ..render import RenderOptions, load_chart, parse_chart_ref
from .errors import EXIT_FINDINGS, EXIT_OK, CliError, handles_errors
from .inputs import InputFlags, parse_input_flags, with_input_flags
from .options import ShowSecrets
from .render_cmd import render_errors
from .validate_cmd import OutputOpt, check_output


def print_lines(lines: list[Line], colour: bool) -> None:
    """Plain lines, or through rich with each line's style when ``colour``."""
    if not colour:
        sys.stdout.write("".join(text + "\n" for text, _ in lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=sys.stdout, force_terminal=True, soft_wrap=True, highlight=False)
    for text, style in lines:
        console.print(Text(text, style=style or ""))


def _stored(spec: StoredSpec, label: str, other: Plan, options: RenderOptions | None, offline: bool) -> Side:
    """A stored spec rendered with the chart it recorded, else the other side's chart."""
    chart = other.chart
    if spec.chart is not None and options is not None:
        chart = load_chart(parse_chart_ref(spec.chart, base=Path.cwd(), where=f"{spec.locator} chart"), offline=offline)
    return stored_side(spec, label, chart, options)


@handles_errors
@render_errors
@with_input_flags
def diff_command(
    right: Annotated[
        list[str] | None,
        typer.Argument(help="After `--`: the new side's layer flags (-f, --set, --channel, ...).", show_default=False),
    ] = None,
    *,
    flags: InputFlags,
    from_file: Annotated[
        Path | None, typer.Option("--from-file", help="Old side: a stored effective spec (JSON/YAML).", show_default=False)
    ] = None,
    live: Annotated[
        str | None, typer.Option("--live", help="NS/NAME: the live instance's active spec -> desired now.", show_default=False)
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="Kubeconfig for --live (default: $KUBECONFIG, ~/.kube/config).")
    ] = None,
    kube_context: Annotated[str | None, typer.Option("--kube-context", help="Kubeconfig context for --live.")] = None,
    cr_resource: Annotated[
        str, typer.Option("--cr-resource", help="The instance's CR for --live, as PLURAL.VERSION.GROUP.")
    ] = f"{LIVE_PLURAL}.{LIVE_VERSION}.{LIVE_GROUP}",
    from_release: Annotated[str | None, typer.Option("--from-release", help="Old side's channel release.")] = None,
    to_release: Annotated[str | None, typer.Option("--to-release", help="New side's channel release.")] = None,
    output: OutputOpt = "text",
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when there are differences (like git diff).")] = False,
    context: Annotated[int, typer.Option("--context", "-U", help="Lines of context in manifest diffs.", min=0)] = 3,
    only: Annotated[str | None, typer.Option("--only", help="values or manifests.", show_default=False)] = None,
    show_secrets: ShowSecrets = False,
) -> None:
    """Diff two effective specs: values with the layer that caused each change, warnings, manifests.

    Exit codes: 0 no differences (or no --exit-code), 1 differences with --exit-code, 2 error.
    """
    check_output(output)
    if only not in (None, "values", "manifests"):
        raise CliError(f"--only must be values or manifests, not {only!r}")
    render = only != "values"
    modes = [m for m, on in (("--from-file", from_file), ("--live", live), ("--from-release", from_release or to_release)) if on]
    if len(modes) > 1:
        raise CliError(f"choose one of {', '.join(modes)}")
    if cr_resource != f"{LIVE_PLURAL}.{LIVE_VERSION}.{LIVE_GROUP}" and not live:
        raise CliError("--cr-resource only applies to --live")
    if right and (live or from_release or to_release):
        raise CliError("`-- <flags>` only goes with plain layer flags or --from-file")
    notes: tuple[str, ...] = ()
    drift = None
    if from_release or to_release:
        if not (from_release and to_release):
            raise CliError("--from-release and --to-release go together")
        old_plan = plan(flags.with_release(from_release).plan_inputs(render=render))
        new_plan = plan(flags.with_release(to_release).plan_inputs(render=render))
        old, new = plan_side(old_plan, f"release {from_release}"), plan_side(new_plan, f"release {to_release}")
        old_ns = new_ns = flags.namespace
    elif live:
        from ..diff import LiveError, parse_cr_resource, parse_live_ref, read_live

        try:
            namespace, name = parse_live_ref(live)
            group, version, plural = parse_cr_resource(cr_resource)
            instance = read_live(namespace, name, kubeconfig=kubeconfig, context=kube_context,
                                 group=group, version=version, plural=plural)
        except LiveError as exc:
            raise CliError(str(exc)) from None
        desired = replace(flags, name=name, namespace=namespace)
        new_plan = plan(desired.plan_inputs(render=render, user=instance.user, cr=instance.cr, cr_chart=instance.cr_chart))
        options = new_plan.inputs.options if render else None
        new = plan_side(new_plan, f"desired {namespace}/{name}")
        old = _stored(instance.active, f"active {instance.active.locator}", new_plan, options, flags.airgapped)
        old_ns = new_ns = namespace
        from ..drift import live_drift

        drift, drift_note = live_drift(namespace, name, kubeconfig, kube_context) if render else (None, "")
        notes = instance.notes + ((drift_note,) if drift_note else ())
    else:
        if from_file is None and not right:
            raise CliError(
                "nothing to compare: give --from-file SPEC, --live NS/NAME, --from-release A --to-release B, "
                "or old layer flags -- new layer flags"
            )
        new_flags = parse_input_flags(right) if right else flags
        new_plan = plan(new_flags.plan_inputs(render=render))
        new = plan_side(new_plan, "new layers" if right else "layers")
        new_ns = new_flags.namespace
        if from_file is not None:
            spec = read_stored_spec(from_file)
            old = _stored(spec, spec.locator, new_plan, new_plan.inputs.options if render else None, flags.airgapped)
            old_ns = new_ns
        else:
            old_plan = plan(flags.plan_inputs(render=render))
            old, old_ns = plan_side(old_plan, "old layers"), flags.namespace
    redactor = redactor_for(old, new, new_plan.chart.schema, show_secrets)
    result = compare(
        old, new, redactor, only=only, context=context,  # type: ignore[arg-type]
        old_namespace=old_ns, new_namespace=new_ns, notes=notes,
    )
    result = replace(result, drift=drift)
    if output == "text":
        print_lines(diff_lines(result), colour=sys.stdout.isatty())
    else:
        doc = diff_document(result)
        sys.stdout.write(to_json(doc) if output == "json" else to_yaml(doc))
    raise typer.Exit(EXIT_FINDINGS if exit_code and result.changed else EXIT_OK)
