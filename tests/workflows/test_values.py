"""sim.simulate(cfg, values=table): each replication runs with its own row of parameter values, in
one vector block where the keys allow it, and keeps its own random streams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.errors import UserError
from sim.workflows.params import apply
from sim.workflows.simulate import blocks, simulate, simulate_sets, split
from tests.conftest import small

ROWS = pd.DataFrame({
    "handover.intercept": [-3.0, -5.0, -4.0, -3.5],
    "club.bond": [1.0, 3.0, 2.0, 2.5],
    "city.teams.floorball.attractiveness": [2.0, -1.0, 0.5, 0.0],
    "city.associations.gymnastikforeningen_odk.facility_quality": [0.1, 0.5, 0.3, 0.2],
    "instructor.turnover_annual": [0.1, 0.9, 0.3, 0.5],
    "exposure.club_session": [0.05, 0.25, 0.15, 0.1],
    "citizen.resourcefulness_shift": [-0.5, 0.5, 0.0, 0.2],
    "team.capacity": [5, 30, 20, 10],
    "team.open_threshold": [1, 6, 4, 2],
    "costs.coordination_week": [0.0, 3000.0, 1500.0, 100.0],
})


def _tables(res) -> dict[str, pd.DataFrame]:
    return {"summary": res.summary, "teams": res.teams, "citizens": res.citizens, "weekly": res.weekly}


def test_numeric_keys_vary_within_one_block_and_results_do_not_depend_on_the_blocks():
    cfg = small("run.replications=4", "run.chunk_size=4")
    (block,) = blocks(cfg, {k: ROWS[k].to_numpy() for k in ROWS}, np.arange(4), np.arange(4))
    assert set(block.values) == set(ROWS)
    one = _tables(simulate(cfg, values=ROWS))
    many = _tables(simulate(small("run.replications=4", "run.chunk_size=1", "run.n_jobs=2"), values=ROWS))
    for name in one:
        pd.testing.assert_frame_equal(one[name], many[name])


def test_a_replication_keeps_its_random_numbers_whatever_the_others_run():
    alone = simulate(small("run.replications=4"), values=ROWS).summary
    other = ROWS.copy()
    other.loc[[0, 1, 3], "handover.intercept"] = 0.0
    mixed = simulate(small("run.replications=4"), values=other).summary
    pd.testing.assert_frame_equal(alone.iloc[[2]], mixed.iloc[[2]])
    assert not alone.iloc[[0]].equals(mixed.iloc[[0]])


def test_the_values_change_what_they_should():
    res = simulate(small("run.replications=4"), values=ROWS).summary
    assert res.handover_rate.iloc[0] > res.handover_rate.iloc[1]  # intercept -3 against -5
    plain = simulate(small("run.replications=4")).summary
    assert not np.allclose(res.cost_municipality, plain.cost_municipality)


def test_keys_that_shape_the_model_run_in_blocks_of_their_own():
    rows = pd.DataFrame({"programme.weeks": [12, 13, 12], "handover.intercept": [-4.0, -4.0, -3.0]})
    cfg = small("run.replications=3")
    jobs = blocks(cfg, {k: rows[k].to_numpy() for k in rows}, np.arange(3), np.arange(3))
    assert sorted(len(b.labels) for b in jobs) == [1, 2] and all(set(b.values) == {"handover.intercept"} for b in jobs)
    res = simulate(cfg, values=rows)
    assert res.summary.replication.tolist() == [0, 1, 2]
    assert res.weekly.replication.is_monotonic_increasing


def test_the_agent_engine_runs_each_replication_with_its_own_config():
    rows = ROWS.iloc[:2]
    res = simulate(small("run.engine=agent", "run.replications=2"), values=rows).summary
    for r in range(2):
        own = apply(small("run.engine=agent", "run.replications=2"), rows.iloc[r].to_dict())
        pd.testing.assert_frame_equal(res.iloc[[r]], simulate(own).summary.iloc[[r]])


def test_parameter_sets_share_their_random_numbers():
    sets = ROWS.iloc[[0, 0, 1]]
    res = simulate_sets(small("run.replications=2"), sets)
    a, b, c = split(res, 3)
    assert a.summary.replication.tolist() == [0, 1] and a.summary.equals(b.summary)
    assert not a.summary.equals(c.summary)
    pd.testing.assert_frame_equal(a.citizens, b.citizens)


def test_fill_share_and_sister_capacity_vary_within_one_block_as_separate_runs_would_give_them():
    rows = pd.DataFrame({"intake.fill_share": [0.5, 1.0, 0.7], "team.sister_capacity": [4, 30, 10],
                         "handover.intercept": [-4.0, -1.0, -4.5], "team.capacity": [20, 6, 20]})
    cfg = small("run.replications=3")
    (block,) = blocks(cfg, {k: rows[k].to_numpy() for k in rows}, np.arange(3), np.arange(3))
    assert set(block.values) == set(rows)  # not structural: one block
    for engine in ("vector", "agent"):
        own = small("run.replications=3", f"run.engine={engine}")
        res = simulate(own, values=rows)
        for r in range(3):
            alone = simulate(apply(own, rows.iloc[r].to_dict()))
            for name in ("summary", "citizens", "teams"):
                got, want = (getattr(x, name) for x in (res, alone))
                got = got[got.replication == r].reset_index(drop=True)
                want = want[want.replication == r].reset_index(drop=True)
                pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"{engine} {name} r={r}")


# Demand that opens sister teams fast: small teams, a sister for every turned-away chooser, a large pool.
CROWDED = ("team.capacity=6", "team.open_threshold=1", "instructor.pool=60", "handover.intercept=-1.0")


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_a_replication_gives_the_tables_it_gives_alone_whatever_max_extra_the_others_have(engine):
    """team.max_extra varies within one block: the block holds sister slots for its largest value (5)
    and each replication opens at most its own; a replication at 2 (or 0) gives what it gives alone,
    sister teams' names included."""
    rows = pd.DataFrame({"team.max_extra": [5, 2, 5, 0]})
    cfg = small("run.replications=4", f"run.engine={engine}", "run.weekly_table=true", *CROWDED)
    jobs = blocks(cfg, {k: rows[k].to_numpy() for k in rows}, np.arange(4), np.arange(4))
    assert len(jobs) == (1 if engine == "vector" else 4)
    assert all(b.city.sister_slots == 5 and set(b.values) == {"team.max_extra"} for b in jobs)
    res = simulate(cfg, values=rows)
    assert res.summary.sister_teams_opened[1] > 0
    for r in (1, 3):
        alone = simulate(apply(cfg, rows.iloc[r].to_dict()))
        for name in ("summary", "citizens", "teams", "weekly", "costs"):
            got, want = (getattr(x, name) for x in (res, alone))
            got = got[got.replication == r].reset_index(drop=True)
            want = want[want.replication == r].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want, obj=f"{engine} {name} r={r}")


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_each_replication_opens_at_most_its_own_max_extra_sisters_per_listed_team(engine):
    rows = pd.DataFrame({"team.max_extra": [1, 5]})
    res = simulate(small(f"run.engine={engine}", *CROWDED), values=rows)
    sisters = res.teams[res.teams.team.str.contains("#")]
    per_listed = sisters.groupby([sisters.replication, sisters.team.str.split("#").str[0]]).size()
    assert per_listed[0].max() == 1  # a second sister of one listed team never opens at cap 1 ...
    assert per_listed[1].max() > 1  # ... while the replication at 5, in the same block, opens more
    assert set(sisters.team[sisters.replication == 0].str.split("#").str[1]) == {"1"}


@pytest.mark.parametrize("table, needle", [
    (pd.DataFrame({"handover.intercept": [1.0]}), "1 rows for run.replications=2"),
    (pd.DataFrame({"handover.nonsense": [1.0, 2.0]}), "handover.nonsense"),
    (pd.DataFrame({"policy.name": ["amager", "baseline"]}), "policy.name"),
    (pd.DataFrame({"city.teams.floorball.association": ["x", "y"]}), "city.teams.floorball.association"),
    (pd.DataFrame({"handover.intercept": ["a", "b"]}), "handover.intercept"),
    (pd.DataFrame({"team.transfer_prob": [0.5, 1.5]}), "team.transfer_prob=1.5 (row 1) is out of range"),
    (pd.DataFrame({"intake.fill_share": [0.5, 0.0]}), "intake.fill_share=0.0 (row 1) is out of range"),
    (pd.DataFrame({"handover.intercept": [1.0, np.nan]}), "no value in row 1"),
    (pd.DataFrame({"run.seed": [1, 2]}), "run.seed"),
])
def test_a_bad_table_is_refused_in_one_line_naming_the_key(table, needle):
    with pytest.raises(UserError) as err:
        simulate(small(), values=table)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_parameter_sets_with_their_own_fill_share_give_the_tables_separate_runs_give():
    """simulate_sets labels set j's replication r as j·R + r but draws from r's streams: which places
    are filled must follow the streams, not the labels (a set's starters, completion and rates)."""
    cfg = small("run.replications=3")
    sets = pd.DataFrame({"intake.fill_share": [1.0, 0.7, 0.5]})
    runs = split(simulate_sets(cfg, sets), len(sets))
    for share, res in zip(sets["intake.fill_share"], runs, strict=True):
        alone = simulate(apply(cfg, {"intake.fill_share": share}))
        pd.testing.assert_frame_equal(res.summary, alone.summary)
