"""The shipped posterior (conf/params/ensemble/<city>.csv, installed by sim.install_calibration) is the
current spec's, meets its thresholds, agrees with params=calibrated, and still fits with today's code
(the slow test re-runs its posterior predictive check: a model change that moved the fit fails here,
and the calibration must be run again)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.calibrate import FORCED, PREDICTIVE_SEED, PRIORS
from sim.workflows import ensemble
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.calibration.spec import base_value
from sim.workflows.compose import compose
from tests.conftest import skip_unless_ci

CITY = "copenhagen"


@pytest.fixture(scope="module")
def shipped():
    if not ensemble.path(CITY).is_file():
        skip_unless_ci("no posterior shipped")
    base = compose([PRIORS, *FORCED])
    spec = specs.load(CITY, base, st.summary_columns(base))
    table = pd.read_csv(ensemble.path(CITY))
    info = yaml.safe_load(ensemble.provenance_path(CITY).read_text(encoding="utf-8"))
    return base, spec, table, info


def test_the_shipped_posterior_is_the_current_specs_and_passed(shipped):
    _, spec, table, info = shipped
    assert info["digest"] == spec.digest, "the spec changed since the posterior was made: calibrate again"
    assert info["passed"] and info["ess"] >= 500 and info["pareto_k"] < 0.7 and info["max_weight"] < 0.01
    assert ensemble.keys(table) == spec.keys
    assert np.allclose(table.weight, 1 / len(table)) and len(table[spec.keys].drop_duplicates()) >= 200
    assert ensemble.effective_size(table) >= 200


def test_params_calibrated_is_the_posterior_median(shipped):
    _, spec, table, _ = shipped
    point = compose(["params=calibrated"])
    for p in spec.parameters:
        median = table[p.key].median()
        value = base_value(point, p.key)
        assert value == pytest.approx(round(median) if p.integer else median, abs=1e-3), p.key


@pytest.mark.slow
def test_the_shipped_posterior_still_fits_with_todays_code(shipped):
    """200 of the draws, 3 fresh replications each (with the discrepancy and rounding): at least 14 of
    the 15 rows inside their 95% posterior predictive intervals, and the new teams' predictive tail
    (the share of reports of 26 or more) where the shipped fit put it (docs/results/calibration_fit.csv:
    near the edge), within 4 standard errors counted over the 200 draws alone (conservative: the
    replications of one draw are correlated)."""
    base, spec, table, _ = shipped
    draws = table[spec.keys].iloc[:: max(1, len(table) // 200)].reset_index(drop=True)
    predicted = st.predictive(base, spec, draws, 3, PREDICTIVE_SEED + 1)
    inside = {t.name: bool(np.percentile(x := predicted[t.name], 2.5) <= t.observed <= np.percentile(x, 97.5))
              for t in spec.targets}
    shipped_fit = pd.read_csv(Path(__file__).resolve().parents[2] / "docs" / "results" / "calibration_fit.csv")
    tail = float(shipped_fit.set_index("name").loc["new_teams", "tail"])
    fresh = float(np.mean(predicted["new_teams"] >= 26))
    assert abs(fresh - tail) <= 4 * np.sqrt(tail * (1 - tail) / len(draws)), (fresh, tail)
    assert sum(v for k, v in inside.items() if k != "new_teams") >= 14, inside
