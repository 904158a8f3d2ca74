"""Where specmerge's bundled files live: the repo root (charts/, channels/, schemas/).

Relative chart paths in channel specs (``{"path": "charts/platform"}``) resolve against
:func:`repo_root`. The package is installed editable from the repo, so the root is the
parent of the ``specmerge`` package; ``SPECMERGE_ROOT`` overrides it (e.g. for a copy of
the bundled files elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "SPECMERGE_ROOT"


def repo_root() -> Path:
    """The directory holding ``charts/``, ``channels/`` and ``schemas/``."""
    override = os.environ.get(ROOT_ENV)
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parent.parent


def schemas_dir() -> Path:
    """specmerge's own JSON Schemas (channel spec envelope, CR, console payloads)."""
    return repo_root() / "schemas"
