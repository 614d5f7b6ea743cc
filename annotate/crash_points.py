"""Named points where a process can be killed on purpose, for the tests that prove a step is
crash-safe at every boundary (`FLYWHEEL_CRASH_AT=NAME` kills the process with SIGKILL there, as
`kill -9` would). Unset, a crash point does nothing."""

from __future__ import annotations

import os
import signal

ENVIRONMENT = "FLYWHEEL_CRASH_AT"


def crash_point(name: str) -> None:
    if os.environ.get(ENVIRONMENT) == name:
        os.kill(os.getpid(), signal.SIGKILL)
