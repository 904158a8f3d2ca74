"""Fixtures for tests/cli: the CLI commands' own tests (exit codes, stderr, output).

The kits of the areas the commands front (``channelkit``, ``diffkit``, ``operatorkit``)
are imported, not copied: their folders go on the path, as tests/deploy does for
operatorkit. Helpers live in *kit modules so no test imports a module named conftest."""

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for _area in ("channels", "diff", "operator"):
    if str(_TESTS / _area) not in sys.path:
        sys.path.insert(0, str(_TESTS / _area))

from channelkit import (  # noqa: E402,F401  (fixtures are registered by being in this namespace)
    license,
    license_file,
    licensed_server,
    open_server,
    private_cache,
)
