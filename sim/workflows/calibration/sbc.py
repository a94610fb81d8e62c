"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari & Gelman 2018): does the calibration
recover parameters it is told, with honest uncertainty?

For each of `tables` synthetic tables: draw a truth from the prior; let the model at that truth
produce the report (one replication on its own random numbers, plus the stated discrepancy and
rounding: the data model the calibration assumes); calibrate to it with the shipped method; and
note, per parameter, the truth's rank among the posterior draws and whether the 50% and 90%
central intervals cover it. If the method is right the ranks are uniform and the intervals cover
the truth 50% and 90% of the time, within binomial error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from sim.model.config import SimConfig
from sim.workflows.calibration import smc
from sim.workflows.calibration import study as st
from sim.workflows.calibration.prior import Prior
from sim.workflows.calibration.spec import Spec
from sim.workflows.params import apply

TRUTH_SEED = 1_000_003  # the synthetic cities' random numbers: never the calibration's run.seed
LEVELS = (0.5, 0.9)


def synthetic_report(base: SimConfig, spec: Spec, truth: pd.DataFrame, seed: int, replications: int = 20) -> dict:
    """What the report would say if the model at `truth` (one row of config values) were the city:
    replication 0's counts on fresh random numbers, plus the discrepancy (normal, sd discrepancy ×
    the truth's mean count over `replications`) and the rounding."""
    cfg = apply(base, {"run.replications": replications, "run.seed": seed})
    sims = st.simulated(cfg, spec.targets, truth)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(11,)))
    return {t.name: float(st.reported(t, sims[t.name][0, 0], np.nanmean(sims[t.name][0]), spec.discrepancy, rng))
            for t in spec.targets}


def truth(prior: Prior, index: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Table `index`'s truth: its point of the sampler's space (1 × dim) and its config values."""
    z = prior.sample(np.random.default_rng(np.random.SeedSequence(TRUTH_SEED, spawn_key=(index,))), 1)
    return z, st.config_values(prior, z)


def table(base: SimConfig, spec: Spec, prior: Prior, index: int) -> tuple[np.ndarray, pd.DataFrame, Spec]:
    """Table `index`: its truth (as `truth`) and the spec with the synthetic report as observed."""
    z, values = truth(prior, index)
    return z, values, st.synthetic(spec, synthetic_report(base, spec, values, TRUTH_SEED + 1 + index))


def rank(truth: float, draws: np.ndarray, rng: np.random.Generator) -> int:
    """The truth's rank among the draws (0 … len(draws)); ties (integer keys) broken at random."""
    below, ties = int(np.sum(draws < truth)), int(np.sum(draws == truth))
    return below + int(rng.integers(0, ties + 1))


def covered(rank: int | np.ndarray, draws: int | np.ndarray, level: float) -> bool | np.ndarray:
    """Whether the central `level` interval of the draws covers the truth, read off the truth's rank
    (0 … draws): integer keys' ties then count as `rank` breaks them, not all as covered."""
    return ((1 - level) / 2 * draws <= rank) & (rank <= (1 + level) / 2 * draws)


def ties(index: int) -> np.random.Generator:
    """The stream that breaks table `index`'s ties in `rank` (any recalibration of the table ranks on it)."""
    return np.random.default_rng(np.random.SeedSequence(TRUTH_SEED, spawn_key=(index, 1)))


def ranked(index: int, keys: list[str], truth: np.ndarray, draws: np.ndarray, rng: np.random.Generator) -> list[dict]:
    """Table `index`'s rows, one per key: the truth (`truth`, one value per key), its rank among the
    draws (draws × keys; ties broken on `rng`), their count and sd, and whether the 50% and 90%
    central intervals cover it (`covered`)."""
    rows = []
    for j, key in enumerate(keys):
        x, value = draws[:, j], float(truth[j])
        row = {"table": index, "parameter": key, "truth": value, "rank": rank(value, x, rng), "draws": len(x),
               "posterior_sd": float(x.std())}
        row.update({f"in_{int(100 * level)}": bool(covered(row["rank"], len(x), level)) for level in LEVELS})
        rows.append(row)
    return rows


def one_table(base: SimConfig, spec: Spec, settings: smc.Settings, replications: int, index: int,
              out: Path | None = None) -> pd.DataFrame:
    """Table `index`: its truth, synthetic report, calibration and per-parameter rank and coverage."""
    prior = Prior.of(spec)
    _, values, synthetic = table(base, spec, prior, index)
    _, state = st.fit(base, synthetic, settings, replications, out / f"table_{index:03d}" if out else None)
    draws = st.posterior(prior, state)[prior.keys].to_numpy(float)
    rows = ranked(index, prior.keys, values[prior.keys].to_numpy(float)[0], draws, ties(index))
    return pd.DataFrame(rows)


def run(base: SimConfig, spec: Spec, tables: int, settings: smc.Settings, replications: int,
        out: Path | None = None, on_table: Callable[[int], None] = lambda i: None) -> pd.DataFrame:
    """Every table's ranks and coverage (tables already in `out`'s `sbc.csv` are not run again)."""
    done = pd.read_csv(out / "sbc.csv") if out and (out / "sbc.csv").is_file() else pd.DataFrame()
    parts = [done] if len(done) else []
    for i in range(tables):
        if len(done) and i in set(done["table"]):
            continue
        parts.append(one_table(base, spec, settings, replications, i, out))
        if out:
            pd.concat(parts, ignore_index=True).to_csv(out / "sbc.csv", index=False)
        on_table(i)
    return pd.concat(parts, ignore_index=True).sort_values(["table", "parameter"], ignore_index=True)


def coverage(results: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: how often the 50% and 90% intervals covered the truth (from its rank, `covered`),
    with the binomial range (95%) the share should fall in if the method is right, and whether it
    does; the ranks' uniformity (χ² over 4 bins, its p-value)."""
    rows = []
    for key, part in results.groupby("parameter", sort=False):
        n = len(part)
        row = {"parameter": key, "tables": n}
        ok = True
        for level in LEVELS:
            hits = int(covered(part["rank"], part["draws"], level).sum())
            low, high = stats.binom.ppf([0.025, 0.975], n, level)
            name = int(100 * level)
            row.update({f"cover_{name}": hits / n, f"range_{name}": f"[{low / n:.2f}, {high / n:.2f}]"})
            ok &= bool(low <= hits <= high)
        u = part["rank"] / part["draws"]
        counts = np.histogram(u, bins=4, range=(0, 1))[0]
        row["rank_p"] = float(stats.chisquare(counts).pvalue) if n >= 8 else np.nan
        row["within"] = ok
        rows.append(row)
    return pd.DataFrame(rows)
