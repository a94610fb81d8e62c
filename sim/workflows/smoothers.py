"""Nonparametric regression of a net benefit on parameters, for EVPPI (sim.workflows.decision.evppi).

Each smoother returns the fitted values ĝ(θ_n) at the draws and a sample of fitted-value vectors
from their approximate posterior, from which EVPPI's regression error follows (Strong, Oakley &
Brennan 2014, Med Decis Making 34(3):311–326, section "Standard errors"):

- `gam`: a generalised additive model (pygam's `LinearGAM`): a penalised spline `s` for one
  parameter, a tensor-product spline `te` for more (basis capped at about `GAM_BASIS` columns);
  smoothing chosen by GCV over pygam's grid. Posterior: coefficients ~ N(β̂, V̂) (Wood's Bayesian
  covariance, `statistics_["cov"]`).
- `gp`: a Gaussian process (scikit-learn) with a squared-exponential kernel, one length scale per
  parameter, and white noise. Its hyperparameters are estimated by maximum likelihood on a random
  subset of `HYPER_DRAWS` draws (as R's voi does with `gp_hyper_n`, for speed), then the process is
  conditioned on all draws; the posterior of the noise-free function at the draws is N(m, K).

Cost: a GAM grows with the number of draws n roughly linearly; a GP as n³ (fine to a few thousand).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

GAM_MAX_PARAMETERS = 2  # "auto": a GAM up to here, a GP beyond (te bases grow as k^d)
GAM_BASIS = 150
HYPER_DRAWS = 200

Fit = tuple[np.ndarray, np.ndarray]  # (fitted values (n,), posterior draws of them (n_draws, n))


def gam(x: np.ndarray, y: np.ndarray, n_draws: int, rng: np.random.Generator) -> Fit:
    """Fitted values of y on the columns of x by a GAM, and draws of them from the coefficients' posterior."""
    from pygam import LinearGAM, s, te

    d = x.shape[1]
    splines = min(10, max(4, int(GAM_BASIS ** (1 / d))))
    terms = s(0) if d == 1 else te(*range(d), n_splines=splines)
    model = LinearGAM(terms).gridsearch(x, y, progress=False)
    coef = _mvn(rng, model.coef_, model.statistics_["cov"], n_draws)
    design = model.terms.build_columns(x)  # the model matrix (sparse), so fitted = design @ coef
    return np.asarray(model.predict(x)), np.asarray((design @ coef.T).T)


def gp(x: np.ndarray, y: np.ndarray, n_draws: int, rng: np.random.Generator) -> Fit:
    """Fitted values of y on the columns of x by a Gaussian process, and draws of the latent function."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    x = (x - x.mean(axis=0)) / x.std(axis=0)
    d = x.shape[1]
    kernel = ConstantKernel(1.0, (1e-4, 1e4)) * RBF(np.ones(d), (1e-2, 1e3)) + WhiteKernel(0.5, (1e-8, 1e2))
    subset = rng.choice(len(y), size=min(HYPER_DRAWS, len(y)), replace=False)
    with warnings.catch_warnings():  # length scales at their upper bound mean "irrelevant", not failure
        warnings.simplefilter("ignore")
        tuned = GaussianProcessRegressor(kernel, normalize_y=True).fit(x[subset], y[subset]).kernel_
    latent, noise = tuned.k1, tuned.k2.noise_level
    model = GaussianProcessRegressor(latent, alpha=noise, normalize_y=True, optimizer=None).fit(x, y)
    mean, cov = model.predict(x, return_cov=True)
    return mean, _mvn(rng, mean, cov, n_draws)


SMOOTHERS: dict[str, Callable[[np.ndarray, np.ndarray, int, np.random.Generator], Fit]] = {"gam": gam, "gp": gp}


def choose(n_parameters: int) -> str:
    """The smoother "auto" picks: a GAM for few parameters, a Gaussian process for more (Strong et al. 2014)."""
    return "gam" if n_parameters <= GAM_MAX_PARAMETERS else "gp"


def _mvn(rng: np.random.Generator, mean: np.ndarray, cov: np.ndarray, n_draws: int) -> np.ndarray:
    """(n_draws, len(mean)) draws of N(mean, cov); cov may be singular (a smooth fit's usually is)."""
    cov = (cov + cov.T) / 2
    scale = max(float(np.mean(np.diag(cov))), 1e-300)
    for jitter in (0.0, 1e-12, 1e-10, 1e-8, 1e-6):
        try:
            root = np.linalg.cholesky(cov + jitter * scale * np.eye(len(mean)))
            break
        except np.linalg.LinAlgError:
            continue
    else:
        values, vectors = np.linalg.eigh(cov)
        root = vectors * np.sqrt(np.clip(values, 0, None))
    return mean + rng.standard_normal((n_draws, len(mean))) @ root.T
