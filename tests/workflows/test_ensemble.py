"""sim.workflows.ensemble and run.uncertainty=ensemble: replications spread over parameter sets by weight,
deterministically, each replication keeping its own random streams (common random numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import UserError
from sim.model.config import Uncertainty
from sim.workflows import ensemble
from sim.workflows.compose import compose
from sim.workflows.params import apply
from sim.workflows.simulate import simulate
from sim.workflows.uncertainty import MONTE_CARLO, WITH_CALIBRATION, covers, explain
from tests.conftest import skip_unless_ci, small

TABLE = pd.DataFrame({"set": [7, 9], "weight": [0.75, 0.25], "handover.intercept": [-3.0, -5.0],
                      "city.teams.floorball.attractiveness": [1.0, -1.0]})


def test_assignment_follows_the_weights_and_the_seed():
    which = ensemble.assign(np.array([0.75, 0.25]), 400, seed=3)
    assert np.bincount(which).tolist() == [300, 100]  # systematic resampling: exact shares
    assert (ensemble.assign(np.array([0.75, 0.25]), 400, seed=3) == which).all()
    assert (ensemble.assign(np.array([0.75, 0.25]), 400, seed=4) != which).any()


def test_each_replication_runs_its_set_with_its_own_random_numbers():
    cfg = small("run.replications=6", "run.uncertainty=ensemble")
    res = simulate(cfg, ensemble_table=TABLE)
    assert covers(cfg) == WITH_CALIBRATION and "calibration" in explain(cfg)
    assert res.summary.replication.tolist() == list(range(6))
    for i, values, reps in ensemble.groups(cfg, TABLE, hold=False):
        alone = simulate(apply(small("run.replications=6"), values)).summary
        mine = res.summary[res.summary.replication.isin(reps)]
        assert (mine.parameter_set == TABLE.set[i]).all()
        pd.testing.assert_frame_equal(mine.drop(columns="parameter_set").reset_index(drop=True),
                                      alone[alone.replication.isin(reps)].reset_index(drop=True))


def test_a_key_set_away_from_its_calibrated_value_is_held(monkeypatch):
    monkeypatch.setattr(ensemble, "calibrated", lambda city: {"handover.intercept": -4.0,
                                                              "city.teams.floorball.attractiveness": 1.0})
    cfg = small("handover.intercept=-4.0", "city.teams.floorball.attractiveness=0.2")
    assert ensemble.held(cfg, TABLE) == ["city.teams.floorball.attractiveness"]
    values = [v for _, v, _ in ensemble.groups(cfg, TABLE)]
    assert all(set(v) == {"handover.intercept"} for v in values)


def test_the_default_spreads_over_a_shipped_ensemble_and_none_runs_the_point(monkeypatch, tmp_path):
    """One default for every command (conf/config.yaml): ensemble where the city ships one, else the point."""
    if not ensemble.path("copenhagen").is_file():
        skip_unless_ci("no ensemble shipped")
    assert sim.compose([]).run.uncertainty == Uncertainty.ensemble and covers(sim.compose([])) == WITH_CALIBRATION
    point = sim.compose(["run.uncertainty=none"])
    assert point.run.uncertainty == Uncertainty.none and covers(point) == MONTE_CARLO
    monkeypatch.setattr(ensemble, "PARAMS_FOLDER", tmp_path)  # a city without an ensemble
    assert sim.compose([]).run.uncertainty == Uncertainty.none


def test_the_shipped_ensemble_runs_from_conf():
    if not ensemble.path("copenhagen").is_file():
        skip_unless_ci("no ensemble shipped")
    res = simulate(small("run.replications=4", "run.uncertainty=ensemble"))
    assert res.summary.parameter_set.notna().all() and len(res.summary) == 4


def test_a_posterior_with_too_few_effective_draws_is_refused(monkeypatch, tmp_path):
    """An ensemble whose weights are effectively a handful of sets (ESS < 100) says so in one line."""
    weights = np.r_[[0.5, 0.39, 0.08, 0.02], np.full(196, 0.01 / 196)]
    thin = pd.DataFrame({"set": range(200), "weight": weights, "handover.intercept": np.linspace(-5, -4, 200)})
    assert ensemble.effective_size(thin) < 3
    folder = tmp_path / "ensemble"
    folder.mkdir()
    thin.to_csv(folder / "copenhagen.csv", index=False)
    monkeypatch.setattr(ensemble, "PARAMS_FOLDER", tmp_path)
    with pytest.raises(UserError, match=r"effective sample size of 2\.\d \(< 100\)"):
        ensemble.load(compose(["run.uncertainty=ensemble"]))
    # equal weights over 200 distinct draws: 200; the same draw repeated counts once
    even = thin.assign(weight=1 / 200)
    assert ensemble.effective_size(even) == pytest.approx(200)
    assert ensemble.effective_size(even.assign(**{"handover.intercept": -4.0})) == pytest.approx(1)
