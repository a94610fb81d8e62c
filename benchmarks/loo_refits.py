"""Leave-one-out by refitting, where PSIS cannot stand in for a refit (Pareto k̂ > 0.7).

    .venv/bin/python benchmarks/loo_refits.py CALIBRATION [--particles 200] [--replications 10]
                                              [--predictive 10] [--n-jobs 2] [--all] [--out results/loo]

CALIBRATION is a `sim.calibrate` folder (its fit.csv gives each target's PSIS Pareto k̂). For every
target whose k̂ is above 0.7 (every target with --all), the spec is calibrated again without it, with
the shipped method at the stated budget (sim.workflows.calibration.study.leave_out), and the left-out
target is predicted from that posterior: the 95% posterior-predictive interval on fresh random
numbers with the report's discrepancy and rounding, exactly as the predictive check. Resumable: every
refit keeps its sampler state in OUT/<target>/, and finished targets in OUT/loo_refits.csv are kept.
Writes OUT/loo_refits.csv (per target: observed, the PSIS interval and k̂, the refit's interval, inside
or not, the refit's diagnostics and minutes); docs/calibration.md quotes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from sim.calibrate import FORCED, PREDICTIVE_SEED, PRIORS
from sim.present.calibration import fit_table
from sim.workflows.calibration import smc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.compose import compose

K_HAT = 0.7  # above it PSIS-LOO's importance weights are unreliable (Vehtari et al. 2024)


def refit(base, spec: specs.Spec, name: str, settings: smc.Settings, replications: int, predictive: int,
          out: Path) -> dict:
    """Calibrate without target `name`, predict it; its row of loo_refits.csv."""
    held = st.leave_out(spec, name)
    start = time.perf_counter()
    prior, state = st.fit(base, held, settings, replications, out / name)
    draws = st.posterior(prior, state)
    fit = fit_table(held, st.predictive(base, held, draws, predictive, PREDICTIVE_SEED)).set_index("name")
    diagnostics = smc.final_diagnostics(state)
    row = fit.loc[name]
    return {"name": name, "observed": row.observed, "refit_mean": row["mean"], "refit_low": row.low,
            "refit_high": row.high, "refit_inside": bool(row.inside), "ess": diagnostics["ess"],
            "distinct": diagnostics["distinct"], "minutes": (time.perf_counter() - start) / 60}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("calibration", type=Path, help="a sim.calibrate output folder (its fit.csv)")
    p.add_argument("--particles", type=int, default=200)
    p.add_argument("--replications", type=int, default=10)
    p.add_argument("--predictive", type=int, default=10)
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--spec", default="copenhagen")
    p.add_argument("--all", action="store_true", help="refit every target, not only those with k̂ > 0.7")
    p.add_argument("--out", type=Path, default=Path("results/loo"))
    args = p.parse_args()
    fit_file = args.calibration / "fit.csv"
    if not fit_file.is_file():
        sys.exit(f"{fit_file}: not found (give a sim.calibrate output folder)")
    shipped = pd.read_csv(fit_file)
    shipped = shipped[shipped.kind == "target"].set_index("name")
    names = list(shipped.index if args.all else shipped.index[shipped.pareto_k > K_HAT])
    args.out.mkdir(parents=True, exist_ok=True)
    table_file = args.out / "loo_refits.csv"
    done = pd.read_csv(table_file) if table_file.is_file() else pd.DataFrame(columns=["name"])
    base = compose([PRIORS, *FORCED, f"run.n_jobs={args.n_jobs}"])
    spec = specs.load(args.spec, base, st.summary_columns(base))
    settings = smc.Settings(particles=args.particles)
    rows = done.to_dict("records")
    start = time.perf_counter()
    for i, name in enumerate(names):
        if name in set(done["name"]):
            continue
        row = refit(base, spec, name, settings, args.replications, args.predictive, args.out)
        row.update(psis_low=shipped.loc[name, "loo_low"], psis_high=shipped.loc[name, "loo_high"],
                   pareto_k=shipped.loc[name, "pareto_k"], particles=args.particles, replications=args.replications)
        rows.append(row)
        pd.DataFrame(rows).to_csv(table_file, index=False)
        print(f"{name}: observed {row['observed']:g}, refit 95% [{row['refit_low']:g}, {row['refit_high']:g}] "
              f"({'inside' if row['refit_inside'] else 'outside'}); {i + 1}/{len(names)}, "
              f"{(time.perf_counter() - start) / 60:.1f} min", file=sys.stderr)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(f"inside their refit leave-one-out interval: {int(table.refit_inside.sum())} of {len(table)} "
          f"(k̂ > {K_HAT}: {len(names)} of {len(shipped)} targets)")


if __name__ == "__main__":
    main()
