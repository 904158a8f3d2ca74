"""What Helm has deployed for an instance, read from its release Secrets' metadata alone.

Helm's ``secret`` storage driver keeps one Secret per revision, ``sh.helm.release.v1.<name>.v<N>``,
labelled ``owner=helm``, ``name``, ``status`` and ``version``, plus whatever labels the
install/upgrade was given (ours: ``specmerge.io/digest``). :func:`release_state` turns the
metadata-only informer's objects into a :class:`ReleaseState` with no request at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..instances import DIGEST_KEY

GOOD = ("deployed", "superseded")


@dataclass(frozen=True)
class ReleaseState:
    """The latest revision of a release, and the newest revision that was deployed before it."""

    name: str
    revision: int
    status: str
    digest: str | None
    previous_good: int | None  # rollback target: newest earlier revision that was deployed
    previous_digest: str | None = None  # that revision's digest label (a rollback carries it over)

    @property
    def pending(self) -> bool:
        return self.status.startswith("pending")

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def deployed(self) -> bool:
        return self.status == "deployed"


def release_state(secrets: Iterable[dict[str, Any]], namespace: str, name: str) -> ReleaseState | None:
    """The state of release ``namespace/name`` from Helm Secrets (metadata suffices); ``None`` if absent."""
    revisions: list[tuple[int, str, str | None]] = []
    for obj in secrets:
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        if meta.get("namespace") != namespace or labels.get("name") != name or labels.get("owner") != "helm":
            continue
        try:
            revisions.append((int(labels.get("version", "0")), str(labels.get("status", "")), labels.get(DIGEST_KEY)))
        except ValueError:
            continue
    if not revisions:
        return None
    revisions.sort()
    revision, status, digest = revisions[-1]
    previous = [(r, d) for r, s, d in revisions[:-1] if s in GOOD]
    good, good_digest = previous[-1] if previous else (None, None)
    return ReleaseState(name, revision, status, digest, good, good_digest)


__all__ = ["ReleaseState", "release_state"]
