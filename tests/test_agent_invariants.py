"""Invariants over random valid configs (hypothesis): states, conservation, shares, event order."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from sim.agent.engine import build_model, run_block
from sim.city import build_city
from sim.metrics import HEADLINE
from sim.results import block_tables
from sim.states import State
from tests.conftest import RANDOM_OVERRIDES, small

configs = RANDOM_OVERRIDES

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cfg(params: dict):
    return small(*(f"{k}={v}" for k, v in params.items()))


@SETTINGS
@given(configs)
def test_every_citizen_in_exactly_one_state_each_week(params):
    cfg = _cfg(params)
    model = build_model(cfg, build_city(cfg), 0)
    n = len(model.citizens)
    for week in range(cfg.run.horizon_weeks):
        model.step()
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


@SETTINGS
@given(configs)
def test_tables_respect_the_event_order(params):
    cfg = _cfg(params)
    city = build_city(cfg)
    tables = block_tables(run_block(cfg, city, np.array([0])), cfg, city)
    cz, summary, weekly = tables["citizens"], tables["summary"], tables["weekly"]
    joined = cz.handover_week.notna()
    assert cz.completed[joined].all()  # nobody joins without completing
    assert (cz.handover_week[joined] >= cz.start_week[joined] + cfg.programme.weeks).all()
    lapsed = cz.lapse_week.notna()
    assert joined[lapsed].all() and (cz.lapse_week[lapsed] >= cz.handover_week[lapsed]).all()
    assert (cz.member_at_end == (joined & ~lapsed)).all()
    shares = summary[[m for m in HEADLINE if m.endswith(("rate", "w")) and not m.startswith("cost")]]
    assert ((shares >= 0) & (shares <= 1) | shares.isna()).all().all()
    people = weekly[["in_programme", "deciding", "members_sport", "lapsed"]].sum(axis=1)
    assert (people <= len(cz)).all()
    assert (weekly.instructors_vacant <= weekly.teams_open).all()
