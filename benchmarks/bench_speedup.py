"""The vector engine against a previous commit's, side by side in one run: citizen-weeks per second
on the default Copenhagen scenario (1,000 replications, blocks of the default 500, one process),
lean (citizens and weekly tables off, as benchmarks/bench_engines.py) and as configured by default
(every table), the two engines alternating so that both see the same load.

    .venv/bin/python benchmarks/bench_speedup.py [COMMIT] [ROUNDS]

COMMIT (default c7d6de1, the layout before the engine work) is exported with `git archive` into a
temporary folder and imported there by a worker process of its own; this tree's engine runs in a
second worker. Each round times one run in each worker (after a warm-up run), with a seed of its
own, so that neither engine can reuse what it drew in an earlier round; the report gives
every time, the median rates, their ratio (target >= 2) and the load average. On a shared machine
the rate per CPU second (process time) is the steadier figure; both are reported, the wall-clock
ratio is the one tested.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD = "c7d6de1"
REPLICATIONS = 1000
TARGET = 2.0
SCENARIOS = {"lean": ["run.citizens_table=false", "run.weekly_table=false"], "all tables": []}
WORKER = r"""
import copy, json, sys, time
import sim
from sim.model.city import build_city
from sim.model.population import schedule
configs = {name: sim.compose([*overrides, "run.progress=false", "run.n_jobs=1", "run.replications=REPLICATIONS"])
           for name, overrides in SCENARIOS.items()}
cfg = configs["lean"]
citizen_weeks = len(schedule(cfg, build_city(cfg))[0]) * cfg.run.horizon_weeks * cfg.run.replications
for cfg in configs.values():
    sim.simulate(cfg)  # warm-up
print(json.dumps({"ready": sim.__file__}), flush=True)
for line in sys.stdin:
    name, seed = line.rsplit(" ", 1)
    cfg = copy.deepcopy(configs[name])
    cfg.run.seed = int(seed)  # a fresh seed every round: nothing drawn before can be reused
    start, cpu = time.perf_counter(), time.process_time()
    sim.simulate(cfg)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "rate": citizen_weeks / seconds, "cpu": cpu,
                      "cpu_rate": citizen_weeks / cpu}), flush=True)
""".replace("REPLICATIONS", str(REPLICATIONS)).replace("SCENARIOS", repr(SCENARIOS))


def export(commit: str, folder: Path) -> Path:
    """The tree of `commit` (git archive) in `folder`."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def worker(source: Path) -> subprocess.Popen:
    """A process that imports `sim` from `source` and times a run per line it reads."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    process = subprocess.Popen([sys.executable, "-c", WORKER], cwd=source, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    ready = json.loads(process.stdout.readline())
    assert Path(ready["ready"]).is_relative_to(source), ready
    return process


def timed(process: subprocess.Popen, scenario: str, seed: int) -> dict:
    process.stdin.write(f"{scenario} {seed}\n")
    process.stdin.flush()
    return json.loads(process.stdout.readline())


def main(commit: str = OLD, rounds: int = 5) -> dict[str, float]:
    """Alternate the two engines `rounds` times on each scenario; print and return the wall-clock
    speed-up per scenario."""
    with tempfile.TemporaryDirectory() as tmp:
        old, new = worker(export(commit, Path(tmp))), worker(ROOT)
        runs = {(scenario, name): [] for scenario in SCENARIOS for name in ("old", "new")}
        try:
            for seed in range(1, rounds + 1):
                for scenario in SCENARIOS:
                    runs[scenario, "old"].append(timed(old, scenario, seed))
                    runs[scenario, "new"].append(timed(new, scenario, seed))
        finally:
            for process in (old, new):
                process.stdin.close()
                process.wait()
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores); {REPLICATIONS} replications, {rounds} rounds")
    ratios = {}
    for scenario in SCENARIOS:
        rate = {name: statistics.median(r["rate"] for r in runs[scenario, name]) for name in ("old", "new")}
        cpu = {name: statistics.median(r["cpu_rate"] for r in runs[scenario, name]) for name in ("old", "new")}
        print(f"{scenario}:")
        for name, label in (("old", commit), ("new", "this tree")):
            times = ", ".join(f"{r['seconds']:.2f}/{r['cpu']:.2f}" for r in runs[scenario, name])
            print(f"  {label:>10}: {rate[name] / 1e6:6.1f} M citizen-weeks/s wall, {cpu[name] / 1e6:6.1f} M per CPU "
                  f"second (runs, wall/CPU s: {times})")
        ratios[scenario] = rate["new"] / rate["old"]
        print(f"  speed-up {ratios[scenario]:.2f}x wall clock, {cpu['new'] / cpu['old']:.2f}x per CPU second "
              f"(target >= {TARGET})")
    return ratios


def test_speedup_over_the_previous_commit(benchmark):
    ratios = benchmark.pedantic(main, rounds=1, iterations=1)
    benchmark.extra_info.update(speedup=ratios)
    assert min(ratios.values()) >= TARGET


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else OLD, int(sys.argv[2]) if len(sys.argv) > 2 else 5)
