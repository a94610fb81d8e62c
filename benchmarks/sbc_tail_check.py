"""Does the calibration's data model describe the tails of the model's counts? At the truths of
benchmarks/sbc_calibration.py's tables, make `--reports` reports each (one replication each on fresh
random numbers, plus the discrepancy and rounding, as the SBC makes its synthetic report) and place
each in the distribution the likelihood assumes there (`likelihood.reported_count` on the
calibration's `--replications` replications at the truth): its mid-PIT. If the data model is right,
a report falls in the likelihood's outer 1% (PIT below 0.005 or above 0.995) about 1% of the time;
far more often means the model's counts have tails the likelihood does not see, and a report from
such a tail drags the posterior away from the truth. Per team row it also notes how often the team
(every listed team of the row) had closed by the target week, whether the outer reports came from
those replications, and how many sister teams had opened on average, overall and in the
replications with the lowest 5% of counts; and the row's variance as the likelihood takes it (its
replications' plus the discrepancy) over the model's (the reports' replications): an inverse above 1
on average means the likelihood is sharper than the model.

    .venv/bin/python benchmarks/sbc_tail_check.py [--tables 20] [--reports 300] [--out results/sbc_checks]
                                                 [--set team.closure_patience_weeks=1000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate import FORCED, PRIORS
from sim.workflows.calibration import sbc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.calibration.likelihood import reported_count
from sim.workflows.calibration.prior import Prior
from sim.workflows.calibration.targets import Observed
from sim.workflows.compose import compose
from sim.workflows.params import apply
from sim.workflows.simulate import simulate

REPORT_SEED = 7_100_000  # the reports' random numbers: neither the calibration's nor the SBC's
OUTER = 0.005  # each side: the likelihood's outer 1%


def mid_pit(reports: np.ndarray, rounded: int, x: np.ndarray, discrepancy: float) -> np.ndarray:
    """P(R < r) + P(R = r)/2 for each report r, R the report the likelihood expects from replications x."""
    top = int(max(reports.max(), x.max() * (1 + 6 * discrepancy) + 10 * np.sqrt(x.max() + 1))) + rounded
    grid = np.arange(0, top + rounded, rounded, dtype=float)
    p = np.exp([reported_count(r, x[None, :], rounded, discrepancy)[0] for r in grid])
    cdf = np.cumsum(p) - p
    at = np.searchsorted(grid, reports)
    return cdf[at] + p[at] / 2


def variance(x: np.ndarray, discrepancy: float) -> float:
    """A row's variance as the likelihood takes it: the replications' own, plus the discrepancy's."""
    return float(x.var(ddof=1) + (discrepancy * x.mean()) ** 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tables", type=int, default=20)
    ap.add_argument("--reports", type=int, default=300)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("results/sbc_checks"))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a config override for the truths and the likelihood alike (a knock-out check)")
    args = ap.parse_args()
    base = compose([PRIORS, *FORCED, "run.n_jobs=1", *args.set])
    spec = specs.load("copenhagen", base, st.summary_columns(base))
    prior = Prior.of(spec)
    rows = []
    for index in range(args.tables):
        _, truth = sbc.truth(prior, index)
        assumed = st.simulated(st.calibration_base(base, spec, args.replications), spec.targets, truth)
        fresh_cfg = apply(st.calibration_base(base, spec, args.reports), {"run.seed": REPORT_SEED + index})
        results = simulate(fresh_cfg, values=pd.concat([truth] * args.reports, ignore_index=True))
        observed, teams = Observed(results), results.teams
        noise = np.random.default_rng(np.random.SeedSequence(REPORT_SEED, spawn_key=(index,)))
        for t in spec.targets:
            x = observed.total(t.metrics, t.at_week)
            listed = [m.team for m in t.metrics if m.source == "team"]
            mine = teams[teams.team.isin(listed)]
            every_closed = (mine.closed_week <= t.at_week).groupby(mine.replication).all()
            shut = every_closed.reindex(observed.replications, fill_value=False).to_numpy(bool)
            family = teams[teams.team.str.split("#").str[0].isin(listed)]  # the listed teams and their sisters
            sisters = (family.groupby("replication").size() - len(listed)).reindex(observed.replications,
                                                                                   fill_value=0).to_numpy()
            low = x <= np.quantile(x, 0.05)
            reports = st.reported(t, x, np.full_like(x, x.mean()), spec.discrepancy, noise)
            pit = mid_pit(reports, t.rounded, assumed[t.name][0], spec.discrepancy)
            outer = (pit < OUTER) | (pit > 1 - OUTER)
            rows.append({"table": index, "target": t.name, "model_mean": x.mean(), "model_median": np.median(x),
                         "model_q01": np.quantile(x, 0.01), "assumed_mean": assumed[t.name][0].mean(),
                         # the row's variance (plus the discrepancy) from the likelihood's replications
                         # over that of the model (all of the reports' replications)
                         "variance_ratio": variance(assumed[t.name][0], spec.discrepancy)
                         / variance(x, spec.discrepancy),
                         "closed_share": shut.mean() if listed else np.nan,
                         "closed_count_median": np.median(x[shut]) if shut.any() else np.nan,
                         "sisters_mean": sisters.mean() if listed else np.nan,
                         "sisters_mean_lowest_5pc": sisters[low].mean() if listed else np.nan,
                         "low_tail": np.mean(pit < OUTER), "high_tail": np.mean(pit > 1 - OUTER),
                         "outer_closed": np.sum(outer & shut), "outer_open": np.sum(outer & ~shut)})
        print(f"table {index} done", flush=True)
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "tails.csv", index=False)
    outer = table.low_tail + table.high_tail
    print(f"reports in the likelihood's outer 1%: {outer.mean():.1%} (low {table.low_tail.mean():.1%}, "
          f"high {table.high_tail.mean():.1%}); rows above 5%: {int((outer > 0.05).sum())} of {len(table)}")
    print(f"replications whose team closed by the target week: {table.closed_share.mean():.1%} "
          f"(their median count {table.closed_count_median.median():.0f}); of the reports in the outer 1%, "
          f"{table.outer_closed.sum() / (table.outer_closed.sum() + table.outer_open.sum()):.0%} come from them")
    print(f"the likelihood's row variance over the model's: median {table.variance_ratio.median():.2f}, "
          f"its inverse {np.mean(1 / table.variance_ratio):.2f} on average")
    print(f"sister teams opened per team row: {table.sisters_mean.mean():.2f} on average, "
          f"{table.sisters_mean_lowest_5pc.mean():.2f} in the replications with the lowest 5% of counts")
    print(table.assign(outer=outer).sort_values("outer", ascending=False).head(15).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
