"""A gate for the sweep tests that stop a sweep while a job is going (tests/workflows/test_sweep.py).

Python imports `sitecustomize` at the start of every process whose path has this folder first: the
test's `python -m sim.run` and its launcher's worker processes alike. While the file named by
$SWEEP_GATE exists, a sweep job with more than $SWEEP_GATE_ABOVE replications waits before it
simulates (at most DEADLINE_SECONDS), so the test's signal finds it going on any machine, however
fast, instead of racing a long job.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

DEADLINE_SECONDS = 120.0

if os.environ.get("SWEEP_GATE"):
    from sim.workflows import sweep

    _gate, _above = Path(os.environ["SWEEP_GATE"]), int(os.environ.get("SWEEP_GATE_ABOVE", "0"))
    _simulate = sweep.simulate  # the name sweep.execute calls: fails loudly here if it is renamed

    def _gated(cfg, *args, **kwargs):
        end = time.monotonic() + DEADLINE_SECONDS
        while cfg.run.replications > _above and _gate.exists() and time.monotonic() < end:
            time.sleep(0.05)
        return _simulate(cfg, *args, **kwargs)

    sweep.simulate = _gated
