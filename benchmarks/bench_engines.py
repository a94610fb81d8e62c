"""Engine throughput in citizen-weeks per second on the default Copenhagen scenario.

Run with `pytest benchmarks --benchmark-only` (the normal test run skips benchmarks). Citizen-weeks
= citizens x horizon x replications; the citizens and weekly tables are switched off, as for huge
runs, and every other setting is the default. The agent engine runs a few replications; the vector
engine 1,000, in blocks of the default `run.chunk_size` (500), as a large Monte Carlo run uses it
(a second benchmark times one block of 200, where the per-block costs weigh more). Each runs one
warm-up round first (imports, first-call costs), so all are steady-state figures; the ratio of
the agent figure to the 1,000-replication one is reported in the agent benchmark's `extra_info`.
Peak memory of a 100,000-replication run is measured by `benchmarks/memory_100k.py`.
"""

from __future__ import annotations

import copy
import importlib.util

import pytest

import sim
from sim.model.city import build_city
from sim.model.population import schedule

LEAN = ["run.citizens_table=false", "run.weekly_table=false", "run.progress=false", "run.n_jobs=1"]
VECTOR_REPLICATIONS = 1000
AGENT_REPLICATIONS = 6
_measured: dict[str, float] = {}


def _citizen_weeks(cfg: sim.SimConfig) -> int:
    n = len(schedule(cfg, build_city(cfg))[0])
    return n * cfg.run.horizon_weeks * cfg.run.replications


def _throughput(benchmark, engine: str, replications: int, rounds: int, *overrides: str) -> float:
    cfg = sim.compose([*LEAN, f"run.engine={engine}", f"run.replications={replications}", *overrides])
    seeds = iter(range(1, rounds + 2))

    def fresh() -> tuple[tuple[sim.SimConfig], dict]:  # a seed of its own per round: nothing drawn is reused
        own = copy.deepcopy(cfg)
        own.run.seed = next(seeds)
        return (own,), {}

    benchmark.pedantic(sim.workflows.simulate.simulate, setup=fresh, rounds=rounds, iterations=1, warmup_rounds=1)
    rate = _citizen_weeks(cfg) / benchmark.stats.stats.mean
    benchmark.extra_info.update(engine=engine, replications=replications, citizen_weeks_per_s=rate)
    if not overrides:
        _measured[engine] = rate
    return rate


def test_vector_engine(benchmark):
    rate = _throughput(benchmark, "vector", VECTOR_REPLICATIONS, rounds=3)
    print(f"\nvector engine, {VECTOR_REPLICATIONS} replications: {rate / 1e6:.1f} M citizen-weeks/s")


def test_vector_engine_one_block_of_200(benchmark):
    rate = _throughput(benchmark, "vector", 200, 3, "run.chunk_size=200")
    print(f"\nvector engine, one block of 200 replications: {rate / 1e6:.1f} M citizen-weeks/s")


@pytest.mark.skipif(importlib.util.find_spec("sim.agent.engine") is None, reason="no agent engine")
def test_agent_engine(benchmark):
    rate = _throughput(benchmark, "agent", AGENT_REPLICATIONS, rounds=1)
    print(f"\nagent engine: {rate / 1e3:.0f} k citizen-weeks/s")
    if "vector" in _measured:
        ratio = _measured["vector"] / rate
        benchmark.extra_info["vector_over_agent"] = ratio
        print(f"vector / agent: {ratio:.0f}x")
