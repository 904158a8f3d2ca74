"""The service's routes, one router per concern: :mod:`.ops` (health, readiness, metrics),
:mod:`.preview`, :mod:`.values` (the console-values API) and :mod:`.console` (the page and
its listings). What they share (caller, permissions, bodies) is in :mod:`.deps`."""

from . import console, ops, preview, values

ROUTERS = (ops.router, preview.router, values.router, console.router)

__all__ = ["ROUTERS", "console", "ops", "preview", "values"]
