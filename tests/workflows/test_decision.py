"""sim.workflows.decision (`from sim import decision`): known answers for EVPI and EVPPI, invariants of the
acceptability curve, parameter groups; sim.workflows.analysis.decision_table.

The toy (Strong, Oakley & Brennan 2014's check): two plans whose incremental net benefit is
INB = a + b·θ1 + c·θ2 + s·ε with independent standard normal θ1, θ2, ε. For X ~ N(μ, σ²),
E[max(X, 0)] − max(μ, 0) = σφ(μ/σ) + μΦ(μ/σ) − max(μ, 0), so EVPI has σ = √(b² + c² + s²),
EVPPI(θ1) σ = |b|, EVPPI(θ1, θ2) σ = √(b² + c²); and EVPPI of a parameter that plays no part is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

import sim
from sim import decision
from sim.model.config import AssociationCfg, CentreCfg, TeamSpec, flat_overrides
from sim.workflows import ensemble
from sim.workflows.analysis import decision_table

A, B, C, S = 0.2, 1.0, 0.7, 1.0
DRAWS = 1000


def gain(mu: float, sd: float) -> float:
    """E[max(X, 0)] − max(μ, 0) for X ~ N(μ, sd²)."""
    return sd * norm.pdf(mu / sd) + mu * norm.cdf(mu / sd) - max(mu, 0.0) if sd > 0 else 0.0


IRRELEVANT = [f"t{i}" for i in range(3, 9)]
EVERYTHING = ["t1", "t2", *IRRELEVANT]


def toy(seed: int, a: float = A, n: int = DRAWS) -> tuple[np.ndarray, pd.DataFrame]:
    """Net benefit (draws × 2 plans, a shared noisy baseline) and parameters θ1 … θ8 (θ3 … θ8 play no part)."""
    rng = np.random.default_rng(seed)
    theta = pd.DataFrame(rng.standard_normal((n, 8)), columns=EVERYTHING)
    inb = a + B * theta["t1"] + C * theta["t2"] + S * rng.standard_normal(n)
    base = 1000 + 50 * rng.standard_normal(n)  # common to both plans: changes no decision
    return np.column_stack([base, base + inb]), theta


def evpi_se(nb: np.ndarray) -> float:
    """Monte Carlo standard error of EVPI: sd(max NB − NB of the plan best on average) / √draws."""
    return float((nb.max(axis=1) - nb[:, nb.mean(axis=0).argmax()]).std(ddof=1) / np.sqrt(len(nb)))


def test_evpi_matches_its_closed_form():
    nb, _ = toy(0)
    assert decision.evpi(nb) == pytest.approx(gain(A, np.sqrt(B**2 + C**2 + S**2)), abs=2 * evpi_se(nb))


@pytest.mark.parametrize(
    ("columns", "sd", "method"),
    [(["t1"], B, "gam"), (["t2"], C, "gam"), (["t1", "t2"], np.hypot(B, C), "gam"),
     (["t1", "t2", "t3"], np.hypot(B, C), "gp"), (["t1", "t2", "t3"], np.hypot(B, C), "gam"),
     (EVERYTHING, np.hypot(B, C), "gp")],
)
def test_evppi_matches_its_closed_form_within_two_standard_errors(columns, sd, method):
    nb, theta = toy(1)
    value, se = decision.evppi(nb, theta[columns], method=method)
    assert 0 < se < 0.2 * value  # precise enough for the comparison to mean something
    assert value == pytest.approx(gain(A, sd), abs=2 * se)


@pytest.mark.slow
def test_evppi_standard_error_covers_the_truth_across_seeds():
    """The stated standard error is honest: over 40 toys, the estimate's spread matches it (on 300 toys
    95% of estimates fell within 2 standard errors; the regression's error alone covered about 80%)."""
    z = []
    for seed in range(40):
        nb, theta = toy(100 + seed)
        value, se = decision.evppi(nb, theta[["t1"]])
        z.append((value - gain(A, B)) / se)
    z = np.array(z)
    assert np.mean(np.abs(z) < 2) >= 0.8
    assert 0.7 < z.std() < 1.4 and abs(z.mean()) < 0.5


def test_evppi_is_ordered_between_zero_and_evpi():
    nb, theta = toy(2)
    part, part_se = decision.evppi(nb, theta[["t1"]])
    more, more_se = decision.evppi(nb, theta[["t1", "t2"]])
    total = decision.evpi(nb)
    assert part > -2 * part_se
    assert part <= more + 2 * np.hypot(part_se, more_se)
    assert more <= total + 2 * np.hypot(more_se, evpi_se(nb))


@pytest.mark.parametrize("a", [A, 0.0])  # a = 0: the plans tie on average, where a noisy fit biases EVPPI up most
def test_evppi_without_parameter_uncertainty_is_zero_within_its_error(a):
    nb, theta = toy(3, a=a)
    value, se = decision.evppi(nb, theta[["t3"]])  # pure noise: θ3 plays no part
    assert abs(value) <= 2 * se
    value, se = decision.evppi(nb, theta[IRRELEVANT])  # six of them, by the Gaussian process
    assert abs(value) <= 2 * se
    assert decision.evppi(nb, np.full(DRAWS, 4.0)) == (0.0, 0.0)  # the input does not vary


def test_one_plan_has_no_value_of_information():
    nb, theta = toy(4)
    assert decision.evpi(nb[:, :1]) == 0
    assert decision.evppi(nb[:, 1], theta) == (0.0, 0.0)


def test_evppi_is_deterministic_and_checks_its_inputs():
    nb, theta = toy(5)
    assert decision.evppi(nb, theta[["t1"]], seed=3) == decision.evppi(nb, theta[["t1"]], seed=3)
    with pytest.raises(ValueError, match="rows"):
        decision.evppi(nb, theta[["t1"]].iloc[:10])
    with pytest.raises(ValueError, match="method"):
        decision.evppi(nb, theta[["t1"]], method="spline")
    with pytest.raises(ValueError, match="NaN"):
        decision.evpi(np.array([[1.0, np.nan]]))


def test_the_posterior_samples_partial_values_are_each_samples_own():
    """EVPPI's standard error and bias correction use one partial value per posterior sample, taken
    for all samples at once: exactly what each sample alone gives."""
    from sim.workflows.decision import _partial, _partials

    sampled = np.random.default_rng(7).normal(size=(50, 120, 3)) * 1e4
    np.testing.assert_array_equal(_partials(sampled), [_partial(g) for g in sampled])


def test_evppi_groups_rank_the_group_that_drives_the_decision_first():
    nb, theta = toy(6)
    inputs = pd.DataFrame({"handover.intercept": theta["t1"], "handover.familiarity": theta["t2"],
                           "costs.trial_session": theta["t3"], "club.lapse_base": 0.07})
    table = decision.evppi_groups(nb, inputs)
    assert table["group"].tolist() == ["handover", "costs"]  # club retention does not vary: left out
    assert table["parameters"].tolist() == [2, 1]
    assert table.loc[0, "evppi"] == pytest.approx(gain(A, np.hypot(B, C)), abs=2 * table.loc[0, "se"])


def test_net_benefit_and_population():
    assert decision.net_benefit(np.array([[2.0, 3.0]]), np.array([[100.0, 50.0]]), 40.0).tolist() == [[-20.0, 70.0]]
    assert decision.population(2.0, 1000, 5) == 10_000
    assert decision.population(2.0, 1000, 2, discount_rate=0.04) == pytest.approx(2000 * (1 + 1 / 1.04))


plans = st.integers(1, 4).flatmap(lambda k: st.integers(1, 40).flatmap(
    lambda n: st.tuples(*(arrays(np.float64, (n, k), elements=st.integers(-5, 5).map(float)) for _ in range(2)))))


@settings(max_examples=60, deadline=None)
@given(plans, st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 1e4]), min_size=1, max_size=4, unique=True))
def test_acceptability_sums_to_one_and_the_frontier_is_the_best_expected_plan(draws, wtp):
    effects, costs = draws
    table = decision.ceac(effects, costs, wtp)
    probabilities = table.drop(columns=["frontier", "frontier_probability"])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert ((probabilities >= 0) & (probabilities <= 1)).all().all()
    for lam, best, p in zip(table.index, table["frontier"], table["frontier_probability"], strict=True):
        expected = (lam * effects - costs).mean(axis=0)
        assert expected[best] == expected.max()
        assert p == table.loc[lam, best]


def test_acceptability_splits_ties_and_names_plans():
    effects = pd.DataFrame({"amager": [1.0, 1.0], "vesterbro": [2.0, 3.0]})
    costs = pd.DataFrame({"amager": [0.0, 0.0], "vesterbro": [100.0, 200.0]})
    table = decision.ceac(effects, costs, [50, 100, 200])  # at 100 the plans tie in every draw
    assert table.loc[100, ["amager", "vesterbro"]].tolist() == [0.5, 0.5]
    assert table.loc[50, "frontier"] == "amager" and table.loc[200, "frontier"] == "vesterbro"
    assert table.loc[200, "frontier_probability"] == 1.0


@settings(max_examples=60, deadline=None)
@given(plans, arrays(np.float64, 40, elements=st.integers(-100, 100).map(float)))
def test_evpi_is_nonnegative_and_ignores_what_all_plans_share(draws, shift):
    nb = draws[0]
    value = decision.evpi(nb)
    assert value >= -1e-9
    assert decision.evpi(nb + shift[: len(nb), None]) == pytest.approx(value, abs=1e-9)
    dominant = np.column_stack([nb.min(axis=1) - 1, nb.max(axis=1) + 1])  # best in every draw
    assert decision.evpi(dominant) == pytest.approx(0.0, abs=1e-9)


def test_parameter_groups_cover_the_calibrated_posterior_and_name_real_keys():
    cfg = sim.compose(["run.replications=2"])
    posterior = [c for c in pd.read_csv(ensemble.path("copenhagen"), nrows=1).columns if "." in c]
    groups = decision.parameter_groups(posterior)
    assert sum(len(keys) for keys in groups.values()) == len(posterior)  # every calibrated key has a group
    assert "team.open_threshold" in groups["team supply"] and "handover.intercept" in groups["handover"]
    assert all(k.endswith(".attractiveness") for k in groups["handover"] if k.startswith("city."))
    keys = list(flat_overrides(cfg))
    city = {"teams": TeamSpec, "associations": AssociationCfg, "centres": CentreCfg}
    for group, patterns in decision.PARAMETER_GROUPS.items():
        for pattern in patterns:
            if pattern.startswith("city."):  # city.<kind>.*.<field>: the field exists
                _, kind, _, *field = pattern.split(".")
                assert not field or field[0] in city[kind].__dataclass_fields__, (group, pattern)
            else:
                assert decision.parameter_groups(keys, {group: [pattern]}), (group, pattern)


def test_predictive_range_is_the_spread_of_outcomes_not_of_a_mean():
    x = np.random.default_rng(7).normal(10, 2, size=20_000)
    low, high = decision.predictive_range(x, level=0.9)
    assert low == pytest.approx(10 - 1.645 * 2, abs=0.1) and high == pytest.approx(10 + 1.645 * 2, abs=0.1)
    assert decision.predictive_range(x[:200], 0.9)[1] - decision.predictive_range(x[:200], 0.9)[0] > 5
    assert decision.p_better([1, 0, -1, np.nan]) == pytest.approx(1 / 3)
    assert decision.p_better([1, 0, -1, -2], higher_is_better=False) == 0.5


def test_decision_table_pairs_replications_and_knows_directions():
    a = pd.DataFrame({"replication": [0, 1, 2, 3], "handover_rate": [0.2, 0.3, 0.4, 0.5],
                      "cost_municipality": [10.0, 20, 30, 40]})
    b = pd.DataFrame({"replication": [3, 2, 1, 0], "handover_rate": [0.6, 0.5, 0.4, 0.1],
                      "cost_municipality": [40.0, 35, 15, 5]})
    table = decision_table({"a": a, "b": b, "twin": a}, "a", metrics=("handover_rate", "cost_municipality", "x"))
    rows = table.set_index(["metric", "scenario"])
    # handover b − a by replication: −0.1, +0.1, +0.1, +0.1; cost: −5, −5, +5, 0
    hand, cost = rows.loc[("handover_rate", "b")], rows.loc[("cost_municipality", "b")]
    assert hand["diff_mean"] == pytest.approx(0.05) and (hand["p_better"], hand["p_worse"]) == (0.75, 0.25)
    assert (cost["p_better"], cost["p_worse"]) == (0.5, 0.25) and not cost["higher_is_better"]
    assert hand["range_low"] == pytest.approx(np.quantile([0.6, 0.5, 0.4, 0.1], 0.05))
    twin = rows.loc[("handover_rate", "twin")]
    assert (twin["diff_range_low"], twin["diff_range_high"], twin["p_better"], twin["p_worse"]) == (0, 0, 0, 0)
    assert rows.loc[("handover_rate", "a"), ["diff_mean", "p_better"]].isna().all()
    assert set(table["metric"]) == {"handover_rate", "cost_municipality"}


def test_evppi_of_identical_plans_is_zero():
    """A plan compared with itself (the dashboard's default: plan = reference) gains nothing in any draw."""
    rng = np.random.default_rng(3)
    theta = pd.DataFrame({"handover.intercept": rng.normal(size=200), "team.open_threshold": rng.integers(1, 9, 200)})
    nb = np.repeat(rng.normal(1e5, 1e4, (200, 1)), 2, axis=1)
    assert decision.evppi(nb, theta) == (0.0, 0.0) and decision.evpi(nb) == pytest.approx(0.0, abs=1e-6)
