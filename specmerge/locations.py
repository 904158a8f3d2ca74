"""Where specmerge's bundled files live: the repo root (charts/, channels/, schemas/).

Relative chart paths in channel specs (``{"path": "charts/platform"}``) resolve against
:func:`repo_root`. The package is installed editable from the repo, so the root is the
parent of the ``specmerge`` package; ``SPECMERGE_ROOT`` overrides it (e.g. for a copy of
the bundled files elsewhere).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

ROOT_ENV = "SPECMERGE_ROOT"


def repo_root() -> Path:
    """The directory holding ``charts/``, ``channels/`` and ``schemas/``."""
    return _resolved(os.environ.get(ROOT_ENV) or None)


@functools.lru_cache(maxsize=8)
def _resolved(override: str | None) -> Path:
    # resolve() walks every path component with lstat; a service asks on every preview
    return Path(override).resolve() if override else Path(__file__).resolve().parent.parent


def schemas_dir() -> Path:
    """specmerge's own JSON Schemas (channel spec envelope, CR, console payloads)."""
    return repo_root() / "schemas"
