"""Where does each simulation-based calibration table's truth sit in its own posterior? For every
table of a `benchmarks/sbc_calibration.py` output folder, score the truth with the calibration's own
likelihood (same replications, same random numbers) and rank it among the posterior draws by
log-likelihood and by log-posterior. If the method is right the truth is just another draw: both
ranks are uniform over the tables, and so is its rank by prior density alone. A truth ranked below
(nearly) every draw means the likelihood itself prefers somewhere else; the row that costs the
truth most says where.

    .venv/bin/python benchmarks/sbc_truth_check.py --sbc results/sbc [--set KEY=VALUE ...]
                                                   [--out results/sbc_checks/truth_rank.csv]

`--set` must repeat the overrides the SBC ran with (its budget.txt names them). `--seed` and
`--replications` score the truth and the draws alike on other random numbers or more replications:
does the truth's disadvantage belong to the calibration's random numbers, or to its 10 replications?
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate import FORCED, PRIORS
from sim.workflows.calibration import sbc, smc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.calibration.prior import Prior
from sim.workflows.compose import compose
from sim.workflows.params import apply


def centred_log_prior(prior: Prior, z: np.ndarray) -> np.ndarray:
    """The log prior density of z with the sum-to-zero keys' mean removed (a direction only the
    prior sees: its noise would blur the rank)."""
    return prior.log_density(prior.centre(z))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sbc", type=Path, required=True)
    ap.add_argument("--replications", type=int, default=10,
                    help="replications per set (the SBC's own: 10); others re-score the draws too")
    ap.add_argument("--seed", type=int, default=None,
                    help="run.seed of the scoring (default: the calibration's own random numbers)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--out", type=Path, default=Path("results/sbc_checks/truth_rank.csv"))
    args = ap.parse_args()
    base = compose([PRIORS, *FORCED, "run.n_jobs=1", *args.set])
    spec = specs.load("copenhagen", base, st.summary_columns(base))
    prior = Prior.of(spec)
    k = len(spec.targets)
    rows = []
    for folder in sorted(args.sbc.glob("table_*")):
        index = int(folder.name.split("_")[1])
        state = smc.State.load(folder / st.STATE)
        truth_z, truth, synthetic = sbc.table(base, spec, prior, index)
        scoring = st.calibration_base(base, synthetic, args.replications)
        own = args.seed is None and args.replications == 10
        if args.seed is not None:
            scoring = apply(scoring, {"run.seed": args.seed})
        problem = st.Problem(scoring, synthetic, prior)
        if own:  # the draws' log-likelihoods are those the sampler computed
            ll, extra = problem.evaluate(truth)
            draws_ll, draws_pointwise = state.loglik, state.pointwise[:, :k]
        else:
            lls, extras = problem.evaluate(pd.concat([truth, st.posterior(prior, state)], ignore_index=True))
            ll, extra, draws_ll, draws_pointwise = lls[:1], extras[:1], lls[1:], extras[1:, :k]
        deficit = extra[0, :k] - np.median(draws_pointwise, axis=0)
        worst = int(np.argmin(deficit))
        log_post = draws_ll + state.log_prior
        rows.append({"table": index, "truth_loglik": ll[0], "draws_loglik_median": float(np.median(draws_ll)),
                     "loglik_rank": float(np.mean(draws_ll < ll[0])),
                     "logpost_rank": float(np.mean(log_post < ll[0] + prior.log_density(truth_z)[0])),
                     # by prior density alone (the centred keys' mean, which no config value depends
                     # on, left out): uniform too if the method is right
                     "prior_rank": float(np.mean(centred_log_prior(prior, state.z)
                                                 < centred_log_prior(prior, truth_z)[0])),
                     "worst_row": spec.targets[worst].name, "worst_row_deficit": float(deficit[worst])})
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"tables whose truth ranks below 10% of its draws by log-posterior: {int((table.logpost_rank < 0.1).sum())} "
          f"of {len(table)} (about {0.1 * len(table):.0f} if the method is right)")


if __name__ == "__main__":
    main()
