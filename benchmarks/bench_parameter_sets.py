"""1,000 replications with 1,000 distinct parameter sets against 1,000 replications of one set (the
vector engine, default scenario, one process): the price of per-replication values. Target: at most
1.25x.

    .venv/bin/python benchmarks/bench_parameter_sets.py [ROUNDS]

The sets are uniform draws over the default sensitivity spec's 20 ranges (conf/sensitivity/), as a
Sobol' design or a posterior would give. The two runs alternate, ROUNDS times each (default 3), so
both see the same machine load; the ratio of the medians is reported with the load average.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np
import pandas as pd

import sim
from sim.workflows.sensitivity.spec import load

REPLICATIONS = 1000
LEAN = ["run.citizens_table=false", "run.weekly_table=false", "run.progress=false", "run.n_jobs=1",
        f"run.replications={REPLICATIONS}"]
TARGET = 1.25


def distinct_sets(n: int, seed: int = 0) -> pd.DataFrame:
    """n parameter sets drawn uniformly over the default sensitivity spec's ranges."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({key: rng.uniform(low, high, n) for key, (low, high) in load().parameters.items()})


def main(rounds: int = 3) -> float:
    cfg = sim.compose(LEAN)
    values = distinct_sets(REPLICATIONS)
    for table in (None, values):  # warm up both paths
        sim.simulate(cfg, values=table)
    times: dict[str, list[float]] = {"one set": [], "distinct sets": []}
    for k in range(rounds):
        for j, (name, table) in enumerate((("one set", None), ("distinct sets", values))):
            cfg.run.seed = 1 + 2 * k + j  # a seed of its own per run: no citizens drawn before are reused
            start = time.perf_counter()
            sim.simulate(cfg, values=table)
            times[name].append(time.perf_counter() - start)
    one, many = (statistics.median(times[k]) for k in times)
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores); {REPLICATIONS} replications, rounds {rounds}")
    print(f"one set:       {one:.2f} s (runs {', '.join(f'{t:.2f}' for t in times['one set'])})")
    print(f"distinct sets: {many:.2f} s (runs {', '.join(f'{t:.2f}' for t in times['distinct sets'])})")
    print(f"ratio {many / one:.2f} (target <= {TARGET})")
    return many / one


def test_distinct_parameter_sets(benchmark):
    ratio = benchmark.pedantic(main, rounds=1, iterations=1)
    benchmark.extra_info["ratio"] = ratio
    assert ratio <= TARGET


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
