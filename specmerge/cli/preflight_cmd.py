"""``specmerge preflight``: does the cluster meet the channel release's requirements?

The requirements come from the channel spec the layer flags choose (``--channel``,
``--release``, ...), or from ``--requirements FILE`` (the same block as JSON/YAML); the
profile from ``--profile``, else the effective spec's value the block names (``_profile``
in a ``--cr`` file), else its default. The cluster is read with the user's kubeconfig.

Output: a table (check, required, found, ok) or ``-o json`` ``{"ok", "profile", "results"}``.
Exit codes: 0 all met, 1 a requirement unmet, 2 bad input or an unreachable cluster.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..core import read_text, to_json, to_yaml, yaml_layer
from ..pipeline import plan
from ..preflight import PreflightReport, Requirements, preflight, requirements_of
from .errors import EXIT_FINDINGS, EXIT_OK, CliError, cli_errors
from .inputs import InputFlags, with_input_flags
from .options import OutputOpt, check_output


def table(report: PreflightReport) -> str:
    """The report as an aligned text table, unmet rows marked."""
    head = ("CHECK", "REQUIRED", "FOUND", "OK")
    body = [(r.check, r.required, r.found, "yes" if r.ok else "NO") for r in report.results]
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3]
             for row in [head, *body]]
    profile = f" (profile {report.profile})" if report.profile else ""
    verdict = "all requirements met" if report.ok else f"{len(report.unmet)} requirement(s) unmet"
    return "\n".join(lines + [f"{verdict}{profile}"]) + "\n"


def _requirements(path: Path | None, channel: Any) -> Requirements:
    if path is not None:
        source = f"file:{path}"
        return Requirements.parse(yaml_layer("requirements", source, read_text(path, source)).values, source)
    found = requirements_of(channel) if channel is not None else None
    if found is None:
        where = channel.locator if channel is not None else "--channel none"
        raise CliError(f"{where} has no requirements block: nothing to check (give --requirements FILE)")
    return found


@cli_errors
@with_input_flags
def preflight_command(
    *,
    flags: InputFlags,
    kubeconfig: Annotated[
        Path | None, typer.Option("--kubeconfig", help="Kubeconfig (default: $KUBECONFIG, ~/.kube/config).")
    ] = None,
    kube_context: Annotated[
        str | None, typer.Option("--context", "--kube-context", help="Kubeconfig context.", show_default=False)
    ] = None,
    profile: Annotated[
        str | None, typer.Option("--profile", help="Requirements profile (production, dev, ...).", show_default=False)
    ] = None,
    requirements: Annotated[
        Path | None,
        typer.Option("--requirements", help="A requirements block (JSON/YAML) instead of the channel's.",
                     show_default=False),
    ] = None,
    output: OutputOpt = "text",
) -> None:
    """Check the cluster against the release's requirements: version, nodes, CPU, memory, APIs, classes.

    Exit codes: 0 all met, 1 a requirement unmet, 2 bad input or an unreachable cluster.
    """
    check_output(output)
    p = plan(flags.plan_inputs(render=False))
    req = _requirements(requirements, p.channel)
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    try:
        api_client = config.new_client_from_config(config_file=str(kubeconfig) if kubeconfig else None,
                                                   context=kube_context)
    except (ConfigException, OSError) as exc:
        raise CliError(f"kubeconfig: {exc}") from None
    with api_client:
        report = preflight(api_client, req, p.effective.with_controls, profile)
    if output == "text":
        sys.stdout.write(table(report))
    else:
        doc = report.to_dict()
        sys.stdout.write(to_json(doc) if output == "json" else to_yaml(doc))
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)
