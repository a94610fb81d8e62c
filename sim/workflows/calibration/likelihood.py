"""Negative log-likelihoods of an observed figure given the replications of its simulated value.

The simulated replications x_1..x_R of a target estimate the model's distribution of that figure;
the observation is scored against it:

- `poisson`: y ~ Poisson(mean x).
- `negative_binomial`: y ~ NB with the replications' mean m and variance v (size k = m^2/(v-m));
  where v <= m there is no overdispersion and it is the Poisson.
- `binomial`: the metric is a share p (mean x); the observed share y of `n` trials, k = y·n
  (non-integer k allowed through the gamma function).
- `normal`: y ~ Normal(mean x, sd) with `sd` given.

A simulated mean of 0 would make any observed count impossible: means are floored at half a
count over all replications, 1/(2R) (and shares kept inside [1/(2n), 1 - 1/(2n)]).
"""

from __future__ import annotations

import math

import numpy as np

LIKELIHOODS = ("poisson", "negative_binomial", "binomial", "normal")


def poisson(y: float, mean: float) -> float:
    return mean - y * math.log(mean) + math.lgamma(y + 1)


def negative_binomial(y: float, mean: float, var: float) -> float:
    if var <= mean:
        return poisson(y, mean)
    k = mean * mean / (var - mean)
    return -(math.lgamma(y + k) - math.lgamma(k) - math.lgamma(y + 1)
             + k * math.log(k / (k + mean)) + y * math.log(mean / (k + mean)))


def binomial(share: float, p: float, n: float) -> float:
    k = share * n
    return -(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
             + k * math.log(p) + (n - k) * math.log1p(-p))


def normal(y: float, mean: float, sd: float) -> float:
    return 0.5 * math.log(2 * math.pi * sd * sd) + (y - mean) ** 2 / (2 * sd * sd)


def nll(kind: str, observed: float, simulated: np.ndarray, n: float | None = None, sd: float | None = None) -> float:
    """The negative log-likelihood of `observed` under the replications `simulated` (NaNs dropped)."""
    x = np.asarray(simulated, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.inf
    floor = 0.5 / len(x)
    mean = max(float(x.mean()), floor)
    if kind == "poisson":
        return poisson(observed, mean)
    if kind == "negative_binomial":
        return negative_binomial(observed, mean, float(x.var(ddof=1)) if len(x) > 1 else 0.0)
    if kind == "binomial":
        edge = 0.5 / n
        return binomial(observed, min(max(float(x.mean()), edge), 1 - edge), n)
    if kind == "normal":
        return normal(observed, float(x.mean()), sd)
    raise ValueError(f"unknown likelihood {kind!r}; allowed: {', '.join(LIKELIHOODS)}")


# --- the calibration's data model, for many parameter sets at once --------------------------------


def count_bin(observed: float, rounded: int) -> np.ndarray:
    """The whole counts a figure reported as `observed`, rounded to a multiple of `rounded`, may have
    been: [observed - rounded/2, observed + rounded/2), never below 0 (rounded=1: observed only)."""
    low, high = math.ceil(observed - rounded / 2), math.ceil(observed + rounded / 2) - 1
    return np.arange(max(low, 0), high + 1, dtype=float)


def count_distribution(mean: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scipy's negative binomial (n, p) with mean `mean` and variance `var`, and where it applies
    (`var` above `mean`; elsewhere the count is Poisson with mean `mean`): (over, n, p)."""
    over = var > mean * (1 + 1e-9)
    size = np.where(over, mean * mean / np.where(over, var - mean, 1.0), 1.0)
    return over, size, size / (size + mean)


def reported_count(observed: float, simulated: np.ndarray, rounded: int = 1, discrepancy: float = 0.0) -> np.ndarray:
    """Log-likelihood of a reported count for each row of `simulated` (sets × replications).

    Per set, the replications' mean m and variance v describe the model's count; the report adds a
    model discrepancy of sd `discrepancy`·m (the model is a simplification of the city; MODEL.md §8),
    so the count is taken as negative binomial with mean m and variance v + (discrepancy·m)² (Poisson
    where that is not above m), and the report's rounding sums its probability over the counts that
    round to `observed`. The synthetic likelihood of Wood (2010) with a count distribution in place
    of the normal; m is floored at half a count over the replications."""
    from scipy import stats

    x = np.atleast_2d(np.asarray(simulated, dtype=float))
    r = np.sum(~np.isnan(x), axis=1)
    m = np.maximum(np.nanmean(x, axis=1), 0.5 / np.maximum(r, 1))
    v = np.where(r > 1, np.nanvar(x, axis=1, ddof=min(1, x.shape[1] - 1)), 0.0) + (discrepancy * m) ** 2
    counts = count_bin(observed, rounded)[None, :]
    over, size, p = count_distribution(m, v)
    pmf = np.where(over[:, None], stats.nbinom.pmf(counts, size[:, None], p[:, None]),
                   stats.poisson.pmf(counts, m[:, None]))
    with np.errstate(divide="ignore"):
        return np.where(r > 0, np.log(pmf.sum(axis=1)), -np.inf)


def log_likelihoods(kind: str, observed: float, simulated: np.ndarray, n: float | None = None,
                    sd: float | None = None, rounded: int = 1, discrepancy: float = 0.0) -> np.ndarray:
    """Log-likelihood of `observed` for each row of `simulated` (sets × replications): counts through
    `reported_count` (rounding, discrepancy), shares and normal figures through `nll`."""
    if kind in ("poisson", "negative_binomial"):
        if kind == "poisson" and discrepancy == 0 and rounded == 1:
            return np.array([-nll("poisson", observed, row) for row in np.atleast_2d(simulated)])
        return reported_count(observed, simulated, rounded, discrepancy)
    return np.array([-nll(kind, observed, row, n, sd) for row in np.atleast_2d(simulated)])
