"""Invariants over random valid configs (hypothesis): states, conservation, shares, event order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings

from sim.agent.engine import build_model, run_block
from sim.model.city import build_city
from sim.model.metrics import HEADLINE
from sim.model.results import block_tables
from sim.model.states import State
from tests.conftest import RANDOM_OVERRIDES, small

configs = RANDOM_OVERRIDES

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cfg(params: dict):
    return small(*(f"{k}={v}" for k, v in params.items()))


def check_week(model, week: int) -> None:
    """After `week`: every citizen in exactly one state, intake conserved, teams and offerings within
    capacity (regulars included) and holding exactly their members (nobody in two teams)."""
    n = len(model.citizens)
    recount = np.zeros_like(model.counts)
    for c in model.citizens:
        recount[c.centre.index, c.state] += 1
    assert (recount == model.counts).all() and model.counts.sum() == n
    started = sum(c.start_week <= week for c in model.citizens)
    assert model.counts[:, State.waiting].sum() == n - started  # intake so far is conserved
    for team in model.teams:
        assert team.size <= max(team.capacity, team.regulars)
        assert all(c.state == State.member and c.team is team for c in team.members)
    members = sum(len(t.members) for t in model.teams)
    assert members == model.counts[:, State.member].sum()
    for offering in model.offerings:
        assert len(offering.members) <= offering.capacity
        assert all(c.patient is offering and np.isnan(c.patient_lapse_week) for c in offering.members)


def check_tables(tables: dict, cfg, city) -> None:
    """Output tables of either engine: events in order (complete, join, lapse), shares in [0, 1],
    counts consistent between the citizens, teams and weekly tables, capacity, costs >= 0."""
    cz, summary, weekly, teams = tables["citizens"], tables["summary"], tables["weekly"], tables["teams"]
    joined = cz.handover_week.notna()
    assert cz.completed[joined].all()  # nobody joins without completing
    assert (cz.handover_week[joined] >= cz.start_week[joined] + cfg.programme.weeks).all()
    lapsed = cz.lapse_week.notna()
    assert joined[lapsed].all() and (cz.lapse_week[lapsed] >= cz.handover_week[lapsed]).all()
    assert (cz.member_at_end == (joined & ~lapsed)).all()
    took_part = cz.patient_join_week.notna()
    assert cz.completed[took_part].all()
    assert (cz.patient_lapse_week[took_part].fillna(np.inf) >= cz.patient_join_week[took_part]).all()
    shares = summary[[m for m in HEADLINE if m.endswith(("rate", "w")) and not m.startswith("cost")]]
    assert ((shares >= 0) & (shares <= 1) | shares.isna()).all().all()
    costs = summary[[c for c in summary if c.startswith("cost_") and c != "cost_per_retained_52w"]]
    assert "cost_municipality" in costs and (costs >= 0).all().all() and np.isfinite(costs).all().all()
    counts = weekly.drop(columns=["replication", "week", "centre"])
    assert (counts >= 0).all().all()
    people = weekly[["in_programme", "deciding", "members_sport", "lapsed"]].sum(axis=1)
    assert (people <= len(cz) / max(summary.replication.nunique(), 1)).all()
    assert (weekly.instructors_vacant <= weekly.teams_open).all()
    # the same members at the end in the citizens, teams and weekly tables
    at_end = cz[cz.member_at_end].groupby(["replication", "centre"]).size()
    last = weekly[weekly.week == weekly.week.max()].set_index(["replication", "centre"]).members_sport
    assert (at_end.reindex(last.index, fill_value=0) == last).all()
    by_team = cz[cz.member_at_end].groupby(["replication", "team"]).size()
    assert (by_team.reindex(pd.MultiIndex.from_frame(teams[["replication", "team"]]), fill_value=0).to_numpy()
            == teams.members_at_end.to_numpy()).all()
    index = {name: i for i, name in enumerate(city.team_names)}
    room = np.maximum(city.team_capacity - city.team_regulars, 0)[teams.team.map(index).to_numpy()]
    assert (teams.members_at_end <= room).all() and (teams.joined_total >= teams.members_at_end).all()
    assert (teams.members_at_end[teams.closed_week.notna()] == 0).all()


@SETTINGS
@given(configs)
def test_every_citizen_in_exactly_one_state_each_week(params):
    cfg = _cfg(params)
    model = build_model(cfg, build_city(cfg), 0)
    for week in range(cfg.run.horizon_weeks):
        model.step()
        check_week(model, week)


@SETTINGS
@given(configs)
def test_tables_respect_the_event_order(params):
    cfg = _cfg(params)
    city = build_city(cfg)
    tables = block_tables(run_block(cfg, city, np.array([0])), cfg, city)
    check_tables(tables, cfg, city)
