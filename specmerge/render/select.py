"""``helm template --show-only`` (``-s``): picking documents out of a rendered stream.

Helm splits the stream it printed into documents at each ``---`` line (the whitespace around
a separator goes with it; the stream's last document keeps its final newline), names each
by its ``# Source:`` line without the chart's own name (a document without one - the rest of
a template after a ``---`` of its own - is never shown), and prints, pattern by pattern, every document whose
name matches (Go's ``filepath.Match``), each as ``---\n<document>\n``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")
_SOURCE = re.compile(r"# Source: [^/]+/(.+)")


def _glob(pattern: str) -> re.Pattern[str] | None:
    """Go's ``filepath.Match`` pattern as a regex (``*``/``?`` never cross ``/``); ``None``
    for a malformed pattern, which matches nothing (as in Go)."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            if i >= len(pattern):
                return None
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return None


def show_only(stream: str, patterns: Iterable[str]) -> str:
    """``helm template --show-only``: the documents of ``stream`` whose template (the path
    after the chart's name: ``templates/x.yaml``, ``charts/sub/templates/y.yaml``) matches
    each pattern, pattern by pattern, each as ``---\n<document>\n``. A pattern that
    matches nothing is a :class:`ValueError`, as in Helm."""
    docs = [d for d in _SEPARATOR.split(stream) if d]
    out: list[str] = []
    for pattern in patterns:
        rx = _glob(pattern.replace(os.sep, "/"))
        hits = [d for d in docs if (m := _SOURCE.search(d)) and rx is not None and rx.match(m.group(1))]
        if not hits:
            raise ValueError(f"could not find template {pattern} in chart")
        out += [f"---\n{d}\n" for d in hits]
    return "".join(out)
