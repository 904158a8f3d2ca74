"""Secret data <-> JSON documents, the one decoder of the three-key layout (design.md §6).

A Secret's ``data`` maps a key to base64 of UTF-8 JSON. Decoding uses the core's JSON rules
(duplicate keys, size, depth are errors; ``NaN`` is accepted, since older writers stored it)
and raises :class:`~.errors.PermanentError` naming the Secret and key, never the content.
Encoding is :func:`~specmerge.core.text.canonical_json` with non-ASCII kept as UTF-8
(sorted keys, compact), so equal documents give equal bytes and a
write can be compared client-side before it is sent.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from ..core import LayerInputError, parse_json
from ..core import canonical_json
from .errors import PermanentError


def _text(raw: str, where: str) -> str:
    try:
        return base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, TypeError) as exc:
        raise PermanentError(where, f"not base64 UTF-8 text ({type(exc).__name__})") from None


def decode_any(data: Mapping[str, str] | None, key: str, where: str) -> Any:
    """The JSON document under ``key`` (any JSON value), ``None`` when the key is absent."""
    if not data or data.get(key) is None:
        return None
    text = _text(data[key], f"{where}#{key}")
    try:
        # parse_json wants an object at the top: wrap, so any JSON value passes its checks
        return parse_json(f'{{"v":{text}}}', f"{where}#{key}", allow_nan=True)["v"]
    except LayerInputError as exc:
        raise PermanentError(f"{where}#{key}", f"invalid JSON ({exc.reason})") from None


def decode_object(data: Mapping[str, str] | None, key: str, where: str) -> dict[str, Any] | None:
    """The JSON object under ``key``; ``None`` when absent; :class:`PermanentError` for anything else."""
    doc = decode_any(data, key, where)
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise PermanentError(f"{where}#{key}", f"must be a JSON object, not {type(doc).__name__}")
    return doc


def encode(doc: Any) -> str:
    """Base64 of the canonical JSON of ``doc`` (one Secret data value)."""
    return base64.b64encode(canonical_json(doc, ascii=False).encode("utf-8")).decode("ascii")


def encode_parts(parts: Mapping[str, Any]) -> dict[str, str]:
    """A Secret's ``data`` from ``{key: document}``."""
    return {key: encode(doc) for key, doc in parts.items()}


__all__ = ["decode_any", "decode_object", "encode", "encode_parts"]
