"""Pure edits of a stored user layer: JSON Merge Patch (RFC 7396) and restoring the
secrets a client sent back as redacted placeholders.

A console GETs the user values masked (``<redacted hmac:xxxxxxxx>`` in place of each
secret, or of a URL's password), edits them and PUTs them back. Without :func:`restore_placeholders` that round
trip would store the placeholders as the new passwords. A placeholder is restored from
the stored document at the same path when it is the redaction of the value stored there;
a placeholder that matches nothing stored is reported, never stored as a value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from ..core import Path, get_at, mask_url, redact

#: A placeholder, whole (a secret) or inside a URL (its password). The unkeyed form of older
#: releases is matched too, so it is refused rather than stored as a password.
PLACEHOLDER = re.compile(r"<redacted (?:hmac|sha256):[0-9a-f]{8}>")
_ABSENT = object()


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 MergePatch(target, patch); inputs are not mutated."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def restore_placeholders(new: Mapping[str, Any], stored: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[Path]]:
    """``new`` with each placeholder replaced by the stored value it stands for, and the
    paths of placeholders that stand for nothing stored."""
    unresolved: list[Path] = []

    def walk(node: Any, path: Path) -> Any:
        if isinstance(node, Mapping):
            return {k: walk(v, path + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, path + (i,)) for i, v in enumerate(node)]
        if isinstance(node, str) and PLACEHOLDER.search(node):
            old = get_at(stored, path, _ABSENT) if stored is not None else _ABSENT
            if old is not _ABSENT and (redact(old) == node or (isinstance(old, str) and old != node
                                                                and mask_url(old) == node)):
                return copy.deepcopy(old)
            unresolved.append(path)
        return node

    return walk(new, ()), unresolved
