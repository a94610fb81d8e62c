"""Simulation-based calibration of the shipped calibration method (sim.workflows.calibration.sbc).

    .venv/bin/python benchmarks/sbc_calibration.py [--tables 20] [--particles 100] [--replications 10]
                                                   [--n-jobs 2] [--out results/sbc]
                                                   [--set team.closure_patience_weeks=1000]

Each synthetic table is made by the model at a truth drawn from the copenhagen spec's prior and
calibrated with the shipped method (tempered SMC, same data model) at a smaller budget than the
default calibration (stated in the output). Resumable: tables already in OUT/sbc.csv are kept.
Writes OUT/sbc.csv (per table and parameter: truth, rank, covered), OUT/coverage.csv and
OUT/sbc.png (rank histograms and coverage with their binomial ranges); docs/calibration.md shows them.
`--set KEY=VALUE` changes the model for the truths and the calibrations alike: a knock-out check of
what makes coverage fail (e.g. no early closures of small teams).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.calibrate import FORCED, PRIORS  # noqa: E402
from sim.workflows.calibration import sbc, smc  # noqa: E402
from sim.workflows.calibration import spec as specs  # noqa: E402
from sim.workflows.calibration.prior import names  # noqa: E402
from sim.workflows.calibration.study import summary_columns  # noqa: E402
from sim.workflows.compose import compose  # noqa: E402


def figure(results: pd.DataFrame, table: pd.DataFrame, budget: str) -> plt.Figure:
    """Rank histograms (one small panel per parameter) and the 50%/90% coverage with binomial ranges."""
    keys = list(table.parameter)
    cols = 6
    rows = int(np.ceil(len(keys) / cols)) + 1
    fig = plt.figure(figsize=(2.2 * cols, 1.6 * rows + 1))
    for i, key in enumerate(keys):
        ax = fig.add_subplot(rows, cols, i + 1)
        part = results[results.parameter == key]
        ax.hist(part["rank"] / part["draws"], bins=5, range=(0, 1), color="tab:blue")
        ax.axhline(len(part) / 5, color="grey", ls=":")
        ax.set_title(names([key])[0], fontsize=6)
        ax.tick_params(labelsize=5)
    ax = fig.add_subplot(rows, 1, rows)
    x = np.arange(len(keys))
    for level, colour in ((50, "tab:orange"), (90, "tab:green")):
        ax.scatter(x, table[f"cover_{level}"], color=colour, s=12, label=f"{level}% interval covers the truth")
        bounds = np.array([[float(v) for v in r.strip("[]").split(",")] for r in table[f"range_{level}"]])
        ax.fill_between(x, bounds[:, 0], bounds[:, 1], color=colour, alpha=0.15, step="mid")
    ax.set_xticks(x, names(keys), rotation=60, ha="right", fontsize=5)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=6, loc="lower left")
    fig.suptitle(f"Simulation-based calibration: {len(results.table.unique())} synthetic tables ({budget}); "
                 "ranks should be flat, coverage inside its band", fontsize=8)
    fig.tight_layout()
    return fig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", type=int, default=20)
    p.add_argument("--particles", type=int, default=100)
    p.add_argument("--replications", type=int, default=10)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--spec", default="copenhagen")
    p.add_argument("--out", default="results/sbc")
    p.add_argument("--proposal", default=smc.Settings.proposal, choices=["independent", "walk"])
    p.add_argument("--min-moves", type=int, default=smc.Settings.min_moves)
    p.add_argument("--max-moves", type=int, default=smc.Settings.max_moves)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a config override for the truths and the calibrations alike (a knock-out check)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    base = compose([PRIORS, *FORCED, f"run.n_jobs={args.n_jobs}", *args.set])
    spec = specs.load(args.spec, base, summary_columns(base))
    settings = smc.Settings(particles=args.particles, proposal=args.proposal, min_moves=args.min_moves,
                            max_moves=args.max_moves)
    budget = f"{args.particles} particles × {args.replications} replications each" + "".join(
        f", {o}" for o in args.set)
    if (args.proposal, args.min_moves, args.max_moves) != (smc.Settings.proposal, smc.Settings.min_moves,
                                                           smc.Settings.max_moves):
        budget += f", {args.proposal} proposal, {args.min_moves}–{args.max_moves} moves per step"
    start = time.perf_counter()
    results = sbc.run(base, spec, args.tables, settings, args.replications, out,
                      on_table=lambda i: print(f"table {i + 1}/{args.tables} done, "
                                               f"{(time.perf_counter() - start) / 60:.1f} min", file=sys.stderr))
    table = sbc.coverage(results)
    table.to_csv(out / "coverage.csv", index=False)
    fig = figure(results, table, budget)
    fig.savefig(out / "sbc.png", dpi=130)
    (out / "budget.txt").write_text(f"{budget}; spec {spec.name} {spec.digest}; "
                                    f"{(time.perf_counter() - start) / 60:.1f} min this run\n")
    print(table.to_string(index=False))
    print(f"within binomial error: {int(table.within.sum())} of {len(table)} parameters")


if __name__ == "__main__":
    main()
