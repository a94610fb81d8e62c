"""Nonparametric regression of a net benefit on parameters, for EVPPI (sim.workflows.decision.evppi).

Each smoother returns the fitted values ĝ(θ_n) at the draws and a sample of fitted-value vectors
from their approximate posterior, from which EVPPI's regression error follows (Strong, Oakley &
Brennan 2014, Med Decis Making 34(3):311–326, section "Standard errors"):

- `gam`: a generalised additive model (pygam's `LinearGAM`): a penalised spline `s` for one
  parameter, a tensor-product spline `te` for more (basis capped at about `GAM_BASIS` columns);
  smoothing chosen by GCV over pygam's grid. Posterior: coefficients ~ N(β̂, V̂) (Wood's Bayesian
  covariance, `statistics_["cov"]`).
- `gp`: Strong et al.'s Gaussian process (their appendix; also in SAVI, R's voi and BCEA): a linear
  mean plus a squared-exponential process with one length scale per parameter and a nugget, its
  hyperparameters at their posterior mode on a random subset of min(30·p, `HYPER_DRAWS`) draws (as
  voi and SAVI do, for speed), then conditioned on all draws; the fitted values' posterior is N(ĝ, V). Written
  here from the formulas (numpy/scipy): scikit-learn's GaussianProcessRegressor has neither the
  linear mean nor the prior on the nugget, and on a benchmark group with no effect on the decision
  (true EVPPI 0) it fitted noise and gave an EVPPI as large as the EVPI.

Cost: a GAM grows with the number of draws n roughly linearly; the GP as n³ (fine to a few thousand).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize

GAM_MAX_PARAMETERS = 2  # "auto": a GAM up to here, a GP beyond (te bases grow as k^d)
GAM_BASIS = 150
HYPER_DRAWS = 250

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
    """Fitted values of y on the columns of x by Strong et al.'s Gaussian process, and draws of them.

    The model (Strong, Oakley & Brennan 2014, appendix; O'Hagan's emulator): y = h(x)ᵀβ + f(x) + noise
    with a linear mean h(x) = (1, x), f a Gaussian process of variance σ² and correlation
    exp(−Σ_d ((x_d − x'_d)/δ_d)²) on inputs scaled to [0, 1], noise variance νσ²; flat prior on β,
    σ² ~ IG(0.001, 0.001) integrated out; δ and ν at their posterior mode (ν ~ IG(0.001, 1), which
    keeps the process from interpolating noise), found on min(30·p, `HYPER_DRAWS`) draws. The linear mean takes
    the main trends, so the process only has the rest to learn.
    """
    low, span = x.min(axis=0), np.ptp(x, axis=0)
    x = (x - low) / span
    n, p = x.shape
    h = np.column_stack([np.ones(n), x])
    subset = rng.choice(n, size=min(30 * p, HYPER_DRAWS, n), replace=False)
    scaled = (y - y.mean()) / y.std()
    found = minimize(_negative_log_posterior, np.zeros(p + 1), args=(x[subset], scaled[subset], h[subset]),
                     jac=True, method="L-BFGS-B", bounds=[LOG_DELTA] * p + [LOG_NU])
    delta, nu = np.exp(found.x[:p]), np.exp(found.x[p])
    a = _correlation(x, delta)
    a_inv = cho_solve(cho_factor(a + nu * np.eye(n), lower=True), np.eye(n))
    a_inv_h = a_inv @ h
    hah_inv = np.linalg.inv(h.T @ a_inv_h + RIDGE * np.eye(p + 1))
    beta = hah_inv @ (a_inv_h.T @ y)
    residual = y - h @ beta
    fitted = h @ beta + a @ (a_inv @ residual)
    sigma2 = residual @ a_inv @ residual / (n - p - 3)
    b = h - a @ a_inv_h
    cov = sigma2 * (nu * np.eye(n) - nu**2 * a_inv + b @ hah_inv @ b.T)  # posterior covariance of the fitted values
    return fitted, _mvn(rng, fitted, cov, n_draws)


# Strong et al.'s priors: σ² ~ IG(A_SIGMA, B_SIGMA), ν ~ IG(A_NU, B_NU); log δ_d ~ N(0, 10⁵) (flat).
A_SIGMA, B_SIGMA, A_NU, B_NU, LOG_DELTA_VAR = 0.001, 0.001, 0.001, 1.0, 1e5
LOG_DELTA, LOG_NU = (-5.0, 5.0), (-12.0, 5.0)  # search bounds (inputs in [0, 1], y standardised)
RIDGE = 1e-7  # keeps HᵀA⁻¹H invertible when inputs are collinear


def _correlation(x: np.ndarray, delta: np.ndarray) -> np.ndarray:
    z = x / delta
    sq = (z**2).sum(axis=1)
    return np.exp(-np.clip(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0, None))


def _negative_log_posterior(theta: np.ndarray, x: np.ndarray, y: np.ndarray, h: np.ndarray
                            ) -> tuple[float, np.ndarray]:
    """−log p(log δ, log ν | y) up to a constant (β and σ² integrated out), and its gradient.

    With P = A*⁻¹ − A*⁻¹H(HᵀA*⁻¹H)⁻¹HᵀA*⁻¹ (A* = A + νI), α = Py and k = (n − q + 2a_σ)/2:
    log p = −½ log|A*| − ½ log|HᵀA*⁻¹H| − k log(yᵀPy/2 + b_σ) + log prior, and
    ∂/∂θ = ½ Σ_ij (w α_i α_j − P_ij) ∂A*_ij/∂θ with w = k / (yᵀPy/2 + b_σ).
    """
    n, p = x.shape
    q = h.shape[1]
    log_delta, log_nu = theta[:p], theta[p]
    delta, nu = np.exp(log_delta), np.exp(log_nu)
    a = _correlation(x, delta)
    try:
        factor = cho_factor(a + nu * np.eye(n), lower=True)
    except np.linalg.LinAlgError:
        return 1e300, np.zeros_like(theta)
    a_inv = cho_solve(factor, np.eye(n))
    a_inv_h = a_inv @ h
    hah = cho_factor(h.T @ a_inv_h + RIDGE * np.eye(q))
    proj = a_inv - a_inv_h @ cho_solve(hah, a_inv_h.T)
    alpha = proj @ y
    rest = y @ alpha / 2 + B_SIGMA
    k = (n - q + 2 * A_SIGMA) / 2
    log_det = 2 * (np.log(np.diag(factor[0])).sum() + np.log(np.diag(hah[0])).sum())
    prior = -(A_NU + 1) * log_nu - B_NU / nu - (log_delta**2).sum() / (2 * LOG_DELTA_VAR)
    log_post = -log_det / 2 - k * np.log(rest) + prior
    weight = (k / rest * np.outer(alpha, alpha) - proj) * a  # ∂A/∂log δ_d = A ∘ 2(z_i − z_j)²
    z = x / delta
    grad_delta = 2 * (weight.sum(axis=1) @ z**2) - 2 * (z * (weight @ z)).sum(axis=0)
    grad_delta -= log_delta / LOG_DELTA_VAR
    grad_nu = nu * (k / rest * alpha @ alpha - np.trace(proj)) / 2 - (A_NU + 1) + B_NU / nu
    return -log_post, -np.append(grad_delta, grad_nu)


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
