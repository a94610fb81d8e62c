"""Run a configuration on the engine it names: blocks of replications, optionally in parallel.

Replications are split into blocks; each block is run by the engine's `run_block(cfg, city,
replications)` and turned into tables at once (so raw arrays are freed). Every replication draws
from its own seed sequence, so the tables do not depend on the block size or `run.n_jobs`.
"""

from __future__ import annotations

import importlib

import numpy as np
from tqdm.auto import tqdm

from sim.city import City, build_city
from sim.config import SimConfig, to_schema
from sim.results import Results, block_tables, combine

ENGINES = {"agent": "sim.agent.engine", "vector": "sim.vector.engine"}


def _blocks(cfg: SimConfig) -> list[np.ndarray]:
    size = 1 if cfg.run.engine.value == "agent" else cfg.run.chunk_size
    reps = np.arange(cfg.run.replications)
    return [reps[i : i + size] for i in range(0, len(reps), size)]


def _run(cfg: SimConfig, city: City, replications: np.ndarray) -> dict:
    engine = importlib.import_module(ENGINES[cfg.run.engine.value])
    return block_tables(engine.run_block(cfg, city, replications), cfg, city)


def simulate(cfg: SimConfig) -> Results:
    """Run `cfg` (a composed config) and return its tables (MODEL.md §5)."""
    cfg = to_schema(cfg)
    city = build_city(cfg)  # once per run, not once per block
    blocks = _blocks(cfg)
    bar = dict(total=len(blocks), desc=f"{cfg.run.engine.value} engine", unit="block",
               disable=not cfg.run.progress, leave=False)
    if cfg.run.n_jobs == 1 or len(blocks) == 1:
        tables = [_run(cfg, city, b) for b in tqdm(blocks, **bar)]
    else:
        from joblib import Parallel, delayed

        jobs = Parallel(n_jobs=cfg.run.n_jobs, return_as="generator")(delayed(_run)(cfg, city, b) for b in blocks)
        tables = list(tqdm(jobs, **bar))
    return combine(tables, cfg)
