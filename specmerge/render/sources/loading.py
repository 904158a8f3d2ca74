"""What every chart source shares: the loaded chart, its in-memory table, and archive loading.

A source ends in :func:`load_archive` (``.tgz`` bytes) or :func:`remember` (a directory
loaded by Helm): either way the chart is parsed by Helm once per process and digest, and
kept in a bounded :class:`~specmerge.core.memo.Memo`. :func:`scrub` takes a reference's
credentials out of a message.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import helm_python as helm

from ...core import Memo
from ..cache import sha256_digest
from ..errors import ChartSourceError
from ..ref import ChartRef, secrets_of

MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


#: A subchart's schema: the path of subchart names from the top chart down, and the schema.
SubchartSchema = tuple[tuple[str, ...], Mapping[str, Any]]


@dataclass(frozen=True)
class LoadedChart:
    """A chart ready to render. ``digest`` is ``sha256:<hex>`` of its archive or directory content."""

    chart: helm.Chart = field(repr=False)
    digest: str
    name: str
    version: str
    values: Mapping[str, Any] = field(repr=False)
    schema: Mapping[str, Any] | None = field(repr=False)
    values_text: str | None = field(repr=False)
    kube_version: str | None = None  # the chart's kubeVersion constraint, if any
    unchecked: helm.Chart | None = field(default=None, repr=False)
    #: the subcharts' ``values.schema.json`` files (see :data:`SubchartSchema`), outermost first
    subchart_schemas: tuple[SubchartSchema, ...] = field(default=(), repr=False)

    @property
    def prevalidated(self) -> helm.Chart:
        """The chart without its ``values.schema.json`` files (its own and its subcharts'),
        for values already validated against them with attribution (the pipeline checks the
        top schema, :mod:`specmerge.render.subcharts` the subcharts'): Helm would otherwise
        compile and check the same schemas again on every render (about half of Helm's
        render time for the bundled chart)."""
        return self.unchecked if self.unchecked is not None else self.chart

    @property
    def locator(self) -> str:
        """The chart layer's source locator, e.g. ``chart:platform@1.4.0/values.yaml``."""
        return f"chart:{self.name}@{self.version}/values.yaml"


def scrub(text: str, ref: ChartRef) -> str:
    """``text`` with the reference's credentials (3 characters or more) replaced."""
    for secret in secrets_of(ref):
        if len(secret) >= 3:
            text = text.replace(secret, "<redacted>")
    return text


#: Loaded charts by digest: Helm parses a chart once per process (32 at most are kept).
_LOADED: Memo[str, LoadedChart] = Memo(32)


def remember(digest: str, build: Callable[[], LoadedChart]) -> LoadedChart:
    """The chart loaded for ``digest``, built by ``build`` the first time."""
    hit = _LOADED.get(digest)
    if hit is not None:
        return hit
    loaded = build()
    return _LOADED.get(digest) or _LOADED.put(digest, loaded)


def is_schema(member: str, name: str) -> bool:
    """``<name>/values.schema.json`` or ``<name>/charts/<a>[/charts/<b>...]/values.schema.json``."""
    parts = member.split("/")
    if parts[0] != name or parts[-1] != "values.schema.json":
        return False
    middle = parts[1:-1]
    return len(middle) % 2 == 0 and all(middle[i] == "charts" for i in range(0, len(middle), 2))


def _strip_schemas(chart: helm.Chart, name: str) -> tuple[helm.Chart | None, tuple[SubchartSchema, ...]]:
    """A copy of ``chart`` whose archive lacks every values schema (``None`` if it has none:
    a chart without subcharts or a schema of its own is not copied at all), and the subcharts'
    schemas, outermost first: both from one save of the chart's archive, read once in memory.
    The copy keeps every other member's bytes (headers included) as they are."""
    if chart.schema is None and not chart.dependencies:
        return None, ()
    with tempfile.TemporaryDirectory(prefix="specmerge-chart-") as tmp:
        raw = gzip.decompress(Path(chart.save(tmp)).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as src:
        members = src.getmembers()
        ends = [m.offset for m in members[1:]] + [src.offset]  # each member runs up to the next one's header
        kept: list[bytes] = []
        schemas: list[SubchartSchema] = []
        for member, end in zip(members, ends):
            if not is_schema(member.name, name):
                kept.append(raw[member.offset:end])
                continue
            parts = member.name.split("/")
            if member.isfile() and len(parts) >= 4:  # <top>/charts/<a>[/charts/<b>...]/values.schema.json
                schema = _json_object(src.extractfile(member))
                if schema is not None:
                    schemas.append((tuple(parts[2:-1:2]), schema))
    stripped = None
    if len(kept) < len(members):
        archive = b"".join(kept) + bytes(2 * tarfile.BLOCKSIZE)  # the end-of-archive marker
        stripped = helm.Chart.load_archive(gzip.compress(archive, compresslevel=1, mtime=0))
    return stripped, tuple(sorted(schemas, key=lambda s: s[0]))


def _json_object(fh: IO[bytes] | None) -> dict[str, Any] | None:
    """A JSON object read from ``fh``; ``None`` for anything else (Helm reports an unreadable
    subchart schema itself, at render)."""
    try:
        found = json.loads(fh.read().decode("utf-8")) if fh else None
    except (ValueError, UnicodeDecodeError):
        return None
    return found if isinstance(found, dict) else None


def describe_chart(chart: helm.Chart, digest: str, values_text: str | None) -> LoadedChart:
    """A :class:`LoadedChart` from a Helm chart handle and what was read beside it."""
    meta = chart.metadata
    name = str(meta.get("name", ""))
    unchecked, subchart_schemas = _strip_schemas(chart, name)
    return LoadedChart(
        chart=chart,
        digest=digest,
        name=name,
        version=str(meta.get("version", "")),
        values=chart.values or {},
        schema=chart.schema,
        values_text=values_text,
        kube_version=meta.get("kubeVersion") or None,
        unchecked=unchecked,
        subchart_schemas=subchart_schemas,
    )


def load_archive(data: bytes, origin: str) -> LoadedChart:
    """A chart from ``.tgz`` bytes; ``origin`` names where they came from in errors."""
    digest = sha256_digest(data)

    def build() -> LoadedChart:
        try:
            chart = helm.Chart.load_archive(data)
        except helm.HelmError as exc:
            raise ChartSourceError(f"{origin}: not a valid chart archive: {exc}") from None
        return describe_chart(chart, digest, _archive_values_text(data))

    return remember(digest, build)


def _archive_values_text(data: bytes) -> str | None:
    """``<chart>/values.yaml`` from an archive, or ``None``."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                parts = member.name.split("/")
                if member.isfile() and len(parts) == 2 and parts[1] == "values.yaml":
                    fh = tar.extractfile(member)
                    return fh.read().decode("utf-8") if fh else None
    except (tarfile.TarError, OSError, UnicodeDecodeError, EOFError):
        return None
    return None


__all__ = ["GZIP_MAGIC", "MAX_ARCHIVE_BYTES", "LoadedChart", "SubchartSchema", "describe_chart", "is_schema", "load_archive",
           "remember", "scrub"]
