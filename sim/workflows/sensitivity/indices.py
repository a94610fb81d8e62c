"""Sensitivity indices from an evaluated design (SALib's estimators), as one long table.

Morris: `mu_star` (mean absolute elementary effect: how much the output moves, in its own units,
when the parameter moves across its range; SALib scales effects to the unit range), its 95%
bootstrap half-width `mu_star_conf`, `mu` (signed: the direction) and `sigma` (spread of the
effects: interactions or non-linearity). Sobol': first-order `S1` and total `ST` shares of the
output's variance with 95% bootstrap half-widths. Both bootstraps are seeded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from sim.workflows.sensitivity.design import MORRIS_LEVELS
from sim.workflows.sensitivity.spec import Spec

COLUMNS = {"morris": ("mu_star", "mu_star_conf", "mu", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
RANK_BY = {"morris": "mu_star", "sobol": "ST"}
RESAMPLES = 1000


def _analyse(method: str, spec: Spec, x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    # A Generator, not the int: SALib's Sobol' analysis falls back to global random state for seed 0.
    rng = np.random.default_rng(seed)
    if method == "morris":
        return morris_analyze.analyze(spec.problem(), x, y, num_resamples=RESAMPLES, num_levels=MORRIS_LEVELS,
                                      seed=rng)
    return sobol_analyze.analyze(spec.problem(), y, calc_second_order=False, num_resamples=RESAMPLES, seed=rng)


def indices(method: str, spec: Spec, design: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Long table: `output`, `parameter` and the method's columns, each output's rows ranked
    (most influential first). An output undefined at some point gets NaN indices."""
    x = design[spec.names].to_numpy(float)
    tables = []
    for output in spec.outputs:
        y = design[output].to_numpy(float)
        if np.isnan(y).any():
            values = {c: np.full(len(spec.names), np.nan) for c in COLUMNS[method]}
        else:
            result = _analyse(method, spec, x, y, seed)
            values = {c: np.asarray(result[c], dtype=float) for c in COLUMNS[method]}
        table = pd.DataFrame({"output": output, "parameter": spec.names, **values})
        tables.append(table.sort_values(RANK_BY[method], ascending=False, kind="stable"))
    return pd.concat(tables, ignore_index=True)
