"""``specmerge validate [inputs]``: the effective spec's schema violations, each with the
layer and file:line that supplied the offending value.

Inputs are the layer flags of ``render`` (:mod:`specmerge.cli.inputs`). Nothing is rendered.
Output: text (one violation a line, on stdout) or ``-o json``
``{"valid", "violations": [{path, message, keyword, layer, source, consulted?}],
"warnings", "layers"}``. Messages are masked. Exit codes: 0 valid, 1 violations, 2 bad input.
"""

from __future__ import annotations

import sys

import typer

from ..core import to_json, to_yaml, violations_list, warning_dict
from ..pipeline import plan
from .errors import EXIT_FINDINGS, EXIT_OK, cli_errors
from .inputs import InputFlags, with_input_flags
from .options import OutputOpt, ShowSecrets, check_output


@cli_errors
@with_input_flags
def validate_command(*, flags: InputFlags, output: OutputOpt = "text", show_secrets: ShowSecrets = False) -> None:
    """Validate the effective values of the layers against the chart's schema.

    Every violation names the layer and source (file:line) that supplied the value.
    Exit codes: 0 valid, 1 violations, 2 bad input.
    """
    check_output(output)
    p = plan(flags.plan_inputs(render=False))
    redactor = p.redactor(reveal=show_secrets)
    if output != "text":
        doc = {
            "valid": p.ok,
            "chart": p.chart.locator,
            "violations": violations_list(p.violations, redactor),
            "warnings": [warning_dict(w, redactor) for w in p.warnings],
            "layers": [{"name": l.name, "source": l.source} for l in p.layers],
        }
        sys.stdout.write(to_json(doc) if output == "json" else to_yaml(doc))
    else:
        for w in p.warnings:
            print(f"warning: {warning_dict(w, redactor)['message']}", file=sys.stderr)
        if p.ok:
            print(f"valid: {len(p.layers)} layers against {p.chart.locator} values.schema.json")
        else:
            print(f"invalid: {len(p.violations)} violation(s) of {p.chart.locator} values.schema.json:")
            for v in p.violations:
                print(f"  - {redactor.scrub(v.describe())}")
    raise typer.Exit(EXIT_OK if p.ok else EXIT_FINDINGS)
