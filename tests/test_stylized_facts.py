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
