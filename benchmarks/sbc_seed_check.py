"""Does a simulation-based calibration table's posterior move with the calibration's own random
numbers? For synthetic tables of benchmarks/sbc_calibration.py (same truths and reports), calibrate
again with other `run.seed`s (common random numbers: every particle of one calibration shares them)
and compare each parameter's posterior mean across seeds with its posterior sd. If the means move by
about their sd or more, the posterior's width leaves out the likelihood's Monte Carlo error.
`--min-moves/--max-moves/--proposal` change the sampler's moves instead (does a posterior that
misses its truth move towards it when the particles are moved longer?).

    .venv/bin/python benchmarks/sbc_seed_check.py [--tables 0 2] [--seeds 1 2] [--particles 200]
                                                  [--replications 10] [--n-jobs 1] [--out results/sbc_seeds]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.calibrate import FORCED, PRIORS
from sim.workflows.calibration import sbc, smc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.calibration.prior import Prior
from sim.workflows.compose import compose
from sim.workflows.params import apply


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", type=int, nargs="+", default=[0, 2])
    p.add_argument("--seeds", type=int, nargs="*", default=[1, 2])
    p.add_argument("--min-moves", type=int, default=smc.Settings.min_moves)
    p.add_argument("--max-moves", type=int, default=smc.Settings.max_moves)
    p.add_argument("--proposal", default=smc.Settings.proposal, choices=["independent", "walk"])
    p.add_argument("--particles", type=int, default=200)
    p.add_argument("--replications", type=int, default=10)
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("results/sbc_seeds"))
    args = p.parse_args()
    base = compose([PRIORS, *FORCED, f"run.n_jobs={args.n_jobs}"])
    spec = specs.load("copenhagen", base, st.summary_columns(base))
    prior = Prior.of(spec)
    settings = smc.Settings(particles=args.particles, min_moves=args.min_moves, max_moves=args.max_moves,
                            proposal=args.proposal)
    rows = []
    for index in args.tables:
        _, truth, synthetic = sbc.table(base, spec, prior, index)
        for seed in [base.run.seed, *args.seeds]:
            cfg = apply(base, {"run.seed": seed})
            folder = args.out / f"table_{index:03d}_seed_{seed}"
            _, state = st.fit(cfg, synthetic, settings, args.replications, folder, [f"run.seed={seed}"])
            draws = st.posterior(prior, state)
            ranks = sbc.ranked(index, prior.keys, truth[prior.keys].to_numpy(float)[0],
                               draws[prior.keys].to_numpy(float), sbc.ties(index))
            rows += [{"seed": seed, **row, "mean": float(draws[row["parameter"]].mean()),
                      "sd": float(draws[row["parameter"]].std())} for row in ranks]
            print(f"table {index}, seed {seed} done", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "seeds.csv", index=False)
    spread = table.groupby(["table", "parameter"]).agg(truth=("truth", "first"), mean_sd_across_seeds=("mean", "std"),
                                                         posterior_sd=("sd", "mean"))
    spread["ratio"] = spread.mean_sd_across_seeds / spread.posterior_sd
    if not args.seeds:  # one seed: the posterior means and sds themselves
        print(table.round(3).to_string(index=False))
        return
    print(spread.round(3).to_string())
    ratio = round(float(spread.ratio.median()), 2)
    print("median ratio (sd of the posterior mean across seeds / posterior sd):", ratio)


if __name__ == "__main__":
    main()
