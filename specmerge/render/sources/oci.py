"""Charts from an OCI registry, through Helm's registry client (helm-python-sdk).

The client gets a private credentials file in a temporary directory, so the user's Helm
registry config is neither read nor written. A version range is resolved against the
repository's tags; the manifest digest a tag resolves to is remembered in the chart cache,
so an unchanged chart is not pulled again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import helm_python as helm

from ..cache import ChartCache
from ..errors import ChartSourceError
from ..ref import OciRef
from ..versions import ConstraintError, best_match, is_exact
from .loading import LoadedChart, scrub
from .remote import cached, store


def _oci_tag(version: str) -> str:
    """OCI tags cannot hold ``+``; Helm pushes ``1.0.0+build`` as ``1.0.0_build``."""
    return version.replace("+", "_")


def _version(client: helm.RegistryClient, ref: OciRef) -> str:
    """The exact version asked for, or the highest tag its constraint allows."""
    if is_exact(ref.version):
        return ref.version
    where = ref.describe()
    tags = [t.replace("_", "+") for t in client.tags(ref.reference)]
    try:
        chosen = best_match(ref.version, tags)
    except ConstraintError as exc:
        raise ChartSourceError(f"{where}: {exc}") from None
    if chosen is None:
        raise ChartSourceError(f"{where}: no tag matches {ref.version!r} (available: {', '.join(tags[:10]) or 'none'})")
    return chosen


def _pull(client: helm.RegistryClient, ref: OciRef, version: str, cache: ChartCache, tmp: str) -> tuple[str, bytes]:
    """``(manifest cache key, archive bytes)``: from the cache when the manifest is known."""
    manifest = client.resolve(f"{ref.reference}:{_oci_tag(version)}")["digest"]
    manifest_key = f"oci-manifest:{ref.reference}|{manifest}"
    known = cache.alias(manifest_key)
    data = cache.get(known) if known else None
    if data is None:
        result = client.pull(ref.reference, version=version, destination=tmp, plain_http=ref.plain_http)
        archives = sorted(Path(tmp).glob("*.tgz"))
        if not archives:
            raise ChartSourceError(f"{ref.describe()}: the registry returned no chart archive ({result})")
        data = archives[0].read_bytes()
    return manifest_key, data


def load_oci(ref: OciRef, cache: ChartCache, offline: bool) -> LoadedChart:
    """The chart an OCI reference names (see the module docstring)."""
    hit = cached(cache, ref, offline)
    if hit is not None:
        return hit
    try:
        with tempfile.TemporaryDirectory(prefix="specmerge-oci-") as tmp:
            client = helm.RegistryClient(plain_http=ref.plain_http, credentials_file=Path(tmp) / "config.json")
            with client:
                if ref.username is not None or ref.password is not None:
                    client.login(ref.host, ref.username or "", ref.password or "", plain_http=ref.plain_http)
                manifest_key, data = _pull(client, ref, _version(client, ref), cache, tmp)
    except helm.HelmError as exc:
        raise ChartSourceError(f"{ref.describe()}: {scrub(str(exc), ref)}") from None
    cache.set_alias(manifest_key, cache.put(data))
    return store(cache, ref, data)


__all__ = ["load_oci"]
