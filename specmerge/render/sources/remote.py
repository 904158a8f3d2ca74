"""What the two remote sources (chart repository, OCI registry) share: the chart cache.

An exact version that resolved before is served from the cache with no network (an alias
from the reference to the archive's digest); in airgapped mode a remote chart must be
there. A fetched archive is cached, with its alias when the version is exact.
"""

from __future__ import annotations

from ..cache import ChartCache
from ..errors import ChartSourceError
from ..ref import OciRef, RepoRef
from ..versions import is_exact
from .loading import LoadedChart, load_archive


def _alias_key(ref: RepoRef | OciRef) -> str:
    if isinstance(ref, RepoRef):
        return f"repo:{ref.url}|{ref.name}|{ref.version}"
    return f"oci:{ref.reference}|{ref.version}"


def cached(cache: ChartCache, ref: RepoRef | OciRef, offline: bool) -> LoadedChart | None:
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


def store(cache: ChartCache, ref: RepoRef | OciRef, data: bytes) -> LoadedChart:
    """Cache a fetched archive (and, for an exact version, what it resolved to); load it."""
    digest = cache.put(data)
    if is_exact(ref.version):
        cache.set_alias(_alias_key(ref), digest)
    return load_archive(data, ref.describe())


__all__ = ["cached", "store"]
