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
from typing import TYPE_CHECKING, Annotated

import typer

from ..core import to_json, to_yaml
from ..diff import GROUP as LIVE_GROUP
from ..diff import PLURAL as LIVE_PLURAL
from ..diff import VERSION as LIVE_VERSION
from ..diff import (
    Line,
    Sides,
    compare,
    diff_document,
    diff_lines,
    file_sides,
    layer_sides,
    live_sides,
    read_stored_spec,
    redactor_for,
    release_sides,
)
from .errors import EXIT_FINDINGS, EXIT_OK, CliError, cli_errors
from .inputs import InputFlags, parse_input_flags, with_input_flags
from .options import OutputOpt, ShowSecrets, check_output

if TYPE_CHECKING:
    from ..drift import DriftReport

DEFAULT_CR_RESOURCE = f"{LIVE_PLURAL}.{LIVE_VERSION}.{LIVE_GROUP}"

Right = Annotated[
    list[str] | None,
    typer.Argument(help="After `--`: the new side's layer flags (-f, --set, --channel, ...).", show_default=False),
]
FromFile = Annotated[
    Path | None, typer.Option("--from-file", help="Old side: a stored effective spec (JSON/YAML).", show_default=False)
]
Live = Annotated[
    str | None, typer.Option("--live", help="NS/NAME: the live instance's active spec -> desired now.", show_default=False)
]
Kubeconfig = Annotated[
    Path | None, typer.Option("--kubeconfig", help="Kubeconfig for --live (default: $KUBECONFIG, ~/.kube/config).")
]
KubeContext = Annotated[str | None, typer.Option("--kube-context", help="Kubeconfig context for --live.")]
CrResource = Annotated[str, typer.Option("--cr-resource", help="The instance's CR for --live, as PLURAL.VERSION.GROUP.")]
FromRelease = Annotated[str | None, typer.Option("--from-release", help="Old side's channel release.")]
ToRelease = Annotated[str | None, typer.Option("--to-release", help="New side's channel release.")]
ExitCode = Annotated[bool, typer.Option("--exit-code", help="Exit 1 when there are differences (like git diff).")]
Context = Annotated[int, typer.Option("--context", "-U", help="Lines of context in manifest diffs.", min=0)]
Only = Annotated[str | None, typer.Option("--only", help="values or manifests.", show_default=False)]


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


def check_modes(right: list[str] | None, from_file: Path | None, live: str | None, cr_resource: str,
                from_release: str | None, to_release: str | None) -> None:
    """At most one way of choosing the sides, and only the flags that go with it."""
    modes = [m for m, on in (("--from-file", from_file), ("--live", live), ("--from-release", from_release or to_release)) if on]
    if len(modes) > 1:
        raise CliError(f"choose one of {', '.join(modes)}")
    if cr_resource != DEFAULT_CR_RESOURCE and not live:
        raise CliError("--cr-resource only applies to --live")
    if right and (live or from_release or to_release):
        raise CliError("`-- <flags>` only goes with plain layer flags or --from-file")
    if (from_release or to_release) and not (from_release and to_release):
        raise CliError("--from-release and --to-release go together")
    if not (from_file or live or from_release or right):
        raise CliError(
            "nothing to compare: give --from-file SPEC, --live NS/NAME, --from-release A --to-release B, "
            "or old layer flags -- new layer flags"
        )


def live_mode(flags: InputFlags, live: str, cr_resource: str, kubeconfig: Path | None, kube_context: str | None,
              render: bool) -> tuple[Sides, DriftReport | None]:
    """``--live NS/NAME``: the instance's active spec -> its layers (and the layer flags) now;
    when manifests are compared, also the Helm release's drift (edits behind Helm's back)."""
    from ..diff import parse_cr_resource, parse_live_ref, read_live
    from ..drift import live_drift

    namespace, name = parse_live_ref(live)
    group, version, plural = parse_cr_resource(cr_resource)
    instance = read_live(namespace, name, kubeconfig=kubeconfig, context=kube_context,
                         group=group, version=version, plural=plural)
    desired = replace(flags, name=name, namespace=namespace)
    sides = live_sides(instance, desired.plan_inputs(render=render, user=instance.user, cr=instance.cr,
                                                     cr_chart=instance.cr_chart))
    drift, note = live_drift(namespace, name, kubeconfig, kube_context) if render else (None, "")
    return replace(sides, notes=sides.notes + ((note,) if note else ())), drift


def layers_mode(flags: InputFlags, right: list[str] | None, from_file: Path | None, render: bool) -> Sides:
    """``--from-file SPEC [-- flags]`` or ``old flags -- new flags``."""
    new_flags = parse_input_flags(right) if right else flags
    new = new_flags.plan_inputs(render=render)
    label = "new layers" if right else "layers"
    if from_file is not None:
        return file_sides(read_stored_spec(from_file), new, label, flags.airgapped)
    return layer_sides(flags.plan_inputs(render=render), new, ("old layers", label))


@cli_errors
@with_input_flags
def diff_command(
    right: Right = None,
    *,
    flags: InputFlags,
    from_file: FromFile = None,
    live: Live = None,
    kubeconfig: Kubeconfig = None,
    kube_context: KubeContext = None,
    cr_resource: CrResource = DEFAULT_CR_RESOURCE,
    from_release: FromRelease = None,
    to_release: ToRelease = None,
    output: OutputOpt = "text",
    exit_code: ExitCode = False,
    context: Context = 3,
    only: Only = None,
    show_secrets: ShowSecrets = False,
) -> None:
    """Diff two effective specs: values with the layer that caused each change, warnings, manifests.

    Exit codes: 0 no differences (or no --exit-code), 1 differences with --exit-code, 2 error.
    """
    check_output(output)
    if only not in (None, "values", "manifests"):
        raise CliError(f"--only must be values or manifests, not {only!r}")
    check_modes(right, from_file, live, cr_resource, from_release, to_release)
    render = only != "values"
    drift = None
    if from_release and to_release:
        sides = release_sides(flags.with_release(from_release).plan_inputs(render=render),
                              flags.with_release(to_release).plan_inputs(render=render), from_release, to_release)
    elif live:
        sides, drift = live_mode(flags, live, cr_resource, kubeconfig, kube_context, render)
    else:
        sides = layers_mode(flags, right, from_file, render)
    redactor = redactor_for(sides.old, sides.new, sides.schema, show_secrets)
    result = compare(
        sides.old, sides.new, redactor, only=only, context=context,  # type: ignore[arg-type]
        old_namespace=sides.old_namespace, new_namespace=sides.new_namespace, notes=sides.notes,
    )
    result = replace(result, drift=drift)
    if output == "text":
        print_lines(diff_lines(result), colour=sys.stdout.isatty())
    else:
        doc = diff_document(result)
        sys.stdout.write(to_json(doc) if output == "json" else to_yaml(doc))
    raise typer.Exit(EXIT_FINDINGS if exit_code and result.changed else EXIT_OK)

