"""One error family for instances: retry it, or stall on it.

::

    InstanceError            what went wrong, where (never a secret's bytes)
    ├── TemporaryError       the world may fix it: retry with backoff (API unreachable,
    │                        a write conflict, channel server down, chart fetch failed)
    └── PermanentError       only a change of the inputs fixes it: stall until the CR,
                             a Secret or the channel changes (bad JSON in a Secret, an
                             unusable chart reference, invalid values, a template error)

The split is kopf's Temporary/Permanent and Flux's ``ErrMustRequeue``/``Stalled``: the
operator's work queue reads nothing else to decide what to do with a failure.
"""

from __future__ import annotations

from ..errors import InputError, SpecmergeError, UnavailableError


class InstanceError(SpecmergeError):
    """``str()`` is ``where: reason``; ``where`` is a locator (``secret:ns/x-spec-user#values``)."""

    def __init__(self, where: str, reason: str) -> None:
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}" if where else reason)


class TemporaryError(InstanceError, UnavailableError):
    """Retry later; ``delay`` (seconds) overrides the queue's backoff when the cause says when."""

    def __init__(self, where: str, reason: str, delay: float | None = None) -> None:
        super().__init__(where, reason)
        self.delay = delay


class PermanentError(InstanceError, InputError):
    """Stall: retrying the same inputs cannot succeed."""


__all__ = ["InstanceError", "PermanentError", "TemporaryError"]
