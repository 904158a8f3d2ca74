"""Charts from a Helm chart repository: ``index.yaml`` over HTTP(S) with optional basic auth.

The version is chosen by :func:`~specmerge.render.versions.best_match`; the archive is
checked against the index digest and kept in the :class:`~specmerge.render.cache.ChartCache`,
and an archive whose digest is cached is not downloaded again. Credentials go only to the
repository's own host; messages show URLs without their query (which may be a token).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...core import LayerInputError, parse_yaml
from ..cache import ChartCache, sha256_digest
from ..errors import ChartSourceError
from ..ref import RepoRef, resolve_reference_url, shown_url
from ..versions import ConstraintError, best_match
from .loading import GZIP_MAGIC, MAX_ARCHIVE_BYTES, LoadedChart
from .remote import cached, store

if TYPE_CHECKING:
    import httpx

HTTP_TIMEOUT = 15.0


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


def _index_entry(client: httpx.Client, ref: RepoRef) -> Mapping[str, Any]:
    where = ref.describe()
    index_url = resolve_reference_url(ref.url, "index.yaml")
    raw = _get(client, index_url, where, ref.auth, "index")
    try:
        index = parse_yaml(raw.decode("utf-8", "replace"), shown_url(index_url))
    except LayerInputError as exc:
        raise ChartSourceError(f"{where}: unreadable index.yaml: {exc}") from None
    return resolve_repo_entry(index, ref)


def _archive(client: httpx.Client, ref: RepoRef, entry: Mapping[str, Any], cache: ChartCache) -> bytes:
    """The entry's archive: from the cache by the index digest, else downloaded and checked."""
    where = ref.describe()
    urls = entry.get("urls") or []
    if not urls or not isinstance(urls[0], str):
        raise ChartSourceError(f"{where}: index entry {entry.get('version')} lists no download url")
    expected = entry.get("digest")
    expected = f"sha256:{expected}" if isinstance(expected, str) and ":" not in expected else expected
    data = cache.get(expected) if isinstance(expected, str) and expected.startswith("sha256:") else None
    if data is not None:
        return data
    chart_url = resolve_reference_url(ref.url, urls[0])
    same_host = urlsplit(chart_url).netloc == urlsplit(ref.url).netloc
    data = _get(client, chart_url, where, ref.auth if same_host else None, "chart archive")
    if isinstance(expected, str) and expected.startswith("sha256:") and sha256_digest(data) != expected:
        raise ChartSourceError(
            f"{where}: archive {shown_url(chart_url)} has digest {sha256_digest(data)}, the index says {expected}"
        )
    if not data.startswith(GZIP_MAGIC):
        raise ChartSourceError(f"{where}: {shown_url(chart_url)} is not a .tgz archive")
    return data


def load_repo(ref: RepoRef, cache: ChartCache, offline: bool) -> LoadedChart:
    """The chart a repository reference names (see the module docstring)."""
    hit = cached(cache, ref, offline)
    if hit is not None:
        return hit
    import httpx  # only a chart repository needs HTTP: imported here, not at start-up

    with httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=True) as client:
        data = _archive(client, ref, _index_entry(client, ref), cache)
    return store(cache, ref, data)


__all__ = ["HTTP_TIMEOUT", "load_repo", "resolve_repo_entry"]
