"""Regenerate the baselines, deliberately, after a model change you mean to make, and say why:

    python -m tests.engines.update_baseline --reason "the vector engine draws lapse clocks per team"
    python -m tests.engines.update_baseline --dry-run      # print the changes, write nothing

Two baselines of one small config (OVERRIDES: mixed policies, sister teams, closures, a paid
instructor), both in tests/engines/baseline/:

- the golden summaries (`summary_<engine>.csv`): 4 replications per engine, compared exactly by
  test_baseline.py: any change of behaviour or of the random draws shows;
- the statistical anchor (`anchor_vector.csv`): the mean and standard error of every summary column
  over ANCHOR_REPLICATIONS vector replications. test_baseline.py checks a fresh sample (another seed)
  against it within K standard errors, so the anchor survives a change of draw order and fails on a
  change of behaviour.

Before writing, every column's change is printed in standard-error units: the anchor's against the
old anchor, and the golden means against the old golden means with the anchor's spread (the standard
error of a difference of two 4-replication means). A draw-order change moves the golden columns by a
few SE at most and the anchor by about 1; a behaviour change moves some by far more. The reason and
the largest changes are appended to tests/engines/baseline/HISTORY.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

import sim

HERE = Path(__file__).parent / "baseline"
ANCHOR = HERE / "anchor_vector.csv"
HISTORY = HERE / "HISTORY.md"
# Small, but every mechanism active: mixed policies, sisters (tight capacity), closures, wages.
OVERRIDES = ["intake.waves=3", "run.horizon_weeks=90", "run.replications=4", "run.seed=2012",
             "run.progress=false", "team.capacity=12", "city.teams.b1908_football.paid_instructor=true",
             "run.uncertainty=none"]  # the calibrated point, not the ensemble (the default where shipped)
ANCHOR_REPLICATIONS = 2000
ANCHOR_SEED = 2013  # the anchor's sample; test_baseline.py checks another seed's against it
CHECK_SEED = 2014
ENGINES = ("agent", "vector")


def baseline_summary(engine: str) -> pd.DataFrame:
    return sim.simulate(sim.compose([*OVERRIDES, f"run.engine={engine}"])).summary


def anchor_sample(seed: int, replications: int = ANCHOR_REPLICATIONS) -> pd.DataFrame:
    """The summary of `replications` vector replications of the baseline config."""
    cfg = sim.compose([*OVERRIDES, "run.engine=vector", f"run.seed={seed}", f"run.replications={replications}",
                       "run.citizens_table=false", "run.weekly_table=false"])
    return sim.simulate(cfg).summary.drop(columns="replication")


def anchor_table(sample: pd.DataFrame) -> pd.DataFrame:
    """Per summary column: mean, standard deviation, standard error of the mean, replications."""
    n = sample.notna().sum()
    sd = sample.std(ddof=1)
    return pd.DataFrame({"mean": sample.mean(), "sd": sd, "se": sd / np.sqrt(n), "n": n}).rename_axis("column")


def z_scores(new_mean: pd.Series, old_mean: pd.Series, se: pd.Series) -> pd.Series:
    """(new − old) / se per column; 0 where both agree exactly, ±inf where a column with no spread moved."""
    diff = (new_mean - old_mean).reindex(se.index)
    exact = np.isclose(new_mean.reindex(se.index), old_mean.reindex(se.index), rtol=1e-9, atol=0, equal_nan=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / se
    return z.where(~exact, 0.0)


def golden_se(anchor: pd.DataFrame, n: int) -> pd.Series:
    """Standard error of the difference of two independent n-replication means, from the anchor's spread."""
    return anchor["sd"] * np.sqrt(2.0 / n)


def describe(z: pd.Series, title: str) -> str:
    order = z.abs().sort_values(ascending=False, na_position="first").index
    lines = [title] + [f"  {c:<28} {z[c]:+9.2f} SE" for c in order]
    return "\n".join(lines)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.engines.update_baseline", description=__doc__.split("\n\n")[0])
    p.add_argument("--reason", default="", help="why the baselines change (required unless --dry-run)")
    p.add_argument("--dry-run", action="store_true", help="print the changes in SE units, write nothing")
    args = p.parse_args(argv)
    if not args.dry_run and len(args.reason.strip()) < 10:
        p.error("say why the baselines change: --reason \"...\" (at least a sentence); --dry-run only prints")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    old_anchor = pd.read_csv(ANCHOR, index_col="column") if ANCHOR.exists() else None
    anchor = anchor_table(anchor_sample(ANCHOR_SEED))
    reports = []
    if old_anchor is not None:
        se = np.sqrt(anchor["se"] ** 2 + old_anchor["se"].reindex(anchor.index) ** 2)
        reports.append(describe(z_scores(anchor["mean"], old_anchor["mean"], se),
                                f"anchor ({ANCHOR_REPLICATIONS} vector replications): change of each mean"))
    golden = {engine: baseline_summary(engine) for engine in ENGINES}
    for engine, table in golden.items():
        path = HERE / f"summary_{engine}.csv"
        if path.exists():
            old = pd.read_csv(path).drop(columns="replication")
            new = table.drop(columns="replication")
            z = z_scores(new.mean(), old.mean(), golden_se(anchor, len(new)))
            reports.append(describe(z, f"golden {engine} ({len(new)} replications): change of each mean"))
    print("\n\n".join(reports) or "no earlier baselines: nothing to compare")
    if args.dry_run:
        print("\n(dry run: nothing written)")
        return
    HERE.mkdir(exist_ok=True)
    anchor.to_csv(ANCHOR, float_format="%.12g")
    for engine, table in golden.items():
        table.to_csv(HERE / f"summary_{engine}.csv", index=False, float_format="%.12g")
    top = "\n".join(r.split("\n")[0] + "\n" + "\n".join(r.split("\n")[1:6]) for r in reports)
    with open(HISTORY, "a", encoding="utf-8") as history:
        history.write(f"\n## {datetime.date.today().isoformat()}\n\n{args.reason.strip()}\n\n"
                      f"```\n{top or 'first baselines'}\n```\n")
    print(f"\nwrote {ANCHOR}, the golden summaries and a note in {HISTORY}", file=sys.stderr)


if __name__ == "__main__":
    main()
