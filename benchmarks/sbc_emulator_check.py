"""Is the sampler the cause of the simulation-based calibration's misses? The shipped sampler
(sim.workflows.calibration.smc) calibrated to synthetic tables of an *emulator* of the model, whose
likelihood is known exactly: any miss left is the sampler's.

The emulator: the copenhagen spec's 16 targets at `--train-sets` prior draws (10 replications each,
the calibration's own base config), and per target a quadratic ridge regression of the log mean
and the log variance of the count on the 23 config values. At a point, a target's count is
negative binomial with the emulated mean and variance (Poisson where the variance is not above
the mean). A synthetic table: a truth from the spec's prior, and per target a count drawn from
exactly the distribution the calibration's data model scores (the emulated count's variance plus
the discrepancy's, `likelihood.reported_count`), rounded as the target is. Its calibration: the
shipped sampler (`smc.run`) with the shipped likelihood function on the emulated mean and variance
(`--replications 0`: exact), or on R counts drawn from the emulator on fixed random numbers
(`--replications R`: a synthetic likelihood from R replications under common random numbers, as
the calibration's). Ranks and coverage as `sim.workflows.calibration.sbc`.

    .venv/bin/python benchmarks/sbc_emulator_check.py [--train-sets 6000] [--tables 200]
        [--budget 200:2:5 --budget 1000:2:5 ...] [--replications 0] [--out results/sbc_emulator]

A budget is particles:min_moves:max_moves. Writes OUT/emulator.npz (resumable: kept), OUT/fit.csv
(the emulator's hold-out R² per target), OUT/coverage_<budget>.csv and OUT/summary.csv (per
budget: coverage over all parameters, parameters within binomial error, posterior sd, batches).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from tqdm import tqdm

from sim.calibrate import FORCED, PRIORS
from sim.workflows.calibration import sbc, smc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.calibration.likelihood import count_distribution, reported_count
from sim.workflows.calibration.prior import Prior
from sim.workflows.compose import compose

SEED = 20_261_206  # the emulator's training draws and the synthetic tables' (never a calibration's)


class Emulator:
    """Log mean and log variance of each target's count, quadratic in the standardised config values."""

    def __init__(self, prior: Prior, data: dict[str, np.ndarray]):
        self.prior, self.mu, self.sd, self.bm, self.bv = prior, data["mu"], data["sd"], data["bm"], data["bv"]

    @staticmethod
    def features(v: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
        x = (v - mu) / sd
        iu = np.triu_indices(x.shape[1])
        return np.column_stack([np.ones(len(x)), x, (x[:, :, None] * x[:, None, :])[:, iu[0], iu[1]]])

    @classmethod
    def train(cls, prior: Prior, z: np.ndarray, sims: dict[str, np.ndarray], names: list[str],
              ridge: float = 1.0) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
        """Fit on every fifth set held out (R² reported), then on all sets."""
        v = prior.values(z)
        mu, sd = v.mean(axis=0), v.std(axis=0)
        f = cls.features(v, mu, sd)
        held = np.arange(len(f)) % 5 == 0

        def solve(rows: np.ndarray, y: np.ndarray) -> np.ndarray:
            a = f[rows].T @ f[rows] + ridge * np.eye(f.shape[1])
            a[0, 0] -= ridge  # the intercept is not shrunk
            return np.linalg.solve(a, f[rows].T @ y[rows])

        bm, bv, fit = [], [], []
        for name in names:
            x = sims[name]
            ym, yv = np.log(x.mean(axis=1) + 0.5), np.log(x.var(axis=1, ddof=1) + 0.5)
            r2 = [1 - np.mean((f[held] @ solve(~held, y) - y[held]) ** 2) / y[held].var() for y in (ym, yv)]
            fit.append({"target": name, "mean_count": float(x.mean()), "r2_log_mean": r2[0], "r2_log_variance": r2[1]})
            bm.append(solve(np.ones(len(f), bool), ym))
            bv.append(solve(np.ones(len(f), bool), yv))
        return dict(mu=mu, sd=sd, bm=np.column_stack(bm), bv=np.column_stack(bv)), pd.DataFrame(fit)

    def moments(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Emulated mean and variance of every target's count (points × targets)."""
        f = self.features(self.prior.values(z), self.mu, self.sd)
        return np.maximum(np.exp(f @ self.bm) - 0.5, 0.05), np.maximum(np.exp(f @ self.bv) - 0.5, 0.0)


def counts(mean: np.ndarray, var: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Negative binomial counts (Poisson where var <= mean) with the given moments, as quantiles of
    uniforms `u` (mean's shape + one axis)."""
    over, size, p = count_distribution(mean, var)
    nb = stats.nbinom.ppf(u, size[..., None], p[..., None])
    return np.where(over[..., None], nb, stats.poisson.ppf(u, mean[..., None]))


def one_table(emulator: Emulator, spec, index: int, settings: smc.Settings, replications: int) -> tuple[list, dict]:
    prior, targets = emulator.prior, spec.targets
    rng = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(1, index)))
    z_true = prior.sample(rng, 1)
    truth = prior.values(z_true)[0]
    mean, var = emulator.moments(z_true)
    x = counts(mean, var + (spec.discrepancy * mean) ** 2, rng.random((1, len(targets), 1)))[0, :, 0]
    observed = [t.rounded * np.round(x[k] / t.rounded) for k, t in enumerate(targets)]
    fixed = rng.random((len(targets), max(replications, 1)))  # common random numbers of every particle

    def log_likelihood(z: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
        m, v = emulator.moments(z)
        pointwise = np.empty((len(z), len(targets)))
        for k, t in enumerate(targets):
            if replications:
                sims = counts(m[:, k], v[:, k], np.broadcast_to(fixed[k], (len(z), replications)).copy())
            else:  # two values with exactly the emulated mean and (ddof=1) variance
                half = np.sqrt(v[:, k] / 2)
                sims = np.column_stack([m[:, k] - half, m[:, k] + half])
            pointwise[:, k] = reported_count(observed[k], sims, t.rounded, spec.discrepancy)
        return pointwise.sum(axis=1), pointwise

    state = smc.run(prior, log_likelihood, settings)
    draws = prior.values(state.z)
    ties = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(2, index)))
    return sbc.ranked(index, prior.keys, truth, draws, ties), smc.final_diagnostics(state)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-sets", type=int, default=6000)
    ap.add_argument("--tables", type=int, default=200)
    ap.add_argument("--budget", action="append", default=None, metavar="PARTICLES:MIN_MOVES:MAX_MOVES")
    ap.add_argument("--replications", type=int, default=0, help="0: exact likelihood; R: synthetic, from R draws")
    ap.add_argument("--n-jobs", type=int, default=2, help="processes simulating the training sets")
    ap.add_argument("--out", type=Path, default=Path("results/sbc_emulator"))
    args = ap.parse_args()
    budgets = []
    for budget in args.budget or ["200:2:5", "1000:2:5"]:
        parts = budget.split(":")
        if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts) or int(parts[1]) > int(parts[2]):
            ap.error(f"--budget {budget}: give PARTICLES:MIN_MOVES:MAX_MOVES, positive whole numbers, MIN <= MAX")
        budgets.append((budget, *(int(p) for p in parts)))
    path = args.out / "emulator.npz"
    if path.is_file():
        with np.load(path) as data:
            if "sets" in data and int(data["sets"]) != args.train_sets:
                ap.error(f"--train-sets {args.train_sets}: {path} was trained on {int(data['sets'])} sets; "
                         "give that number or another --out")
    args.out.mkdir(parents=True, exist_ok=True)
    base = compose([PRIORS, *FORCED, f"run.n_jobs={args.n_jobs}"])
    spec = specs.load("copenhagen", base, st.summary_columns(base))
    prior = Prior.of(spec)
    names = [t.name for t in spec.targets]
    if not path.is_file():
        start = time.perf_counter()
        z = prior.sample(np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(0,))), args.train_sets)
        sims = st.simulated(st.calibration_base(base, spec, 10), spec.targets, st.config_values(prior, z))
        data, fit = Emulator.train(prior, z, sims, names)
        np.savez(path, **data, sets=args.train_sets)
        fit.to_csv(args.out / "fit.csv", index=False)
        print(f"emulator trained on {args.train_sets} sets in {(time.perf_counter() - start) / 60:.1f} min")
    with np.load(path) as data:
        emulator = Emulator(prior, dict(data))
    summary = pd.read_csv(args.out / "summary.csv") if (args.out / "summary.csv").is_file() else pd.DataFrame()
    for budget, particles, low, high in budgets:
        label = f"{budget.replace(':', '_')}_R{args.replications}"
        start = time.perf_counter()
        rows, diagnostics = [], []
        for i in tqdm(range(args.tables), desc=f"budget {budget}, R={args.replications}"):
            settings = smc.Settings(particles=particles, min_moves=low, max_moves=high, seed=i)
            part, diag = one_table(emulator, spec, i, settings, args.replications)
            rows += part
            diagnostics.append(diag)
        results = pd.DataFrame(rows)
        table = sbc.coverage(results)
        table["posterior_sd"] = results.groupby("parameter", sort=False)["posterior_sd"].mean().to_numpy()
        table.to_csv(args.out / f"coverage_{label}.csv", index=False)
        line = {"budget": label, "particles": particles, "min_moves": low, "max_moves": high,
                "replications": args.replications, "tables": args.tables,
                **{f"cover_{int(100 * lv)}": float(sbc.covered(results["rank"], results["draws"], lv).mean())
                   for lv in sbc.LEVELS},
                "within": int(table.within.sum()), "parameters": len(table),
                "batches": float(np.mean([d["batches"] for d in diagnostics])),
                "minutes": (time.perf_counter() - start) / 60}
        summary = pd.concat([summary[summary.budget != label] if len(summary) else summary, pd.DataFrame([line])],
                            ignore_index=True)
        summary.to_csv(args.out / "summary.csv", index=False)
        print(pd.DataFrame([line]).to_string(index=False))


if __name__ == "__main__":
    main()
