"""Design points: SALib samples, and their evaluation by any model function, resumable.

`evaluate` takes a *model function* (design point values -> output values) so the same code runs
the simulation (`SimulationModel`) and a test function with known indices (Ishigami, in the tests).
Points are evaluated in batches; with a folder, each finished batch is written atomically to
`<folder>/chunks/` and points already there are not evaluated again, so an interrupted run picks
up where it stopped. A model with a `batch` method evaluates a whole batch at once: the simulation
runs all of a batch's points in one run (sim.workflows.simulate.simulate_sets), in parallel as its
config says (`run.n_jobs`, `run.backend`); a plain function's batches run in parallel with joblib.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from tqdm import tqdm  # plain bars: tqdm.auto warns in a notebook kernel without ipywidgets, even with bars off

from sim.errors import UserError
from sim.model.config import SimConfig
from sim.workflows.compose import compose
from sim.workflows.sensitivity.spec import Spec
from sim.workflows.simulate import simulate_sets

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4  # grid levels per parameter (SALib's default; Morris' usual choice)
CHUNKS = "chunks"
POINT = "point"
BATCH = 4  # design points per task and per chunk file: about a second of simulation each

Model = Callable[[Mapping[str, float]], Mapping[str, float]]

# Every design point: the vector engine, no large tables, no per-run progress bar; the command's
# --n-jobs sets run.n_jobs of the runs that evaluate batches of points. These keys are the
# command's, not the user's.
FIXED = {"run.engine": "vector", "run.citizens_table": "false", "run.weekly_table": "false",
         "run.progress": "false", "run.n_jobs": "1"}
OPTION_FOR = {"run.replications": "--replications", "run.n_jobs": "--n-jobs"}


def base_config(overrides: Sequence[str], replications: int) -> SimConfig:
    """The config every design point starts from, composed and validated once."""
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("+~")
        if key in OPTION_FOR:
            raise UserError(f"{key}: give it as {OPTION_FOR[key]}, not as an override")
        if key in FIXED:
            raise UserError(f"{key}: fixed by sim.sensitivity ({key}={FIXED[key]} at every design point)")
    if replications < 1:
        raise UserError(f"--replications {replications}: must be at least 1")
    return compose([*(f"{k}={v}" for k, v in FIXED.items()), f"run.replications={replications}", *overrides])


def check_size(method: str, n: int) -> None:
    """Morris needs two trajectories for its spread; SALib's Sobol' sequence needs a power of two."""
    if method not in METHODS:
        raise UserError(f"--method {method}: allowed: {', '.join(METHODS)}")
    if method == "morris" and n < 2:
        raise UserError(f"--n {n}: Morris needs at least 2 trajectories")
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise UserError(f"--n {n}: Sobol' needs a power of two (e.g. 64, 256, 1024)")


def points(method: str, n: int, dimensions: int) -> int:
    """Number of design points: Morris n (D + 1); Sobol' without second-order terms n (D + 2)."""
    return n * (dimensions + (1 if method == "morris" else 2))


def sample(spec: Spec, method: str, n: int, seed: int) -> pd.DataFrame:
    """The design: one row per point, one column per parameter (SALib's sample, seeded)."""
    check_size(method, n)
    problem = spec.problem()
    if method == "morris":
        x = morris_sample.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)
    else:  # first and total order only: n (D + 2) points instead of n (2D + 2)
        x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    return pd.DataFrame(x, columns=spec.names).rename_axis(POINT)


@dataclass
class SimulationModel:
    """A design point's values set on the base config's replications (per-replication values,
    sim.workflows.simulate.simulate_sets); its outputs are the means over those replications
    (the same random streams at every point: common random numbers). A mean skips replications
    where an output is undefined (e.g. cost per retained citizen when nobody was retained)."""

    base: SimConfig
    outputs: Sequence[str]

    def __call__(self, values: Mapping[str, float]) -> dict[str, float]:
        return self.batch(pd.DataFrame([values])).iloc[0].to_dict()

    def batch(self, points: pd.DataFrame) -> pd.DataFrame:
        """Every point's outputs (one row per point, in order), all points in one run."""
        summary = simulate_sets(self.base, points.reset_index(drop=True)).summary
        return summary.groupby("parameter_set")[list(self.outputs)].mean().reset_index(drop=True)

    @property
    def batch_size(self) -> int:
        """Points per batch: a few blocks per worker process, so that a chunk takes seconds."""
        run = self.base.run
        return max(1, 4 * run.chunk_size * run.n_jobs // run.replications)


def _run_batch(model: Model, batch: pd.DataFrame) -> pd.DataFrame:
    if hasattr(model, "batch"):
        return batch.reset_index().join(model.batch(batch))
    rows = [dict(model(dict(zip(batch.columns, map(float, values), strict=True)))) for values in batch.to_numpy()]
    return batch.reset_index().join(pd.DataFrame(rows))


def _write_chunk(folder: Path, table: pd.DataFrame) -> None:
    path = folder / CHUNKS / f"{int(table[POINT].iloc[0]):07d}.parquet"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    table.to_parquet(tmp, index=False)
    os.replace(tmp, path)  # a chunk file is complete or absent


def load_chunks(folder: Path) -> pd.DataFrame:
    """Every point already evaluated in `folder` (empty if none)."""
    files = sorted((folder / CHUNKS).glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=[POINT]).set_index(POINT)
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True).set_index(POINT).sort_index()


def _same_points(done: pd.DataFrame, design: pd.DataFrame) -> bool:
    if not (set(design.columns) <= set(done.columns) and done.index.isin(design.index).all()):
        return False
    return np.allclose(done[design.columns].to_numpy(float), design.loc[done.index].to_numpy(float), rtol=0, atol=1e-12)


def evaluate(model: Model, design: pd.DataFrame, folder: Path | None = None, n_jobs: int = 1,
             progress: bool = True, batch_size: int = BATCH) -> pd.DataFrame:
    """The design with the model's outputs as extra columns, one row per point (in design order).

    With `folder`, points found in `folder/chunks` are taken from there (their parameter values
    must equal the design's) and each new batch is written there as soon as it is done.
    """
    done = load_chunks(folder) if folder is not None else pd.DataFrame()
    if folder is not None:
        (folder / CHUNKS).mkdir(parents=True, exist_ok=True)
        if len(done) and not _same_points(done, design):
            raise UserError(f"{folder / CHUNKS} holds points of another design; use another --out")
    todo = design.index.difference(done.index)
    batch_size = getattr(model, "batch_size", batch_size)
    batches = [design.loc[todo[i : i + batch_size]] for i in range(0, len(todo), batch_size)]
    tables = [done.reset_index()] if len(done) else []
    with tqdm(total=len(design), initial=len(design) - len(todo), desc="design points", unit="point",
              disable=not progress) as bar:
        if n_jobs == 1 or len(batches) <= 1 or hasattr(model, "batch"):  # a batch model runs its own workers
            results = (_run_batch(model, b) for b in batches)
        else:
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(_run_batch)(model, b) for b in batches)
        for table in results:
            if folder is not None:
                _write_chunk(folder, table)
            tables.append(table)
            bar.update(len(table))
    return pd.concat(tables, ignore_index=True).set_index(POINT).sort_index().loc[design.index]
