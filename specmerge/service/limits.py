"""How much work one request may ask for, checked before the work starts, and a deadline the
work itself checks so that a timed-out request stops instead of running on.

A 1 MiB body fits ~40,000 leaves; masking, provenance and rendering cost grows with them
(seconds of CPU for one request). So:

* :func:`leaves_over` counts the leaves of the values a request supplies (or would store)
  and stops counting past the limit: a request over it is refused (422) before any merge;
* nesting is bounded once for every input (:data:`specmerge.core.MAX_DEPTH`);
* :class:`Deadline` is handed to the preview, which checks it between its stages (merge and
  validate, masking, provenance, render, diff): when the guard has already answered 504, the
  thread stops at the next stage instead of finishing work nobody will read.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError, UnavailableError

DEFAULT_MAX_LEAVES = 5000
log = logging.getLogger("specmerge.service")


class TooMuchWork(InputError, ValueError):
    """A request over a limit: the caller gets 422 before any work is done."""


class DeadlinePassed(UnavailableError, TimeoutError):
    """The request ran out of time between two stages: the caller gets 504 (if the guard has
    not already answered) and the work stops here."""


def leaves_over(layers: Iterable[Mapping[str, Any] | None], limit: int) -> int | None:
    """The number of leaves (scalars and empty maps/lists) in ``layers`` if it is over
    ``limit`` (counting stops at ``limit + 1``), else ``None``."""
    count = 0
    stack: list[Any] = [v for v in layers if v is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping) and node:
            stack.extend(node.values())
        elif isinstance(node, list) and node:
            stack.extend(node)
        else:
            count += 1
            if count > limit:
                return count
    return None


def check_leaves(layers: Iterable[Mapping[str, Any] | None], limit: int, what: str) -> None:
    """Raise :class:`TooMuchWork` when ``layers`` hold more than ``limit`` leaves."""
    if leaves_over(layers, limit) is not None:
        raise TooMuchWork(f"{what} holds more than {limit} values (leaves); split the change or raise max_leaves")


@dataclass(frozen=True)
class Deadline:
    """A point in ``time.monotonic()`` time; :meth:`check` raises once it has passed."""

    at: float = field(default=float("inf"))

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def check(self, stage: str) -> None:
        """Raise :class:`DeadlinePassed` once past the deadline, logged here: the guard may
        have answered 504 already, and then nobody else hears that the work stopped."""
        if time.monotonic() > self.at:
            passed = DeadlinePassed(f"request timed out before {stage}")
            log.warning("work stopped at its deadline: %s", passed)
            raise passed


NO_DEADLINE = Deadline()
