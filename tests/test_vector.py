"""The vector engine: determinism, chunking and process invariance, invariants, mechanisms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.city import build_city
from sim.states import LapseReason, State
from sim.vector.engine import Block, run_block
from sim.vector.layout import build_layout
from sim.vector.teams import CLOSED
from tests.conftest import small

VECTOR = "run.engine=vector"


def _tables(res: sim.Results) -> dict[str, pd.DataFrame]:
    return {"summary": res.summary, "weekly": res.weekly, "teams": res.teams, "citizens": res.citizens}


def _assert_same(a: sim.Results, b: sim.Results) -> None:
    for name, table in _tables(a).items():
        pd.testing.assert_frame_equal(table, _tables(b)[name])


def _citizens(*overrides: str) -> pd.DataFrame:
    return sim.simulate(small(VECTOR, *overrides)).citizens


# --- randomness --------------------------------------------------------------------------------


def test_same_seed_same_tables():
    cfg = small(VECTOR, "run.replications=3", "policy=mixed")
    _assert_same(sim.simulate(cfg), sim.simulate(cfg))


def test_other_seed_other_tables():
    a = sim.simulate(small(VECTOR, "run.seed=1")).summary
    b = sim.simulate(small(VECTOR, "run.seed=2")).summary
    assert not a.equals(b)


@pytest.mark.parametrize("policy", ["mixed", "amager", "vanlose"])
def test_chunk_size_does_not_change_results(policy):
    # a subsidy that is not a round number shows any summation that depends on the block
    overrides = [VECTOR, f"policy={policy}", "run.replications=10", "economics.subsidy_week=7.3"]
    runs = [sim.simulate(small(*overrides, f"run.chunk_size={c}")) for c in (3, 7, 10)]
    _assert_same(runs[0], runs[1])
    _assert_same(runs[0], runs[2])


def test_n_jobs_does_not_change_results():
    one = sim.simulate(small(VECTOR, "run.replications=4", "run.chunk_size=2", "run.n_jobs=1"))
    two = sim.simulate(small(VECTOR, "run.replications=4", "run.chunk_size=2", "run.n_jobs=2"))
    _assert_same(one, two)


def test_tables_switched_off_leave_the_summary_unchanged():
    full = sim.simulate(small(VECTOR, "run.replications=3"))
    lean = sim.simulate(small(VECTOR, "run.replications=3", "run.weekly_table=false", "run.citizens_table=false"))
    assert lean.weekly is None and lean.citizens is None
    pd.testing.assert_frame_equal(full.summary, lean.summary)
    pd.testing.assert_frame_equal(full.teams, lean.teams)


# --- invariants over random valid configs ------------------------------------------------------

configs = st.fixed_dictionaries({
    "policy": st.sampled_from(["baseline", "amager", "vesterbro", "vanlose", "mixed"]),
    "instructor.turnover_annual": st.sampled_from([0.0, 0.25, 0.9, 1.0]),
    "club.cafe": st.sampled_from(["null", "true", "false"]),
    "team.capacity": st.integers(0, 25),
    "team.regulars": st.integers(0, 5),
    "team.min_size": st.integers(0, 10),
    "team.closure_patience_weeks": st.integers(1, 10),
    "team.transfer_prob": st.sampled_from([0.0, 0.5, 1.0]),
    "team.max_extra": st.integers(0, 2),
    "team.open_threshold": st.integers(1, 4),
    "instructor.pool": st.integers(0, 3),
    "handover.intercept": st.sampled_from([-6.0, -4.6, 0.0, 3.0]),
    "economics.subsidy_week": st.sampled_from([0.0, 20.0]),
    "modifiers.team_visit": st.booleans(),
    "modifiers.monthly_trial": st.booleans(),
    "vanlose.free_weeks": st.integers(1, 3),
    "handover.window_weeks": st.integers(1, 5),
    "intake.waves": st.integers(1, 3),
    "run.horizon_weeks": st.integers(1, 60),
    "run.seed": st.integers(0, 2**31),
})


def _check_week(block: Block, cfg: sim.SimConfig) -> None:
    """Team bookkeeping agrees with the citizens; capacity, closures and the pool hold."""
    city, teams = block.city, block.teams
    member = block.state == State.member
    rep = np.nonzero(member)[0]
    counted = np.bincount(rep * city.n_teams + block.team[member], minlength=teams.members.size)
    assert (counted.reshape(teams.members.shape) == teams.members).all()
    assert (city.team_centre[block.team[member]] == block.layout.centre[np.nonzero(member)[1]]).all()
    room = np.maximum(city.team_capacity - city.team_regulars, 0)
    assert (teams.members <= room).all(), "capacity exceeded"
    closed = teams.status == CLOSED
    assert (teams.members[closed] == 0).all() and not teams.instructor[closed].any()
    assert (teams.status[:, : city.n_listed] != 0).all()  # listed teams never dormant
    assert (teams.pool >= 0).all()
    assert (teams.pool + teams.sisters_opened.sum(axis=1) == cfg.instructor.pool).all()
    assert (teams.sisters_opened <= cfg.team.max_extra).all()


def _check_citizens(block: Block, cfg: sim.SimConfig) -> None:
    """Nobody joins without completing, nor outside its window; nobody lapses before joining."""
    lay, state = block.layout, block.state
    joined = block.handover_week >= 0
    window_start = np.broadcast_to(lay.window_start, state.shape)
    assert (block.handover_week[joined] >= window_start[joined]).all()
    assert (block.handover_week[joined] < window_start[joined] + cfg.handover.window_weeks).all()
    assert np.isin(state[joined], (State.member, State.lapsed)).all()
    assert (joined == (block.team >= 0)).all()
    lapsed = block.lapse_week >= 0
    assert (lapsed == (state == State.lapsed)).all() and (lapsed <= joined).all()
    assert (block.lapse_week[lapsed] >= block.handover_week[lapsed]).all()
    assert ((block.lapse_reason != LapseReason.none) == lapsed).all()
    started = np.broadcast_to(lay.start_week, state.shape) < cfg.run.horizon_weeks
    assert ((state != State.waiting) == started).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_invariants_hold_every_week(params):
    cfg = small(VECTOR, *(f"{k}={v}" for k, v in params.items()))
    city = build_city(cfg)
    block = Block(cfg, city, build_layout(cfg, city), np.arange(3))
    for t in range(cfg.run.horizon_weeks):
        block.step(t)
        _check_week(block, cfg)
    _check_citizens(block, cfg)
    res = sim.simulate(cfg)
    for metric in ("completion_rate", "handover_rate", "retention_26w", "retention_52w"):
        values = res.summary[metric].dropna()
        assert ((values >= 0) & (values <= 1)).all()
    weekly = res.weekly.groupby(["replication", "week"])[["in_programme", "deciding", "members_sport"]].sum()
    assert (weekly.sum(axis=1) <= len(block.layout)).all()


# --- mechanisms ----------------------------------------------------------------------------------


def test_vanlose_window_starts_after_the_free_weeks():
    cz = _citizens("policy=vanlose", "handover.intercept=0", "vanlose.free_weeks=3")
    joined = cz.dropna(subset=["handover_week"])
    assert len(joined) > 0
    end = joined.start_week + 12
    assert (joined.handover_week >= end + 3).all() and (joined.handover_week < end + 3 + 4).all()


def test_amager_window_starts_at_programme_end():
    cz = _citizens("policy=amager", "handover.intercept=0")
    joined = cz.dropna(subset=["handover_week"])
    assert (joined.handover_week == joined.start_week + 12).any()
    assert (joined.handover_week >= joined.start_week + 12).all()


def test_closures_lapse_members_with_reason_team_closed():
    res = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "team.min_size=12",
                             "team.closure_patience_weeks=2", "team.transfer_prob=0"))
    cz, teams = res.citizens, res.teams
    closed = cz[cz.lapse_reason == "team_closed"]
    assert len(closed) > 0
    when = teams.set_index(["replication", "team"]).closed_week
    assert (closed.lapse_week.to_numpy() == when.loc[list(zip(closed.replication, closed.team, strict=True))]).all()
    assert (teams.dropna(subset=["closed_week"]).members_at_end == 0).all()
    # without transfers every handover is one join
    assert teams.joined_total.sum() == cz.handover_week.notna().sum()


def test_transfers_count_in_joined_total():
    res = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "team.min_size=12",
                             "team.closure_patience_weeks=2", "team.transfer_prob=1", "team.capacity=40"))
    assert res.teams.joined_total.sum() > res.citizens.handover_week.notna().sum()


def test_no_free_capacity_no_handover():
    cz = _citizens("handover.intercept=3", "team.regulars=40")  # no team has more places
    assert cz.handover_week.isna().all()


def test_empty_pool_opens_no_sister_teams():
    summary = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "instructor.pool=0")).summary
    assert (summary.sister_teams_opened == 0).all()
    summary = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "instructor.pool=1")).summary
    assert (summary.sister_teams_opened <= 1).all() and summary.sister_teams_opened.sum() > 0


def test_no_turnover_no_instructor_changes_but_new_sisters():
    res = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "instructor.turnover_annual=0"))
    teams = res.teams[res.teams.association != "gymnastikforeningen_odk"]  # its own turnover: 0.8
    sister = teams.team.str.contains("#")
    assert sister.any()
    assert (teams.instructor_changes[~sister] == 0).all() and (teams.instructor_changes[sister] == 1).all()


def test_subsidy_is_the_only_cost_under_amager():
    res = sim.simulate(small(VECTOR, "policy=amager", "economics.subsidy_week=10"))
    # open at the end of a week, plus the week each closed team closed in (it was paid that week)
    team_weeks = res.weekly.groupby("replication").teams_open.sum().to_numpy() + res.summary.teams_closed
    np.testing.assert_allclose(res.summary.cost_municipality, 10 * team_weeks)


def test_vesterbro_pays_per_parallel_session():
    cost = sim.simulate(small(VECTOR, "policy=vesterbro", "vesterbro.price_session=1")).summary.cost_municipality
    started = 2 * 5 * 24  # two waves, five centres, two cohorts of 12
    assert (cost > 0).all() and (cost < started * 12).all() and (cost == cost.round()).all()


def test_intake_enters_the_programme_in_its_start_week():
    weekly = sim.simulate(small(VECTOR)).weekly
    first = weekly[weekly.week == 0]
    assert (first.in_programme <= 24).all() and (first.in_programme >= 20).all()


def test_run_block_returns_the_documented_shapes():
    cfg = small(VECTOR, "policy=mixed")
    city = build_city(cfg)
    raw = run_block(cfg, city, np.array([4, 9]))
    n = len(build_layout(cfg, city))
    assert all(a.shape == (2, n) for a in raw.citizens.values())
    assert raw.weekly.shape[:3] == (2, cfg.run.horizon_weeks, city.n_centres)
    assert all(a.shape == (2, city.n_teams) for a in raw.teams.values())
    assert raw.teams["opened"][:, : city.n_listed].all()
    assert raw.cost.shape == (2,)
