"""Regenerate the golden baselines (tests/baseline/*.csv). Run deliberately, after a model change
you mean to make, and say why in the commit:  python -m tests.engines.update_baseline"""

from __future__ import annotations

from pathlib import Path

import sim

HERE = Path(__file__).parent / "baseline"
# Small, but every mechanism active: mixed policies, sisters (tight capacity), closures, wages.
OVERRIDES = ["intake.waves=3", "run.horizon_weeks=90", "run.replications=4", "run.seed=2012",
             "run.progress=false", "team.capacity=12", "city.teams.b1908_football.paid_instructor=true"]


def baseline_summary(engine: str):
    return sim.simulate(sim.compose([*OVERRIDES, f"run.engine={engine}"])).summary


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for engine in ("agent", "vector"):
        baseline_summary(engine).to_csv(HERE / f"summary_{engine}.csv", index=False, float_format="%.12g")
        print(f"wrote {HERE / f'summary_{engine}.csv'}")


if __name__ == "__main__":
    main()
