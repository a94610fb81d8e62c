"""Same config and seed -> identical tables, whatever the number of worker processes."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from tests.conftest import small


def _tables(res: sim.Results) -> dict[str, pd.DataFrame]:
    return {"summary": res.summary, "weekly": res.weekly, "teams": res.teams, "citizens": res.citizens}


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_same_seed_same_tables(engine):
    a = _tables(sim.simulate(small(f"run.engine={engine}", "run.replications=3")))
    b = _tables(sim.simulate(small(f"run.engine={engine}", "run.replications=3")))
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_other_seed_other_tables():
    a = sim.simulate(small("run.seed=1")).summary
    b = sim.simulate(small("run.seed=2")).summary
    assert not a.equals(b)


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_replication_does_not_depend_on_the_others(engine):
    three = sim.simulate(small(f"run.engine={engine}", "run.replications=3")).summary
    five = sim.simulate(small(f"run.engine={engine}", "run.replications=5")).summary
    pd.testing.assert_frame_equal(three, five.iloc[:3])


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_n_jobs_does_not_change_results(engine):
    one = _tables(sim.simulate(small(f"run.engine={engine}", "run.replications=4", "run.n_jobs=1")))
    two = _tables(sim.simulate(small(f"run.engine={engine}", "run.replications=4", "run.n_jobs=2",
                                     "run.chunk_size=1")))
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])


def test_save_round_trip(tmp_path):
    res = sim.simulate(small())
    out = res.save(tmp_path / "run")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "summary.parquet"), res.summary)
    assert sim.compose([]).__class__ is type(res.config)
    assert "horizon_weeks: 80" in (out / "config.yaml").read_text()
