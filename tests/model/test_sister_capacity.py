"""`team.sister_capacity`: what a sister team holds (MODEL.md §3.5b); null: its listed team's capacity."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.city import build_city
from sim.model.values import stack
from tests.conftest import small

ENGINES = ("agent", "vector")
CROWDED = ("handover.intercept=0", "team.capacity=5", "run.replications=4")  # choosers turned away: sisters open


def test_sisters_hold_their_own_capacity_and_listed_teams_keep_theirs():
    cfg = sim.compose(["city.teams.fremad_strength.capacity=7", "team.sister_capacity=null"])
    city = build_city(cfg)
    listed, sisters = slice(0, city.n_listed), city.team_is_sister
    np.testing.assert_array_equal(city.team_capacity[sisters], city.team_capacity[city.team_listed[sisters]])
    cfg.team.sister_capacity = 11
    own = build_city(cfg)
    np.testing.assert_array_equal(own.team_capacity[listed], city.team_capacity[listed])
    assert (own.team_capacity[sisters] == 11).all()
    # One per replication: (replications, teams), each replication's sisters at its own value.
    per_rep = build_city(stack(cfg, {"team.sister_capacity": np.array([3.0, 9.0])}))
    assert per_rep.team_capacity.shape == (2, city.n_teams)
    assert (per_rep.team_capacity[:, sisters] == [[3], [9]]).all()
    assert (per_rep.team_capacity[:, listed] == city.team_capacity[listed]).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_sister_capacity_bounds_and_widens_sister_teams(engine):
    def sisters(capacity: str):
        res = sim.simulate(small(f"run.engine={engine}", *CROWDED, f"team.sister_capacity={capacity}"))
        return res.teams[res.teams.team.str.contains("#")], res.summary

    small_sisters, _ = sisters("4")  # 3 regulars: room for one member at most
    assert len(small_sisters) and (small_sisters.members_at_end <= 1).all()
    wide, wide_summary = sisters("30")
    copies, copy_summary = sisters("null")
    assert (copies.members_at_end <= 5 - 3).all()  # a copy of its listed team: capacity 5, 3 regulars
    assert wide.members_at_end.max() > 5  # more than a listed team can hold
    assert wide_summary.handed_over.mean() > copy_summary.handed_over.mean()
