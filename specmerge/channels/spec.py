"""The channel spec: one release of a release channel, checked before any use.

A channel spec is ``{"metadata": {channel, version, releaseId, publishedAt}, "chart":
<chart reference>, "values": {...}}`` (design.md §6), the same JSON whether it comes from
the channel API, the last-good cache or ``channels/<channel>/<version>.json``. The one
rule for "is this usable" is :func:`parse_channel_spec`: JSON parsed with the core's
checks (duplicate keys, size, depth), then validated against
``schemas/channel-spec.schema.json``. Anything that fails raises :class:`ChannelSpecError`
naming the source and every violation; nothing partial is ever returned.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..core import CompiledSchema, Layer, LayerInputError, Violation, compile_schema, parse_json, validate_values
from ..core import CONTROL_PREFIX
from ..core import canonical_json
from ..locations import schemas_dir

SCHEMA_FILE = "channel-spec.schema.json"


class ChannelSpecError(LayerInputError):
    """A channel spec that must not be used. ``str()`` is ``source: reason``; the reason
    lists every violation (``violations`` holds them one per item). Never carries
    secret values: schema messages go through the core's redactor."""

    def __init__(self, source: str, message: str, violations: tuple[str, ...] = (), **where: Any) -> None:
        self.violations = violations
        super().__init__(source, message, where.get("line"), where.get("col"))


@lru_cache(maxsize=1)
def channel_schema() -> CompiledSchema:
    """The compiled channel-spec schema (read once per process)."""
    path = schemas_dir() / SCHEMA_FILE
    return compile_schema(json.loads(path.read_text(encoding="utf-8")))


def _mask_chart(chart: Mapping[str, Any]) -> dict[str, Any]:
    from ..core import Redactor

    return Redactor(channel_schema().schema).mask(dict(chart))


@dataclass(frozen=True)
class ChannelSpec:
    """A validated channel spec. Treat as immutable: :meth:`layer` and :meth:`to_dict`
    return deep copies, so callers never share mutable state with it."""

    metadata: dict[str, Any] = field(repr=False)
    chart: dict[str, Any] = field(repr=False)
    values: dict[str, Any] = field(repr=False)
    requirements: dict[str, Any] | None = field(default=None, repr=False)  # preflight (specmerge.preflight)

    @property
    def channel(self) -> str:
        return str(self.metadata["channel"])

    @property
    def version(self) -> str:
        return str(self.metadata["version"])

    @property
    def release_id(self) -> str:
        return str(self.metadata["releaseId"])

    @property
    def published_at(self) -> str:
        return str(self.metadata["publishedAt"])

    @property
    def locator(self) -> str:
        """``channel:stable@0.62.0``: the source locator of this spec's layer."""
        return f"channel:{self.channel}@{self.version}"

    def layer(self) -> Layer:
        """The ``channel`` layer of the pipeline, with a private copy of the values."""
        return Layer(name="channel", source=self.locator, values=copy.deepcopy(self.values))

    def to_dict(self) -> dict[str, Any]:
        """The envelope as plain JSON data (a deep copy)."""
        doc = {"metadata": self.metadata, "chart": self.chart, "values": self.values}
        return copy.deepcopy(doc if self.requirements is None else {**doc, "requirements": self.requirements})

    def canonical_json(self) -> str:
        """Sorted, compact JSON of the envelope: stable bytes for digests and ETags."""
        return canonical_json(self.to_dict())

    def digest(self) -> str:
        """SHA-256 hex of :meth:`canonical_json`."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def __repr__(self) -> str:  # chart credentials are secrets (design.md §5)
        return (
            f"ChannelSpec(channel={self.channel!r}, version={self.version!r}, "
            f"release_id={self.release_id!r}, chart={_mask_chart(self.chart)!r})"
        )


def _describe(v: Violation, doc: Any) -> str:
    """One violation as ``pointer: message``, in words a channel author can act on."""
    if v.pointer == "/values" and v.keyword == "not":  # the schema's propertyNames rule
        keys = sorted(k for k in doc["values"] if k.startswith(CONTROL_PREFIX))
        return (
            f"/values: control keys {', '.join(keys)} are not allowed in a channel "
            f"(only the user and CR layers may set top-level '{CONTROL_PREFIX}' keys)"
        )
    return f"{v.pointer or '/'}: {v.message}"


def parse_channel_spec(text_or_dict: str | bytes | Mapping[str, Any], source: str) -> ChannelSpec:
    """A :class:`ChannelSpec` from JSON text/bytes or already-parsed data.

    Raises :class:`ChannelSpecError` (a :class:`~specmerge.core.LayerInputError`) naming
    ``source`` when the text is not UTF-8, not JSON, has duplicate keys, is too large or
    deep, or fails the channel schema; the message lists every violation.
    """
    if isinstance(text_or_dict, (bytes, bytearray)):
        try:
            text_or_dict = bytes(text_or_dict).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ChannelSpecError(source, f"not UTF-8 text (byte {exc.start})") from None
    if isinstance(text_or_dict, str):
        try:
            doc: Any = parse_json(text_or_dict, source)
        except ChannelSpecError:
            raise
        except LayerInputError as exc:
            raise ChannelSpecError(source, exc.reason, line=exc.line, col=exc.col) from None
    elif isinstance(text_or_dict, Mapping):
        doc = copy.deepcopy(dict(text_or_dict))
    else:
        raise ChannelSpecError(source, f"expected JSON text or an object, not {type(text_or_dict).__name__}")

    violations = validate_values(doc, channel_schema())
    if violations:
        lines = tuple(_describe(v, doc) for v in violations)
        noun = "violation" if len(lines) == 1 else "violations"
        raise ChannelSpecError(
            source, f"not a valid channel spec ({len(lines)} {noun}): " + "; ".join(lines), lines
        )
    return ChannelSpec(metadata=doc["metadata"], chart=doc["chart"], values=doc["values"],
                       requirements=doc.get("requirements"))
