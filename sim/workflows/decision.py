"""Decisions under uncertainty: net benefit, acceptability and the value of information (docs/decision.md).

Usable on any table of draws: one row per draw (a parameter set drawn from the posterior and the
replication run with it), one column per plan. The same row of every plan must come from the same
draw (same parameters, same random numbers), as `sim.simulate` gives with a shared `run.seed`.

- `net_benefit(effects, costs, wtp)`: λ·effect − cost per draw and plan.
- `ceac(effects, costs, wtp)`: the probability each plan has the highest net benefit, per λ, and the
  acceptability frontier (the plan with the highest expected net benefit, and that probability).
- `evpi(nb)`: expected value of perfect information, E[max_k NB_k] − max_k E[NB_k].
- `evppi(nb, inputs)`: expected value of partial perfect information about some parameters, by
  nonparametric regression (Strong, Oakley & Brennan 2014), with a standard error.
- `evppi_groups(nb, inputs)`: EVPPI per group of parameters (`PARAMETER_GROUPS`).
- `population(value, citizens_per_year, years)`: a per-citizen value for everyone a decision affects.
- `predictive_range(x)`, `p_better(diff)`: the range of outcomes and the chance a plan is better,
  from paired draws (used by sim.workflows.analysis.decision_table).

Every value is in the net benefit's unit (DKK here) and per decision: per run of the plans, i.e.
for the citizens one run covers. References: Strong et al. 2014, Med Decis Making 34(3):311–326;
R packages BCEA (Baio), voi (Jackson) and dampack (Alarid-Escudero) compute the same quantities.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import NamedTuple

import numpy as np
import pandas as pd

Draws = np.ndarray | pd.DataFrame  # draws × plans
Values = np.ndarray | pd.Series | Sequence[float]

# Groups of uncertain parameters for EVPPI, as dotted config keys (sim/model/config.py; fnmatch
# patterns, `*` also crosses dots). A key belongs to the first group with a matching pattern, so
# `team.attractiveness` (which team a citizen chooses) is handover, not team supply. Calibrated
# today (conf/calibration/copenhagen.yaml): handover.intercept, .familiarity, .knows_instructor,
# city.teams.*.attractiveness (handover), team.open_threshold, team.sister_capacity and team.max_extra (team supply),
# intake.fill_share (intake).
PARAMETER_GROUPS: dict[str, tuple[str, ...]] = {
    # Whether a programme completer joins a club team, and which: the handover equation, how
    # familiarity builds up, the policies' own uptake (trial, parallel sessions, gift card).
    "handover": ("handover.*", "exposure.*", "team.attractiveness", "city.teams.*.attractiveness",
                 "baseline.trial_*", "vesterbro.parallel_*", "vanlose.redeem_*"),
    # Whether a member stays: lapse hazard, bonds, habits, facilities.
    "club retention": ("club.*", "city.associations.*.facility_quality"),
    # Whether there is a team to join and an instructor to lead it: capacity, sister teams, closures,
    # instructor turnover and replacement.
    "team supply": ("team.*", "city.teams.*.capacity", "city.teams.*.regulars", "instructor.*",
                    "city.associations.*.turnover_annual", "city.associations.*.replacement_weeks"),
    # The patient-association route to activity.
    "patient channel": ("patient.*", "city.associations.*.capacity"),
    # Unit costs and payments (DKK).
    "costs": ("costs.*", "economics.*", "vesterbro.price_session", "vanlose.card_value"),
    # Who starts and completes a programme: intake, the citizens' make-up, programme dropout and growth.
    "intake": ("intake.*", "citizen.*", "programme.*", "trial_cohorts", "city.centres.*"),
}


TIE = 1e-9  # net benefits this close (relative to the draw's largest |NB|) tie: λ·ΔE = ΔC up to rounding


class Estimate(NamedTuple):
    """A value with its standard error (unpacks as `value, se`)."""

    value: float
    se: float


def net_benefit(effects: Draws, costs: Draws, wtp: float) -> Draws:
    """Net monetary benefit λ·effect − cost per draw and plan (λ = `wtp`, the value of one unit of effect)."""
    return wtp * effects - costs


def evpi(net_benefit: Draws) -> float:
    """Expected value of perfect information per decision: E_draws[max_plan NB] − max_plan E_draws[NB].

    What removing all uncertainty would be worth: the expected gain from choosing the best plan in
    every draw instead of the one best on average. 0 for a single plan or when one plan is best in
    every draw. Its Monte Carlo error is about sd(max NB − NB of the chosen plan) / √draws.
    """
    nb = _matrix(net_benefit)
    return float(nb.max(axis=1).mean() - nb.mean(axis=0).max())


def ceac(effects: Draws, costs: Draws, wtp: float | Iterable[float],
         plans: Sequence[str] | None = None) -> pd.DataFrame:
    """The cost-effectiveness acceptability curve and frontier, one row per λ in `wtp`.

    Columns: one per plan, the probability over draws that it has the highest net benefit (a draw
    where plans tie for the highest, within rounding (`TIE`), counts 1/(number tied) for each, so a
    row sums to 1); `frontier`, the plan with the highest expected net benefit at that λ (the one to
    choose on current information; the first on a tie); `frontier_probability`, its probability of
    being best. Plan names: `plans`, else the DataFrame's columns, else 0, 1, …
    """
    e, c = _matrix(effects), _matrix(costs)
    wtp = [float(wtp)] if np.isscalar(wtp) else list(wtp)
    if e.shape != c.shape:
        raise ValueError(f"effects {e.shape} and costs {c.shape} must both be draws × plans")
    names = list(plans if plans is not None else _names(effects, e.shape[1]))
    if {"frontier", "frontier_probability"} & set(map(str, names)):
        raise ValueError("a plan cannot be named 'frontier' or 'frontier_probability'")
    rows = []
    for lam in wtp:
        nb = lam * e - c
        top_nb = nb.max(axis=1, keepdims=True)
        best = nb >= top_nb - TIE * np.abs(nb).max(axis=1, keepdims=True)
        share = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
        top = int(np.argmax(nb.mean(axis=0)))
        rows.append([*share, names[top], share[top]])
    table = pd.DataFrame(rows, columns=[*names, "frontier", "frontier_probability"], index=wtp)
    table.index.name = "wtp"
    return table


def evppi(net_benefit: Draws, inputs: pd.DataFrame | np.ndarray, *, method: str = "auto", reference: int = 0,
          correct_bias: bool = True, n_draws: int = 500, seed: int = 0) -> Estimate:
    """Expected value of partial perfect information about `inputs`, per decision, with its standard error.

    EVPPI(θ) = E_θ[max_k E(NB_k | θ)] − max_k E[NB_k]: what knowing θ exactly (but nothing else)
    would be worth. Strong, Oakley & Brennan (2014): regress each plan's net benefit minus the
    `reference` plan's (the reference's is 0) on the parameters, g_k(θ) = E(INB_k | θ), and average:
    mean_n max_k ĝ_k(θ_n) − max_k mean_n ĝ_k(θ_n). `inputs`: the parameters' values per draw (rows
    aligned with `net_benefit`'s; columns that do not vary are left out). `method`: "gam", "gp" or
    "auto" (GAM up to two parameters, Gaussian process beyond; sim.workflows.smoothers).

    Standard error: the regression's (the sd of the EVPPI of `n_draws` fitted-value vectors drawn
    from the smoother's posterior, Strong et al. 2014) combined with the Monte Carlo error of
    averaging over the draws (sd_n(max_k ĝ_k − ĝ_k*) / √n): √(se_regression² + se_mc²).

    Bias: a max over noisy fitted values is biased upwards, most with many parameters and noisy net
    benefits (on the benchmark's 19-parameter group by 4–7 standard errors). With `correct_bias`
    the value is the estimate minus an estimate of that bias, as SAVI computes it (Strong et al.
    2014): the mean EVPPI of the posterior draws minus the estimate. It can then fall a little below
    0 where the truth is 0;
    `correct_bias=False` gives the plain estimate, as R's voi and BCEA report it.
    """
    nb = _matrix(net_benefit)
    x = np.asarray(inputs, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    if len(x) != len(nb):
        raise ValueError(f"inputs have {len(x)} rows, net benefit {len(nb)} draws")
    if np.isnan(x).any():
        raise ValueError("inputs contain NaN")
    x = x[:, x.std(axis=0) > 0]
    if nb.shape[1] < 2 or x.shape[1] == 0:
        return Estimate(0.0, 0.0)
    from threadpoolctl import threadpool_limits

    from sim.workflows import smoothers  # scipy.optimize and pygam load here, not on `from sim import decision`

    if method == "auto":
        method = smoothers.choose(x.shape[1])
    if method not in smoothers.SMOOTHERS:
        raise ValueError(f"method {method!r}: use 'auto', 'gam' or 'gp'")
    rng = np.random.default_rng(seed)
    inb = nb - nb[:, [reference]]
    fitted = np.zeros(nb.shape)
    sampled = np.zeros((n_draws, *nb.shape))
    with threadpool_limits(1):  # matrices of ~1000²: threads only thrash on a busy 2-core machine (10x slower)
        for k in range(nb.shape[1]):
            if k == reference:
                continue
            if np.ptp(inb[:, k]) == 0:  # the same net benefit gain in every draw: nothing to regress (identical plans)
                fitted[:, k], sampled[:, :, k] = inb[:, k], inb[:, k]
            else:
                fitted[:, k], sampled[:, :, k] = smoothers.SMOOTHERS[method](x, inb[:, k], n_draws, rng)
    value, replicates = _partial(fitted), _partials(sampled)
    if correct_bias:
        value -= replicates.mean() - value
    chosen = int(np.argmax(fitted.mean(axis=0)))
    mc = (fitted.max(axis=1) - fitted[:, chosen]).std(ddof=1) / np.sqrt(len(fitted))
    return Estimate(float(value), float(np.hypot(replicates.std(ddof=1), mc)))


def evppi_groups(net_benefit: Draws, inputs: pd.DataFrame,
                 groups: Mapping[str, Sequence[str]] = PARAMETER_GROUPS, **options: object) -> pd.DataFrame:
    """EVPPI per group of parameters (`parameter_groups` of `inputs`' columns), largest first.

    Columns: group, parameters (how many of the group's keys vary in `inputs`), evppi, se (as
    `evppi`, which gets `options`). Groups with no varying column are left out.
    """
    rows = []
    for name, keys in parameter_groups(inputs.columns, groups).items():
        varying = [k for k in keys if inputs[k].nunique() > 1]
        if varying:
            rows.append((name, len(varying), *evppi(net_benefit, inputs[varying], **options)))
    table = pd.DataFrame(rows, columns=["group", "parameters", "evppi", "se"])
    return table.sort_values("evppi", ascending=False, ignore_index=True)


def parameter_groups(columns: Iterable[str], groups: Mapping[str, Sequence[str]] = PARAMETER_GROUPS
                     ) -> dict[str, list[str]]:
    """Which of `columns` (dotted config keys) belong to each group: the first group with a matching
    pattern takes a key; keys matching no group are left out; groups matching nothing too."""
    out: dict[str, list[str]] = {}
    for column in columns:
        name = next((g for g, patterns in groups.items() if any(fnmatchcase(column, p) for p in patterns)), None)
        if name is not None:
            out.setdefault(name, []).append(column)
    return {name: out[name] for name in groups if name in out}


def population(value: float, citizens_per_year: float, years: int, discount_rate: float = 0.0) -> float:
    """A per-citizen value (EVPI or EVPPI divided by the citizens one run covers) for everyone the
    decision affects: value × Σ_{t<years} citizens_per_year / (1 + discount_rate)^t."""
    return float(value * citizens_per_year * sum((1 + discount_rate) ** -t for t in range(years)))


def predictive_range(values: Values, level: float = 0.9) -> tuple[float, float]:
    """The central `level` range of the values themselves (NaN left out): where that share of
    outcomes fall, e.g. of a plan over parameter draws and replications. Not the precision of a
    mean: it does not shrink with more draws."""
    x = _finite(values)
    if len(x) == 0:
        return np.nan, np.nan
    low, high = np.quantile(x, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def p_better(differences: Values, higher_is_better: bool = True) -> float:
    """The share of paired draws in which a plan does strictly better than the reference (NaN left
    out): difference > 0 when higher is better, < 0 when lower is (costs). Ties count as not better."""
    d = _finite(differences)
    if len(d) == 0:
        return np.nan
    return float(np.mean(d > 0 if higher_is_better else d < 0))


def _partial(fitted: np.ndarray) -> float:
    """mean_n max_k g_k − max_k mean_n g_k for fitted values (draws × plans)."""
    return float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())


def _partials(sampled: np.ndarray) -> np.ndarray:
    """`_partial` of each of many fitted-value matrices (samples × draws × plans) at once: the same
    reductions along the same axes, without a Python loop over the hundreds of samples."""
    return sampled.max(axis=2).mean(axis=1) - sampled.mean(axis=1).max(axis=1)


def _matrix(draws: Draws) -> np.ndarray:
    """Draws as a float array, draws × plans (a 1-D array is one plan)."""
    x = np.asarray(draws, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"expected draws × plans, got shape {x.shape}")
    if np.isnan(x).any():
        raise ValueError("draws contain NaN: drop or impute them first")
    return x


def _finite(values: Values) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[~np.isnan(x)]


def _names(draws: Draws, k: int) -> list:
    return list(draws.columns) if isinstance(draws, pd.DataFrame) else list(range(k))
