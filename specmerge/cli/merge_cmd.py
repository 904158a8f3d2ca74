"""``specmerge merge``: the effective values of -f/--set layers, masked, with provenance."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..core import (
    Redactor,
    chain_dict,
    effective_dict,
    explain_text,
    merge,
    to_json,
    to_yaml,
    validate,
    violations_list,
    warning_dict,
)
from .errors import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, CliError, cli_errors
from .options import SetFile, SetJson, SetLiteral, SetString, SetValues, ShowSecrets, ValuesFiles, cli_layers


def load_schema(path: Path) -> dict:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CliError(f"schema {path}: cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"schema {path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(schema, dict):
        raise CliError(f"schema {path}: must be a JSON object")
    return schema


@cli_errors
def merge_command(
    values: ValuesFiles = None,
    set_: SetValues = None,
    set_string: SetString = None,
    set_json: SetJson = None,
    set_file: SetFile = None,
    set_literal: SetLiteral = None,
    schema: Annotated[Path | None, typer.Option("--schema", help="JSON Schema to validate with.")] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Print the chain of one path instead.")] = None,
    output: Annotated[str, typer.Option("-o", "--output", help="yaml or json.")] = "yaml",
    show_secrets: ShowSecrets = False,
) -> None:
    """Merge layers (lowest first) and print the effective values, masked.

    Warnings and violations go to stderr (in -o json, into the document). Exit codes:
    0 ok, 1 schema violations, 2 bad input or usage.
    """
    if output not in ("yaml", "json"):
        raise CliError(f"--output must be yaml or json, not {output!r}")
    layers = cli_layers(values, set_, set_string, set_json, set_file, set_literal)
    schema_doc = load_schema(schema) if schema else None
    redactor = Redactor(schema_doc, reveal=show_secrets)
    effective = merge(layers)
    redactor.learn(effective)
    violations = validate(effective, schema_doc, redactor) if schema_doc is not None else []

    if explain is not None:
        chain = effective.explain(explain)
        if output == "json":
            sys.stdout.write(to_json(chain_dict(chain, redactor)))
        else:
            sys.stdout.write(explain_text(chain, redactor) + "\n")
        raise typer.Exit(EXIT_OK)

    if output == "json":
        doc = effective_dict(effective, redactor)
        doc["violations"] = violations_list(violations, redactor)
        sys.stdout.write(to_json(doc))
    else:
        sys.stdout.write(to_yaml(redactor.mask(effective.with_controls)))
        for w in effective.warnings:
            print(f"warning: {warning_dict(w, redactor)['message']}", file=sys.stderr)
        for v in violations:
            print(f"violation: {redactor.scrub(v.describe())}", file=sys.stderr)
    raise typer.Exit(EXIT_FINDINGS if violations else EXIT_OK)


__all__ = ["merge_command", "load_schema", "EXIT_ERROR"]
