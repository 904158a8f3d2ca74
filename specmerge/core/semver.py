"""SemVer 2.0.0 precedence, as a sort key (pure).

In core because both the channels (the latest release of a channel) and the renderer
(:mod:`specmerge.render.versions`, chart version constraints) order versions by it. The
latest release of a channel is its highest version by this precedence: numeric
major.minor.patch; a pre-release sorts below its release; pre-release identifiers compare
numerically when both are numeric, numeric below alphanumeric, otherwise as ASCII; a
longer identifier list wins a tie; build metadata is ignored.
"""

from __future__ import annotations

import re

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)

SortKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def is_semver(version: str) -> bool:
    """Whether ``version`` is a SemVer 2.0.0 version (no leading ``v``)."""
    return bool(_SEMVER.match(version))


def semver_key(version: str) -> SortKey:
    """A key that orders versions by SemVer precedence; ``ValueError`` if not SemVer."""
    m = _SEMVER.match(version)
    if m is None:
        raise ValueError(f"{version!r} is not a SemVer 2.0.0 version")
    major, minor, patch, pre = int(m[1]), int(m[2]), int(m[3]), m[4]
    if pre is None:
        return (major, minor, patch, 1, ())
    idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, idents)


__all__ = ["SortKey", "is_semver", "semver_key"]
