"""sim.workflows.calibration.likelihood: each likelihood against a value computed by hand."""

import math

import numpy as np
import pytest

from sim.workflows.calibration.likelihood import binomial, negative_binomial, nll, normal, poisson


def test_poisson_by_hand():
    # y = 3, mean 2: -log(e^-2 2^3 / 3!) = 2 - 3 ln 2 + ln 6
    assert poisson(3, 2.0) == pytest.approx(1.712318, abs=1e-6)
    assert nll("poisson", 3, np.array([1.0, 3.0])) == pytest.approx(1.712318, abs=1e-6)


def test_negative_binomial_by_hand():
    # mean 2, variance 4: size k = 2, p = 1/2; P(y = 2) = C(3, 2) (1/2)^2 (1/2)^2 = 3/16
    assert negative_binomial(2, 2.0, 4.0) == pytest.approx(-math.log(3 / 16), abs=1e-9)
    assert nll("negative_binomial", 2, np.array([0.0, 2.0, 4.0])) == pytest.approx(-math.log(3 / 16), abs=1e-9)
    # no overdispersion in the replications: the Poisson
    assert nll("negative_binomial", 3, np.array([2.0, 2.0])) == pytest.approx(poisson(3, 2.0))


def test_binomial_by_hand():
    # share 1/2 of n = 4 trials at p = 1/2: C(4, 2) / 16 = 6/16
    assert binomial(0.5, 0.5, 4) == pytest.approx(-math.log(6 / 16), abs=1e-9)
    assert nll("binomial", 0.5, np.array([0.4, 0.6]), n=4) == pytest.approx(-math.log(6 / 16), abs=1e-9)


def test_normal_by_hand():
    # y = 1, mean 0, sd 2: 0.5 ln(2 pi 4) + 1/8
    assert normal(1.0, 0.0, 2.0) == pytest.approx(1.737085, abs=1e-6)
    assert nll("normal", 1.0, np.array([-1.0, 1.0]), sd=2.0) == pytest.approx(1.737085, abs=1e-6)


def test_a_zero_mean_is_floored_at_half_a_count_over_the_replications():
    # 2 replications of 0: mean floored at 1/(2*2) = 0.25
    assert nll("poisson", 1, np.zeros(2)) == pytest.approx(poisson(1, 0.25))
    with pytest.raises(ValueError, match="likelihood"):
        nll("gamma", 1, np.ones(2))


def test_the_rounding_bin_holds_the_counts_that_round_to_the_figure():
    from sim.workflows.calibration.likelihood import count_bin

    assert count_bin(15, 5).tolist() == [13, 14, 15, 16, 17]  # 12.5 ≤ y < 17.5
    assert count_bin(0, 5).tolist() == [0, 1, 2]  # never below 0
    assert count_bin(4, 1).tolist() == [4]


def test_a_reported_count_by_hand():
    from sim.workflows.calibration.likelihood import reported_count

    # replications with mean 2 and variance 4 (ddof 1), no discrepancy, exact: the negative binomial above
    sims = np.array([[0.0, 2.0, 4.0]])
    assert reported_count(2, sims)[0] == pytest.approx(math.log(3 / 16), abs=1e-9)
    # rounded to 5: the probability of every count 0..2 (the bin of 0) — P(0) = 1/4, P(1) = 1/4, P(2) = 3/16
    assert reported_count(0, sims, rounded=5)[0] == pytest.approx(math.log(1 / 4 + 1 / 4 + 3 / 16), abs=1e-9)
    # a discrepancy of 50% of the mean adds (0.5·2)² = 1 to the variance: mean 2, variance 5, size 4/3
    from scipy import stats

    size = 4 / 3
    expected = stats.nbinom.logpmf(2, size, size / (size + 2))
    assert reported_count(2, sims, discrepancy=0.5)[0] == pytest.approx(expected, abs=1e-9)
    # one row per parameter set
    two = np.array([[0.0, 2.0, 4.0], [2.0, 2.0, 2.0]])
    assert reported_count(3, two).shape == (2,)
    assert reported_count(3, two)[1] == pytest.approx(-poisson(3, 2.0))  # no overdispersion: Poisson
