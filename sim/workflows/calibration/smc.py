"""Sequential Monte Carlo with adaptive tempering: posterior draws for a likelihood evaluated in batches.

The sampler of Del Moral, Doucet & Jasra (2006, "Sequential Monte Carlo samplers", JRSS B 68:411)
in the adaptive form of Jasra, Stephens, Doucet & Tsagaris (2011, Scand. J. Stat. 38:1) and
Chopin & Papaspiliopoulos (2020, "An Introduction to Sequential Monte Carlo", ch. 17):

1. N particles are drawn from the prior; each gets its log-likelihood ℓ (one batch).
2. The targets π_φ ∝ prior × likelihood^φ bridge φ = 0 (the prior) to φ = 1 (the posterior). The
   next φ is the largest whose incremental weights w_i ∝ exp((φ' − φ) ℓ_i) keep an effective sample
   size of `ess_target`·N (bisection); the weights are recorded with their ESS, largest weight and
   Pareto k̂ (PSIS, Vehtari et al. 2024, through ArviZ).
3. Systematic resampling by those weights, then Metropolis–Hastings moves that leave π_φ' invariant.
   The proposal is independent of the particle: a normal with the weighted particles' mean and
   covariance (South, Pettitt & Drovandi 2019, "Sequential Monte Carlo samplers with independent
   Markov chain Monte Carlo proposals", Bayesian Analysis 14:753), which in 20-odd dimensions
   renews particles far faster than a random walk once the target is near normal;
   `proposal="walk"` takes the random walk instead (covariance × 2.38²/d, Roberts & Rosenthal
   2001). The proposal's scale is halved while fewer than 10% of moves are accepted. As many moves
   as make a particle likely to have moved at least once (1 − (1 − acceptance)^k ≥ 1 − `stay`,
   Drovandi & Pettitt 2011), between `min_moves` and `max_moves`.
4. Once φ = 1 the resampled, moved particles are equally weighted posterior draws.

Every batch of proposals is one call of `log_likelihood` (the calibration runs it as one block of
the vector engine, `sim.workflows.simulate.simulate_sets`). The state is saved after every batch;
`run` resumes from a saved state and, because every random draw comes from a stream keyed by the
batch's number, gives the same draws as an uninterrupted run.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

LogLikelihood = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]]  # (z, batch) -> (ℓ, pointwise)


@dataclass(frozen=True)
class Settings:
    particles: int = 1000
    ess_target: float = 0.5  # ESS kept at each tempering step, as a share of the particles
    stay: float = 0.2  # moves continue until a particle stays put with at most this probability
    min_moves: int = 2
    max_moves: int = 5
    proposal: str = "independent"  # or "walk"
    seed: int = 0


@dataclass
class State:
    """Where the sampler is: the particles (z), their log-likelihoods, the temperature, the history."""

    z: np.ndarray
    loglik: np.ndarray
    pointwise: np.ndarray  # per particle, whatever the likelihood reports besides ℓ (carried along)
    log_prior: np.ndarray
    phi: float = 0.0
    batches: int = 1  # likelihood batches run (the prior's is batch 0)
    phase: str = "reweight"  # or "move", "done"
    moves_done: int = 0
    moves_needed: int = 0
    scale: float = 1.0
    cov: np.ndarray | None = None
    mean: np.ndarray | None = None
    final_log_weights: np.ndarray | None = None  # the weights of the step that reached φ = 1
    history: list[dict[str, float]] = field(default_factory=list)

    def save(self, path: Path) -> None:
        """Write atomically (a kill leaves the previous state)."""
        arrays = {k: v for k, v in asdict(self).items() if isinstance(v, np.ndarray)}
        scalars = {k: v for k, v in asdict(self).items() if not isinstance(v, np.ndarray) and v is not None}
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **arrays, scalars=np.array(json.dumps(scalars)))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> State:
        with np.load(path, allow_pickle=False) as data:
            scalars = json.loads(str(data["scalars"]))
            arrays = {k: data[k] for k in data.files if k != "scalars"}
        return cls(**arrays, **scalars)


def rng(seed: int, batch: int, purpose: int) -> np.random.Generator:
    """The stream of one batch's draws (purpose 0: resampling, 1: proposals, 2: acceptance)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(batch, purpose)))


def normalised(log_w: np.ndarray) -> np.ndarray:
    w = np.exp(log_w - np.max(log_w))
    return w / w.sum()


def ess(log_w: np.ndarray) -> float:
    """Kish's effective sample size of (unnormalised log) weights."""
    w = normalised(log_w)
    return float(1.0 / np.sum(w * w))


def pareto_k(log_w: np.ndarray) -> float:
    """Pareto k̂ of the weights' tail (PSIS; k̂ < 0.7 is reliable, Vehtari et al. 2024)."""
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, k = az.psislw(np.asarray(log_w, dtype=float).copy())
    return float(k)


def next_phi(loglik: np.ndarray, phi: float, target: float) -> float:
    """The largest φ' in (φ, 1] whose incremental weights keep an ESS of `target` (bisection)."""
    finite = np.where(np.isfinite(loglik), loglik, -np.inf)
    if ess((1.0 - phi) * finite) >= target:
        return 1.0
    low, high = phi, 1.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        if ess((mid - phi) * finite) >= target:
            low = mid
        else:
            high = mid
    return max(low, phi + 1e-9)


def systematic(weights: np.ndarray, rng_: np.random.Generator) -> np.ndarray:
    n = len(weights)
    u = (np.arange(n) + rng_.random()) / n
    return np.minimum(np.searchsorted(np.cumsum(weights), u), n - 1)


def start(prior: Any, log_likelihood: LogLikelihood, settings: Settings) -> State:
    """Batch 0: particles from the prior and their log-likelihoods."""
    z = prior.sample(rng(settings.seed, 0, 1), settings.particles)
    loglik, pointwise = log_likelihood(z, 0)
    return State(z=z, loglik=loglik, pointwise=pointwise, log_prior=prior.log_density(z))


def reweight(state: State, settings: Settings) -> State:
    """Choose the next temperature, record its weights, resample (no likelihood batch)."""
    n = len(state.loglik)
    phi = next_phi(state.loglik, state.phi, settings.ess_target * n)
    log_w = (phi - state.phi) * np.where(np.isfinite(state.loglik), state.loglik, -np.inf)
    w = normalised(log_w)
    finite = np.isfinite(log_w)
    state.history.append(dict(phi=phi, ess=ess(log_w), max_weight=float(w.max()),
                              pareto_k=pareto_k(log_w[finite]) if finite.sum() > 10 else math.nan,
                              batches=state.batches))
    if phi >= 1.0:
        state.final_log_weights = log_w
    state.cov = np.atleast_2d(np.cov(state.z.T, aweights=w)) + 1e-12 * np.eye(state.z.shape[1])
    state.mean = w @ state.z
    state.scale = 1.0
    idx = systematic(w, rng(settings.seed, state.batches, 0))
    state.z, state.loglik, state.pointwise, state.log_prior = (state.z[idx], state.loglik[idx],
                                                               state.pointwise[idx], state.log_prior[idx])
    state.phi, state.phase, state.moves_done, state.moves_needed = phi, "move", 0, 0
    return state


def move(state: State, prior: Any, log_likelihood: LogLikelihood, settings: Settings) -> State:
    """One Metropolis–Hastings move of every particle (one likelihood batch)."""
    n, d = state.z.shape
    b = state.batches
    independent = settings.proposal == "independent"
    cov = state.cov * state.scale * (1.0 if independent else 2.38**2 / d)
    chol = np.linalg.cholesky(cov)
    step = rng(settings.seed, b, 1).standard_normal((n, d)) @ chol.T
    proposal = state.mean + step if independent else state.z + step
    log_prior = prior.log_density(proposal)
    inside = np.isfinite(log_prior)
    loglik = np.full(n, -np.inf)
    pointwise = np.full_like(state.pointwise, -np.inf)
    if inside.any():
        loglik[inside], pointwise[inside] = log_likelihood(proposal[inside], b)
    with np.errstate(invalid="ignore"):
        log_ratio = state.phi * (loglik - state.loglik) + log_prior - state.log_prior
        if independent:  # + log q(current) − log q(proposed)
            inv = np.linalg.inv(cov)
            quad = lambda x: np.einsum("ij,jk,ik->i", x - state.mean, inv, x - state.mean)  # noqa: E731
            log_ratio += 0.5 * (quad(proposal) - quad(state.z))
    accept = np.log(rng(settings.seed, b, 2).random(n)) < np.nan_to_num(log_ratio, nan=-np.inf)
    state.z[accept], state.loglik[accept] = proposal[accept], loglik[accept]
    state.pointwise[accept], state.log_prior[accept] = pointwise[accept], log_prior[accept]
    rate = float(accept.mean())
    state.history[-1].setdefault("acceptance", [])
    state.history[-1]["acceptance"].append(rate)
    state.history[-1]["scale"] = state.scale
    if rate < 0.1:
        state.scale *= 0.5
    elif not independent and rate > 0.4:
        state.scale *= 2.0
    state.batches, state.moves_done = b + 1, state.moves_done + 1
    if state.moves_done == 1:
        k = math.ceil(math.log(settings.stay) / math.log1p(-min(max(rate, 1e-3), 0.999)))
        state.moves_needed = int(min(max(k, settings.min_moves), settings.max_moves))
    if state.moves_done >= state.moves_needed:
        state.phase = "done" if state.phi >= 1.0 else "reweight"
    return state


def run(prior: Any, log_likelihood: LogLikelihood, settings: Settings, state: State | None = None,
        save: Callable[[State], None] = lambda s: None, on_batch: Callable[[State], None] = lambda s: None) -> State:
    """Run (or resume, from `state`) the sampler to the posterior; `save` is called after every step."""
    if state is None:
        state = start(prior, log_likelihood, settings)
        save(state)
        on_batch(state)
    while state.phase != "done":
        if state.phase == "reweight":
            state = reweight(state, settings)
        else:
            state = move(state, prior, log_likelihood, settings)
            on_batch(state)
        save(state)
    return state


def final_diagnostics(state: State) -> dict[str, float]:
    """The weights that reached the posterior (ESS, largest weight, Pareto k̂), the draws' distinct
    count, the tempering steps and batches."""
    log_w = state.final_log_weights
    return dict(ess=ess(log_w), max_weight=float(normalised(log_w).max()), pareto_k=state.history[-1]["pareto_k"],
                distinct=int(len(np.unique(state.z, axis=0))), steps=len(state.history), batches=state.batches)
