"""Sensitivity analyses timed end to end, as a user runs them:

- Morris on the default spec (20 parameters): 20 trajectories = 420 design points, 100 replications
  per point. Target: within 5 minutes on this 2-core machine.
- Sobol' for 20 parameters (the default spec), N = 256 without second-order terms = 5,632 design
  points, 100 replications per point. Target: within 5 minutes (each batch of points is one run of
  per-replication values, sim.workflows.simulate.simulate_sets).

    .venv/bin/python benchmarks/bench_sensitivity.py                 # both; prints wall times
    .venv/bin/python benchmarks/bench_sensitivity.py morris --out results/bench_sensitivity
    .venv/bin/python -m pytest benchmarks/bench_sensitivity.py --benchmark-only -s

Each analysis is a plain `python -m sim.sensitivity ...` in its own process with `--n-jobs 2`
(workers' start, sampling, analysis, figures and the report all count). After the run the script
also says how much Monte Carlo noise is left in each design point's output: the variance of a
point's mean over R replications (per-replication variance / R, measured at the default config)
as a share of the output's variance across the design. Noise adds to every parameter's Sobol'
total index and to Morris' mu* roughly in proportion to that share, so it also gives the fewest
replications that keep it below 1%.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import sim

RUNS = {  # method -> (options, design points, target seconds)
    "morris": (["--method", "morris", "--n", "20"], 20 * 21, 5 * 60),
    "sobol": (["--method", "sobol", "--n", "256"], 256 * 22, 5 * 60),
}
REPLICATIONS = 100
NOISE_SHARE = 0.01


def run(method: str, folder: Path) -> float:
    """Run one analysis of the default spec into `folder`; return the wall time in seconds."""
    options, _, _ = RUNS[method]
    start = time.perf_counter()
    command = [sys.executable, "-m", "sim.sensitivity", "default", *options, "--replications", str(REPLICATIONS),
               "--n-jobs", "2", "--out", str(folder)]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def noise(folder: Path) -> pd.DataFrame:
    """Per output: Monte Carlo variance of a point's mean as a share of the variance across the design,
    and the replications that bring that share to NOISE_SHARE."""
    points = pd.read_parquet(folder / "design.parquet")
    outputs = [c for c in ("handover_rate", "retention_52w", "cost_per_retained_52w", "patient_uptake")
               if c in points]
    # At the configured point, as the design points run (simulate_sets: no ensemble): the
    # default run.uncertainty=ensemble would add the posterior's spread to the Monte Carlo noise.
    cfg = sim.compose(["run.replications=200", "run.citizens_table=false", "run.weekly_table=false",
                       "run.progress=false", "run.uncertainty=none"])
    per_replication = sim.simulate(cfg).summary[outputs].var()
    across = points[outputs].var()
    return pd.DataFrame({
        "noise_share": per_replication / REPLICATIONS / across,
        "replications_for_1pct": (per_replication / (NOISE_SHARE * across)).apply(lambda r: max(1, int(r) + 1)),
    })


def report(method: str, seconds: float, folder: Path) -> str:
    _, points, target = RUNS[method]
    lines = [f"{method}: {points} points x {REPLICATIONS} replications, 2 processes: {seconds / 60:.1f} min "
             f"({points / seconds:.2f} points/s; target {target / 60:.0f} min; load average "
             f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)"]
    lines.append(noise(folder).round(4).to_string())
    return "\n".join(lines)


def test_morris_default(benchmark, tmp_path):
    seconds = benchmark.pedantic(run, args=("morris", tmp_path / "morris"), rounds=1, iterations=1)
    benchmark.extra_info.update(points=RUNS["morris"][1], replications=REPLICATIONS, seconds=seconds)
    print("\n" + report("morris", seconds, tmp_path / "morris"))


def test_sobol_20_parameters(benchmark, tmp_path):
    seconds = benchmark.pedantic(run, args=("sobol", tmp_path / "sobol"), rounds=1, iterations=1)
    benchmark.extra_info.update(points=RUNS["sobol"][1], replications=REPLICATIONS, seconds=seconds)
    print("\n" + report("sobol", seconds, tmp_path / "sobol"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Time the sensitivity analyses.")
    parser.add_argument("methods", nargs="*", metavar="morris|sobol", help="default: both")
    parser.add_argument("--out", help="keep the results here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.out or tmp)
        for method in args.methods or list(RUNS):
            wall = run(method, root / method)
            print(report(method, wall, root / method), flush=True)
