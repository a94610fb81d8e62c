"""Comparisons of runs, for `sim.compare` and notebooks: retention curves and paired differences.

Every interval is a 95% confidence interval of the mean over replications (`sim.model.metrics.interval`),
except in `decision_table`, whose ranges are predictive: where the outcomes themselves fall.
Scenarios run with the same `run.seed` share their citizens replication by replication (common
random numbers, sim/model/seeding.py), so a difference is taken per replication first and its interval
is that of the paired differences: narrower than two separate intervals wherever the scenarios'
replications stay correlated (identical scenarios differ by exactly 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.model.city import build_city
from sim.model.metrics import HEADLINE, handed_over, interval, retained, share, window_end
from sim.model.population import plan
from sim.model.results import Results
from sim.workflows.decision import p_better, predictive_range

CURVE_WEEKS = 52


def retention_by_replication(results: Results, weeks: int = CURVE_WEEKS) -> np.ndarray:
    """(replications, weeks + 1): share of starters in a sports team k weeks after their own
    programme end, k = 0..weeks, among those the horizon reaches (NaN if none); as `retention_Xw`."""
    citizens = results.citizens
    if citizens is None:
        raise UserError("retention curves need the per-citizen table: run with run.citizens_table=true")
    citizens = citizens.sort_values(["replication", "citizen"])
    n_reps = citizens["replication"].nunique()

    def column(name: str) -> np.ndarray:
        return citizens[name].to_numpy(dtype=float).reshape(n_reps, -1)

    start, handover, lapse = column("start_week"), column("handover_week"), column("lapse_week")
    cfg = results.config
    curve = np.full((n_reps, weeks + 1), np.nan)
    for k in range(weeks + 1):
        kept, counted = retained(handover, lapse, start, cfg.programme.weeks, cfg.run.horizon_weeks, k)
        curve[:, k] = share(kept.sum(axis=1), counted.sum(axis=1))
    return curve


def retention_curve(results: Results, weeks: int = CURVE_WEEKS) -> pd.DataFrame:
    """Mean retention curve with its 95% interval: columns week (since programme end), mean, ci_low, ci_high."""
    curve = retention_by_replication(results, weeks)
    rows = [(k, *interval(curve[:, k])) for k in range(weeks + 1)]
    return pd.DataFrame(rows, columns=["week", "mean", "ci_low", "ci_high"])


def paired(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """`values` minus `reference` replication by replication (both indexed by replication), pairs
    with a NaN left out. Where both have the same (distinct) replications in the same order this is a plain
    array difference (the same numbers pandas' alignment gives, without its cost: a comparison
    takes hundreds of them)."""
    if values.index.is_unique and values.index.equals(reference.index):
        diff = values.to_numpy(float) - reference.to_numpy(float)
        return diff[~np.isnan(diff)]
    return (values - reference).dropna().to_numpy(float)


def comparison(
    summaries: Mapping[str, pd.DataFrame], reference: str, metrics: Sequence[str] = HEADLINE
) -> pd.DataFrame:
    """One row per metric and scenario: mean and 95% interval, and the paired difference to the
    reference scenario (NaN for the reference itself). Metrics missing in every scenario are left out."""
    rows = []
    by_replication = {name: s.set_index("replication") for name, s in summaries.items()}  # once, not per metric
    ref = by_replication[reference]
    for metric in metrics:
        if all(metric not in s or s[metric].isna().all() for s in summaries.values()):
            continue
        for name, summary in summaries.items():
            diff = (np.nan,) * 3 if name == reference else interval(paired(by_replication[name][metric], ref[metric]))
            rows.append((metric, name, *interval(summary[metric]), *diff))
    columns = ["metric", "scenario", "mean", "ci_low", "ci_high", "diff_mean", "diff_low", "diff_high"]
    return pd.DataFrame(rows, columns=columns)


def higher_is_better(metric: str) -> bool:
    """Direction of a metric for a planner: lower is better for costs (`cost_*`) and the wages a club
    pays (`club_wages_paid`); higher for everything else (citizens, rates, retention, club income)."""
    return not (metric.startswith("cost_") or metric == "club_wages_paid")


def decision_table(summaries: Mapping[str, pd.DataFrame], reference: str, metrics: Sequence[str] = HEADLINE,
                   level: float = 0.9) -> pd.DataFrame:
    """One row per metric and scenario: what a plan can produce and how likely it beats the reference.

    Ranges are predictive (sim.workflows.decision.predictive_range): the central `level` share of the
    replications' outcomes, over Monte Carlo noise and, in a run over the posterior (`run.uncertainty=
    ensemble`), the parameters' uncertainty too; they do not shrink with more replications. Columns:
    mean, range_low, range_high (the scenario's outcome); diff_mean, diff_range_low, diff_range_high
    (the scenario minus the reference, replication by replication: same parameter draw, same random
    numbers); p_better, p_worse (share of paired replications in which the scenario does strictly
    better / worse, by `higher_is_better`; ties are the rest); higher_is_better. NaN differences for
    the reference itself. Metrics missing in every scenario are left out.
    """
    rows = []
    by_replication = {name: s.set_index("replication") for name, s in summaries.items()}  # once, not per metric
    ref = by_replication[reference]
    for metric in metrics:
        if all(metric not in s or s[metric].isna().all() for s in summaries.values()):
            continue
        up = higher_is_better(metric)
        for name, summary in summaries.items():
            values = summary[metric].to_numpy(float)
            against = (np.nan,) * 5
            if name != reference:
                diff = paired(by_replication[name][metric], ref[metric])
                against = (_mean(diff), *predictive_range(diff, level), p_better(diff, up), p_better(diff, not up))
            rows.append((metric, name, _mean(values), *predictive_range(values, level), *against, up))
    columns = ["metric", "scenario", "mean", "range_low", "range_high", "diff_mean", "diff_range_low",
               "diff_range_high", "p_better", "p_worse", "higher_is_better"]
    return pd.DataFrame(rows, columns=columns)


def _mean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else np.nan


RATES_BY = ("handover_rate", "completer_retention_52w")


def rates_by(results: Results, by: str, quantiles: int = 5) -> pd.DataFrame:
    """Handover and 52-week retention of programme completers, per group of citizens.

    `by` is a column of the citizens table (`diagnosis`, `centre`) or `resourcefulness_quintile`
    (quantile groups of resourcefulness among all completers, 1 = least resourceful). Metrics, per
    replication, counting only completers whose outcome the horizon reaches (`sim.model.metrics.reached`):
    `handover_rate`, joined a sports team, of completers whose decision window has closed (as the
    headline metric); `completer_retention_52w`, a member 52 weeks after programme end, of completers
    (the headline `retention_52w` is a share of starters). Columns: group, metric, mean, ci_low,
    ci_high (95% interval over replications).
    """
    citizens = results.citizens
    if citizens is None:
        raise UserError("rates by group need the per-citizen table: run with run.citizens_table=true")
    cfg, horizon = results.config, results.config.run.horizon_weeks
    done = citizens[citizens["completed"]].copy()
    if by == "resourcefulness_quintile":
        done[by] = pd.qcut(done["resourcefulness"], quantiles, labels=range(1, quantiles + 1)).astype(int)
    elif by not in done:
        raise UserError(f"cannot group by {by!r}; allowed: resourcefulness_quintile, diagnosis, centre")
    start = done["start_week"].to_numpy()
    handover, lapse = done["handover_week"].to_numpy(dtype=float), done["lapse_week"].to_numpy(dtype=float)
    policy = plan(cfg, build_city(cfg)).policy[done["citizen"].to_numpy()]
    handed, counted = handed_over(True, window_end(cfg, start, policy), handover, horizon)  # completers only
    done["handover_rate"] = np.where(counted, handed, np.nan)
    kept, counted = retained(handover, lapse, start, cfg.programme.weeks, horizon, 52)
    done["completer_retention_52w"] = np.where(counted, kept, np.nan)
    per_rep = done.groupby([by, "replication"])[list(RATES_BY)].mean()  # NaN (not reached) left out
    rows = [
        (group, metric, *interval(values[metric]))
        for group, values in per_rep.groupby(level=0)
        for metric in RATES_BY
    ]
    return pd.DataFrame(rows, columns=["group", "metric", "mean", "ci_low", "ci_high"])


BOOTSTRAP = 2000


def incremental(summaries: Mapping[str, pd.DataFrame], reference: str, seed: int = 0, effect: str = "retained_52w",
                cost: str = "cost_municipality") -> pd.DataFrame:
    """Incremental cost per additional citizen retained, each scenario against the reference.

    Per replication r (the scenarios share seeds): ΔE_r = effect − the reference's, ΔC_r = cost −
    the reference's. The ratio is mean(ΔC) / mean(ΔE) (a ratio of means, not a mean of ratios); its
    95% interval is the percentile interval of the same ratio over `BOOTSTRAP` resamples of the
    replications (pairs kept together; a Generator seeded from `seed`). Where resampled ΔE takes
    both signs the ratio is unbounded and no interval is given. `verdict` says what the numbers
    mean: "costs more per extra citizen" (ΔE > 0, ΔC > 0), "saves money" (ΔE > 0, ΔC ≤ 0: more
    citizens for less), "dominated" (ΔE ≤ 0, ΔC ≥ 0: no more citizens, at no saving), "saves money,
    retains fewer" (ΔE < 0, ΔC < 0: the ratio is then DKK saved per citizen fewer). Columns:
    scenario, extra_<effect> / extra_cost as mean, low, high (95% intervals of the paired
    differences), cost_per_extra (the ratio), ratio_low, ratio_high, verdict.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(12,)))
    ref = summaries[reference].set_index("replication")
    rows = []
    for name, summary in summaries.items():
        if name == reference:
            continue
        mine = summary.set_index("replication")
        d_effect = (mine[effect] - ref[effect]).dropna()
        d_cost = (mine[cost] - ref[cost]).reindex(d_effect.index).to_numpy(float)
        d_effect = d_effect.to_numpy(float)
        e, c = d_effect.mean(), d_cost.mean()
        ratio, low, high = _ratio_interval(d_effect, d_cost, rng)
        rows.append((name, *interval(d_effect), *interval(d_cost), ratio, low, high, _verdict(e, c)))
    columns = ["scenario", f"extra_{effect}", f"extra_{effect}_low", f"extra_{effect}_high", "extra_cost",
               "extra_cost_low", "extra_cost_high", "cost_per_extra", "ratio_low", "ratio_high", "verdict"]
    return pd.DataFrame(rows, columns=columns)


def _ratio_interval(d_effect: np.ndarray, d_cost: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """mean(ΔC) / mean(ΔE) and its bootstrap percentile interval (NaN where unbounded)."""
    e = d_effect.mean()
    if e == 0:
        return np.nan, np.nan, np.nan
    ratio = d_cost.mean() / e
    pick = rng.integers(0, len(d_effect), size=(BOOTSTRAP, len(d_effect)))
    boot_e, boot_c = d_effect[pick].mean(axis=1), d_cost[pick].mean(axis=1)
    if not (np.all(boot_e > 0) or np.all(boot_e < 0)):
        return ratio, np.nan, np.nan  # the effect may be 0: the ratio has no upper bound
    low, high = np.percentile(boot_c / boot_e, [2.5, 97.5])
    return ratio, float(low), float(high)


def _verdict(d_effect: float, d_cost: float) -> str:
    if d_effect > 0:
        return "costs more per extra citizen" if d_cost > 0 else "saves money"
    if d_effect < 0 and d_cost < 0:
        return "saves money, retains fewer"
    return "dominated" if d_cost >= 0 else "saves money, retains no more"
