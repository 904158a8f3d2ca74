"""Plain-data views of core results for every output surface (CLI, HTTP, logs).

Each function takes a :class:`~specmerge.core.secrets.Redactor`, so masking happens in
one place and no surface can forget it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .merge import Effective, MergeWarning
from .provenance import Chain
from .paths import to_dotted, to_pointer
from .secrets import Redactor
from .text import shorten
from .validate import Violation


def chain_dict(chain: Chain, redactor: Redactor) -> dict[str, Any]:
    """One path's provenance: winner, what it shadowed, whether a null deleted it."""
    sensitive = redactor.is_sensitive(chain.path)

    def value(entry_value: Any) -> Any:
        return redactor.mask_value(entry_value, chain.path) if sensitive else redactor.mask(entry_value, chain.path)

    entries = [e.to_dict(value(e.value) if e.op == "set" else None) for e in chain.entries]
    out: dict[str, Any] = {
        "path": to_pointer(chain.path),
        "dotted": to_dotted(chain.path),
        "status": "deleted" if chain.deleted else ("set" if chain.entries else "unset"),
        "winner": entries[0] if entries else None,
        "shadowed": entries[1:],
    }
    if chain.cut is not None:
        out["cut"] = {
            "layer": chain.cut.layer,
            "source": chain.cut.source,
            "ancestor": to_pointer(chain.cut.ancestor),
            "op": chain.cut.op,
        }
    return out


def warning_dict(warning: MergeWarning, redactor: Redactor) -> dict[str, Any]:
    out = warning.to_dict()
    out["message"] = redactor.scrub(out["message"])
    return out


def violations_list(violations: Iterable[Violation], redactor: Redactor) -> list[dict[str, Any]]:
    out = []
    for v in violations:
        d = v.to_dict()
        d["message"] = redactor.scrub(d["message"])
        out.append(d)
    return out


def effective_dict(effective: Effective, redactor: Redactor) -> dict[str, Any]:
    """Masked values (control keys included), warnings, and the layers merged."""
    redactor.learn(effective)
    return {
        "values": redactor.mask(effective.with_controls),
        "layers": [{"name": l.name, "source": l.source} for l in effective.layers],
        "warnings": [warning_dict(w, redactor) for w in effective.warnings],
    }


def explain_text(chain: Chain, redactor: Redactor) -> str:
    """The chain of one path for people, highest layer first."""
    d = chain_dict(chain, redactor)
    lines = [f"{d['dotted']}  ({d['status']})"]
    for i, e in enumerate(chain.entries):
        entry = ([d["winner"]] + d["shadowed"])[i]
        mark = "=>" if i == 0 else "  "
        what = "null (deletes)" if e.op == "delete" else shorten(entry.get("value"))
        role = ("wins" if e.op == "set" else "deletes") if i == 0 else "shadowed"
        lines.append(f"  {mark} {e.layer:<9} {what}  [{role}]  {e.source}")
    if d.get("cut"):
        c = d["cut"]
        verb = "deleted" if c["op"] == "delete" else "replaced"
        lines.append(f"     below {c['layer']} ({c['source']}), which {verb} {c['ancestor'] or '/'}: nothing lower reaches this path")
    if not chain.entries:
        lines.append("  no layer sets this path")
    return "\n".join(lines)
