"""The cost model (sim/model/costs.py): counts from the plan and the engines, priced by item."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.model import costs
from sim.model.city import build_city
from sim.model.config import CostsCfg
from sim.model.population import plan
from tests.conftest import small

ONE_WAVE = ["intake.waves=1", "programme.dropout_logit=-40"]  # 2 cohorts of 12 per centre, nobody drops out
# every unit cost but wages 0
FREE = [*(f"costs.{k}=0" for k in asdict(CostsCfg())), "vesterbro.price_session=0", "vanlose.card_value=0"]


def test_unit_costs_file_matches_the_schema_and_tags_every_key():
    path = Path(__file__).parents[2] / "conf" / "costs" / "copenhagen.yaml"
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == asdict(CostsCfg())
    text = path.read_text(encoding="utf-8")
    for key in asdict(CostsCfg()):  # each value is preceded by a comment that tags its source
        comment = text.split(f"\n{key}:")[0].rsplit("\n\n", 1)[-1]
        assert "[assumed" in comment or "[seed" in comment, key


@pytest.mark.parametrize(("policy", "centre", "club", "trials"), [
    ("baseline", 24, 0, 1), ("amager", 12, 12, 0), ("vesterbro", 24, 0, 0), ("vanlose", 24, 0, 0),
])
def test_plan_counts_per_cohort(policy, centre, club, trials):
    cfg = small(*ONE_WAVE, f"policy={policy}")
    city = build_city(cfg)
    counts = costs.plan_counts(cfg, city, plan(cfg, city))
    cohorts = 2  # per centre
    np.testing.assert_array_equal(counts["centre_sessions"], cohorts * centre)
    np.testing.assert_array_equal(counts["club_sessions"], cohorts * club)
    np.testing.assert_array_equal(counts["trial_sessions"], cohorts * trials)
    delay = 2 if policy == "vanlose" else 0
    np.testing.assert_array_equal(counts["coordination_weeks"], 12 + delay + 4)  # intake to last window close


def test_monthly_trials_add_three_sessions_per_cohort_and_the_horizon_cuts_sessions():
    cfg = small(*ONE_WAVE, "policy=amager", "modifiers.monthly_trial=true", "run.horizon_weeks=7")
    city = build_city(cfg)
    counts = costs.plan_counts(cfg, city, plan(cfg, city))
    np.testing.assert_array_equal(counts["trial_sessions"], 2 * 1)  # week 4 only: weeks 8 and 12 not reached
    np.testing.assert_array_equal(counts["club_sessions"], 2 * 7)
    np.testing.assert_array_equal(counts["centre_sessions"], 2 * 7)
    np.testing.assert_array_equal(counts["coordination_weeks"], 7)


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_items_price_the_counts(engine):
    """Every item against a hand count: unit costs of 1 DKK turn each item into its count."""
    ones = [f"costs.{k}=1" for k in asdict(CostsCfg())]
    cfg = small(*ONE_WAVE, f"run.engine={engine}", "policy=amager", "instructor.turnover_annual=0",
                "city.associations.gymnastikforeningen_odk.turnover_annual=0", "economics.subsidy_week=1",
                "economics.municipality_pays_wages=true", "city.teams.kom_i_gang.paid_instructor=true",
                "economics.wage_week=1", *ones)
    res = sim.simulate(cfg)
    s = res.summary
    assert (s.cost_centre_sessions == 5 * 2 * 12 * 2).all()  # staff 1 + hall 1 per centre session
    assert (s.cost_club_sessions == 5 * 2 * 12).all() and (s.cost_coleading == 5 * 2 * 12).all()
    assert (s[["cost_trial_sessions", "cost_gift_cards", "cost_parallel_sessions"]] == 0).all().all()
    assert (s.instructors_trained == 16 + 18).all() and (s.cost_instructor_training == 34).all()  # no turnover
    assert (s.cost_coordination == 5 * 16).all()
    team_weeks = res.weekly.groupby("replication").teams_open.sum().to_numpy() + s.teams_closed
    np.testing.assert_array_equal(s.cost_subsidies, team_weeks)
    assert (s.cost_wages > 0).all() and (s.club_wages_paid == 0).all()  # the municipality pays the wage
    items = s[[f"cost_{i}" for i in costs.ITEMS]].sum(axis=1)
    np.testing.assert_allclose(s.cost_municipality, items)
    # the per-centre table adds up to the summary, item by item
    by_rep = res.costs.groupby("replication")[[f"cost_{i}" for i in costs.ITEMS]].sum()
    np.testing.assert_allclose(by_rep.to_numpy(), s.set_index("replication")[by_rep.columns].to_numpy())


def test_wages_are_the_clubs_unless_the_municipality_pays():
    base = [*ONE_WAVE, "city.teams.kom_i_gang.paid_instructor=true", *FREE]
    clubs = sim.simulate(small(*base)).summary
    town = sim.simulate(small(*base, "economics.municipality_pays_wages=true")).summary
    assert (clubs.cost_wages == 0).all() and (clubs.club_wages_paid > 0).all()
    assert (town.cost_wages > 0).all() and (town.club_wages_paid == 0).all()
    assert (town.cost_municipality == town.cost_wages).all() and (clubs.cost_municipality == 0).all()


def test_amager_everywhere_costs_something_and_shows_its_items():
    s = sim.simulate(small("policy=amager")).summary
    assert (s.cost_municipality > 0).all() and (s.cost_club_sessions > 0).all() and (s.cost_coleading > 0).all()


def test_a_unit_cost_changes_its_item_and_the_total_only():
    a = sim.simulate(small()).summary
    b = sim.simulate(small("costs.coordination_week=2500")).summary
    np.testing.assert_allclose(b.cost_coordination, a.cost_coordination * 2500 / 1500)
    np.testing.assert_allclose(b.cost_municipality - a.cost_municipality, b.cost_coordination - a.cost_coordination)
    pd.testing.assert_series_equal(a.retained_52w, b.retained_52w)  # prices do not change what happens


def test_club_side_adds_up():
    s = sim.simulate(small("economics.subsidy_week=5")).summary
    np.testing.assert_allclose(s.club_net, s.club_fees + s.club_municipal_payments - s.club_wages_paid)
    assert (s.club_municipal_payments >= s.cost_subsidies).all() and (s.club_fees > 0).all()
