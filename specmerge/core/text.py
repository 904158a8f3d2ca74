"""Two text rules every output shares: the canonical JSON of a value, and a value shortened for a message.

Canonical JSON is what digests, ETags and equality of stored documents are computed from:
keys sorted, no whitespace, so two equal trees always give the same bytes. ``ascii=False``
keeps non-ASCII characters as they are (the stored Secret form); the default escapes them.
``default=str`` is for trees that may hold YAML-only scalars (dates): they are compared by
their text rather than refused.

:func:`shorten` is the one length limit for a value quoted inside a message, a table cell
or a diff line (80 characters, ``...`` marking a cut), so the CLI, the reports and the
service never disagree on it.
"""

from __future__ import annotations

import json
from typing import Any

#: The longest quoted value in a message, a table cell or a diff line.
SHORT_LIMIT = 80


def canonical_json(value: Any, *, ascii: bool = True, lenient: bool = False) -> str:
    """Sorted keys, compact separators; ``lenient`` turns non-JSON scalars into their text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii,
                      default=str if lenient else None)


def shorten(value: Any, limit: int = SHORT_LIMIT) -> str:
    """``value`` as JSON (sorted keys), cut to ``limit`` characters with ``...`` when longer."""
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = ["SHORT_LIMIT", "canonical_json", "shorten"]
