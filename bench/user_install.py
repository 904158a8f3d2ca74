"""A user's install of this tree for the whole-process benchmarks: a virtualenv of its own (no
system site-packages, so none of this machine's ``.pth`` start-up hooks), the dependencies at
``constraints.txt``'s versions and specmerge itself installed as a wheel (not editable), and its
``bin/specmerge`` console script: what ``pip install specmerge`` gives a new user.

The virtualenv is kept under ``~/.cache/specmerge/bench-venv-<digest of pyproject.toml and
constraints.txt>``; specmerge is reinstalled from this tree on every call.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def user_install() -> Path:
    """The ``bin`` directory of a virtualenv with this tree installed as a user would install it."""
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + (REPO / "constraints.txt").read_bytes()).hexdigest()
    venv = Path.home() / ".cache" / "specmerge" / f"bench-venv-{digest[:12]}"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, "-c", str(REPO / "constraints.txt"), str(REPO)], check=True)
    subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True, cwd=REPO)
    return venv / "bin"
