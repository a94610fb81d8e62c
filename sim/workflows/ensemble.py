"""Parameter uncertainty downstream: replications spread over the calibration ensemble.

A calibration (`python -m sim.calibrate`) leaves a weighted set of parameter sets (its ensemble,
docs/calibration.md). The one shipped for a city lives in `conf/params/ensemble/<city>.csv`
(columns `set`, `weight`, then one per config key). With `run.uncertainty=ensemble`,
`sim.workflows.simulate` gives each replication one parameter set:

- The assignment is deterministic given `run.seed` and `run.replications` (systematic resampling
  by weight, then a seeded shuffle), and does not depend on the scenario, so two scenarios run
  with the same seed give replication r the same parameter set; replication r keeps its own
  random streams (sim.model.seeding), so common random numbers are kept across scenarios too.
- A posterior too thin to describe parameter uncertainty is refused: an effective sample size
  (Kish, of the weights summed over distinct rows) below `MIN_ESS`.
- A key the run sets away from its calibrated value (`conf/params/calibrated.yaml` and
  `conf/params/city/calibrated_<city>.yaml`) is held at the run's value: a scenario that changes a
  calibrated parameter keeps its change; `held(cfg)` lists such keys.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import conf
from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.keys import flatten_keys, get_key

PARAMS_FOLDER = Path(conf.__file__).resolve().parent / "params"
# A fixed spawn key keeps the assignment's stream apart from the replications' own streams.
ASSIGN_KEY = 10_010
MIN_ESS = 100


def path(city: str) -> Path:
    return PARAMS_FOLDER / "ensemble" / f"{city}.csv"


def provenance_path(city: str) -> Path:
    """Where a shipped posterior's provenance is kept (sim.workflows.calibration.install)."""
    return PARAMS_FOLDER / "ensemble" / f"{city}.provenance.yaml"


def effective_size(table: pd.DataFrame) -> float:
    """Kish's effective sample size of the table's weights, rows with the same values merged."""
    values = table[keys(table)].round(12)
    w = table["weight"].groupby([values[k] for k in values.columns], sort=False).sum().to_numpy(float)
    w = w / w.sum()
    return float(1.0 / np.sum(w * w))


def default_uncertainty(city: str) -> str:
    """`run.uncertainty` unless a run sets it (conf/config.yaml resolves `${default_uncertainty:${city.name}}`
    with this): `ensemble` where the city ships an ensemble, else `none`. One default for every command
    and the Python API; `run.uncertainty=none` runs the configured point."""
    return "ensemble" if path(city).is_file() else "none"


def exists(cfg: SimConfig) -> bool:
    """Is an ensemble shipped for the config's city?"""
    return path(cfg.city.name).is_file()


def load(cfg: SimConfig) -> pd.DataFrame:
    """The shipped ensemble of the config's city; `UserError` if there is none."""
    file = path(cfg.city.name)
    if not file.is_file():
        raise UserError(f"run.uncertainty=ensemble: no calibration ensemble for city {cfg.city.name!r} "
                        f"({file} is missing; run python -m sim.calibrate and python -m sim.install_calibration)")
    table = pd.read_csv(file)
    size = effective_size(table)
    if size < MIN_ESS:
        raise UserError(f"run.uncertainty=ensemble: the posterior in {file.name} has an effective sample size of "
                        f"{size:.1f} (< {MIN_ESS}), too few parameter sets to describe parameter uncertainty; "
                        "install a stronger calibration or set run.uncertainty=none")
    return table


@cache
def calibrated(city: str) -> dict[str, float]:
    """The calibrated point values (conf/params), as dotted keys."""
    out: dict[str, float] = {}
    for file in (PARAMS_FOLDER / "calibrated.yaml", PARAMS_FOLDER / "city" / f"calibrated_{city}.yaml"):
        if file.is_file():
            out.update(flatten_keys(yaml.safe_load(file.read_text(encoding="utf-8")) or {}))
    return out


def keys(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in ("set", "weight", "objective")]


def held(cfg: SimConfig, table: pd.DataFrame) -> list[str]:
    """Ensemble keys the run sets away from their calibrated value: they are not spread."""
    point = calibrated(cfg.city.name)

    def away(key: str) -> bool:
        value = get_key(cfg, key)  # None: the run leaves a per-entity or optional key unset
        return value is None or not np.isclose(float(value), float(point[key]))

    return [k for k in keys(table) if k in point and away(k)]


def assign(weights: np.ndarray, replications: int, seed: int) -> np.ndarray:
    """The parameter set of each replication: systematic resampling by weight, seeded shuffle."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(ASSIGN_KEY,)))
    u = (np.arange(replications) + rng.random()) / replications
    sets = np.minimum(np.searchsorted(np.cumsum(w), u), len(w) - 1)
    return rng.permutation(sets)


def groups(cfg: SimConfig, table: pd.DataFrame, hold: bool = True) -> list[tuple[int, dict[str, float], np.ndarray]]:
    """(row of the set in `table`, its values, the replications that run it), for every set used.
    `hold`: keep keys the run sets away from their calibrated value (false: spread every key)."""
    kept = set(held(cfg, table)) if hold else set()
    which = assign(table["weight"].to_numpy(), cfg.run.replications, cfg.run.seed)
    out = []
    for i in np.unique(which):
        row = table.iloc[i]
        values = {k: float(row[k]) for k in keys(table) if k not in kept}
        out.append((int(i), values, np.flatnonzero(which == i)))
    return out


def values(cfg: SimConfig, sets: np.ndarray) -> pd.DataFrame:
    """The ensemble's values (one column per key) of parameter sets `sets`, as a run's summary names
    them in `parameter_set` (the `set` column, else the row): the parameters each replication ran with."""
    table = load(cfg)
    ids = table["set"].to_numpy() if "set" in table else np.arange(len(table))
    return table.set_index(pd.Index(ids))[keys(table)].loc[np.asarray(sets)].reset_index(drop=True)
