"""sim.workflows.calibration.likelihood: each likelihood against a value computed by hand."""

import math

import numpy as np
import pytest

from sim.workflows.calibration.likelihood import binomial, negative_binomial, nll, normal, poisson, prior_penalty


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


def test_normal_and_prior_by_hand():
    # y = 1, mean 0, sd 2: 0.5 ln(2 pi 4) + 1/8
    assert normal(1.0, 0.0, 2.0) == pytest.approx(1.737085, abs=1e-6)
    assert nll("normal", 1.0, np.array([-1.0, 1.0]), sd=2.0) == pytest.approx(1.737085, abs=1e-6)
    assert prior_penalty(1.0, 0.0, 2.0) == pytest.approx(1.737085, abs=1e-6)


def test_a_zero_mean_is_floored_at_half_a_count_over_the_replications():
    # 2 replications of 0: mean floored at 1/(2*2) = 0.25
    assert nll("poisson", 1, np.zeros(2)) == pytest.approx(poisson(1, 0.25))
    with pytest.raises(ValueError, match="likelihood"):
        nll("gamma", 1, np.ones(2))
