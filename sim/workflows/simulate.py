"""Run a configuration on the engine it names: blocks of replications, on this machine or a cluster.

Replications are split into blocks; each block is run by the engine's `run_block(cfg, city,
replications, values)` and turned into tables at once (so raw arrays are freed). Every replication
draws from its own seed sequence, so the tables do not depend on the block size, `run.n_jobs` or
`run.backend` (sim.workflows.backend runs the blocks).

Replications may each have their own parameter values (`values`, one row per replication, dotted
config keys as columns): keys that shape the model (sim.model.values.structural) are grouped into
blocks of their own, the rest vary within a block. With `run.uncertainty=ensemble` the replications
are spread over the calibration ensemble's parameter sets (sim.workflows.ensemble) this way, and the
summary gains a column `parameter_set`. Many parameter sets that share their random numbers (a
sensitivity design, a calibration batch) run through `simulate_sets`, the same path.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.model.checks import to_schema
from sim.model.city import City, build_city
from sim.model.config import SimConfig
from sim.model.results import Results, block_tables, combine
from sim.model.values import stack
from sim.workflows import backend, ensemble, params

ENGINES = {"agent": "sim.agent.engine", "vector": "sim.vector.engine"}


@dataclass(frozen=True)
class Block:
    """One engine call: replications `labels` (as the tables name them) drawing from the random
    streams of replications `streams`, with their own `values` of some keys (or none)."""

    cfg: SimConfig
    city: City
    labels: np.ndarray
    streams: np.ndarray
    values: dict[str, np.ndarray] | None


def run_block(block: Block) -> dict:
    """The tables of one block."""
    engine = importlib.import_module(ENGINES[block.cfg.run.engine.value])
    raw = engine.run_block(block.cfg, block.city, block.streams, block.values)
    raw.replication = block.labels
    return block_tables(raw, block.cfg, block.city, block.values)


def _block_size(cfg: SimConfig) -> int:
    return 1 if cfg.run.engine.value == "agent" else cfg.run.chunk_size


def _groups(cfg: SimConfig, values: Mapping[str, np.ndarray], n: int) -> list[tuple[SimConfig, np.ndarray]]:
    """(config, its rows) for every distinct combination of the structural keys' values."""
    shaping = [k for k in values if params.structural(cfg, k)]
    if not shaping:
        return [(cfg, np.arange(n))]
    combos, which = np.unique(np.stack([values[k].astype(float) for k in shaping], axis=1), axis=0,
                              return_inverse=True)
    return [(params.apply(cfg, {k: values[k][rows[0]].item() for k in shaping}), rows)
            for i in range(len(combos)) for rows in [np.flatnonzero(which.reshape(-1) == i)]]


def blocks(cfg: SimConfig, values: Mapping[str, np.ndarray], labels: np.ndarray, streams: np.ndarray) -> list[Block]:
    """Every block of a run whose rows (`labels`, `streams`) have their own `values` (checked)."""
    out = []
    for group_cfg, rows in _groups(cfg, values, len(labels)):
        # With the rows' own team.max_extra, the city holds sister slots for the largest of them; each
        # replication opens at most its own, and its tables do not depend on the slots.
        own = {k: values[k][rows] for k in ("team.max_extra",) if k in values}
        city = build_city(stack(group_cfg, own))
        varying = [k for k in values if not params.structural(cfg, k)]
        size = _block_size(group_cfg)
        for i in range(0, len(rows), size):
            at = rows[i : i + size]
            own = {k: values[k][at] for k in varying} or None
            out.append(Block(group_cfg, city, labels[at], streams[at], own))
    return out


def _ensemble(cfg: SimConfig, table: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    """(each replication's values, its parameter set) under `run.uncertainty=ensemble`."""
    given = table is not None
    table = table if given else ensemble.load(cfg)
    kept = set() if given else set(ensemble.held(cfg, table))
    which = ensemble.assign(table["weight"].to_numpy(), cfg.run.replications, cfg.run.seed)
    keys = [k for k in ensemble.keys(table) if k not in kept]
    sets = table["set"].to_numpy() if "set" in table else np.arange(len(table))
    return table[keys].iloc[which].reset_index(drop=True), sets[which]


def simulate(cfg: SimConfig, values: pd.DataFrame | None = None,
             ensemble_table: pd.DataFrame | None = None) -> Results:
    """Run `cfg` (a composed config) and return its tables (MODEL.md §5).

    `values`: one row per replication (`run.replications` rows), dotted config keys as columns;
    replication r runs with row r's values and its own random streams. `ensemble_table` replaces
    the shipped ensemble under `run.uncertainty=ensemble` (the calibration evaluates its own fresh
    ensemble this way; all its keys are then spread)."""
    cfg = to_schema(cfg)
    n = cfg.run.replications
    if values is not None and len(values) != n:
        raise UserError(f"values: {len(values)} rows for run.replications={n}; give one row per replication")
    table, sets = (values, None) if cfg.run.uncertainty != "ensemble" else _ensemble(cfg, ensemble_table)
    if values is not None and sets is not None:  # the caller's own values override the ensemble's
        table = pd.concat([table.drop(columns=[c for c in values.columns if c in table]), values], axis=1)
    checked = params.columns(cfg, table) if table is not None else {}
    reps = np.arange(n)
    results = _run(cfg, blocks(cfg, checked, reps, reps))
    if sets is not None:
        results.summary["parameter_set"] = sets[results.summary["replication"].to_numpy()]
    return results


def simulate_sets(cfg: SimConfig, sets: pd.DataFrame) -> Results:
    """Every parameter set (row of `sets`, dotted config keys as columns) run on `cfg`'s
    replications, all sharing the same random streams (common random numbers), in one run.

    Set j's replication r is labelled `j * run.replications + r` in every table; the summary's
    `parameter_set` is j (see `split`)."""
    cfg = to_schema(cfg)
    n, rows = cfg.run.replications, len(sets)
    checked = {k: np.repeat(v, n) for k, v in params.columns(cfg, sets.reset_index(drop=True)).items()}
    labels, streams = np.arange(rows * n), np.tile(np.arange(n), rows)
    results = _run(cfg, blocks(cfg, checked, labels, streams))
    results.summary["parameter_set"] = results.summary["replication"].to_numpy() // n
    return results


def split(results: Results, sets: int) -> list[Results]:
    """`simulate_sets`'s results as one `Results` per parameter set (replications 0 … R − 1)."""
    n = len(results.summary) // sets

    def part(table: pd.DataFrame | None, j: int) -> pd.DataFrame | None:
        if table is None:
            return None
        mine = table[table["replication"] // n == j].reset_index(drop=True)
        mine["replication"] -= j * n
        return mine

    return [Results(summary=part(results.summary, j).drop(columns="parameter_set"), weekly=part(results.weekly, j),
                    teams=part(results.teams, j), citizens=part(results.citizens, j), config=results.config,
                    costs=part(results.costs, j)) for j in range(sets)]


def _run(cfg: SimConfig, jobs: list[Block]) -> Results:
    """Run the blocks (sim.workflows.backend) and gather their tables in replication order."""
    results = combine(backend.run(cfg, run_block, jobs), cfg)
    if len({id(job.cfg) for job in jobs}) > 1:  # groups of structural values ran one after the other
        for name in ("summary", "weekly", "teams", "citizens", "costs"):
            table = getattr(results, name)
            if table is not None:
                setattr(results, name, table.sort_values("replication", kind="stable", ignore_index=True))
    return results
