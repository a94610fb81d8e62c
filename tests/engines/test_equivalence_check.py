"""The equivalence check itself (tests/engines/test_equivalence.py `_disagreements`) on made-up samples:
what it flags and what it compares, so that a column is never skipped silently."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.engines.test_equivalence import _disagreements, _uncompared

rng = np.random.default_rng(0)
NAN = float("nan")


def samples(agent: list[float] | np.ndarray, vector: list[float] | np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame({"x": np.asarray(agent, float)}), pd.DataFrame({"x": np.asarray(vector, float)})


def test_same_distribution_agrees_and_a_shift_of_many_se_does_not():
    a, v = rng.normal(0.4, 0.04, 100), rng.normal(0.4, 0.04, 1000)
    assert _disagreements(*samples(a, v)) == []
    se = 0.04 * np.sqrt(1 / 100 + 1 / 1000)
    (message,) = _disagreements(*samples(a + 6 * se, v))
    assert message.startswith("x: agent") and "SE)" in message


def test_missing_values_are_compared_per_column():
    """Undefined in 40 of 100 agent replications but in none of the vector's: flagged, even though the
    defined values agree."""
    a = np.where(np.arange(100) < 40, NAN, 0.5)
    (message,) = _disagreements(*samples(a, np.full(1000, 0.5)))
    assert message == "x: missing in 40 of 100 agent, 0 of 1000 vector replications"
    same_share = np.where(np.arange(1000) < 400, NAN, 0.5)
    assert _disagreements(*samples(a, same_share)) == []


def test_one_value_in_one_engine_is_still_compared():
    """A column with a single agent value (the others undefined) is compared with the vector's mean
    (pooled variance), not skipped: here both the missing share and the value disagree."""
    a = np.r_[5.0, np.full(99, NAN)]
    v = rng.normal(1.0, 0.1, 1000)
    flagged = _disagreements(*samples(a, v))
    assert any(m.startswith("x: missing") for m in flagged) and any(m.startswith("x: agent 5") for m in flagged)
    assert _uncompared(*samples(a, v)) == set()


def test_too_few_values_are_named_not_passed_silently():
    a, v = np.r_[1.0, np.full(99, NAN)], np.r_[2.0, np.full(999, NAN)]
    assert _uncompared(*samples(a, v)) == {"x"}
    assert _uncompared(*samples(np.full(100, NAN), np.full(1000, NAN))) == {"x"}  # undefined in both
    assert _uncompared(*samples(np.full(100, 1.0), np.full(1000, NAN))) == {"x"}
