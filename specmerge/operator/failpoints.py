"""Crash points, for tests of crash recovery only.

design.md §8 promises that a crash between any two writes (Helm release, ``-spec-active``,
``/status``) converges on the next pass without a second Helm revision. A real process can
be killed at an exact point only from inside, so ``SPECMERGE_OPERATOR_FAILPOINT=<name>``
SIGKILLs the process when it reaches the point called ``<name>``. Unset, :func:`hit` does
nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "SPECMERGE_OPERATOR_FAILPOINT"
AFTER_APPLY = "after-apply"  # the Helm release is written, -spec-active and /status are not


def hit(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
