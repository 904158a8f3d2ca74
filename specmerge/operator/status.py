"""The CR's status (design.md §8) built as data, compared before it is written.

Conditions follow ``metav1.Condition``: ``lastTransitionTime`` moves only when the status
flips, so recomputing the same state gives an identical document and no write. Messages
are built from masked text only (violations are masked by validation, template errors are
scrubbed by the pipeline, channel descriptions carry no credentials).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

HISTORY = 5
#: conditions whose True is the bad state
NEGATIVE = frozenset({"Stalled", "Drifted"})
MAX_MESSAGE = 4000


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Condition:
    type: str
    status: bool | None  # None: Unknown
    reason: str
    message: str = ""

    def to_k8s(self, generation: int, previous: dict[str, Any] | None) -> dict[str, Any]:
        status = "Unknown" if self.status is None else ("True" if self.status else "False")
        since = previous.get("lastTransitionTime") if previous and previous.get("status") == status else None
        message = self.message if len(self.message) <= MAX_MESSAGE else self.message[: MAX_MESSAGE - 1] + "…"
        return {"type": self.type, "status": status, "observedGeneration": generation,
                "lastTransitionTime": since or now_rfc3339(), "reason": self.reason, "message": message}


@dataclass(frozen=True)
class Outcome:
    """What a pass concluded, from which :func:`desired_status` builds the status."""

    phase: str
    conditions: tuple[Condition, ...]
    version: str | None = None
    applied_digest: str | None = None
    attempted_digest: str | None = None
    channel: dict[str, Any] | None = None
    release: dict[str, Any] | None = None
    failures: int = 0
    history_entry: dict[str, Any] | None = field(default=None)


def condition_map(status: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {c.get("type"): c for c in (status or {}).get("conditions") or [] if isinstance(c, dict)}


def desired_status(current: dict[str, Any] | None, generation: int, outcome: Outcome) -> dict[str, Any]:
    """The whole status to have, carrying over what this pass did not decide (previous digests,
    history, the release) and transition times of unflipped conditions."""
    current = current or {}
    previous = condition_map(current)
    decided = {c.type for c in outcome.conditions}
    conditions = [c.to_k8s(generation, previous.get(c.type)) for c in outcome.conditions]
    conditions += [c for t, c in previous.items() if t not in decided and t is not None]
    conditions.sort(key=lambda c: str(c.get("type")))
    history = list(current.get("history") or [])
    if outcome.history_entry is not None:
        history = [outcome.history_entry, *history][:HISTORY]
    status: dict[str, Any] = {
        "phase": outcome.phase,
        "observedGeneration": generation,
        "conditions": conditions,
        "failures": outcome.failures,
    }
    for key, value in (("version", outcome.version or current.get("version")),
                       ("lastAppliedDigest", outcome.applied_digest or current.get("lastAppliedDigest")),
                       ("lastAttemptedDigest", outcome.attempted_digest or current.get("lastAttemptedDigest")),
                       ("channel", outcome.channel or current.get("channel")),
                       ("helmRelease", outcome.release or current.get("helmRelease")),
                       ("history", history or None)):
        if value is not None:
            status[key] = value
    return status


def transitions(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """The conditions of ``after`` whose status differs from ``before`` (what events report)."""
    old = condition_map(before)
    return [c for c in after.get("conditions") or []
            if c.get("type") in ("Ready", "Stalled", "ChannelReady", "RequirementsMet", "Drifted")
            and (old.get(c["type"]) or {}).get("status") != c.get("status")]


__all__ = ["NEGATIVE", "Condition", "Outcome", "condition_map", "desired_status", "now_rfc3339", "transitions"]
