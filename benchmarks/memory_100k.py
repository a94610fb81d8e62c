"""Peak memory and wall time of a huge vector run (default: 100,000 replications of the default
Copenhagen scenario, citizens and weekly tables off), measured in this process.

    python benchmarks/memory_100k.py [REPLICATIONS] [OVERRIDES...]

The target is a peak resident set of at most 1 GiB (the load average is printed with the timing).
"""

from __future__ import annotations

import os
import resource
import sys
import time

import sim
from sim.model.city import build_city
from sim.model.population import schedule

LIMIT_GIB = 1.0


def main(argv: list[str]) -> int:
    replications = int(argv[0]) if argv else 100_000
    cfg = sim.compose(["run.engine=vector", f"run.replications={replications}", "run.citizens_table=false",
                       "run.weekly_table=false", "run.progress=false", *argv[1:]])
    start = time.perf_counter()
    results = sim.simulate(cfg)
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux
    citizen_weeks = len(schedule(cfg, build_city(cfg))[0]) * cfg.run.horizon_weeks * replications
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"replications {replications}: {seconds:.0f} s wall, {citizen_weeks / seconds / 1e6:.1f} M citizen-weeks/s, "
          f"peak RSS {peak_gib:.2f} GiB (limit {LIMIT_GIB}), summary rows {len(results.summary)}, "
          f"team rows {len(results.teams)}")
    return 0 if peak_gib <= LIMIT_GIB else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
