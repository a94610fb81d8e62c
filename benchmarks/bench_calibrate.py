"""The default calibration, timed end to end: `python -m sim.calibrate copenhagen` with its defaults
(1,000 SMC particles × 10 replications, 2 processes), all outputs written (the posterior predictive
check included). Target: within 30 minutes on this 2-core machine, meeting the diagnostics' thresholds.

    .venv/bin/python benchmarks/bench_calibrate.py [OUT]       # prints wall time, batches, diagnostics
    .venv/bin/python -m pytest benchmarks/bench_calibrate.py --benchmark-only -s

The command runs in its own process, as a user runs it. OUT keeps the outputs (e.g. to ship them).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_SECONDS = 30 * 60


def calibrate(folder: Path) -> float:
    """Run the default calibration into `folder`; return the wall time in seconds."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim.calibrate", "copenhagen", "--out", str(folder)],
                          capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    return time.perf_counter() - start


def report(folder: Path, seconds: float) -> str:
    d = json.loads((folder / "diagnostics.json").read_text())
    return (f"calibration, {d['particles']} particles x {d['replications']} replications, {d['batches']} batches: "
            f"{seconds:.0f} s (budget {BUDGET_SECONDS} s); ESS {d['ess']:.0f}, Pareto k {d['pareto_k']:.2f}, "
            f"largest weight {100 * d['max_weight']:.2f}%, {d['distinct']} distinct draws, passed: {d['passed']}")


def test_default_calibration(benchmark, tmp_path):
    seconds = benchmark.pedantic(calibrate, args=(tmp_path / "cal",), rounds=1, iterations=1)
    benchmark.extra_info.update(seconds=seconds)
    print("\n" + report(tmp_path / "cal", seconds))


if __name__ == "__main__":
    if len(sys.argv) > 1:
        out = Path(sys.argv[1])
        print(report(out, calibrate(out)))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            print(report(Path(tmp) / "cal", calibrate(Path(tmp) / "cal")))
