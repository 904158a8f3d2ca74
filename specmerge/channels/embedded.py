"""Embedded channels: the releases shipped in the repo's ``channels/`` directory.

Layout ``channels/<channel>/<version>.json`` (channels/README.md). They are the default
source when no channel server is configured and the only source in airgapped mode. Every
file is checked with :func:`parse_channel_spec`, and its ``metadata.channel`` and
``metadata.version`` must match its directory and file name.

:func:`load_embedded` reads only the release it returns when the file names decide it (the
latest of a channel is the highest SemVer file name; a pinned releaseId is found by a plain
JSON read of each file's metadata): checking every release costs a render several
milliseconds. :func:`list_embedded` still checks them all.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InputError
from ..locations import ROOT_ENV, repo_root
from .semver import is_semver, semver_key
from .spec import ChannelSpec, ChannelSpecError, parse_channel_spec

CHANNELS_ENV = "SPECMERGE_CHANNELS_DIR"

__all__ = [
    "CHANNELS_ENV",
    "ReleaseNotFound",
    "embedded_dir",
    "latest",
    "list_embedded",
    "load_embedded",
    "load_dir",
    "repo_root",
    "select",
]


class ReleaseNotFound(InputError, LookupError):
    """No release matches; the message names what was asked and what exists."""


def embedded_dir() -> Path:
    """The embedded channels directory: ``$SPECMERGE_CHANNELS_DIR`` or ``<repo root>/channels``."""
    override = os.environ.get(CHANNELS_ENV)
    return Path(override).resolve() if override else repo_root() / "channels"


def _load_file(path: Path) -> ChannelSpec:
    """One release file, checked, its metadata matching its directory and file name."""
    source = f"file:{path}"
    spec = parse_channel_spec(path.read_bytes(), source)
    if (spec.channel, spec.version) != (path.parent.name, path.stem):
        raise ChannelSpecError(
            source,
            f"metadata says {spec.channel}@{spec.version} but the file is "
            f"{path.parent.name}/{path.name}; they must match",
        )
    return spec


def load_dir(directory: Path) -> list[ChannelSpec]:
    """Every release under ``directory`` (``<channel>/<version>.json``), sorted by channel
    then SemVer. Raises :class:`ChannelSpecError` for a bad file or a name mismatch, and
    :class:`FileNotFoundError` when ``directory`` does not exist."""
    if not directory.is_dir():
        raise FileNotFoundError(f"channels directory {directory} does not exist")
    specs = [_load_file(path) for path in sorted(directory.glob("*/*.json"))]
    specs.sort(key=lambda s: (s.channel, semver_key(s.version)))
    return specs


def list_embedded() -> list[ChannelSpec]:
    """Every embedded release, sorted by channel then SemVer (oldest first). A missing
    directory is a :class:`ChannelSpecError` saying which setting points there."""
    directory = embedded_dir()
    try:
        return load_dir(directory)
    except FileNotFoundError:
        raise ChannelSpecError(
            f"dir:{directory}",
            f"no embedded channels: the directory does not exist (set {ROOT_ENV} to the directory holding "
            f"charts/ and channels/, or {CHANNELS_ENV} to the channels directory)",
        ) from None


def latest(specs: list[ChannelSpec], channel: str) -> ChannelSpec:
    """The highest-SemVer release of ``channel`` among ``specs``."""
    mine = [s for s in specs if s.channel == channel]
    if not mine:
        known = sorted({s.channel for s in specs})
        raise ReleaseNotFound(f"no channel {channel!r} (channels: {', '.join(known) or 'none'})")
    return max(mine, key=lambda s: semver_key(s.version))


def select(specs: list[ChannelSpec], channel: str, release: str | None = None) -> ChannelSpec:
    """The release of ``channel`` whose version or releaseId is ``release``; the latest
    when ``release`` is ``None``. A releaseId is unique across channels, so a pinned
    releaseId is found even in another channel."""
    if release is None:
        return latest(specs, channel)
    for spec in specs:
        if spec.release_id == release:
            return spec
    for spec in specs:
        if spec.channel == channel and spec.version == release:
            return spec
    have = ", ".join(f"{s.version} ({s.release_id})" for s in specs if s.channel == channel)
    raise ReleaseNotFound(f"no release {release!r} in channel {channel!r} (have: {have or 'none'})")


def _latest_file(directory: Path, channel: str) -> Path | None:
    """The file of ``channel``'s highest-SemVer release, by file name (what the full listing
    picks, every file name being its version); ``None`` when the names cannot decide it."""
    if not channel or channel in (".", "..") or "/" in channel or os.sep in channel:
        return None
    files = sorted((directory / channel).glob("*.json"))
    if not files or not all(is_semver(f.stem) for f in files):
        return None
    return max(files, key=lambda f: semver_key(f.stem))  # the first of equals, as the sorted listing


def _release_id(path: Path) -> object:
    """``metadata.releaseId`` of a release file by a plain JSON read (``None`` if unreadable)."""
    try:
        meta = json.loads(path.read_bytes()).get("metadata")
    except (OSError, ValueError, AttributeError):
        return None
    return meta.get("releaseId") if isinstance(meta, dict) else None


def _pinned_file(directory: Path, channel: str, release: str) -> Path | None:
    """The file holding the release ``release`` pins (releaseId first, then ``channel``'s
    version), as :func:`select` finds it; ``None`` when that takes the full listing."""
    files = sorted(directory.glob("*/*.json"))
    ids = [_release_id(f) for f in files]
    if None in ids:
        return None
    by_id = [f for f, rid in zip(files, ids) if rid == release]
    if by_id:
        return by_id[0] if len(by_id) == 1 else None
    named = directory / channel / f"{release}.json"
    return named if named in files else None


def load_embedded(channel: str = "stable", release: str | None = None) -> ChannelSpec:
    """An embedded release: ``release`` matches a version or a releaseId; ``None`` means
    the latest (highest SemVer) of ``channel``."""
    directory = embedded_dir()
    if directory.is_dir():
        picked = _latest_file(directory, channel) if release is None else _pinned_file(directory, channel, release)
        if picked is not None:
            return _load_file(picked)
    return select(list_embedded(), channel, release)
