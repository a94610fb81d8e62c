"""Run a configuration on the engine it names: blocks of replications, optionally in parallel.

Replications are split into blocks; each block is run by the engine's `run_block(cfg, city,
replications)` and turned into tables at once (so raw arrays are freed). Every replication draws
from its own seed sequence, so the tables do not depend on the block size or `run.n_jobs`.
With `run.uncertainty=ensemble` the replications are spread over the calibration ensemble's
parameter sets (sim.workflows.ensemble): each set runs its own replications, and the summary gains a column
`parameter_set`.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
from tqdm import tqdm  # plain bars: tqdm.auto warns in a notebook kernel without ipywidgets, even with bars off

from sim.model.checks import to_schema
from sim.model.city import City, build_city
from sim.model.config import SimConfig
from sim.model.results import Results, block_tables, combine
from sim.workflows import ensemble
from sim.workflows.params import apply

ENGINES = {"agent": "sim.agent.engine", "vector": "sim.vector.engine"}


def _blocks(cfg: SimConfig, reps: np.ndarray) -> list[np.ndarray]:
    size = 1 if cfg.run.engine.value == "agent" else cfg.run.chunk_size
    return [reps[i : i + size] for i in range(0, len(reps), size)]


def _run(cfg: SimConfig, city: City, replications: np.ndarray) -> dict:
    engine = importlib.import_module(ENGINES[cfg.run.engine.value])
    return block_tables(engine.run_block(cfg, city, replications), cfg, city)


def _parts(cfg: SimConfig, table: pd.DataFrame | None) -> list[tuple[SimConfig, np.ndarray, int]]:
    """(config, its replications, parameter set) for every group of replications that shares parameters."""
    if cfg.run.uncertainty != "ensemble":
        return [(cfg, np.arange(cfg.run.replications), -1)]
    given = table is not None
    table = table if given else ensemble.load(cfg)
    return [(apply(cfg, values), reps, int(table.iloc[i].get("set", i)))
            for i, values, reps in ensemble.groups(cfg, table, hold=not given)]


def simulate(cfg: SimConfig, ensemble_table: pd.DataFrame | None = None) -> Results:
    """Run `cfg` (a composed config) and return its tables (MODEL.md §5).

    `ensemble_table` replaces the shipped ensemble under `run.uncertainty=ensemble` (the calibration
    evaluates its own fresh ensemble this way; all its keys are then spread)."""
    cfg = to_schema(cfg)
    parts = _parts(cfg, ensemble_table)
    jobs = [(c, city, b) for c, reps, _ in parts for city in [build_city(c)] for b in _blocks(c, reps)]
    bar = dict(total=len(jobs), desc=f"{cfg.run.engine.value} engine", unit="block",
               disable=not cfg.run.progress, leave=False)
    if cfg.run.n_jobs == 1 or len(jobs) == 1:
        tables = [_run(*job) for job in tqdm(jobs, **bar)]
    else:
        from joblib import Parallel, delayed

        run = Parallel(n_jobs=cfg.run.n_jobs, return_as="generator")(delayed(_run)(*job) for job in jobs)
        tables = list(tqdm(run, **bar))
    results = combine(tables, cfg)
    if len(parts) > 1 or parts[0][2] >= 0:
        _in_replication_order(results, parts)
    return results


def _in_replication_order(results: Results, parts: list[tuple[SimConfig, np.ndarray, int]]) -> None:
    """Sort every table by replication (groups ran out of order) and label each replication's set."""
    which = np.empty(sum(len(reps) for _, reps, _ in parts), dtype=int)
    for _, reps, set_id in parts:
        which[reps] = set_id
    for name in ("summary", "weekly", "teams", "citizens"):
        table = getattr(results, name)
        if table is not None:
            setattr(results, name, table.sort_values("replication", kind="stable", ignore_index=True))
    results.summary["parameter_set"] = which[results.summary["replication"].to_numpy()]
