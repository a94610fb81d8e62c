"""Intake for planning (sim/model/intake.py): citizens a year into cohorts, and a horizon that reaches."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import UserError
from sim.model import intake
from sim.model.city import build_city
from sim.model.population import schedule
from tests.conftest import MECHANICS

QUICK = [*MECHANICS, "run.replications=2", "run.progress=false", "run.citizens_table=false", "run.weekly_table=false"]


def test_citizens_per_year_become_whole_cohorts_spread_over_the_year():
    cfg = sim.compose(["intake.citizens_per_year=600", "intake.years=2"])
    assert intake.cohorts_per_year(cfg) == dict.fromkeys(cfg.city.centres, 10)  # 120 per centre / 12
    centre, cohort, start = schedule(cfg, build_city(cfg))
    assert len(centre) == 5 * 10 * 2 * 12
    starts = np.unique(start[centre == 0])
    np.testing.assert_array_equal(starts[:10], [0, 5, 10, 15, 20, 26, 31, 36, 41, 46])  # floor(j * 52 / 10)
    assert starts[10] == 52 and starts[-1] == 52 + 46
    assert np.all(np.diff(start) >= 0)  # ordered by start week, as the engines expect
    assert cfg.run.horizon_weeks == 98 + 12 + 52 + 1  # extended: the last starter's 52-week follow-up


def test_per_centre_intake_and_rounding_to_whole_cohorts():
    cfg = sim.compose(["city.centres.amager.citizens_per_year=100", "city.centres.vesterbro.citizens_per_year=5"])
    assert intake.planned_per_year(cfg) == {"osterbro": 0, "norrebro": 0, "amager": 96, "vanlose": 0,
                                            "vesterbro": 12}
    centre, _, _ = schedule(cfg, build_city(cfg))
    assert set(np.unique(centre)) == {2, 4}
    assert cfg.run.horizon_weeks == 136  # a longer horizon than needed is kept


def test_city_total_minus_the_centres_own_is_split_over_the_others():
    cfg = sim.compose(["intake.citizens_per_year=600", "city.centres.amager.citizens_per_year=240"])
    assert intake.per_centre(cfg) == {"osterbro": 90, "norrebro": 90, "amager": 240, "vanlose": 90, "vesterbro": 90}


@pytest.mark.parametrize(("overrides", "needle"), [
    (["intake.years=2"], "intake.years needs intake.citizens_per_year"),
    (["intake.citizens_per_year=100", "city.centres.amager.citizens_per_year=150"], "less than the centres' own"),
    (["intake.citizens_per_year=100", "intake.waves=20"], "intake.waves=20 has no effect"),
    (["city.centres.amagr.citizens_per_year=5"], "amagr"),
    (["intake.citizens_per_year=-1"], "intake.citizens_per_year=-1.0 is out of range"),
    (["city.centres.amager.citizens_per_year=-1"], "out of range"),
])
def test_bad_intake_is_refused(overrides, needle):
    with pytest.raises(UserError, match=needle):
        sim.compose(overrides)


def test_yearly_intake_changes_results_as_documented():
    """More citizens a year: more starters, and every one of them reached by the 52-week follow-up."""
    small = sim.simulate(sim.compose(["intake.citizens_per_year=120", *QUICK])).summary
    large = sim.simulate(sim.compose(["intake.citizens_per_year=600", "intake.years=2", *QUICK])).summary
    assert (small.started == 120).all() and (large.started == 1200).all()
    assert (small.reached_52w == small.started).all() and (large.reached_52w == large.started).all()
    assert (large.handed_over > small.handed_over).all()
