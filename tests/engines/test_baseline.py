"""Baselines that explain themselves (tests/engines/update_baseline.py).

The golden summaries of a fixed small run must not change unless we mean them to: any change of
behaviour or of the random draws fails `test_summary_matches_golden_baseline`, which says by how many
standard errors each column moved. Regenerate them with
`python -m tests.engines.update_baseline --reason "..."` and explain the change in the commit.

The statistical anchor survives a change of draw order: a fresh sample of ANCHOR_REPLICATIONS vector
replications (CHECK_SEED, not the anchor's seed) must agree with the anchor's mean of every summary
column within K standard errors of the difference of two independent means. K = 4: for each of the
~37 columns a two-sided normal tail beyond 4 SE has probability 6.3e-5, so a change that only
redraws the random numbers fails the test with probability about 37 × 6.3e-5 ≈ 0.2%, while a change
of behaviour that moves a mean by 5 SE or more (about 1% of the handover rate, 4% of 52-week
retention) is caught. Columns without spread (counts fixed by the plan, costs of the intake) must
agree exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.engines.update_baseline import (
    ANCHOR,
    ANCHOR_REPLICATIONS,
    CHECK_SEED,
    HERE,
    anchor_sample,
    anchor_table,
    baseline_summary,
    describe,
    golden_se,
    z_scores,
)

K = 4.0


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_summary_matches_golden_baseline(engine):
    expected = pd.read_csv(HERE / f"summary_{engine}.csv")
    actual = baseline_summary(engine).reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9)
    except AssertionError as exc:
        anchor = pd.read_csv(ANCHOR, index_col="column")
        z = z_scores(actual.drop(columns="replication").mean(), expected.drop(columns="replication").mean(),
                     golden_se(anchor, len(actual)))
        raise AssertionError(f"{exc}\n\n{describe(z, 'change of each column mean, in SE units')}") from None


@pytest.mark.slow
def test_summary_matches_statistical_anchor():
    anchor = pd.read_csv(ANCHOR, index_col="column")
    fresh = anchor_table(anchor_sample(CHECK_SEED))
    assert list(fresh.index) == list(anchor.index), "the summary's columns changed: regenerate the anchor"
    assert (fresh["n"] == ANCHOR_REPLICATIONS).all() and (anchor["n"] == ANCHOR_REPLICATIONS).all()
    se = np.sqrt(anchor["se"] ** 2 + fresh["se"] ** 2)
    z = z_scores(fresh["mean"], anchor["mean"], se)
    off = z[~(z.abs() <= K)]  # NaN (a column that became undefined) counts as off
    assert off.empty, describe(z, f"columns beyond {K:g} SE of the anchor:")
