"""MODEL.md §7: stylized facts the default Copenhagen configuration must reproduce.

Differences are paired over replications (same seeds = same citizens, common random numbers) and
must exceed 3 standard errors of the mean paired difference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim

RUN = ["run.engine=vector", "run.replications=200", "run.progress=false", "run.citizens_table=false",
       "run.weekly_table=false"]


def summary(*overrides: str) -> pd.DataFrame:
    return sim.simulate(sim.compose([*RUN, *overrides])).summary


def clearly_above(a: pd.Series, b: pd.Series) -> bool:
    d = a.to_numpy() - b.to_numpy()
    return d.mean() > 3 * d.std(ddof=1) / np.sqrt(len(d))


pytestmark = pytest.mark.slow


def test_handover_ranking_of_the_policies():
    rate = {p: summary(f"policy={p}").handover_rate for p in ("baseline", "amager", "vesterbro", "vanlose")}
    for better in ("amager", "vesterbro"):
        for worse in ("baseline", "vanlose"):
            assert clearly_above(rate[better], rate[worse]), (better, worse)
    assert clearly_above(rate["amager"], rate["vesterbro"])


def test_retention_rises_with_cafes_and_falls_with_turnover():
    with_cafe, without = summary("club.cafe=true"), summary("club.cafe=false")
    assert clearly_above(with_cafe.retention_52w, without.retention_52w)
    low, high = summary("instructor.turnover_annual=0.05"), summary("instructor.turnover_annual=0.9")
    assert clearly_above(low.retention_52w, high.retention_52w)


def test_least_resourceful_are_handed_over_least():
    cfg = sim.compose(["run.engine=vector", "run.replications=40", "run.progress=false", "policy=amager"])
    cz = sim.simulate(cfg).citizens
    done = cz[cz.completed]
    quintile = pd.qcut(done.resourcefulness, 5, labels=False)
    rate = done.handover_week.notna().groupby([done.replication, quintile]).mean().unstack()
    assert clearly_above(rate[4], rate[0])


# Fact 4 (MODEL.md §7): the calibrated default under the 2012-13 mix. Counted at the project's end
# (week 69, docs/calibration.md) with a seed the calibration did not use.
def _project_end():
    from sim.calibrate import FORCED
    from sim.workflows.calibration import spec as specs
    from sim.workflows.calibration.study import summary_columns
    from sim.workflows.calibration.targets import Metric, Observed

    base = sim.compose([*(o for o in FORCED if "uncertainty" not in o), "run.replications=200", "run.seed=5"])
    spec = specs.load("copenhagen", base, summary_columns(base))
    observed = Observed(sim.simulate(base))
    simulated = {t.name: observed.total(t.metrics, t.at_week) for t in spec.targets}
    simulated["handed_over"] = observed.value(Metric("summary", "handed_over"), 69)
    return spec, simulated, base


def test_calibrated_mix_hands_over_about_300_spread_as_in_the_table():
    spec, simulated, _ = _project_end()
    assert 240 <= simulated["handed_over"].mean() <= 360
    rows = [t for t in spec.targets if t.name != "new_teams"]
    inside = [np.percentile(simulated[t.name], 2.5) <= t.observed <= np.percentile(simulated[t.name], 97.5)
              for t in rows]
    assert sum(inside) >= 12, f"{sum(inside)} of {len(rows)} rows inside the 95% range"


def test_vanlose_partner_team_is_among_the_likeliest_to_close():
    """MODEL.md §7: the Vanløse partner team is the likeliest to close. With the posterior's defaults
    it is tied with Idræt i Dagtimerne's Vanløse team and Nørrebro United (each closing in a quarter
    to a third of runs; which leads changes with the seed), so the test asks that no team closes
    clearly more often: the leader's share minus the partner team's is within 3 standard errors."""
    res = sim.simulate(sim.compose([*RUN, "run.replications=400", "run.seed=5"]))
    listed = res.teams[~res.teams.team.str.contains("#")]
    closed = listed.assign(closed=listed.closed_week.notna()).groupby("team").closed.mean()
    partner = closed[sim.compose([]).city.centres["vanlose"].partner_team]
    top = closed.max()
    se = np.sqrt((top * (1 - top) + partner * (1 - partner)) / 400)
    assert top - partner <= 3 * se, closed.sort_values().tail(3).to_dict()
    assert partner >= closed.quantile(0.75), closed.sort_values().to_dict()  # and among the top quarter
