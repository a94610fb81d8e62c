"""Is the calibration's data model right at a simulation-based calibration table's truth? For the
truths of benchmarks/sbc_calibration.py's tables, compare what the likelihood assumes (the mean of
`--replications` replications on the calibration's common random numbers, their variance plus the
stated discrepancy) with what reports at that truth look like (`--reports` synthetic reports, each
on its own random numbers, made as the SBC makes them). Reports' sd over the assumed sd near 1 and
mean offsets near 0 (in assumed sds) say the data model fits there. Also writes the targets'
correlation over `--correlation-replications` replications at the shipped posterior's median
(conf/params/ensemble/copenhagen.csv): the likelihood scores the targets as independent.

    .venv/bin/python benchmarks/sbc_data_model_check.py [--tables 2 0] [--reports 60] [--out results/sbc_checks]
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
from sim.workflows.calibration.prior import Prior
from sim.workflows.compose import compose

REPORT_SEED = 7_000_000  # the reports' random numbers: neither the calibration's nor the SBC's


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", type=int, nargs="+", default=[2, 0])
    p.add_argument("--reports", type=int, default=60)
    p.add_argument("--replications", type=int, default=10)
    p.add_argument("--correlation-replications", type=int, default=300)
    p.add_argument("--out", type=Path, default=Path("results/sbc_checks"))
    args = p.parse_args()
    base = compose([PRIORS, *FORCED, "run.n_jobs=1"])
    spec = specs.load("copenhagen", base, st.summary_columns(base))
    prior = Prior.of(spec)
    rows = []
    for index in args.tables:
        _, truth = sbc.truth(prior, index)
        sims = st.simulated(st.calibration_base(base, spec, args.replications), spec.targets, truth)
        reports = pd.DataFrame([sbc.synthetic_report(base, spec, truth, REPORT_SEED + k) for k in range(args.reports)])
        for t in spec.targets:
            x = sims[t.name][0]
            mean, sd = x.mean(), np.sqrt(x.var(ddof=1) + (spec.discrepancy * x.mean()) ** 2)
            r = reports[t.name]
            rows.append({"table": index, "target": t.name, "assumed_mean": mean, "reports_mean": r.mean(),
                         "assumed_sd": sd, "reports_sd": r.std(), "z_mean": (r.mean() - mean) / sd})
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "data_model.csv", index=False)
    print(table.round(2).to_string(index=False))
    ratio = (table.reports_sd / table.assumed_sd).groupby(table.table).median()
    print("median reports sd / assumed sd per table:", ratio.round(2).to_dict())
    print("mean |offset| in assumed sds per table:", table.z_mean.abs().groupby(table.table).mean().round(2).to_dict())
    draws = pd.read_csv(Path(__file__).resolve().parents[1] / "conf" / "params" / "ensemble" / "copenhagen.csv")
    median = pd.DataFrame([st.median_values(prior, draws[prior.keys])])
    sims = st.simulated(st.calibration_base(base, spec, args.correlation_replications), spec.targets, median)
    names = [t.name for t in spec.targets]
    corr = pd.DataFrame(np.corrcoef(np.stack([sims[n][0] for n in names])), index=names, columns=names)
    corr.to_csv(args.out / "correlation.csv")
    off = corr.to_numpy()[~np.eye(len(names), dtype=bool)]
    print(f"targets' correlation at the posterior median: mean {off.mean():.2f}, "
          f"from {off.min():.2f} to {off.max():.2f}")


if __name__ == "__main__":
    main()
