"""Fixtures for tests/channels. Helpers live in ``channelkit`` (imported by name there), so
no test imports ``conftest``: with several test folders, that name resolves to whichever
conftest pytest imported first."""

from channelkit import (  # noqa: F401  (fixtures are registered by being in this namespace)
    flights,
    last_good,
    license,
    license_file,
    licensed_server,
    open_server,
    private_cache,
    scripted,
)
