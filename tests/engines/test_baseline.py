"""Golden baseline: the summary of a fixed small run must not change unless we mean it to.

If this fails after a deliberate model change, regenerate with `python -m tests.engines.update_baseline`
and explain the change in the commit message.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.engines.update_baseline import HERE, baseline_summary


@pytest.mark.parametrize("engine", ["agent", "vector"])
def test_summary_matches_golden_baseline(engine):
    expected = pd.read_csv(HERE / f"summary_{engine}.csv")
    actual = baseline_summary(engine)
    pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected, check_dtype=False, rtol=1e-9)
