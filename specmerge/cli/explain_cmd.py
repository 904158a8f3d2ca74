"""``specmerge explain PATH [inputs]`` and ``specmerge explain --all [inputs]``: provenance.

For one path (dotted ``app.env[2]`` or JSON Pointer ``/app/env/2``): every layer that set
it, highest first, with locator (file:line) and value, which one won, a ``null`` that
deleted it, and the layer below which nothing reaches it (the cut) — the text and JSON of
:mod:`specmerge.core.report` (the same as ``merge --explain``). ``--all``: the provenance
table of every leaf of the effective spec and every deleted path.

Values are masked unless ``--show-secrets``. Exit codes: 0 explained; 1 the path is set by
no layer (explain of one path only); 2 bad input.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..core import Chain, Effective, Redactor, chain_dict, explain_text, shorten, to_json, to_pointer, to_yaml
from ..pipeline import plan
from .errors import EXIT_FINDINGS, EXIT_OK, CliError, cli_errors
from .inputs import InputFlags, with_input_flags
from .options import OutputOpt, ShowSecrets, check_output


def provenance_rows(chains: list[Chain], redactor: Redactor) -> list[tuple[str, str, str, str, str]]:
    """``(path, value, layer, source, shadowed)`` per chain, masked, for the ``--all`` table."""
    rows = []
    for c in chains:
        d = chain_dict(c, redactor)
        w = d["winner"] or {}
        value = "null (deleted)" if d["status"] == "deleted" else shorten(w.get("value"))
        shadowed = ", ".join(e["layer"] for e in d["shadowed"])
        rows.append((d["dotted"], value, w.get("layer", "-"), w.get("source", "-"), shadowed or "-"))
    return rows


def all_chains(eff: Effective) -> list[Chain]:
    """The chain of every leaf (by JSON Pointer), then of every deleted path: the provenance
    table built as the service builds it (:meth:`~specmerge.core.Effective.provenance`)."""
    table = eff.provenance()
    leaves = sorted((path for path, _ in eff.leaves()), key=to_pointer)
    shown = set(leaves)
    return [table[p] for p in leaves] + [c for p, c in table.items() if p not in shown]


def table_text(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """Rows as aligned columns (plain text; the last column is not padded)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for r in [header, *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])
    return "\n".join(l.rstrip() for l in lines) + "\n"


@cli_errors
@with_input_flags
def explain_command(
    path: Annotated[str | None, typer.Argument(help="Dotted path (app.env[2]) or JSON Pointer (/app/env/2).")] = None,
    *,
    flags: InputFlags,
    all_: Annotated[bool, typer.Option("--all", help="The provenance table of every leaf instead.")] = False,
    output: OutputOpt = "text",
    show_secrets: ShowSecrets = False,
) -> None:
    """Explain where a value comes from: every layer that set it, which one won, what deleted it.

    Exit codes: 0 explained, 1 no layer sets the path, 2 bad input.
    """
    check_output(output)
    if (path is None) == (not all_):
        raise CliError("give a PATH or --all (not both)")
    p = plan(flags.plan_inputs(render=False))
    redactor = p.redactor(reveal=show_secrets)
    eff = p.effective
    if all_:
        chains = all_chains(eff)
        if output == "text":
            header = ("PATH", "VALUE", "LAYER", "SOURCE", "SHADOWED")
            sys.stdout.write(table_text(provenance_rows(chains, redactor), header))
        else:
            doc = {"paths": [chain_dict(c, redactor) for c in chains]}
            sys.stdout.write(to_json(doc) if output == "json" else to_yaml(doc))
        raise typer.Exit(EXIT_OK)
    try:
        chain = eff.explain(path or "")
    except ValueError as exc:  # not a dotted path or JSON Pointer
        raise CliError(f"PATH: {exc}") from None
    if output == "text":
        sys.stdout.write(explain_text(chain, redactor) + "\n")
    else:
        d = chain_dict(chain, redactor)
        sys.stdout.write(to_json(d) if output == "json" else to_yaml(d))
    raise typer.Exit(EXIT_OK if chain.entries else EXIT_FINDINGS)
