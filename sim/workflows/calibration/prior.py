"""The calibration's prior and parametrisation: from a point of the sampler's space to config values.

The sampler works on a vector z, one coordinate per spec parameter. A coordinate's prior is
- `normal` (`prior_sd`, centred on `prior_mean`), truncated to the parameter's [low, high];
- `beta` (`prior_beta: [a, b]`, for shares), truncated to [low, high];
- `uniform` on [low, high] otherwise; an integer key is uniform over its whole values (z lives in
  [low - 0.5, high + 0.5] and is rounded).

**Sum to zero.** The keys listed under `sum_to_zero` (the team attractivenesses) enter the model as
deviations from their mean, z_k - mean(z): adding c to the handover intercept and subtracting c from
every attractiveness gives the same simulation, so without the constraint the data cannot see
that direction and only the priors decide along it (issue found by the calibration's review). With
it, the intercept is the level of handover and the attractivenesses are contrasts between teams; the
mean of the z's is a direction of the sampler's space the likelihood does not see, and its
posterior is its prior (harmless: no config value depends on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.workflows.calibration.spec import Parameter, Spec


@dataclass(frozen=True)
class Prior:
    """The prior and the map to config values of a spec's parameters."""

    parameters: tuple[Parameter, ...]
    centred: np.ndarray  # bool per parameter: in the sum-to-zero group

    @classmethod
    def of(cls, spec: Spec) -> Prior:
        return cls(spec.parameters, np.array([p.key in spec.sum_to_zero for p in spec.parameters], dtype=bool))

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]

    @property
    def dim(self) -> int:
        return len(self.parameters)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The box of z (integers widened by half a step, so each whole value is equally likely)."""
        low = np.array([p.low - 0.5 if p.integer else p.low for p in self.parameters])
        high = np.array([p.high + 0.5 if p.integer else p.high for p in self.parameters])
        return low, high

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` draws of z from the prior (n × dim)."""
        low, high = self.bounds()
        out = np.empty((n, self.dim))
        for j, p in enumerate(self.parameters):
            if p.prior == "normal":
                a, b = (low[j] - p.prior_mean) / p.prior_sd, (high[j] - p.prior_mean) / p.prior_sd
                out[:, j] = stats.truncnorm.rvs(a, b, loc=p.prior_mean, scale=p.prior_sd, size=n, random_state=rng)
            elif p.prior == "beta":
                lo, hi = stats.beta.cdf([low[j], high[j]], *p.prior_beta)
                out[:, j] = stats.beta.ppf(rng.uniform(lo, hi, size=n), *p.prior_beta)
            else:
                out[:, j] = rng.uniform(low[j], high[j], size=n)
        return out

    def log_density(self, z: np.ndarray) -> np.ndarray:
        """Log prior density of each row of z, up to a constant; -inf outside the box."""
        z = np.atleast_2d(z)
        low, high = self.bounds()
        out = np.where(np.all((z >= low) & (z <= high), axis=1), 0.0, -np.inf)
        for j, p in enumerate(self.parameters):
            if p.prior == "normal":
                out = out - 0.5 * ((z[:, j] - p.prior_mean) / p.prior_sd) ** 2
            elif p.prior == "beta":
                inside = (z[:, j] > 0) & (z[:, j] < 1)
                out = out + np.where(inside, stats.beta.logpdf(np.clip(z[:, j], 1e-12, 1 - 1e-12), *p.prior_beta),
                                     -np.inf)
        return out

    def centre(self, z: np.ndarray) -> np.ndarray:
        """Rows of z (copied) with the sum-to-zero group's mean removed: the direction no config value
        depends on."""
        v = np.array(np.atleast_2d(z), dtype=float)
        if self.centred.any():
            v[:, self.centred] -= v[:, self.centred].mean(axis=1, keepdims=True)
        return v

    def values(self, z: np.ndarray) -> np.ndarray:
        """Config values of each row of z: the sum-to-zero group centred, integers rounded."""
        v = self.centre(z)
        for j, p in enumerate(self.parameters):
            if p.integer:
                v[:, j] = np.clip(np.round(v[:, j]), p.low, p.high)
        return v

    def prior_sd(self, rng: np.random.Generator | None = None, n: int = 20_000) -> np.ndarray:
        """The prior sd of each config value (by Monte Carlo: the centring and truncation change it)."""
        rng = rng or np.random.default_rng(0)
        return self.values(self.sample(rng, n)).std(axis=0)


def names(keys: Sequence[str]) -> list[str]:
    """Short names of dotted keys for tables and figures (the last two parts)."""
    return [".".join(k.split(".")[-2:]) if k.startswith("city.") else k for k in keys]
