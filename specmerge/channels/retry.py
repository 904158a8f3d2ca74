"""When to retry a channel request and how long to wait (pure, no I/O).

Connection errors, timeouts, 5xx and 429 are retried with exponential backoff and equal
jitter, honouring ``Retry-After``; 401, 403, 404 and every other 4xx fail at once. The
whole fetch, retries and waits included, stays inside :attr:`RetryPolicy.total`
(default 20 s, under the 30 s a reconcile worker can afford): a wait that would cross the
budget ends the fetch instead. The reference operator retries 4xx too and can hold a
worker for ~160 s; this policy cannot.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

Verdict = Literal["ok", "not-modified", "retry", "fail"]


@dataclass(frozen=True)
class RetryPolicy:
    """Timeouts and retry budget of one fetch (seconds)."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    total: float = 20.0
    connect_timeout: float = 3.0
    read_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        for name in ("base_delay", "max_delay", "total", "connect_timeout", "read_timeout"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Wait after the ``failures``-th failed attempt: half of the capped exponential
        step plus a random half (equal jitter), so waits grow but callers spread out."""
        step = min(self.max_delay, self.base_delay * (2 ** max(0, failures - 1)))
        return step / 2 + rng.uniform(0, step / 2)


def verdict(status: int) -> Verdict:
    """What an HTTP status means for the fetch."""
    if 200 <= status < 300:
        return "ok"
    if status == 304:
        return "not-modified"
    if status == 429 or status >= 500:
        return "retry"
    return "fail"


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; ``None`` if
    absent or unreadable (then the backoff applies)."""
    if header is None:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
