"""The baseline script refuses without a reason and states changes in standard-error units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.engines import update_baseline


@pytest.mark.parametrize("argv", [[], ["--reason", ""], ["--reason", "because"]])
def test_no_reason_no_new_baselines(argv, capsys, monkeypatch):
    monkeypatch.setattr(update_baseline, "anchor_sample", lambda *a: pytest.fail("simulated before refusing"))
    with pytest.raises(SystemExit) as exit_:
        update_baseline.main(argv)
    assert exit_.value.code == 2 and "say why the baselines change" in capsys.readouterr().err


def test_changes_in_se_units():
    se = pd.Series({"moved": 0.5, "same": 0.5, "fixed": 0.0, "fixed_moved": 0.0, "undefined": 0.1})
    old = pd.Series({"moved": 1.0, "same": 2.0, "fixed": 360.0, "fixed_moved": 360.0, "undefined": 0.3})
    new = pd.Series({"moved": 2.5, "same": 2.0, "fixed": 360.0, "fixed_moved": 359.0, "undefined": np.nan})
    z = update_baseline.z_scores(new, old, se)
    assert z["moved"] == 3.0 and z["same"] == 0.0 and z["fixed"] == 0.0
    assert z["fixed_moved"] == -np.inf and np.isnan(z["undefined"])
    text = update_baseline.describe(z, "title")
    assert text.splitlines()[0] == "title" and "moved" in text.splitlines()[3] and "+3.00 SE" in text


def test_golden_se_is_that_of_a_difference_of_two_means():
    anchor = pd.DataFrame({"sd": [2.0]}, index=["x"])
    assert update_baseline.golden_se(anchor, 4)["x"] == pytest.approx(2.0 * np.sqrt(2 / 4))
