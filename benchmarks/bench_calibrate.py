"""The default calibration, timed end to end: `python -m sim.calibrate copenhagen` with 200 search
trials and 100 ensemble proposals of 100 replications each, one process, all outputs written.
Target: at least 200 trials x 100 replications within 10 minutes on this 2-core machine.

    .venv/bin/python benchmarks/bench_calibrate.py [OUT]       # prints wall time and trials/s
    .venv/bin/python -m pytest benchmarks/bench_calibrate.py --benchmark-only -s

The command runs in its own process, as a user runs it (composition, spec check, trials, the
ensemble's evaluation and every output count). OUT keeps the outputs (e.g. to ship them).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SEARCH, ENSEMBLE, REPLICATIONS = 200, 100, 100
BUDGET_SECONDS = 600


def calibrate(folder: Path) -> float:
    """Run the default calibration into `folder`; return the wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim.calibrate", "copenhagen", "--trials", str(SEARCH), "--ensemble",
                    str(ENSEMBLE), "--replications", str(REPLICATIONS), "--seed", "0", "--out", str(folder)],
                   check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def report(folder: Path, seconds: float) -> str:
    trials = len(pd.read_parquet(folder / "trials.parquet"))
    return (f"calibration, {trials} trials x {REPLICATIONS} replications: {seconds:.0f} s, "
            f"{trials / seconds:.2f} trials/s (budget {BUDGET_SECONDS} s)")


def test_default_calibration(benchmark, tmp_path):
    seconds = benchmark.pedantic(calibrate, args=(tmp_path / "cal",), rounds=1, iterations=1)
    benchmark.extra_info.update(trials=SEARCH + ENSEMBLE, replications=REPLICATIONS, seconds=seconds)
    print("\n" + report(tmp_path / "cal", seconds))
    assert seconds <= BUDGET_SECONDS


if __name__ == "__main__":
    if len(sys.argv) > 1:
        out = Path(sys.argv[1])
        print(report(out, calibrate(out)))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            print(report(Path(tmp) / "cal", calibrate(Path(tmp) / "cal")))
