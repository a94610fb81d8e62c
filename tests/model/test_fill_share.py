"""`intake.fill_share`: each cohort place is filled with this probability, from its own stream; an
unfilled place never starts and counts nowhere (sim.model.population.filled, docs/model.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.agent.engine import build_model
from sim.model.city import build_city
from sim.model.metrics import reached
from sim.model.population import filled, plan, sample_population
from sim.model.seeding import streams
from sim.model.states import State
from tests.conftest import small

ENGINES = ("agent", "vector")


def test_filling_is_nested_in_the_share_and_all_at_one():
    cfg = small()
    n = 5000
    assert filled(cfg, 0, 3, n).all()
    cfg.intake.fill_share = 0.3
    low = filled(cfg, 0, 3, n)
    cfg.intake.fill_share = 0.7
    high = filled(cfg, 0, 3, n)
    assert (high | ~low).all()  # a place filled at 0.3 is filled at 0.7 (the same uniforms)
    assert abs(high.mean() - 0.7) < 4 * np.sqrt(0.7 * 0.3 / n)
    assert not np.array_equal(filled(cfg, 0, 3, n), filled(cfg, 0, 4, n))  # each replication its own


def test_the_share_leaves_the_population_draws_alone():
    cfg = small()
    city = build_city(cfg)
    before = sample_population(cfg, city, streams(0, 1)[0])
    filled(cfg, 0, 1, len(before))
    again = sample_population(cfg, city, streams(0, 1)[0])
    np.testing.assert_array_equal(before.resourcefulness, again.resourcefulness)


@pytest.mark.parametrize("engine", ENGINES)
def test_unfilled_places_never_start_and_leave_every_denominator(engine):
    cfg = small(f"run.engine={engine}", "run.replications=4", "intake.fill_share=0.5")
    res = sim.simulate(cfg)
    cz = res.citizens.sort_values(["replication", "citizen"])
    n = len(plan(cfg, build_city(cfg)).centre)
    places = np.concatenate([filled(cfg, cfg.run.seed, r, n) for r in range(4)])
    # Unfilled places: no start week, never complete, never join a team or an offering.
    np.testing.assert_array_equal(cz.start_week.notna().to_numpy(), places)
    empty = cz[~places]
    assert not empty.completed.any() and empty.team.isna().all() and empty.patient_join_week.isna().all()
    # Every count and rate is of the filled places only.
    mine = cz[places]
    s = res.summary.set_index("replication")
    by_rep = mine.groupby("replication")
    np.testing.assert_array_equal(s.started, by_rep.size())
    np.testing.assert_array_equal(s.completed, by_rep.completed.sum())
    over = pd.Series(reached(mine.start_week + cfg.programme.weeks - 1, cfg.run.horizon_weeks), index=mine.index)
    rate = (mine.completed & over).groupby(mine.replication).sum() / over.groupby(mine.replication).sum()
    np.testing.assert_allclose(s.completion_rate, rate)
    assert (s.completion_rate > 0.55).all()  # about 0.75: with the empty places counted it would be half that
    # Nobody from an unfilled place is ever in the programme: at the end of week 0, the filled week-0
    # places less the week's dropouts.
    week0 = res.weekly[res.weekly.week == 0].groupby("replication").in_programme.sum().to_numpy()
    starters = (mine.start_week == 0).groupby(mine.replication).sum().to_numpy()
    assert (week0 <= starters).all() and (week0 >= 0.8 * starters).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_half_the_places_filled_halves_the_starters(engine):
    reps = 20 if engine == "agent" else 100
    quick = [f"run.engine={engine}", f"run.replications={reps}", "run.citizens_table=false", "run.weekly_table=false"]
    full = sim.simulate(small(*quick)).summary
    half = sim.simulate(small(*quick, "intake.fill_share=0.5")).summary
    n = full.started.iloc[0]
    se = np.sqrt(0.25 * n / reps)
    assert abs(half.started.mean() - 0.5 * n) < 4 * se
    # Rates are of filled starters: the completion rate stays where it was (within 4 SE of the difference).
    diff = half.completion_rate.mean() - full.completion_rate.mean()
    assert abs(diff) < 4 * np.sqrt(half.completion_rate.var() / reps + full.completion_rate.var() / reps)


def test_unfilled_citizens_wait_for_good_in_the_agent_engine():
    cfg = small("run.engine=agent", "intake.fill_share=0.4")
    model = build_model(cfg, build_city(cfg), 0)
    for _ in range(cfg.run.horizon_weeks):
        model.step()
    places = filled(cfg, cfg.run.seed, 0, len(model.citizens))
    assert all(c.state == State.waiting for c, f in zip(model.citizens, places, strict=True) if not f)
    assert not any(c.state == State.waiting for c, f in zip(model.citizens, places, strict=True) if f)


def test_a_yearly_intake_fills_its_planned_places_at_the_share():
    quick = ["intake.citizens_per_year=240", "intake.fill_share=1.0", "run.replications=20", "run.citizens_table=false",
             "run.weekly_table=false", "run.progress=false"]
    full = sim.simulate(sim.compose(quick)).summary
    part = sim.simulate(sim.compose([*quick, "intake.fill_share=0.8"])).summary
    n = full.started.iloc[0]
    assert n == 240
    assert abs(part.started.mean() - 0.8 * n) < 4 * np.sqrt(0.16 * n / 20)
