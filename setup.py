"""Build hook: the wheel carries the bundled ``charts/``, ``channels/``, ``schemas/`` and the CRD
(``deploy/crds/``, which ``specmerge operator --print-crd`` prints).

They stay top-level in the repo (Helm, the channel server and people read them there) and are
copied into the built package as ``specmerge/_bundled/<name>/``, where
:func:`specmerge.locations.repo_root` finds them in an installed wheel. An editable install
reads them from the checkout instead. Everything else is declared in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("charts", "channels", "schemas", "deploy/crds")


class BuildWithBundledData(build_py):
    """``build_py``, plus a copy of the bundled data directories into the package."""

    def run(self) -> None:
        super().run()
        here = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "specmerge" / "_bundled"
        for name in BUNDLED:
            if (target / name).exists():
                shutil.rmtree(target / name)
            shutil.copytree(here / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithBundledData})
