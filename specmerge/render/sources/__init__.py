"""Fetching and loading charts from every source form of design.md §6, one module per source
(as httpx keeps one transport per module under ``_transports/``).

:func:`load_chart` takes a parsed :mod:`~specmerge.render.ref` reference and returns a
:class:`LoadedChart`: the Helm chart handle (immutable, safe to share between threads), its
content digest, defaults, schema and the text of its ``values.yaml`` (for line numbers).

* :mod:`.path`: a directory (digest over its files), a ``.tgz`` (digest of its bytes) or a
  file holding a base64-encoded ``.tgz``;
* :mod:`.repo`: a chart repository's ``index.yaml`` over HTTP(S) with optional basic auth,
  the archive checked against the index digest;
* :mod:`.oci`: Helm's registry client with a private credentials file;
* :mod:`.remote`: the chart cache both remote sources share (an exact version that
  resolved before needs no network; airgapped mode needs it cached);
* :mod:`.loading`: the loaded-chart table (a chart is parsed by Helm once per process).

Every failure is a :class:`ChartSourceError` whose message names the reference (without its
credentials) and what went wrong.
"""

from __future__ import annotations

from ..cache import ChartCache
from ..errors import ChartSourceError
from ..ref import ChartRef, PathRef, RepoRef
from .loading import MAX_ARCHIVE_BYTES, LoadedChart, load_archive, scrub
from .oci import load_oci
from .path import directory_digest, load_path, recheck_directories_after
from .repo import HTTP_TIMEOUT, load_repo, resolve_repo_entry


def load_chart(ref: ChartRef, cache: ChartCache | None = None, *, offline: bool = False) -> LoadedChart:
    """Fetch (if remote, through ``cache``) and load the chart ``ref`` names. ``offline``
    (airgapped) serves remote references only from the cache and never opens a connection."""
    if isinstance(ref, PathRef):
        return load_path(ref)
    cache = cache or ChartCache()
    try:
        if isinstance(ref, RepoRef):
            return load_repo(ref, cache, offline)
        return load_oci(ref, cache, offline)
    except ChartSourceError as exc:
        raise ChartSourceError(scrub(str(exc), ref)) from None


__all__ = [
    "HTTP_TIMEOUT",
    "MAX_ARCHIVE_BYTES",
    "LoadedChart",
    "directory_digest",
    "load_archive",
    "load_chart",
    "recheck_directories_after",
    "resolve_repo_entry",
]
