"""Metric definitions (MODEL.md §5) on hand-made outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim
from sim.model.metrics import describe, member_at, reached, summarise, window_end
from sim.model.policies import AMAGER, VANLOSE

NAN = np.nan


def _citizens():
    # Four citizens, one replication; programme 12 weeks, horizon 100.
    return {
        "start_week": np.array([[0, 0, 0, 50]]),
        "completed": np.array([[True, True, False, True]]),
        "handover_week": np.array([[12.0, 13.0, NAN, 62.0]]),
        "lapse_week": np.array([[30.0, NAN, NAN, NAN]]),
        "patient_join_week": np.array([[12.0, NAN, NAN, 63.0]]),
        "patient_lapse_week": np.array([[NAN, NAN, NAN, 70.0]]),
    }


ELIGIBLE = np.array([[True, True, True, False]])
TRAINING = np.array([[True, True, True, False]])


def _summary(horizon: int, cost: float, citizens=None, decision_end=None):
    citizens = _citizens() if citizens is None else citizens
    ends = citizens["start_week"] + 12 + 4 - 1 if decision_end is None else decision_end
    return summarise(citizens, np.array([cost]), 12, horizon, eligible=ELIGIBLE, training=TRAINING,
                     decision_end=ends).iloc[0]


def test_member_at_uses_join_and_lapse_weeks():
    hw, lw = np.array([12.0, 12.0, NAN]), np.array([30.0, NAN, NAN])
    assert member_at(hw, lw, np.array([29, 30, 29])).tolist() == [True, True, False]
    assert member_at(hw, lw, np.array([30, 11, 50])).tolist() == [False, False, False]


def test_summary_shares_and_horizon():
    s = _summary(horizon=100, cost=300.0)
    assert s.completion_rate == 3 / 4 and s.handover_rate == 3 / 3
    # 26 weeks after programme end (38; 88 for citizen 3): citizens 1 and 3 (0 lapsed at 30)
    assert s.retention_26w == 2 / 4
    # 52 weeks after (week 64 / 114): citizen 3 is beyond the horizon, so 3 reached, 1 kept
    assert s.retention_52w == 1 / 3 and s.retained_52w == 1
    assert s.cost_per_retained_52w == 300.0
    # patient channel: of the eligible completers (citizens 0 and 1), citizen 0 joined and stays
    assert s.patient_uptake == 1 / 2 and s.patient_retention_52w == 1 / 2
    # active at 52 weeks: citizen 0 (patient, training), citizen 1 (sports); 3 reached
    assert s.active_52w == 2 / 3


def test_retention_is_counted_exactly_k_weeks_after_programme_end():
    """Started in week 0, the programme ends in week 12, so the 26- and 52-week points are weeks 38
    and 64: who lapses in that very week is not retained, who joins in it is, and a horizon of 64
    weeks (0 … 63) does not reach week 64."""
    citizens = {
        "start_week": np.array([[0, 0, 0, 0]]),
        "completed": np.array([[True, True, True, True]]),
        "handover_week": np.array([[12.0, 12.0, 38.0, 64.0]]),
        "lapse_week": np.array([[38.0, 64.0, NAN, NAN]]),
        "patient_join_week": np.full((1, 4), NAN),
        "patient_lapse_week": np.full((1, 4), NAN),
    }
    s = _summary(horizon=65, cost=0.0, citizens=citizens)
    assert s.retained_26w == 2 and s.retention_26w == 2 / 4  # citizens 1 (lapses later) and 2 (joins in week 38)
    assert s.retained_52w == 2 and s.retention_52w == 2 / 4  # citizens 2 and 3 (joins in week 64)
    short = _summary(horizon=64, cost=0.0, citizens=citizens)
    assert np.isnan(short.retention_52w) and short.reached_52w == 0 and short.retention_26w == 2 / 4


def test_retention_nan_when_horizon_reaches_nobody():
    s = _summary(horizon=40, cost=0.0)
    assert np.isnan(s.retention_52w) and np.isnan(s.cost_per_retained_52w)


def test_describe_interval_contains_mean():
    d = describe(pd.DataFrame({"handover_rate": [0.1, 0.2, 0.3]}), ("handover_rate",))
    row = d.loc["handover_rate"]
    assert np.isclose(row["mean"], 0.2) and row.ci_low < 0.2 < row.ci_high


def test_reached_and_window_end():
    assert reached(np.array([59.0, 60.0, NAN]), 60).tolist() == [True, False, False]
    cfg = sim.compose([])  # programme 12 weeks, window 4 weeks, Vanløse 2 free weeks first
    assert window_end(cfg, np.array([0, 0]), np.array([AMAGER, VANLOSE])).tolist() == [15, 17]


def test_rates_count_only_citizens_whose_outcome_the_horizon_reaches():
    # Horizon 62 (weeks 0..61). Citizen 2 completed in week 59 but is still deciding (window to week 63);
    # citizen 3 is still in the programme (its last week is 66); neither outcome is known yet.
    citizens = {
        "start_week": np.array([[0, 0, 48, 55]]),
        "completed": np.array([[True, True, True, False]]),
        "handover_week": np.array([[13.0, NAN, NAN, NAN]]),
        "lapse_week": np.full((1, 4), NAN),
        "patient_join_week": np.full((1, 4), NAN),
        "patient_lapse_week": np.full((1, 4), NAN),
    }
    s = _summary(horizon=62, cost=0.0, citizens=citizens)
    assert s.completion_rate == 3 / 3 and s.handover_rate == 1 / 2
    assert (s.started, s.completed, s.handed_over) == (4, 3, 1)  # the counts stay counts
    # a window that closes in the horizon's last week counts; Vanløse's free weeks push it out of reach
    assert _summary(horizon=64, cost=0.0, citizens=citizens).handover_rate == 1 / 3
    late = citizens["start_week"] + 12 + 2 + 4 - 1
    assert _summary(horizon=64, cost=0.0, citizens=citizens, decision_end=late).handover_rate == 1 / 2


def test_short_horizon_run_reports_rates_of_settled_citizens():
    # Two intake waves (weeks 0 and 6); a 16-week horizon ends with the first wave's window (weeks 12..15)
    # while the second wave is still in the programme: it must not count as not completed.
    short = ["intake.waves=2", "run.horizon_weeks=16", "run.replications=4", "run.progress=false"]
    s = sim.simulate(sim.compose([*short, "policy=amager"])).summary
    assert (s.completion_rate > 0.55).all()  # ≈ 0.75; ≤ 0.5 when the second wave counted as not completed
    assert s.handover_rate.notna().all()
    # under Vanløse the first wave's window closes in week 17 (two free weeks first): no handover rate yet
    vanlose = sim.simulate(sim.compose([*short, "policy=vanlose"])).summary
    assert vanlose.handover_rate.isna().all() and vanlose.completion_rate.notna().all()
