"""sim.workflows.analysis.incremental: the incremental cost per additional citizen retained (known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.workflows.analysis import incremental


def _summary(retained, cost) -> pd.DataFrame:
    return pd.DataFrame({"replication": np.arange(len(retained)), "retained_52w": retained,
                         "cost_municipality": cost})


REF = _summary([10, 12, 11, 13, 9, 10], [1000, 1100, 1050, 1200, 950, 1000])


def _row(other: pd.DataFrame) -> pd.Series:
    return incremental({"ref": REF, "plan": other}, "ref", seed=3).set_index("scenario").loc["plan"]


def test_ratio_of_mean_paired_differences():
    # +2, +4, +3, +5, +1, +3 citizens (mean 3) for +600, +1400, +900, +1500, +300, +700 DKK (mean 900)
    other = _summary([12, 16, 14, 18, 10, 13], [1600, 2500, 1950, 2700, 1250, 1700])
    row = _row(other)
    assert row["extra_retained_52w"] == pytest.approx(3.0) and row["extra_cost"] == pytest.approx(900.0)
    assert row["cost_per_extra"] == pytest.approx(300.0)  # 900 / 3, not the mean of the ratios (≈ 292)
    assert row["ratio_low"] < 300 < row["ratio_high"] and row["verdict"] == "costs more per extra citizen"
    # paired differences: their interval is that of the per-replication differences
    d = np.array([2, 4, 3, 5, 1, 3])
    half = 1.96 * d.std(ddof=1) / np.sqrt(len(d))
    assert row["extra_retained_52w_low"] == pytest.approx(3 - half)


def test_a_constant_ratio_has_a_zero_width_interval():
    other = _summary(REF.retained_52w + 2, REF.cost_municipality + 1000)
    row = _row(other)
    assert row["cost_per_extra"] == row["ratio_low"] == row["ratio_high"] == pytest.approx(500.0)


def test_dominated():
    other = _summary(REF.retained_52w - 1, REF.cost_municipality + 300)
    row = _row(other)
    assert row["verdict"] == "dominated" and row["extra_cost"] > 0 > row["extra_retained_52w"]


def test_saves_money():
    other = _summary(REF.retained_52w + 1, REF.cost_municipality - 200)
    row = _row(other)
    assert row["verdict"] == "saves money" and row["cost_per_extra"] == pytest.approx(-200.0)


def test_saves_money_but_retains_fewer():
    row = _row(_summary(REF.retained_52w - 2, REF.cost_municipality - 400))
    assert row["verdict"] == "saves money, retains fewer" and row["cost_per_extra"] == pytest.approx(200.0)


def test_unbounded_when_the_effect_may_be_zero():
    other = _summary(REF.retained_52w + [1, -1, 1, -1, 1, 0], REF.cost_municipality + 100)
    row = _row(other)
    assert row["cost_per_extra"] == pytest.approx(100 / (1 / 6))
    assert np.isnan(row["ratio_low"]) and np.isnan(row["ratio_high"])


def test_no_difference_in_retained_gives_no_ratio():
    row = _row(_summary(REF.retained_52w, REF.cost_municipality + 10))
    assert np.isnan(row["cost_per_extra"]) and row["verdict"] == "dominated"


def test_bootstrap_is_seeded():
    other = _summary([12, 16, 14, 18, 10, 13], [1600, 2500, 1950, 2700, 1250, 1700])
    a = incremental({"ref": REF, "plan": other}, "ref", seed=3)
    pd.testing.assert_frame_equal(a, incremental({"ref": REF, "plan": other}, "ref", seed=3))
