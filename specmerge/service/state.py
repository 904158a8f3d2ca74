"""What one app's routes share: the wired :class:`Service` (settings -> store, resolver,
authenticator, metrics; built by :mod:`.build`) and, per app, the :class:`Runtime` the
routes reach through their dependencies (:mod:`.routes.deps`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio

from ..channels import Resolver
from .auth import Authenticator
from .metrics import Metrics
from .settings import ServiceSettings
from .specs import Previews
from .store import ValuesStore

#: Previews are CPU-bound Python: more threads than this only fight over the GIL and
#: stretch every request's latency; the rest wait their turn in order.
PREVIEW_THREADS = 1


@dataclass
class Service:
    settings: ServiceSettings
    store: ValuesStore
    resolver: Resolver
    auth: Authenticator
    metrics: Metrics


@dataclass
class Runtime:
    """One app's service, its previews (:class:`~.specs.Previews`) and the previews' threads."""

    service: Service
    previews: Previews
    cpu: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(PREVIEW_THREADS))

    @classmethod
    def of(cls, service: Service) -> Runtime:
        previews = Previews(service.resolver, service.store, service.metrics, service.settings.channel)
        return cls(service, previews)
