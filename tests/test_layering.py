"""The package's layering holds: ``lint-imports`` keeps every contract in ``.importlinter``
(core < channels; render < pipeline < instances; diff < the front doors; the front doors never
import each other; only ``specmerge channel-server`` imports the channel server)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: ``lint-imports`` under this interpreter (a virtualenv need not be on PATH, nor the system's match it).
LINT_IMPORTS = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` run in ``root`` on that tree's own ``specmerge``, without a cache."""
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    return subprocess.run([*LINT_IMPORTS, "--no-cache", "--no-logo"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_import_contract_is_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"import contracts broken (.importlinter):\n{result.stdout}{result.stderr}"


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    shutil.copytree(ROOT / "specmerge", root / "specmerge", ignore=shutil.ignore_patterns("__pycache__", "_bundled"))
    return root


@pytest.mark.parametrize(("module", "target", "contract"), [
    ("core/__init__.py", "channels", "specmerge.core is not allowed to import specmerge.channels"),
    ("render/__init__.py", "pipeline", "specmerge.render is not allowed to import specmerge.pipeline"),
    ("pipeline/__init__.py", "instances", "specmerge.pipeline is not allowed to import specmerge.instances"),
    ("diff/__init__.py", "service", "specmerge.diff is not allowed to import specmerge.service"),
    ("service/__init__.py", "operator", "specmerge.service is not allowed to import specmerge.operator"),
    ("operator/__init__.py", "cli", "specmerge.operator is not allowed to import specmerge.cli"),
    ("cli/__init__.py", "service", "specmerge.cli is not allowed to import specmerge.service"),
    ("service/__init__.py", "channels.server", "not allowed to import specmerge.channels.server"),
], ids=["core<channels", "render<pipeline", "pipeline<instances", "diff<service", "service|operator",
        "operator|cli", "cli-launches-only", "channel-server"])
def test_a_planted_upward_import_breaks_its_contract(tmp_path, module, target, contract):
    root = _copy(tmp_path)
    planted = root / "specmerge" / module
    planted.write_text(planted.read_text() + f"\nimport specmerge.{target}  # planted by tests/test_layering.py\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert contract in result.stdout
    importer = "specmerge." + module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    assert f"{importer} -> specmerge.{target} " in result.stdout


def test_the_contracts_see_the_whole_package():
    """Each top-level package and module is in the layers contract, so none escapes it."""
    config = (ROOT / ".importlinter").read_text()
    layers = config.split("[importlinter:contract:layers]")[1].split("[importlinter:contract:")[0]
    listed = {word.strip("()") for word in layers.replace("|", " ").replace(":", " ").split()
              if word.strip("()").startswith("specmerge.")}
    package = ROOT / "specmerge"
    present = {f"specmerge.{p.name.removesuffix('.py')}" for p in package.iterdir()
               if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and p.name != "__init__.py")}
    assert present - listed == set(), f"add these to a layer in .importlinter: {sorted(present - listed)}"
