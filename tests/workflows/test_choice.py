"""sim.workflows.choice: the decision analysis of a comparison, and the sentences said from it
(sim.present.comparison.best_of): checked on paired draws whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.present.comparison import best_of, intake_note
from sim.workflows import choice, ensemble
from sim.workflows.compare import per_starters
from tests.conftest import skip_unless_ci

N = 200


@pytest.fixture(scope="module")
def draws() -> tuple[dict[str, pd.DataFrame], dict[str, sim.SimConfig]]:
    """Two plans paired over N replications of the shipped ensemble: plan B keeps more citizens active
    the higher the handover intercept of the replication's parameter set, and costs 1,000,000 DKK more."""
    if not ensemble.path("copenhagen").is_file():
        skip_unless_ci("no ensemble shipped")
    cfg = sim.compose(["run.uncertainty=ensemble", f"run.replications={N}"])
    table = ensemble.load(cfg)
    sets = table["set"].to_numpy()[ensemble.assign(table["weight"].to_numpy(), N, 0)]
    theta = ensemble.values(cfg, sets)["handover.intercept"].to_numpy()
    rng = np.random.default_rng(1)
    base = pd.DataFrame({"replication": np.arange(N), "started": 1000, "handed_over": 300.0,
                         "active_count_52w": 200 + rng.normal(0, 5, N), "cost_municipality": 5e6,
                         "parameter_set": sets})
    plan = base.copy()
    plan["active_count_52w"] = base["active_count_52w"] + 40 + 200 * (theta - theta.mean()) / theta.std()
    plan["cost_municipality"] = 6e6
    return {"a": base, "b": plan}, {"a": cfg, "b": cfg}


def test_the_choice_follows_the_price_and_the_uncertainty_that_matters_is_named(draws):
    summaries, configs = draws
    d = choice.analyse(summaries, "a", configs, prices=(10_000, 100_000))
    at = d.at_prices.set_index("wtp")
    # 1,000,000 DKK for 40 more citizens on average: worth it at 100,000 (4,000,000), not at 10,000 (400,000)
    assert at.loc[10_000, "best"] == "a" and at.loc[100_000, "best"] == "b"
    gain = summaries["b"]["active_count_52w"] - summaries["a"]["active_count_52w"]
    assert at.loc[100_000, "probability"] == pytest.approx(np.mean(100_000 * gain > 1e6))
    top = d.evppi[d.evppi["wtp"] == 100_000].iloc[0]
    assert top["group"] == "handover" and top["evppi"] > 2 * top["se"]
    assert top["evppi"] <= at.loc[100_000, "evpi"] * 1.1  # EVPPI ≤ EVPI, up to its error
    assert d.parameters and d.draws == N and d.citizens == 1000

    class Result:  # what best_of reads of a Comparison
        decision, titles = d, {"a": "Plan A", "b": "Plan B"}

    said = best_of(Result, 100_000)
    assert said.startswith(f"At 100,000 DKK per extra citizen kept active, Plan B is the best choice in "
                           f"{round(100 * at.loc[100_000, 'probability'])}% of plausible cases")
    assert f"the uncertainty most worth reducing is handover, worth about {round(top['evppi']):,} DKK" in said


def test_the_decision_table_is_paired_and_says_the_chance_of_doing_better(draws):
    summaries, configs = draws
    table = choice.analyse(summaries, "a", configs).table.set_index(["metric", "scenario"])
    gain = (summaries["b"]["active_count_52w"] - summaries["a"]["active_count_52w"]).to_numpy()
    row = table.loc[("active_count_52w", "b")]
    assert row["p_better"] == pytest.approx(np.mean(gain > 0))
    assert (row["diff_range_low"], row["diff_range_high"]) == pytest.approx(tuple(np.quantile(gain, [0.05, 0.95])))
    cost = table.loc[("cost_municipality", "b")]
    assert cost["p_better"] == 0 and cost["p_worse"] == 1  # costs more in every draw: lower is better
    assert np.isnan(table.loc[("active_count_52w", "a"), "p_better"])


def test_at_the_point_there_is_no_value_of_information(draws):
    summaries, configs = draws
    point = {name: s.drop(columns="parameter_set") for name, s in summaries.items()}
    d = choice.analyse(point, "a", configs)
    assert not d.parameters and d.evppi.empty and d.at_prices["evpi"].isna().all()


def test_counts_per_100_starters_only_where_intake_differs(draws):
    summaries, configs = draws
    assert per_starters(summaries, "a").empty
    more = {**summaries, "b": summaries["b"].assign(started=1250)}
    table = per_starters(more, "a").set_index(["metric", "scenario"])
    assert table.loc[("active_count_52w_per_100", "a"), "mean"] == pytest.approx(
        100 * summaries["a"]["active_count_52w"].mean() / 1000)

    class Result:
        per_starters, summaries, titles = table, more, {"a": "Plan A", "b": "Plan B"}

    assert "intake differs" in intake_note(Result) and "Plan B 1,250" in intake_note(Result)
