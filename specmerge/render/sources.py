"""Fetching and loading charts from every source form of design.md §6.

:func:`load_chart` takes a parsed :mod:`~specmerge.render.ref` reference and returns a
:class:`LoadedChart`: the Helm chart handle (immutable, safe to share between threads), its
content digest, defaults, schema and the text of its ``values.yaml`` (for line numbers).

* path: a directory (digest over its files), a ``.tgz`` (digest of its bytes) or a file
  holding a base64-encoded ``.tgz``;
* chart repository: ``index.yaml`` over HTTP(S) with optional basic auth, the version chosen
  by :func:`~specmerge.render.versions.best_match`, the archive checked against the index
  digest and kept in the :class:`~specmerge.render.cache.ChartCache`. An archive whose digest
  is cached is not downloaded again; an exact version that resolved before needs no network;
* OCI: Helm's registry client (helm-python-sdk) with a private credentials file, so the
  user's Helm registry config is neither read nor written.

Loaded charts are kept in memory by digest, so a chart is parsed by Helm once per process.
Every failure is a :class:`ChartSourceError` whose message names the reference (without its
credentials) and what went wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import tarfile
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import helm_python as helm

from ..core import LayerInputError, parse_yaml
from .cache import ChartCache, sha256_digest
from .errors import ChartSourceError
from .ref import ChartRef, OciRef, PathRef, RepoRef, resolve_reference_url, secrets_of, shown_url
from .versions import ConstraintError, best_match, is_exact

if TYPE_CHECKING:
    import httpx

HTTP_TIMEOUT = 15.0
MAX_ARCHIVE_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


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


def _scrub(text: str, ref: ChartRef) -> str:
    for secret in secrets_of(ref):
        if len(secret) >= 3:
            text = text.replace(secret, "<redacted>")
    return text


# --- in-memory table of loaded charts ---------------------------------------------------

_LOADED: OrderedDict[str, LoadedChart] = OrderedDict()
_LOADED_LOCK = threading.Lock()
_LOADED_MAX = 32


def _remember(digest: str, build: Any) -> LoadedChart:
    with _LOADED_LOCK:
        hit = _LOADED.get(digest)
        if hit is not None:
            _LOADED.move_to_end(digest)
            return hit
    loaded = build()
    with _LOADED_LOCK:
        existing = _LOADED.setdefault(digest, loaded)
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return existing


def _is_schema(member: str, name: str) -> bool:
    """``<name>/values.schema.json`` or ``<name>/charts/<a>[/charts/<b>...]/values.schema.json``."""
    parts = member.split("/")
    if parts[0] != name or parts[-1] != "values.schema.json":
        return False
    middle = parts[1:-1]
    return len(middle) % 2 == 0 and all(middle[i] == "charts" for i in range(0, len(middle), 2))


def _without_schemas(chart: helm.Chart, name: str) -> helm.Chart | None:
    """A copy of ``chart`` whose archive lacks every values schema; ``None`` if it has none
    (a chart without subcharts or a schema of its own is not copied at all)."""
    if chart.schema is None and not chart.dependencies:
        return None
    with tempfile.TemporaryDirectory(prefix="specmerge-chart-") as tmp:
        data = Path(chart.save(tmp)).read_bytes()
    src = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")
    out = io.BytesIO()
    dropped = False
    with src, tarfile.open(fileobj=out, mode="w:gz", compresslevel=1) as dst:  # read once, in memory
        for member in src.getmembers():
            if _is_schema(member.name, name):
                dropped = True
                continue
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return helm.Chart.load_archive(out.getvalue()) if dropped else None


def _describe_chart(chart: helm.Chart, digest: str, values_text: str | None) -> LoadedChart:
    meta = chart.metadata
    name = str(meta.get("name", ""))
    return LoadedChart(
        chart=chart,
        digest=digest,
        name=name,
        version=str(meta.get("version", "")),
        values=chart.values or {},
        schema=chart.schema,
        values_text=values_text,
        kube_version=meta.get("kubeVersion") or None,
        unchecked=_without_schemas(chart, name),
    )


def load_archive(data: bytes, origin: str) -> LoadedChart:
    """A chart from ``.tgz`` bytes; ``origin`` names where they came from in errors."""
    digest = sha256_digest(data)

    def build() -> LoadedChart:
        try:
            chart = helm.Chart.load_archive(data)
        except helm.HelmError as exc:
            raise ChartSourceError(f"{origin}: not a valid chart archive: {exc}") from None
        return _describe_chart(chart, digest, _archive_values_text(data))

    return _remember(digest, build)


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


def _files(root: Path) -> list[tuple[str, str, os.stat_result]]:
    """``(relative posix path, full path, stat)`` of every file under ``root``, sorted."""
    out = []
    top = os.fspath(root)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel_dir = os.path.relpath(dirpath, top).replace(os.sep, "/")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            out.append((name if rel_dir == "." else f"{rel_dir}/{name}", full, os.stat(full)))
    return out


_DIGEST_BY_STAT: dict[tuple[Any, ...], str] = {}
_CHECKED: dict[str, tuple[float, str]] = {}  # root -> (monotonic time of the last stat walk, digest)
_recheck_after = 0.0


def recheck_directories_after(seconds: float) -> None:
    """Let :func:`directory_digest` trust its last stat walk of a directory for ``seconds``
    (default 0: walk every time). A long-running service sets this (1 s): a chart directory
    is then stat-walked at most once a second instead of on every preview, and an edit to it
    is seen within that second."""
    global _recheck_after
    _recheck_after = max(0.0, seconds)
    _CHECKED.clear()


def directory_digest(root: Path) -> str:
    """``sha256:<hex>`` over every file's relative path and bytes (``.git`` skipped).

    Remembered per process under the directory's stat signature (path, size, mtime_ns,
    inode of every file), so an unchanged chart directory is not re-read on every render
    while any edit (which changes size or mtime) is seen (within
    :func:`recheck_directories_after`'s interval, when one is set).
    """
    now = time.monotonic()
    checked = _CHECKED.get(str(root))
    if checked is not None and now - checked[0] < _recheck_after:
        return checked[1]
    digest = _walked_digest(root)
    if _recheck_after > 0:
        _CHECKED[str(root)] = (now, digest)
    return digest


def _walked_digest(root: Path) -> str:
    files = _files(root)
    signature = (str(root), tuple((rel, st.st_size, st.st_mtime_ns, st.st_ino) for rel, _, st in files))
    known = _DIGEST_BY_STAT.get(signature)
    if known is not None:
        return known
    h = hashlib.sha256()
    for rel, full, _ in files:
        h.update(rel.encode() + b"\0")
        h.update(Path(full).read_bytes())
        h.update(b"\0")
    digest = "sha256:" + h.hexdigest()
    if len(_DIGEST_BY_STAT) > 256:
        _DIGEST_BY_STAT.clear()
    _DIGEST_BY_STAT[signature] = digest
    return digest


def _load_path(ref: PathRef) -> LoadedChart:
    path = ref.path
    where = ref.describe()
    if path.is_dir():
        if not (path / "Chart.yaml").is_file():
            raise ChartSourceError(f"{where}: {path} is a directory without a Chart.yaml; not a chart")
        try:
            digest = directory_digest(path)
        except OSError as exc:
            raise ChartSourceError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None

        def build() -> LoadedChart:
            try:
                chart = helm.Chart.load(path)
            except helm.HelmError as exc:
                raise ChartSourceError(f"{where}: cannot load chart: {exc}") from None
            values_file = path / "values.yaml"
            text = values_file.read_text(encoding="utf-8") if values_file.is_file() else None
            return _describe_chart(chart, digest, text)

        return _remember(digest, build)
    try:
        size = path.stat().st_size
        if size > MAX_ARCHIVE_BYTES * 2:
            raise ChartSourceError(f"{where}: {size} bytes, over the {MAX_ARCHIVE_BYTES} byte archive limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ChartSourceError(f"{where}: no such file or directory: {path}") from None
    except OSError as exc:
        raise ChartSourceError(f"{where}: cannot read {path}: {exc.strerror or exc}") from None
    if not data.startswith(_GZIP_MAGIC):
        try:
            decoded = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not decoded.startswith(_GZIP_MAGIC):
            raise ChartSourceError(
                f"{where}: not a chart: neither a directory, a .tgz archive nor a base64-encoded .tgz"
            )
        return load_archive(decoded, f"{where} (base64)")
    return load_archive(data, where)


# --- chart repositories -----------------------------------------------------------------


def _http_error(where: str, url: str, exc: Exception, query: str = "") -> ChartSourceError:
    import httpx

    kind = type(exc).__name__
    detail = str(exc).replace(query, "<redacted>") if query else str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return ChartSourceError(f"{where}: timed out after {HTTP_TIMEOUT:g}s fetching {url}")
    if isinstance(exc, httpx.ConnectError):
        return ChartSourceError(f"{where}: cannot reach {url}: connection failed ({detail})")
    return ChartSourceError(f"{where}: cannot fetch {url}: {kind}: {detail}")


def _get(client: httpx.Client, fetched: str, where: str, auth: tuple[str, str] | None, what: str) -> bytes:
    import httpx

    url = shown_url(fetched)  # what messages say: the query (a token) hidden
    try:
        resp = client.get(fetched, auth=auth)
    except httpx.HTTPError as exc:
        query = urlsplit(fetched).query
        raise _http_error(where, url, exc, query) from None
    except httpx.InvalidURL:  # e.g. an index entry's download URL; its text may hold credentials
        raise ChartSourceError(f"{where}: {what}: not a valid URL") from None
    if resp.status_code in (401, 403):
        hint = "check username/password" if auth else "the repository needs username/password"
        raise ChartSourceError(f"{where}: {what} {url}: HTTP {resp.status_code} ({hint})")
    if resp.status_code == 404:
        raise ChartSourceError(f"{where}: {what} {url}: not found (HTTP 404)")
    if resp.status_code >= 400:
        raise ChartSourceError(f"{where}: {what} {url}: HTTP {resp.status_code}")
    if len(resp.content) > MAX_ARCHIVE_BYTES:
        raise ChartSourceError(f"{where}: {what} {url}: over {MAX_ARCHIVE_BYTES} bytes")
    return resp.content


def resolve_repo_entry(index: Mapping[str, Any], ref: RepoRef) -> Mapping[str, Any]:
    """The index entry ``ref`` selects: its name, and the highest version its constraint allows."""
    where = ref.describe()
    entries = index.get("entries") if isinstance(index, Mapping) else None
    if not isinstance(entries, Mapping):
        raise ChartSourceError(f"{where}: index.yaml has no 'entries' map; not a chart repository index")
    versions = entries.get(ref.name)
    if not versions:
        names = sorted(str(n) for n in entries)
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        raise ChartSourceError(f"{where}: no chart named {ref.name!r} in the repository (it has: {shown or 'nothing'})")
    by_version = {str(e.get("version")): e for e in versions if isinstance(e, Mapping)}
    try:
        chosen = best_match(ref.version, by_version)
    except ConstraintError as exc:
        raise ChartSourceError(f"{where}: {exc}") from None
    if chosen is None:
        avail = ", ".join(list(by_version)[:10])
        raise ChartSourceError(f"{where}: no version of {ref.name!r} matches {ref.version!r} (available: {avail})")
    return by_version[chosen]


def _alias_key(ref: RepoRef | OciRef) -> str:
    if isinstance(ref, RepoRef):
        return f"repo:{ref.url}|{ref.name}|{ref.version}"
    return f"oci:{ref.reference}|{ref.version}"


def _cached(cache: ChartCache, ref: RepoRef | OciRef, offline: bool) -> LoadedChart | None:
    """The archive an exact version resolved to before, if cached; in offline mode it must be."""
    if is_exact(ref.version):
        known = cache.alias(_alias_key(ref))
        data = cache.get(known) if known else None
        if data is not None:
            return load_archive(data, ref.describe())
    if offline:
        need = "" if is_exact(ref.version) else " (and a version range always needs the network: pin an exact version)"
        raise ChartSourceError(
            f"{ref.describe()}: airgapped: this chart is not in the cache {cache.root}{need}; "
            "render it once with network access, or use a local path or .tgz"
        )
    return None


def _store(cache: ChartCache, ref: RepoRef | OciRef, data: bytes) -> LoadedChart:
    """Cache a fetched archive (and, for an exact version, what it resolved to); load it."""
    digest = cache.put(data)
    if is_exact(ref.version):
        cache.set_alias(_alias_key(ref), digest)
    return load_archive(data, ref.describe())


def _load_repo(ref: RepoRef, cache: ChartCache, offline: bool) -> LoadedChart:
    where = ref.describe()
    hit = _cached(cache, ref, offline)
    if hit is not None:
        return hit
    index_url = resolve_reference_url(ref.url, "index.yaml")
    import httpx  # only a chart repository needs HTTP: imported here, not at start-up

    with httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=True) as client:
        raw = _get(client, index_url, where, ref.auth, "index")
        try:
            index = parse_yaml(raw.decode("utf-8", "replace"), shown_url(index_url))
        except LayerInputError as exc:
            raise ChartSourceError(f"{where}: unreadable index.yaml: {exc}") from None
        entry = resolve_repo_entry(index, ref)
        urls = entry.get("urls") or []
        if not urls or not isinstance(urls[0], str):
            raise ChartSourceError(f"{where}: index entry {entry.get('version')} lists no download url")
        expected = entry.get("digest")
        expected = f"sha256:{expected}" if isinstance(expected, str) and ":" not in expected else expected
        data = cache.get(expected) if isinstance(expected, str) and expected.startswith("sha256:") else None
        if data is None:
            chart_url = resolve_reference_url(ref.url, urls[0])
            same_host = urlsplit(chart_url).netloc == urlsplit(ref.url).netloc
            data = _get(client, chart_url, where, ref.auth if same_host else None, "chart archive")
            if isinstance(expected, str) and expected.startswith("sha256:") and sha256_digest(data) != expected:
                raise ChartSourceError(
                    f"{where}: archive {shown_url(chart_url)} has digest {sha256_digest(data)}, the index says {expected}"
                )
            if not data.startswith(_GZIP_MAGIC):
                raise ChartSourceError(f"{where}: {shown_url(chart_url)} is not a .tgz archive")
    return _store(cache, ref, data)


# --- OCI registries ---------------------------------------------------------------------


def _oci_tag(version: str) -> str:
    """OCI tags cannot hold ``+``; Helm pushes ``1.0.0+build`` as ``1.0.0_build``."""
    return version.replace("+", "_")


def _load_oci(ref: OciRef, cache: ChartCache, offline: bool) -> LoadedChart:
    where = ref.describe()
    hit = _cached(cache, ref, offline)
    if hit is not None:
        return hit
    try:
        with tempfile.TemporaryDirectory(prefix="specmerge-oci-") as tmp:
            client = helm.RegistryClient(plain_http=ref.plain_http, credentials_file=Path(tmp) / "config.json")
            with client:
                if ref.username is not None or ref.password is not None:
                    client.login(ref.host, ref.username or "", ref.password or "", plain_http=ref.plain_http)
                version = ref.version
                if not is_exact(version):
                    tags = [t.replace("_", "+") for t in client.tags(ref.reference)]
                    try:
                        chosen = best_match(version, tags)
                    except ConstraintError as exc:
                        raise ChartSourceError(f"{where}: {exc}") from None
                    if chosen is None:
                        raise ChartSourceError(
                            f"{where}: no tag matches {version!r} (available: {', '.join(tags[:10]) or 'none'})"
                        )
                    version = chosen
                manifest = client.resolve(f"{ref.reference}:{_oci_tag(version)}")["digest"]
                manifest_key = f"oci-manifest:{ref.reference}|{manifest}"
                known = cache.alias(manifest_key)
                data = cache.get(known) if known else None
                if data is None:
                    result = client.pull(ref.reference, version=version, destination=tmp, plain_http=ref.plain_http)
                    archives = sorted(Path(tmp).glob("*.tgz"))
                    if not archives:
                        raise ChartSourceError(f"{where}: the registry returned no chart archive ({result})")
                    data = archives[0].read_bytes()
    except helm.HelmError as exc:
        raise ChartSourceError(f"{where}: {_scrub(str(exc), ref)}") from None
    cache.set_alias(manifest_key, cache.put(data))
    return _store(cache, ref, data)


def load_chart(ref: ChartRef, cache: ChartCache | None = None, *, offline: bool = False) -> LoadedChart:
    """Fetch (if remote, through ``cache``) and load the chart ``ref`` names. ``offline``
    (airgapped) serves remote references only from the cache and never opens a connection."""
    if isinstance(ref, PathRef):
        return _load_path(ref)
    cache = cache or ChartCache()
    try:
        if isinstance(ref, RepoRef):
            return _load_repo(ref, cache, offline)
        return _load_oci(ref, cache, offline)
    except ChartSourceError as exc:
        raise ChartSourceError(_scrub(str(exc), ref)) from None
