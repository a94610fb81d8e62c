"""A researcher's sweep, timed end to end: 40 points (4 policies x 5 instructor-turnover values x café
on/off), 200 replications each, vector engine, Hydra's joblib launcher on this machine's cores, all
tables written and aggregated. Target: within 3 minutes on 2 cores.

    .venv/bin/python benchmarks/bench_sweep.py                       # prints the wall time
    .venv/bin/python -m pytest benchmarks/bench_sweep.py --benchmark-only

The command is a plain `python -m sim.run -m ...` in its own process, as a user runs it (Hydra's
start, the check of every job, the workers' start and the aggregation all count).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SWEEP = (
    "policy=baseline,amager,vesterbro,vanlose",
    "instructor.turnover_annual=0.1,0.25,0.4,0.55,0.7",
    "club.cafe=true,false",
    "run.replications=200",
    "run.engine=vector",
)
POINTS, REPLICATIONS = 40, 200
BUDGET_SECONDS = 180


def run_sweep(folder: Path) -> float:
    """Run the sweep into `folder`; return the wall time in seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim.run", "-m", *SWEEP, "hydra/launcher=joblib",
                    f"hydra.sweep.dir={folder}"], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def test_sweep_40_points(benchmark, tmp_path):
    seconds = benchmark.pedantic(run_sweep, args=(tmp_path / "sweep",), rounds=1, iterations=1)
    table = pd.read_parquet(tmp_path / "sweep" / "summary.parquet")
    assert table["job"].nunique() == POINTS and len(table) == POINTS * REPLICATIONS
    benchmark.extra_info.update(points=POINTS, replications=REPLICATIONS, seconds=seconds)
    print(f"\n40-point sweep x 200 replications: {seconds:.0f} s (budget {BUDGET_SECONDS} s)")
    assert seconds <= BUDGET_SECONDS


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        seconds = run_sweep(Path(tmp) / "sweep")
        rows = len(pd.read_parquet(Path(tmp) / "sweep" / "summary.parquet"))
    print(f"40-point sweep x 200 replications: {seconds:.1f} s ({rows} summary rows; budget {BUDGET_SECONDS} s)")
