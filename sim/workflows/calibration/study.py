"""The calibration: a posterior of the spec's parameters given its targets, by tempered SMC.

- **Parameters** (`sim.workflows.calibration.prior`): each with a stated prior; the team
  attractivenesses summing to zero, so no direction of the config is invisible to the data.
- **Data model** (`likelihood.log_likelihoods`): per target, the model's count at the target's week
  from `replications` replications of the vector engine, with a model discrepancy and the report's
  rounding: a synthetic likelihood (Wood 2010). Every particle runs on the same replications'
  random streams (common random numbers: `simulate_sets`), so the likelihood is a fixed function
  of the parameters and differences between particles are the parameters' doing.
- **Sampler** (`sim.workflows.calibration.smc`): adaptive tempering from the prior to the
  posterior, independent Metropolis–Hastings moves; a batch of particles is one engine run
  (`simulate_sets`, on `run.backend`: this machine's `run.n_jobs` processes or a Dask cluster).
- **Resumable**: the sampler's state is saved in the output folder after every batch and each
  batch's chunks as they finish (`chunks/`); the same command resumes without repeating them, and
  gives the draws an uninterrupted run gives.

Simulation-based calibration (Talts et al. 2018) proves the whole procedure on synthetic tables
(`sbc`, `benchmarks/sbc_calibration.py`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.model.config import SimConfig
from sim.workflows.calibration import smc
from sim.workflows.calibration.likelihood import log_likelihoods
from sim.workflows.calibration.prior import Prior
from sim.workflows.calibration.spec import Spec, Target
from sim.workflows.calibration.targets import Observed
from sim.workflows.params import apply
from sim.workflows.simulate import simulate_sets

STATE = "state.npz"
CHUNKS = "chunks"
FINGERPRINT = "fingerprint.txt"
CHUNK = 100  # particles per engine run (a run's citizens table holds chunk × replications × intake rows)


def counts(targets: tuple[Target, ...], observed: Observed, sets: int) -> dict[str, np.ndarray]:
    """Each target's simulated value, sets × replications (`simulate_sets` labels set j's replication
    r as j·R + r)."""
    return {t.name: observed.total(t.metrics, t.at_week).reshape(sets, -1) for t in targets}


def simulated(cfg: SimConfig, targets: tuple[Target, ...], sets: pd.DataFrame,
              chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """Each target's value for every parameter set (sets × `cfg`'s replications), `chunk` sets per
    engine run (`simulate_sets`: every set on the same random streams)."""
    parts = []
    for first in range(0, len(sets), chunk):
        part = sets.iloc[first:first + chunk].reset_index(drop=True)
        parts.append(counts(targets, Observed(simulate_sets(cfg, part)), len(part)))
    return {t.name: np.concatenate([p[t.name] for p in parts]) for t in targets}


def reported(target: Target, x: np.ndarray, mean: np.ndarray, discrepancy: float,
             rng: np.random.Generator) -> np.ndarray:
    """What a report would say of simulated counts `x`: plus the model discrepancy (normal, sd
    discrepancy × the model's `mean`), never below 0, rounded as the target was (the data model
    `likelihood.reported_count` scores); shares and other figures are left as they are."""
    if target.likelihood not in ("poisson", "negative_binomial"):
        return x
    x = np.maximum(x + rng.normal(0.0, 1.0, np.shape(x)) * discrepancy * mean, 0.0)
    return target.rounded * np.round(x / target.rounded)


def scored(spec: Spec, sims: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(log-likelihood per set, extras per set: each target's log-likelihood, then each target's
    simulated mean, then its variance)."""
    pointwise = np.column_stack([log_likelihoods(t.likelihood, t.observed, sims[t.name], t.n, t.sd, t.rounded,
                                                 spec.discrepancy) for t in spec.targets])
    means = [np.nanmean(sims[t.name], axis=1) for t in spec.targets]
    variances = [np.nanvar(sims[t.name], axis=1, ddof=1) for t in spec.targets]
    return pointwise.sum(axis=1), np.column_stack([pointwise, *means, *variances])


@dataclass
class Problem:
    """The likelihood of a spec's targets on a base config, evaluated in chunks that are kept on disk."""

    base: SimConfig  # the config every particle runs on: its run.replications, run.seed, horizon
    spec: Spec
    prior: Prior
    out: Path | None = None
    chunk: int = CHUNK
    on_chunk: Callable[[int], None] = lambda n: None

    def evaluate(self, sets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Log-likelihood and extras of parameter sets (rows of config values): one engine run."""
        return scored(self.spec, simulated(self.base, self.spec.targets, sets, chunk=len(sets)))

    def log_likelihood(self, z: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
        """The sampler's batch `batch`: chunks already on disk are read, the rest run and saved."""
        values = config_values(self.prior, z)
        lls, extras = [], []
        for c, first in enumerate(range(0, len(z), self.chunk)):
            path = self.out / CHUNKS / f"{batch:04d}_{c:03d}.npz" if self.out else None
            if path is not None and path.is_file():
                with np.load(path) as data:
                    ll, extra = data["ll"], data["extra"]
            else:
                ll, extra = self.evaluate(values.iloc[first:first + self.chunk].reset_index(drop=True))
                if path is not None:
                    path.parent.mkdir(exist_ok=True)
                    tmp = path.with_suffix(".tmp.npz")
                    np.savez(tmp, ll=ll, extra=extra)
                    tmp.replace(path)
            lls.append(ll)
            extras.append(extra)
            self.on_chunk(len(ll))
        return np.concatenate(lls), np.concatenate(extras)


def calibration_base(base: SimConfig, spec: Spec, replications: int) -> SimConfig:
    """The base config the particles run on: `replications` each, up to the last target week only
    (a count at week W does not depend on later weeks)."""
    weeks = [t.at_week for t in spec.targets]
    horizon = max(weeks) + 1 if all(w is not None for w in weeks) else base.run.horizon_weeks
    return apply(base, {"run.replications": replications, "run.horizon_weeks": min(horizon, base.run.horizon_weeks)})


def fingerprint(spec: Spec, overrides: list[str], replications: int, settings: smc.Settings) -> str:
    text = json.dumps([spec.digest, overrides, replications, settings.__dict__], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def open_folder(out: Path, print_: str) -> smc.State | None:
    """The saved state in `out` (None for a new calibration); `UserError` if `out` holds another one."""
    out.mkdir(parents=True, exist_ok=True)
    stored = out / FINGERPRINT
    if stored.is_file() and stored.read_text().strip() != print_:
        raise UserError(f"{out} holds a calibration of another spec, config, replication count or sampler "
                        "setting; give a new --out (or the same command as before to resume)")
    stored.write_text(print_ + "\n")
    return smc.State.load(out / STATE) if (out / STATE).is_file() else None


def calibrate(problem: Problem, settings: smc.Settings, state: smc.State | None = None,
              on_batch: Callable[[smc.State], None] = lambda s: None) -> smc.State:
    """Run or resume the sampler; its state is saved in `problem.out` after every step."""
    save = (lambda s: s.save(problem.out / STATE)) if problem.out else (lambda s: None)
    return smc.run(problem.prior, problem.log_likelihood, settings, state, save, on_batch)


def fit(base: SimConfig, spec: Spec, settings: smc.Settings, replications: int, folder: Path | None = None,
        overrides: list[str] | None = None) -> tuple[Prior, smc.State]:
    """Calibrate `spec` on `base` (`replications` per particle) to the end, resuming from `folder` where
    it holds this study (`overrides`: what the fingerprint should name besides the spec, e.g. another
    run.seed); the prior and the final state. The studies beside the command's own (simulation-based
    calibration, leave-one-out refits, their checks) run this way."""
    prior = Prior.of(spec)
    state = open_folder(folder, fingerprint(spec, overrides or [], replications, settings)) if folder else None
    problem = Problem(calibration_base(base, spec, replications), spec, prior, folder)
    return prior, calibrate(problem, settings, state)


def posterior(prior: Prior, state: smc.State) -> pd.DataFrame:
    """The equally weighted draws: one row per particle, one column per dotted config key."""
    return config_values(prior, state.z)


def config_values(prior: Prior, z: np.ndarray) -> pd.DataFrame:
    """Points of the sampler's space as config values (rows), one column per dotted key."""
    table = pd.DataFrame(prior.values(z), columns=prior.keys)
    for p in prior.parameters:
        if p.integer:
            table[p.key] = table[p.key].astype(int)
    return table


def median_values(prior: Prior, draws: pd.DataFrame) -> dict[str, float | int]:
    """The posterior median of each key (integers rounded): `params=calibrated`'s point."""
    return {p.key: (int(round(draws[p.key].median())) if p.integer else float(draws[p.key].median()))
            for p in prior.parameters}


# --- the posterior predictive check --------------------------------------------------------------


def predictive(base: SimConfig, spec: Spec, draws: pd.DataFrame, replications: int, seed: int,
               chunk: int = CHUNK) -> dict[str, np.ndarray]:
    """Each target's and holdout's value for every draw (draws × replications) on fresh random
    numbers (`seed`, not the calibration's), with the report's discrepancy and rounding added to the
    counts: what the report could have said if the model is right (parameters + Monte Carlo +
    reporting)."""
    cfg = apply(base, {"run.replications": replications, "run.seed": seed})
    every = spec.targets + spec.holdout
    sims = simulated(cfg, every, draws, chunk)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    return {t.name: reported(t, sims[t.name], np.nanmean(sims[t.name], axis=1, keepdims=True), spec.discrepancy, rng)
            for t in every}


def loo(spec: Spec, state: smc.State) -> pd.DataFrame:
    """Leave-one-target-out by Pareto-smoothed importance sampling (Vehtari, Gelman & Gabry 2017,
    through ArviZ): per target, the expected log predictive density without it and its Pareto k̂
    (k̂ > 0.7: the importance weights are unreliable, a refit would be needed)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az

        k = len(spec.targets)
        ll = state.pointwise[:, :k]
        data = az.from_dict(posterior={"z": state.z[None, :, 0]}, log_likelihood={"y": ll[None, :, :]})
        res = az.loo(data, pointwise=True)
    return pd.DataFrame({"name": [t.name for t in spec.targets], "elpd_loo": np.asarray(res.loo_i),
                         "pareto_k": np.asarray(res.pareto_k)})


def loo_weights(state: smc.State, k: int) -> np.ndarray:
    """PSIS weights (draws) of the posterior without target k: ∝ 1 / p(y_k | θ), smoothed."""
    import warnings

    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lw, _ = az.psislw(-state.pointwise[:, k].copy())
    return smc.normalised(lw)


def leave_out(spec: Spec, name: str) -> Spec:
    """The spec without target `name`, which becomes a check (predicted, not fitted): a refit of it is
    a genuinely held-out test of that target (leave-one-out where PSIS's k̂ says the importance
    weights cannot stand in for a refit)."""
    held = [t for t in spec.targets if t.name == name]
    if not held:
        names = ", ".join(t.name for t in spec.targets)
        raise UserError(f"{name}: not a target of spec {spec.name} (targets: {names})")
    return replace(spec, targets=tuple(t for t in spec.targets if t.name != name), holdout=(*held, *spec.holdout),
                   digest=f"{spec.digest}-without-{name}")


def synthetic(spec: Spec, observed: dict[str, float]) -> Spec:
    """The spec with other observations (simulation-based calibration's synthetic tables)."""
    return replace(spec, targets=tuple(replace(t, observed=float(observed[t.name])) for t in spec.targets))


def summary_columns(base: SimConfig) -> list[str]:
    """The summary table's columns, from a one-replication, two-week run of the base config."""
    import copy

    from sim.model.config import Uncertainty
    from sim.workflows.simulate import simulate

    cfg = copy.deepcopy(apply(base, {"run.replications": 1, "run.horizon_weeks": 2}))
    cfg.run.uncertainty = Uncertainty.none  # the columns, not parameter uncertainty
    return list(simulate(cfg).summary.columns)
