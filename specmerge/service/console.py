"""What the console page needs beyond the values API: the page itself (static files from
:mod:`specmerge.console`, served at ``/console/``), the instances a caller may read, and the
releases of a channel that the service knows (to pin one with ``_releaseId``).

* ``GET /v1/instances`` — ``{"instances": [{"namespace", "name", "source"}]}``: the
  directory backend's ``<root>/<ns>/<name>/user.json``; the Secret backend's instances are
  its CRs (cluster-wide list). Only those the caller may read are listed.
* ``GET /v1/channels/{channel}/releases`` — ``{"channel", "latest", "releases": [...]}``:
  the embedded releases of the channel and the one the resolver answers for "latest"
  (which may come from the channel server), newest first, no values.

The routes are in :mod:`.routes.console`; they use the app's own authentication and error
mapping, so a 401/403/503 looks the same as on every other route.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi.staticfiles import StaticFiles
from kubernetes.client.exceptions import ApiException
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Scope

from ..channels import ChannelRequest
from ..channels.semver import semver_key
from .specs import Previews
from .store import BadInstance, Instance, StoreError, ValuesStore
from .store_dir import USER_FILE, DirectoryStore
from .store_secret import SecretStore

#: The page may load only its own files and talk only to this service; no inline script.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class InstanceItem(BaseModel):
    namespace: str
    name: str
    source: str


class InstanceList(BaseModel):
    instances: list[InstanceItem]


class Release(BaseModel):
    version: str
    releaseId: str
    publishedAt: str
    source: str


class ReleaseList(BaseModel):
    channel: str
    latest: str
    releases: list[Release]


CHANNEL_NAME = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"


def console_dir() -> Path:
    return Path(str(files("specmerge") / "console"))


class ConsoleFiles(StaticFiles):
    """The page's static files with a strict Content-Security-Policy and no caching of
    ``index.html`` (so a new version of the page is picked up on reload)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-cache"
        return response


def _directory_instances(store: DirectoryStore) -> Iterator[Instance]:
    if not store.root.is_dir():
        return
    for user in sorted(store.root.glob(f"*/*/{USER_FILE}")):
        try:
            yield Instance(user.parent.parent.name, user.parent.name)
        except BadInstance:
            continue  # not an instance directory (a stray file tree under the root)


def _cr_instances(store: SecretStore) -> Iterator[Instance]:
    if store.custom is None:
        return
    group, version, plural = store.cr_kind
    try:
        found = store.custom.list_cluster_custom_object(group, version, plural)
    except ApiException as exc:
        raise StoreError(f"cannot list {plural}.{group}: HTTP {exc.status}") from None
    for item in found.get("items", []):
        meta = item.get("metadata") or {}
        try:
            yield Instance(meta.get("namespace", ""), meta.get("name", ""))
        except BadInstance:
            continue


def instances(store: ValuesStore) -> list[Instance]:
    """Every instance the store knows, sorted by namespace then name."""
    if isinstance(store, DirectoryStore):
        found = list(_directory_instances(store))
    elif isinstance(store, SecretStore):
        found = list(_cr_instances(store))
    else:
        found = []
    return sorted(set(found), key=lambda i: (i.namespace, i.name))


def releases(previews: Previews, channel: str) -> dict[str, Any]:
    """The channel's releases known here (embedded + the resolved latest), newest first."""
    latest = previews.resolve(ChannelRequest(channel))
    known = {s.release_id: (s, "embedded") for s in previews.resolver.embedded() if s.channel == channel}
    known.setdefault(latest.release_id, (latest.spec, latest.source))
    ordered = sorted(known.values(), key=lambda item: semver_key(item[0].version), reverse=True)
    return {
        "channel": channel,
        "latest": latest.release_id,
        "releases": [{"version": s.version, "releaseId": s.release_id, "publishedAt": s.published_at, "source": source}
                     for s, source in ordered],
    }
