"""Metric definitions (MODEL.md §5) on hand-made outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.metrics import describe, member_at, summarise

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


def _summary(horizon: int, cost: float):
    return summarise(_citizens(), np.array([cost]), 12, horizon, eligible=ELIGIBLE, training=TRAINING).iloc[0]


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


def test_retention_nan_when_horizon_reaches_nobody():
    s = _summary(horizon=40, cost=0.0)
    assert np.isnan(s.retention_52w) and np.isnan(s.cost_per_retained_52w)


def test_describe_interval_contains_mean():
    d = describe(pd.DataFrame({"handover_rate": [0.1, 0.2, 0.3]}), ("handover_rate",))
    row = d.loc["handover_rate"]
    assert np.isclose(row["mean"], 0.2) and row.ci_low < 0.2 < row.ci_high
