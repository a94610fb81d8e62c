"""Calibration targets counted on a small hand-made table (sim.workflows.calibration.targets): at a
week, summed over teams, sister teams included. Every expected number is counted by hand from the
table below, in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.results import Results
from sim.workflows.calibration.targets import Observed, parse

NAN = float("nan")
# Two replications, numbered 3 and 7 (not 0 and 1: values come back in replication order).
# columns: replication, team, handover_week, start_week, completed
CITIZENS = [
    (7, "b1908_football", 15, 0, True),
    (7, "b1908_football#2", 40, 24, True),  # a sister team, joined late
    (7, "floorball", 18, 6, True),
    (7, None, NAN, 30, False),  # dropped out
    (3, "b1908_football", 10, 0, True),
    (3, "b1908_football#1", 20, 0, True),  # a sister of b1908_football
    (3, "kom_i_gang", 30, 6, True),
    (3, None, NAN, 6, True),  # completed, not handed over
    (3, None, NAN, 12, False),  # dropped out
    (3, "kom_i_gang#2", 25, 12, True),
    (3, "b1908_football#1", 21, 12, True),  # the same sister again
]
# The teams table (only what the counts without at_week read): replication, team, joined_total
TEAMS = [(3, "b1908_football", 4), (3, "b1908_football#1", 2), (3, "kom_i_gang", 5), (3, "kom_i_gang#2", 1),
         (7, "b1908_football", 6), (7, "b1908_football#2", 1), (7, "floorball", 9)]


@pytest.fixture(scope="module")
def observed() -> Observed:
    cfg = sim.compose([])
    citizens = pd.DataFrame(CITIZENS, columns=["replication", "team", "handover_week", "start_week", "completed"])
    teams = pd.DataFrame(TEAMS, columns=["replication", "team", "joined_total"])
    # the summary's own columns (read only without at_week; at a week they are counted from the citizens)
    summary = pd.DataFrame({"replication": [7, 3], "handed_over": [3.0, 5.0], "started": [4.0, 7.0],
                            "completed": [3.0, 6.0], "teams_opened": [17.0, 18.0]})
    return Observed(Results(summary=summary, weekly=None, teams=teams, citizens=citizens, config=cfg))


def value(observed: Observed, text: str | list[str], at_week: int | None = None) -> list[float]:
    texts = text if isinstance(text, list) else [text]
    metrics = [parse(t, observed.results.config, list(observed.results.summary.columns), at_week) for t in texts]
    return observed.total(metrics, at_week).tolist()


def test_a_team_at_a_week_counts_its_sisters(observed):
    # replication 3: b1908_football (10), b1908_football#1 (20); the second #1 joined in week 21
    # replication 7: b1908_football (15); b1908_football#2 joined in week 40
    assert value(observed, "team.b1908_football.joined_total", at_week=20) == [2, 1]
    assert value(observed, "team.b1908_football.joined_total", at_week=21) == [3, 1]
    assert value(observed, "team.b1908_football.joined_total", at_week=9) == [0, 0]
    assert value(observed, "team.b1908_football.joined_total", at_week=40) == [3, 2]
    assert value(observed, "team.floorball.joined_total", at_week=17) == [0, 0]
    assert value(observed, "team.floorball.joined_total", at_week=18) == [0, 1]


def test_a_sum_of_teams_at_a_week(observed):
    both = ["team.kom_i_gang.joined_total", "team.b1908_football.joined_total"]
    # replication 3 by week 25: b1908 10, 20, 21 and kom_i_gang#2 25 (kom_i_gang itself joined in 30)
    assert value(observed, both, at_week=25) == [4, 1]
    assert value(observed, both, at_week=30) == [5, 1]


def test_summary_counts_at_a_week(observed):
    # handed over by week 20: replication 3: weeks 10, 20; replication 7: weeks 15, 18
    assert value(observed, "summary.handed_over", at_week=20) == [2, 2]
    assert value(observed, "summary.handed_over", at_week=100) == [5, 3]  # all with a handover week
    # started by week 6: replication 3: starts 0, 0, 6, 6; replication 7: 0, 6
    assert value(observed, "summary.started", at_week=6) == [4, 2]
    # completed with the last programme week (start + 11) by week 17: starts 0, 0, 6 in 3 (the start-6
    # non-completer did complete); start 0 and 6 in 7
    assert value(observed, "summary.completed", at_week=17) == [4, 2]
    assert value(observed, "summary.completed", at_week=16) == [2, 1]
    # the 16 listed teams plus each sister a citizen had joined by then (counted once)
    assert value(observed, "summary.teams_opened", at_week=20) == [17, 16]
    assert value(observed, "summary.teams_opened", at_week=25) == [18, 16]
    assert value(observed, "summary.teams_opened", at_week=40) == [18, 17]


def test_without_a_week_the_tables_are_read(observed):
    # the teams table: a team and its sisters summed; the summary's column as it is
    assert value(observed, "team.b1908_football.joined_total") == [6, 7]
    assert value(observed, "team.kom_i_gang.joined_total") == [6, 0]  # replication 7 has no kom_i_gang row
    assert value(observed, "summary.handed_over") == [5, 3]
    assert value(observed, ["summary.handed_over", "team.floorball.joined_total"]) == [5, 12]


def test_the_week_counts_match_a_simulated_table_counted_with_pandas():
    """The same counts on a simulated run, counted here with pandas from the citizens table."""
    res = sim.simulate(sim.compose(["intake.waves=3", "run.horizon_weeks=50", "policy=amager", "run.replications=4",
                                    "run.progress=false", "team.capacity=8"]))
    cz, observed = res.citizens, Observed(res)
    week = 24
    by = cz[cz.handover_week <= week]
    b1908 = by[by.team.str.split("#").str[0] == "b1908_football"].groupby("replication").size()
    expected = b1908.reindex(range(4), fill_value=0).tolist()
    assert value(observed, "team.b1908_football.joined_total", at_week=week) == expected
    assert any(by.team.str.contains("#")), "no sister team joined: the check would not see sisters"
    assert value(observed, "summary.handed_over", at_week=week) == by.groupby("replication").size().tolist()
    last = res.summary.sort_values("replication").handed_over.tolist()
    assert value(observed, "summary.handed_over", at_week=49) == last  # at the horizon: the summary's figure
    np.testing.assert_array_equal(value(observed, "team.b1908_football.joined_total", at_week=49),
                                  res.teams[res.teams.team.str.startswith("b1908_football")]
                                  .groupby("replication").joined_total.sum().tolist())
