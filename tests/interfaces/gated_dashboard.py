"""`python -m sim.dashboard` for the browser tests, with one hook: while the file named by the
environment variable DASHBOARD_GATE exists, a Run waits before it starts (at most DEADLINE_SECONDS),
so that a test can find it going and release it when it is done looking. Everything else is the
README's command, run as `-m` runs it."""

from __future__ import annotations

import os
import runpy
import time
from pathlib import Path

from sim.dashboard import compute

DEADLINE_SECONDS = 120.0
GATE = Path(os.environ["DASHBOARD_GATE"])
_run_plan = compute.Worker.run_plan


def _gated(self, configs, reference, progress=None):
    end = time.monotonic() + DEADLINE_SECONDS
    while GATE.exists() and time.monotonic() < end:
        time.sleep(0.05)
    return _run_plan(self, configs, reference, progress)


compute.Worker.run_plan = _gated

if __name__ == "__main__":
    runpy.run_module("sim.dashboard", run_name="__main__", alter_sys=True)
