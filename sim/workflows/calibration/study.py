"""The calibration study: Optuna search with common random numbers, then an importance-weighted ensemble.

1. **Search.** Optuna's CMA-ES sampler (seeded) proposes parameter
   sets; each trial sets them on the base config (`sim.workflows.params.apply`), runs the vector engine with
   the base config's `run.seed` (the same citizens and random numbers for every trial: common random
   numbers, so differences between trials are the parameters' doing) and scores the targets: the
   objective is the summed negative log-likelihood plus the priors' penalties.
   The first trial is the prior point (MODEL.md §8 values), for the record.
2. **Curvature.** 2d probes at the best trial ± a small step along each parameter give the
   objective's second differences: the local (conditional) sd of each parameter.
3. **Ensemble.** Around the best trial, a defensive Gaussian mixture q (0.8·N(best, Σ) +
   0.2·N(best, 4Σ), truncated to the search box; Σ: the local sds × 1.5, correlations from the
   search trials near the best, see `proposal`) proposes `ensemble` parameter sets, enqueued in
   the same study. Their importance weights w ∝ exp(-objective)/q approximate the posterior
   (likelihood × prior) of the parameters; their effective sample size says how well.

The study lives in a journal file (`study.journal` in the output folder, Optuna's
`JournalFileBackend`): the same command resumes it without repeating finished trials, and several
processes (or cluster jobs on a shared file system) can run trials of one study at once.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from sim.errors import UserError
from sim.model.config import SimConfig
from sim.workflows.calibration.likelihood import nll, prior_penalty
from sim.workflows.calibration.spec import Spec, Target, base_value
from sim.workflows.calibration.targets import Observed
from sim.workflows.params import apply
from sim.workflows.simulate import simulate, simulate_sets, split

STUDY = "calibration"
JOURNAL = "study.journal"
SEARCH, CURVATURE, ENSEMBLE = "search", "curvature", "ensemble"
DEFENSIVE = (0.8, 0.2)  # mixture shares of N(best, Σ) and N(best, 4Σ)
# Trials run together (sim.workflows.simulate.simulate_sets): search trials a CMA-ES generation's
# worth at most (its population is 4 + 3 ln d, 12 for 20 parameters); queued ones in larger batches.
BATCH = 8
QUEUED_BATCH = 40


# --- one parameter set ---------------------------------------------------------------------------


@dataclass
class Evaluation:
    objective: float
    simulated: dict[str, np.ndarray]  # target name -> per-replication values
    nll: dict[str, float]
    prior: float


def prior_nll(spec: Spec, values: dict[str, float]) -> float:
    return sum(prior_penalty(values[p.key], p.prior_mean, p.prior_sd) for p in spec.parameters
               if p.prior_sd is not None)


def score(targets: tuple[Target, ...], observed: Observed) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    sims = {t.name: observed.total(t.metrics, t.at_week) for t in targets}
    return sims, {t.name: nll(t.likelihood, t.observed, sims[t.name], t.n, t.sd) for t in targets}


def _scored(spec: Spec, observed: Observed, values: dict[str, float], holdout: bool) -> Evaluation:
    sims, parts = score(spec.targets, observed)
    prior = prior_nll(spec, values) if values else math.nan  # an ensemble run has no single parameter set
    objective = sum(parts.values()) + prior
    if holdout:
        more, more_parts = score(spec.holdout, observed)
        sims.update(more)
        parts.update(more_parts)
    return Evaluation(objective, sims, parts, prior)


def evaluate(base: SimConfig, spec: Spec, values: dict[str, float], holdout: bool = False,
             ensemble_table: pd.DataFrame | None = None) -> Evaluation:
    """Run one parameter set on `base` and score it (the holdouts too if asked; they never count)."""
    cfg = apply(base, values) if values else base
    return _scored(spec, Observed(simulate(cfg, ensemble_table=ensemble_table)), values, holdout)


def evaluate_batch(base: SimConfig, spec: Spec, sets: list[dict[str, float]]) -> list[Evaluation]:
    """Several parameter sets run together on `base`'s replications (one run through
    `simulate_sets`, the same random numbers for every set) and scored."""
    runs = split(simulate_sets(base, pd.DataFrame(sets)), len(sets))
    return [_scored(spec, Observed(res), values, False) for res, values in zip(runs, sets, strict=True)]


# --- the study -----------------------------------------------------------------------------------


def storage(out: Path) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(out / JOURNAL)))


def open_study(out: Path, spec: Spec, base: SimConfig, seed: int, worker: int = 0,
               fingerprint: str = "") -> optuna.Study:
    """Create or load the study; `UserError` if the folder holds a study of another spec or config."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    sampler = optuna.samplers.CmaEsSampler(seed=seed + worker, warn_independent_sampling=False)
    study = optuna.create_study(study_name=STUDY, storage=storage(out), sampler=sampler, direction="minimize",
                                load_if_exists=True)
    stored = study.user_attrs.get("fingerprint")
    if stored is None:
        study.set_user_attr("fingerprint", fingerprint)
        # The first trial is the prior point, for the record (CMA-ES itself starts at the box's centre).
        study.enqueue_trial({p.key: min(max(_start(base, p.key, p.prior_mean), p.low), p.high)
                             for p in spec.parameters}, user_attrs={"phase": SEARCH})
    elif stored != fingerprint:
        raise UserError(f"{out} holds a calibration of another spec, config or replication count; "
                        "give a new --out (or the same command as before to resume)")
    return study


def _start(base: SimConfig, key: str, prior_mean: float | None) -> float:
    if prior_mean is not None:
        return prior_mean
    value = base_value(base, key)
    return 0.0 if value is None else value


def _ask(study: optuna.Study, spec: Spec) -> tuple[optuna.Trial, dict[str, float]]:
    """A new trial (an enqueued one first) and its parameter values."""
    trial = study.ask()
    values = {p.key: (trial.suggest_int(p.key, int(math.ceil(p.low)), int(math.floor(p.high))) if p.integer
                      else trial.suggest_float(p.key, p.low, p.high)) for p in spec.parameters}
    if "phase" not in trial.user_attrs:
        trial.set_user_attr("phase", SEARCH)
    return trial, values


def run_trials(study: optuna.Study, base: SimConfig, spec: Spec, n: int, queued: bool = False) -> None:
    """Ask `n` trials, run their parameter sets together (`evaluate_batch`) and tell the results.
    `queued`: only enqueued trials (a parallel process may have taken the last ones: a trial the
    sampler proposed instead is failed, not run)."""
    asked = []
    for _ in range(n):
        trial, values = _ask(study, spec)
        if queued and trial.user_attrs.get("phase") == SEARCH:  # queued trials carry their own phase
            study.tell(trial, state=TrialState.FAIL)
            continue
        asked.append((trial, values))
    if not asked:
        return
    for (trial, _), result in zip(asked, evaluate_batch(base, spec, [v for _, v in asked]), strict=True):
        trial.set_user_attr("simulated", {k: float(np.nanmean(v)) for k, v in result.simulated.items()})
        trial.set_user_attr("prior", result.prior)
        study.tell(trial, result.objective)


def finished(study: optuna.Study, phase: str) -> list[optuna.trial.FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.user_attrs.get("phase") == phase]


def search(study: optuna.Study, base: SimConfig, spec: Spec, trials: int,
           on_trial: Callable[[], None] = lambda: None, batch: int = BATCH) -> None:
    """Run search trials until `trials` have finished (counting those of earlier or parallel runs),
    `batch` at a time: CMA-ES proposes a generation's sets before it learns their objectives."""
    while (left := trials - len(finished(study, SEARCH))) > 0:
        run_trials(study, base, spec, min(batch, left))
        on_trial()


# --- the ensemble --------------------------------------------------------------------------------


def _matrix(spec: Spec, trials: list[optuna.trial.FrozenTrial]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[t.params[p.key] for p in spec.parameters] for t in trials], dtype=float)
    return x, np.array([t.value for t in trials], dtype=float)


def weights_of(objective: np.ndarray, log_q: np.ndarray | None = None, tau: float = 1.0) -> np.ndarray:
    """Normalised weights ∝ exp(-objective/τ) (/ q): log-sum-exp safe."""
    log_w = -objective / tau - (0.0 if log_q is None else log_q)
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def ess(w: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights."""
    return float(1.0 / np.sum(w * w))


def step_sizes(spec: Spec) -> np.ndarray:
    """The curvature probes' step per parameter: a quarter of its prior sd (or of its range's sd), large
    enough that Monte Carlo noise in the objective does not dominate the second difference."""
    steps = [0.25 * (p.prior_sd if p.prior_sd is not None else (p.high - p.low) / np.sqrt(12))
             for p in spec.parameters]
    return np.array([max(step, 1.0) if p.integer else step for p, step in zip(spec.parameters, steps, strict=True)])


def enqueue_curvature(study: optuna.Study, spec: Spec) -> None:
    """Enqueue, once, the 2d probes best ± step along each parameter (the objective's local curvature)."""
    if "curvature" in study.user_attrs:
        return
    x, y = _matrix(spec, finished(study, SEARCH))
    centre = x[np.argmin(y)]
    study.set_user_attr("curvature", {"centre": centre.tolist(), "value": float(y.min())})
    for j, step in enumerate(step_sizes(spec)):
        for sign in (-1.0, 1.0):
            point = centre.copy()
            point[j] = min(max(point[j] + sign * step, spec.parameters[j].low), spec.parameters[j].high)
            params = {p.key: (int(round(v)) if p.integer else float(v))
                      for p, v in zip(spec.parameters, point, strict=True)}
            study.enqueue_trial(params, user_attrs={"phase": CURVATURE, "axis": j, "sign": sign})


def conditional_sd(spec: Spec, study: optuna.Study) -> np.ndarray:
    """Per parameter, 1/sqrt(second difference of the objective) at the best search trial: the sd of
    the local normal approximation holding the other parameters at their best values (NaN where the
    objective does not curve upwards, e.g. a flat or noisy direction)."""
    info = study.user_attrs["curvature"]
    centre, f0 = np.array(info["centre"]), info["value"]
    out = np.full(len(spec.parameters), np.nan)
    probes: dict[int, dict[float, tuple[float, float]]] = {}
    for t in finished(study, CURVATURE):
        j = t.user_attrs["axis"]
        probes.setdefault(j, {})[t.user_attrs["sign"]] = (t.params[spec.parameters[j].key], t.value)
    for j, pair in probes.items():
        if len(pair) < 2:
            continue
        (xl, fl), (xh, fh) = pair[-1.0], pair[1.0]
        hl, hh = centre[j] - xl, xh - centre[j]
        if hl <= 0 or hh <= 0:
            continue
        second = 2 * (fh * hl + fl * hh - f0 * (hl + hh)) / (hl * hh * (hl + hh))
        if second > 0:
            out[j] = 1.0 / np.sqrt(second)
    return out


def proposal(spec: Spec, study: optuna.Study) -> tuple[np.ndarray, np.ndarray, float]:
    """(mean, covariance, τ) of the ensemble's proposal: centred on the best trial; scales from the
    local curvature (×1.5; the prior's sd where the objective is flat), correlations from the search
    trials weighted by exp(-(objective - min)/τ) (half-way shrunk towards none)."""
    x, y = _matrix(spec, finished(study, SEARCH))
    d = len(spec.parameters)
    tau = 1.0
    while ess(weights_of(y, tau=tau)) < min(2 * d, len(y)) and tau < 2**20:
        tau *= 2
    w = weights_of(y, tau=tau)
    cov_w = np.atleast_2d(np.cov(x.T, aweights=w))
    sd_w = np.sqrt(np.clip(np.diag(cov_w), 1e-12, None))
    corr = np.nan_to_num(cov_w / np.outer(sd_w, sd_w))
    corr = 0.5 * corr + 0.5 * np.eye(d)
    prior = step_sizes(spec) * 4
    sd = 1.5 * np.where(np.isnan(local := conditional_sd(spec, study)), prior, np.minimum(local, prior))
    centre = np.array(study.user_attrs["curvature"]["centre"])
    return centre, corr * np.outer(sd, sd), tau


def log_q(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Log density of the defensive mixture (up to the truncation constant, equal for every draw)."""
    from scipy.stats import multivariate_normal

    parts = [np.log(share) + multivariate_normal(mean, scale * cov, allow_singular=True).logpdf(x)
             for share, scale in zip(DEFENSIVE, (1.0, 4.0), strict=True)]
    return np.logaddexp(*parts)


def draw(spec: Spec, mean: np.ndarray, cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """`n` draws from the defensive mixture inside the search box (integers rounded)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    low = np.array([p.low for p in spec.parameters])
    high = np.array([p.high for p in spec.parameters])
    out: list[np.ndarray] = []
    while len(out) < n:
        scale = np.where(rng.random(4 * n) < DEFENSIVE[0], 1.0, 2.0)[:, None]
        x = mean + scale * rng.multivariate_normal(np.zeros(len(mean)), cov, size=4 * n, method="eigh")
        out.extend(x[np.all((x >= low) & (x <= high), axis=1)])
    x = np.array(out[:n])
    for j, p in enumerate(spec.parameters):
        if p.integer:
            x[:, j] = np.round(x[:, j])
    return x


def enqueue_ensemble(study: optuna.Study, spec: Spec, n: int, seed: int) -> None:
    """Enqueue the ensemble's proposals once (a resumed or parallel run finds them queued)."""
    if "proposal" in study.user_attrs or n == 0:
        return
    mean, cov, tau = proposal(spec, study)
    study.set_user_attr("proposal", {"mean": mean.tolist(), "cov": cov.tolist(), "tau": tau})
    x = draw(spec, mean, cov, n, seed)
    lq = log_q(x, mean, cov)
    for row, value in zip(x, np.atleast_1d(lq), strict=True):
        params = {p.key: (int(v) if p.integer else float(v)) for p, v in zip(spec.parameters, row, strict=True)}
        study.enqueue_trial(params, user_attrs={"phase": ENSEMBLE, "log_q": float(value)})


def run_queued(study: optuna.Study, base: SimConfig, spec: Spec, on_trial: Callable[[], None] = lambda: None,
               batch: int = QUEUED_BATCH) -> None:
    """Evaluate the queued trials (curvature probes, ensemble proposals; shared with parallel
    processes), `batch` at a time."""
    while waiting := len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,))):
        run_trials(study, base, spec, min(batch, waiting), queued=True)
        on_trial()


def ensemble_table(spec: Spec, study: optuna.Study, min_weight: float = 1e-6) -> tuple[pd.DataFrame, float]:
    """(the weighted parameter sets, the effective sample size of all proposals' weights)."""
    trials = finished(study, ENSEMBLE)
    if not trials:
        return pd.DataFrame(columns=["set", "weight", "objective", *spec.keys]), 0.0
    x, y = _matrix(spec, trials)
    w = weights_of(y, np.array([t.user_attrs["log_q"] for t in trials]))
    table = pd.DataFrame(x, columns=spec.keys)
    table.insert(0, "objective", y)
    table.insert(0, "weight", w)
    table.insert(0, "set", [t.number for t in trials])
    table = table[table["weight"] >= min_weight * table["weight"].max()].reset_index(drop=True)
    table["weight"] /= table["weight"].sum()
    return table.sort_values("weight", ascending=False, ignore_index=True), ess(w)


def trials_table(spec: Spec, study: optuna.Study) -> pd.DataFrame:
    """Every finished trial: number, phase, objective, parameters, each target's simulated mean."""
    rows = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        row = {"trial": t.number, "phase": t.user_attrs.get("phase"), "objective": t.value,
               "prior_nll": t.user_attrs.get("prior"), **t.params}
        row.update({f"sim.{k}": v for k, v in t.user_attrs.get("simulated", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def best(spec: Spec, study: optuna.Study) -> dict[str, float]:
    """The parameter set with the lowest objective over all finished trials."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    top = min(trials, key=lambda t: t.value)
    return {p.key: top.params[p.key] for p in spec.parameters}
