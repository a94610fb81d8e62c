"""The calibration's sampler and prior: known answers (a conjugate normal model), resuming, the
prior's sampling and centring, and simulation-based calibration of the whole method on three
parameters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.calibrate import FORCED, PRIORS
from sim.workflows.calibration import sbc, smc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration.prior import Prior
from sim.workflows.calibration.study import summary_columns
from sim.workflows.compose import compose


class Normal:
    """Prior N(0, 2²) per coordinate."""

    dim = 3

    def sample(self, rng, n):
        return rng.normal(0.0, 2.0, (n, self.dim))

    def log_density(self, z):
        return -0.5 * np.sum((np.atleast_2d(z) / 2.0) ** 2, axis=1)


Y, S = np.array([1.0, -2.0, 3.0]), np.array([0.5, 1.0, 0.3])


def gaussian(z, batch):
    pointwise = -0.5 * ((z - Y) / S) ** 2
    return pointwise.sum(axis=1), pointwise


def test_known_posterior_of_a_conjugate_normal_model():
    """y_j ~ N(θ_j, s_j²), θ_j ~ N(0, 4): the posterior is normal with closed-form mean and sd. The
    draws' mean is within 4 standard errors (sd/√(N/4): the moves leave draws correlated, a quarter of
    N is a conservative effective size), the sd within 10%, and the weights meet the thresholds."""
    n = 2000
    state = smc.run(Normal(), gaussian, smc.Settings(particles=n, seed=1))
    var = 1 / (1 / 4 + 1 / S**2)
    mean, sd = var * Y / S**2, np.sqrt(var)
    assert np.all(np.abs(state.z.mean(axis=0) - mean) < 4 * sd / np.sqrt(n / 4)), (state.z.mean(axis=0), mean)
    np.testing.assert_allclose(state.z.std(axis=0), sd, rtol=0.1)
    d = smc.final_diagnostics(state)
    assert d["ess"] >= 0.5 * n and d["max_weight"] < 0.01 and d["pareto_k"] < 0.7 and d["distinct"] > 0.5 * n
    # a sampler that ignored the likelihood would give the prior: sd 2, mean 0
    assert np.all(state.z.std(axis=0) < 1.5)


def test_the_random_walk_proposal_gives_the_same_posterior():
    state = smc.run(Normal(), gaussian, smc.Settings(particles=1000, seed=2, proposal="walk", max_moves=8))
    var = 1 / (1 / 4 + 1 / S**2)
    np.testing.assert_allclose(state.z.mean(axis=0), var * Y / S**2, atol=4 * np.sqrt(var.max()) / np.sqrt(250))


def test_a_resumed_run_gives_the_same_draws(tmp_path):
    path = tmp_path / "state.npz"
    settings = smc.Settings(particles=300, seed=4)
    saved = []

    def save(state):
        state.save(path)
        saved.append(state.batches)

    whole = smc.run(Normal(), gaussian, settings)
    smc.run(Normal(), gaussian, settings, save=save)
    # resume from a state saved half way, as after a kill
    halfway = tmp_path / "halfway.npz"
    count = {"n": 0}

    def stop(state):
        state.save(halfway)
        count["n"] += 1
        if count["n"] == len(saved) // 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        smc.run(Normal(), gaussian, settings, save=stop)
    resumed = smc.run(Normal(), gaussian, settings, state=smc.State.load(halfway))
    np.testing.assert_array_equal(resumed.z, whole.z)
    assert resumed.history == whole.history


def test_next_temperature_keeps_the_target_ess():
    ll = np.random.default_rng(0).normal(-50, 10, 1000)
    phi = smc.next_phi(ll, 0.0, 500)
    assert 0 < phi < 1 and smc.ess(phi * ll) == pytest.approx(500, rel=1e-3)
    assert smc.next_phi(np.zeros(100), 0.3, 50) == 1.0  # a flat likelihood: straight to the posterior


@pytest.fixture(scope="module")
def shipped():
    base = compose([PRIORS, *FORCED])
    return Prior.of(specs.load("copenhagen", base, summary_columns(base)))


def test_prior_draws_stay_in_their_box_and_follow_their_prior(shipped):
    z = shipped.sample(np.random.default_rng(5), 4000)
    low, high = shipped.bounds()
    assert np.all((z >= low) & (z <= high)) and np.all(np.isfinite(shipped.log_density(z)))
    values = shipped.values(z)
    for j, p in enumerate(shipped.parameters):
        if p.integer:  # every whole value equally likely
            counts = np.bincount(values[:, j].astype(int) - int(p.low))
            assert len(counts) == p.high - p.low + 1
            assert stats.chisquare(counts).pvalue > 1e-4, p.key
        elif p.prior == "beta":
            lo, hi = stats.beta.cdf([p.low, p.high], *p.prior_beta)
            truncated = lambda x, p=p, lo=lo, hi=hi: (stats.beta.cdf(x, *p.prior_beta) - lo) / (hi - lo)  # noqa: E731
            assert stats.kstest(z[:, j], truncated).pvalue > 1e-4, p.key
    assert np.all(shipped.log_density(np.where(np.arange(shipped.dim) == 0, 99.0, z[:1])) == -np.inf)


SBC_SPEC = """
parameters:
  handover.intercept: {low: -6.5, high: -1.5, prior_sd: 0.7, prior_mean: -4.0}
  city.teams.b1908_football.attractiveness: {low: -3.0, high: 3.0, prior_sd: 1.0}
  city.teams.kom_i_gang.attractiveness: {low: -3.0, high: 3.0, prior_sd: 1.0}
sum_to_zero: [city.teams.b1908_football.attractiveness, city.teams.kom_i_gang.attractiveness]
discrepancy: 0.1
targets:
  - {name: b1908, metric: team.b1908_football.joined_total, observed: 10, likelihood: negative_binomial, rounded: 5,
     at_week: 40}
  - {name: kom, metric: team.kom_i_gang.joined_total, observed: 10, likelihood: negative_binomial, at_week: 40}
  - {name: total, metric: summary.handed_over, observed: 50, likelihood: negative_binomial, at_week: 40}
"""
SBC_TABLES = 16


@pytest.mark.slow
def test_simulation_based_calibration_on_three_parameters(tmp_path):
    """The shipped method (tempered SMC, the same data model) on 16 synthetic tables of a small city,
    three parameters (the intercept and two attractivenesses summing to zero, so two free directions):
    the 90% intervals cover the truth within binomial error (counts below the 0.1% quantile of
    Binomial(16, 0.9) fail), the 50% ones too, and the data teach something (posterior sd below the
    prior's), so a sampler that returned the prior would fail."""
    path = tmp_path / "spec.yaml"
    path.write_text(SBC_SPEC)
    base = compose([PRIORS, *FORCED, "intake.waves=3", "run.horizon_weeks=50", "policy=amager", "run.n_jobs=1"])
    spec = specs.load(str(path), base, summary_columns(base))
    results = sbc.run(base, spec, SBC_TABLES, smc.Settings(particles=100), replications=4)
    table = sbc.coverage(results).set_index("parameter")
    for level in (50, 90):
        low, high = stats.binom.ppf([0.001, 0.999], SBC_TABLES, level / 100) / SBC_TABLES
        assert table[f"cover_{level}"].between(low, high).all(), table[[f"cover_{level}"]]
    prior_sd = Prior.of(spec).prior_sd()
    assert results.groupby("parameter", sort=False).posterior_sd.mean().to_numpy()[0] < 0.8 * prior_sd[0]


def test_coverage_is_read_off_the_truths_rank_so_ties_count_as_broken():
    """An integer key's truth equal to every draw is covered or not as its (randomly broken) rank says,
    not always: quantiles of tied draws would call a truth at either end covered. For continuous draws
    the rank reading agrees with the draws' central quantile interval."""
    draws = np.full(200, 3.0)
    assert not sbc.covered(0, 200, 0.9) and not sbc.covered(200, 200, 0.9) and sbc.covered(100, 200, 0.9)
    ranks = [sbc.rank(3.0, draws, np.random.default_rng(i)) for i in range(400)]
    share = np.mean(sbc.covered(np.array(ranks), 200, 0.9))
    assert abs(share - 0.9) < 3 * np.sqrt(0.9 * 0.1 / 400), share
    x = np.random.default_rng(1).normal(size=200)
    for truth in np.linspace(-2.5, 2.5, 41):
        low, high = np.quantile(x, [0.05, 0.95])
        if min(abs(truth - low), abs(truth - high)) > 0.05:  # away from the interval's ends
            assert sbc.covered(sbc.rank(truth, x, np.random.default_rng(0)), 200, 0.9) == (low <= truth <= high)
