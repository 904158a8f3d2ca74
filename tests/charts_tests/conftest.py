"""Fixtures for tests/charts_tests. Helpers live in ``chartkit`` (imported by name there), so no
test imports ``conftest``."""

from chartkit import agent, agent_validator, platform, platform_schema, platform_validator  # noqa: F401  (fixtures)
