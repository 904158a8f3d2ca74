"""Fixtures for tests/render. Helpers live in ``renderkit`` (imported by name there), so no
test imports ``conftest``: with several test folders, that name resolves to whichever
conftest pytest imported first."""

from renderkit import (  # noqa: F401  (fixtures are registered by being in this namespace)
    broken_chart,
    chart_repo,
    chart_repo_dir,
    cli,
    isolated_cache,
    private_chart_repo,
)
