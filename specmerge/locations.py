"""Where specmerge's bundled files live: the repo root (charts/, channels/, schemas/).

Relative chart paths in channel specs (``{"path": "charts/platform"}``) resolve against
:func:`repo_root`, found in this order:

- ``SPECMERGE_ROOT``, when set (a copy of the bundled files elsewhere);
- ``specmerge/_bundled/`` inside the installed package: a wheel carries the three directories
  there (``setup.py`` copies them in at build time);
- the parent of the ``specmerge`` package: a checkout, or an editable install of one.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

ROOT_ENV = "SPECMERGE_ROOT"


def repo_root() -> Path:
    """The directory holding ``charts/``, ``channels/`` and ``schemas/`` (a relative
    ``SPECMERGE_ROOT`` is relative to the working directory of this call)."""
    override = os.environ.get(ROOT_ENV) or None
    return _resolved(os.path.abspath(override) if override else None)


@functools.lru_cache(maxsize=8)
def _resolved(override: str | None) -> Path:
    # resolve() walks every path component with lstat; a service asks on every preview
    if override:
        return Path(override).resolve()
    package = Path(__file__).resolve().parent
    bundled = package / "_bundled"
    return bundled if bundled.is_dir() else package.parent


def schemas_dir() -> Path:
    """specmerge's own JSON Schemas (channel spec envelope, CR, console payloads)."""
    return repo_root() / "schemas"
