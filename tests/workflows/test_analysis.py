"""sim.workflows.analysis.rates_by: rates per group of citizens, counting only outcomes the horizon reaches."""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim
from sim.model.results import Results
from sim.workflows.analysis import RATES_BY, rates_by

NAN = np.nan


def _results(citizens: pd.DataFrame, *overrides: str) -> Results:
    cfg = sim.compose(["policy=amager", *overrides])
    return Results(summary=pd.DataFrame(), weekly=pd.DataFrame(), teams=pd.DataFrame(), citizens=citizens, config=cfg)


def test_rates_by_known_answer_with_a_horizon_that_cuts_through_outcomes():
    # Horizon 70 (weeks 0..69); programme 12 weeks, window 4. Citizens 0, 1 reach their 52-week mark
    # (week 64), citizens 2, 3 do not (week 70); citizen 4 completed in week 66 and is still deciding.
    citizens = pd.DataFrame({
        "replication": 0,
        "citizen": range(5),
        "diagnosis": "copd",
        "start_week": [0, 0, 6, 6, 55],
        "completed": True,
        "handover_week": [13.0, NAN, 19.0, 20.0, NAN],
        "lapse_week": NAN,
    })
    table = rates_by(_results(citizens, "run.horizon_weeks=70"), "diagnosis").set_index("metric")["mean"]
    assert table.index.tolist() == list(RATES_BY)
    assert table["handover_rate"] == 3 / 4  # citizen 4's window is still open
    assert table["completer_retention_52w"] == 1 / 2  # of citizens 0 and 1; 2 and 3 are not yet reached


def test_rates_by_stay_shares_on_a_short_run():
    # Nobody lapses, so the second wave (52-week mark past the horizon) would push retention above 1
    # if its members counted in the numerator only.
    cfg = sim.compose(["intake.waves=2", "run.horizon_weeks=70", "run.replications=3", "run.progress=false",
                       "policy=amager", "club.lapse_base=0", "handover.intercept=2"])
    table = rates_by(sim.simulate(cfg), "centre")
    assert set(table["metric"]) == set(RATES_BY)
    assert table["mean"].between(0, 1).all()
    retention = table[table["metric"] == "completer_retention_52w"]["mean"]
    assert retention.between(0.2, 1).all()  # the test can see a real share, not just NaN
