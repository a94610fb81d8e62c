"""Which plan to choose: the decision analysis of a comparison (docs/decision.md, docs/compare.md).

`analyse` turns the per-replication summaries of compared plans (paired: replication r of every plan
ran with the same parameter draw and random numbers) into what `sim.compare`, `comparison.html`, the
dashboard and notebooks/05_decision show: per plan and metric the range of outcomes and the paired
difference to the reference with its range and the chance it is better (`table`); the acceptability
curve of citizens active at 52 weeks against the municipal cost (`acceptability`); at each price, the
plan to choose, its chance of being best and the expected value of perfect information (`at_prices`),
and the EVPPI per parameter group (`evppi`), per decision and for the population the decision affects.

The parameters of replication r are the calibration ensemble's values it ran with (its summary's
`parameter_set`, sim.workflows.ensemble.values); a run at the configured point (`run.uncertainty=none`)
has none, and then no EVPPI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model import intake
from sim.model.config import SimConfig
from sim.model.metrics import HEADLINE
from sim.workflows import decision, ensemble
from sim.workflows.analysis import decision_table

# What a planner pays for, and with what: citizens physically active 52 weeks after their programme
# (club team or patient activity with training), and the municipality's cost (DKK over the run).
EFFECT, COST = "active_count_52w", "cost_municipality"
# The metrics of the decision table: the effect, then the headline metrics (sim.model.metrics.HEADLINE).
METRICS = ("handed_over", EFFECT, *HEADLINE)
# Willingness to pay per extra citizen active at 52 weeks (DKK) shown in words; `--prices` changes them.
PRICES = (20_000.0, 50_000.0)
CURVE_TOP, CURVE_STEP = 100_000.0, 2_500.0  # the acceptability curve's prices: 0 to 100,000 DKK
YEARS = 5  # the decision's lifetime in years of intake (`--years`)
DISCOUNT = 0.035  # per year, for the population value (the Danish Ministry of Finance's 3.5% for the first years)
LEVEL = 0.9  # predictive ranges: the central 90% of outcomes
MIN_EVPPI_DRAWS = 30  # fewer paired draws leave a regression on up to 19 parameters nothing to learn from


@dataclass
class Decision:
    """The decision analysis of one comparison (see the module docstring).

    - `table`: sim.workflows.analysis.decision_table on METRICS (mean, range_low, range_high,
      diff_mean, diff_range_low, diff_range_high, p_better, p_worse, higher_is_better).
    - `acceptability`: sim.workflows.decision.ceac of EFFECT against COST over the curve's prices.
    - `at_prices`: per price (wtp): best (the plan with the highest expected net benefit),
      probability (its chance of being best), evpi (DKK per decision), evpi_population (DKK).
    - `evppi`: per price and parameter group: group, parameters, evppi, se (DKK per decision),
      evppi_population (DKK); empty without parameter draws or with fewer than MIN_EVPPI_DRAWS.
    - `draws`: replications paired across plans; `parameters`: whether they carry parameter draws;
      `citizens`: starters one run covers (the reference's mean); `citizens_per_year`, `years`,
      `discount`: the population the values are scaled to.
    """

    table: pd.DataFrame
    acceptability: pd.DataFrame
    at_prices: pd.DataFrame
    evppi: pd.DataFrame
    prices: tuple[float, ...]
    draws: int
    parameters: bool
    citizens: float
    citizens_per_year: float
    years: int
    discount: float


def per_year(cfg: SimConfig, started: float) -> float:
    """Citizens starting a programme per year: the planned yearly intake, else the run's starters
    over the weeks its intake spans (waves schedule)."""
    if intake.planning(cfg):
        return float(sum(intake.per_centre(cfg).values()))
    weeks = intake.last_start(cfg) + cfg.intake.wave_interval_weeks
    return started * 52 / max(weeks, 1)


def draws_of(summaries: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """One column per plan, one row per replication present in every plan (paired), of `metric`."""
    table = pd.DataFrame({name: s.set_index("replication")[metric] for name, s in summaries.items()})
    return table.dropna().sort_index()


def parameter_values(cfg: SimConfig, summary: pd.DataFrame, replications: pd.Index) -> pd.DataFrame | None:
    """The ensemble values each of `replications` ran with (its `parameter_set`), or None for a run
    at the configured point."""
    if "parameter_set" not in summary or not ensemble.exists(cfg):
        return None
    sets = summary.set_index("replication").loc[replications, "parameter_set"].to_numpy()
    return ensemble.values(cfg, sets)


def analyse(summaries: Mapping[str, pd.DataFrame], reference: str, configs: Mapping[str, SimConfig],
            prices: Sequence[float] = PRICES, years: int = YEARS, discount: float = DISCOUNT,
            seed: int = 0) -> Decision:
    """The decision analysis of paired summaries (plan -> per-replication summary) against `reference`."""
    cfg = configs[reference]
    table = decision_table(summaries, reference, [m for m in METRICS if m in summaries[reference]], LEVEL)
    effects, costs = draws_of(summaries, EFFECT), draws_of(summaries, COST)
    costs = costs.loc[effects.index.intersection(costs.index)]
    effects = effects.loc[costs.index]
    grid = np.arange(0.0, CURVE_TOP + CURVE_STEP / 2, CURVE_STEP)
    curve = decision.ceac(effects, costs, sorted({*grid, *map(float, prices)}))
    values = parameter_values(cfg, summaries[reference], effects.index)
    citizens = float(summaries[reference]["started"].mean())
    yearly = per_year(cfg, citizens)

    def population(value: float) -> float:
        return decision.population(value / max(citizens, 1.0), yearly, years, discount)

    rows, groups = [], []
    for price in map(float, prices):
        nb = decision.net_benefit(effects, costs, price)
        value = decision.evpi(nb) if values is not None else np.nan
        best = curve.loc[price]
        rows.append((price, best["frontier"], best["frontier_probability"], value, population(value)))
        if values is not None and len(effects) >= MIN_EVPPI_DRAWS:
            by_group = decision.evppi_groups(nb, values, seed=seed)
            by_group["evppi_population"] = [population(v) for v in by_group["evppi"]]
            groups.append(by_group.assign(wtp=price))
    at_prices = pd.DataFrame(rows, columns=["wtp", "best", "probability", "evpi", "evpi_population"])
    columns = ["wtp", "group", "parameters", "evppi", "se", "evppi_population"]
    evppi = pd.concat(groups, ignore_index=True)[columns] if groups else pd.DataFrame(columns=columns)
    return Decision(table=table, acceptability=curve, at_prices=at_prices, evppi=evppi,
                    prices=tuple(map(float, prices)), draws=len(effects), parameters=values is not None,
                    citizens=citizens, citizens_per_year=yearly, years=years, discount=discount)
