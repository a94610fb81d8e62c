"""Compare plans: run each scenario with the same random numbers and tabulate the differences.

`evaluate` is the one computation behind `python -m sim.compare`, `comparison.html` and the dashboard:
it runs each named config (common random numbers: replication r of every scenario has the same
citizens), and returns a `Comparison` of counts, rates, costs by item, the incremental cost against
the reference, per-centre results and retention curves. Rendering it is `sim.present.comparison`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.model import costs
from sim.model.checks import to_schema
from sim.model.city import build_city
from sim.model.config import DIAGNOSES, SimConfig
from sim.model.metrics import summarise, window_end
from sim.model.population import plan
from sim.model.results import Results
from sim.workflows import uncertainty
from sim.workflows.analysis import comparison, decision_table, incremental, retention_curve
from sim.workflows.choice import LEVEL, PRICES, YEARS, Decision, analyse
from sim.workflows.compose import compose
from sim.workflows.scenarios import Scenario, compose_scenario, default_title, load
from sim.workflows.simulate import simulate

DEFAULTS = ("run.weekly_table=false",)


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def prepare(names: Sequence[str], overrides: Sequence[str]) -> list[tuple[Scenario, SimConfig]]:
    """Load and validate every scenario before anything runs; check they can share random numbers."""
    compose([*DEFAULTS, *overrides])  # a bad override is the command line's fault, not a scenario's
    scenarios = [load(n) for n in names]
    seen: set[str] = set()
    for s in scenarios:
        if s.name in seen:
            raise UserError(f"scenario {s.name!r} is given twice")
        seen.add(s.name)
    configs = [compose_compared(s, overrides) for s in scenarios]
    for s in scenarios:
        for key in sorted({_key(o) for o in s.overrides} & {_key(o) for o in overrides}):
            print(f"note: {key} on the command line replaces scenario {s.name}'s own value", file=sys.stderr)
    check_paired({s.name: cfg for s, cfg in zip(scenarios, configs, strict=True)}, scenarios[0].name)
    return list(zip(scenarios, configs, strict=True))


def compose_compared(scenario: Scenario, overrides: Sequence[str] = (), before: Sequence[str] = DEFAULTS) -> SimConfig:
    """A scenario's config as comparisons run it: `before` (the defaults), the scenario, the overrides.
    `run.uncertainty` keeps the one default of every command (conf/config.yaml): replications spread
    over the city's calibration ensemble where one is shipped, so ranges cover the calibrated
    parameters' uncertainty too."""
    return compose_scenario(scenario, before, overrides)


def check_paired(configs: Mapping[str, SimConfig], first: str) -> None:
    """Compared scenarios share `run.seed` and `run.replications` (common random numbers)."""
    for name, cfg in configs.items():
        for key in ("seed", "replications"):
            mine, theirs = getattr(cfg.run, key), getattr(configs[first].run, key)
            if mine != theirs:
                raise UserError(f"scenario {name} runs with run.{key}={mine} but {first} with {theirs}: "
                                f"compared scenarios share seeds and replications; set run.{key} for all")


COUNTS = ("started", "completed", "handed_over", "retained_26w", "retained_52w", "active_count_52w")
RATES = ("completion_rate", "handover_rate", "retention_26w", "retention_52w", "active_52w", "patient_uptake",
         "patient_retention_52w")
COST_ITEMS = tuple(f"cost_{i}" for i in costs.ITEMS)
COSTS = (*COST_ITEMS, "cost_municipality", "cost_per_retained_52w", *(f"club_{i}" for i in costs.CLUB_ITEMS))


@dataclass
class Comparison:
    """Everything `sim.compare` reports, for the command line, the HTML page and the dashboard.

    Tables (pandas DataFrames; every interval a 95% interval over the paired replications, what
    it covers in `explain`):
    - `headline`: the headline metrics (sim.model.metrics.HEADLINE) per scenario: metric, scenario, mean,
      ci_low, ci_high, diff_mean, diff_low, diff_high (difference to the reference, paired by
      replication; NaN for the reference). Written as comparison.csv.
    - `counts`: citizens (COUNTS: started, completed, handed over, retained at 26 and 52 weeks,
      active in any channel at 52 weeks), same columns.
    - `rates`: RATES, same columns; each rate's denominator is in sim.present.labels.
    - `costs`: municipal cost by item (cost_<item>, sim.model.costs.ITEMS), the total, cost per citizen
      retained at 52 weeks and the club side (club_<item>), in DKK over the run, same columns.
    - `incremental`: per scenario but the reference, sim.workflows.analysis.incremental on citizens retained
      at 52 weeks: extra_retained_52w, extra_cost (with intervals), cost_per_extra_retained_52w
      with ratio_low, ratio_high (bootstrap over the paired replications), verdict.
    - `by_centre`: the counts, rates and cost items per centre (column `centre`, the city data's
      labels; the instructor pool is `(city-wide)`), same columns as `headline` (empty without the
      per-citizen table).
    - `curves`: scenario -> retention curve (sim.workflows.analysis.retention_curve; empty without the
      per-citizen table).
    - `decision`: what to choose (sim.workflows.choice.Decision): per plan and headline metric the
      range of outcomes, the paired difference with its range and the chance of doing better (its
      `table`, written as decision.csv), the acceptability curve, EVPI and EVPPI by parameter group.
    - `per_starters`: where the plans' intake differs (their mean starters), the counts per 100
      starters (`<count>_per_100`) as `decision.table`; empty where the intake is the same.
    Plus `summaries` (scenario -> per-replication summary), `configs`, `reference`, `titles` and
    `questions` (scenario -> readable name, question) and `explain` (what the intervals cover, from
    sim.workflows.uncertainty).
    """

    reference: str
    configs: dict[str, SimConfig]
    titles: dict[str, str]
    questions: dict[str, str]
    summaries: dict[str, pd.DataFrame]
    headline: pd.DataFrame
    counts: pd.DataFrame
    rates: pd.DataFrame
    costs: pd.DataFrame
    incremental: pd.DataFrame
    by_centre: pd.DataFrame
    curves: dict[str, pd.DataFrame]
    explain: str
    decision: Decision
    per_starters: pd.DataFrame


PER_STARTERS = tuple(m for m in COUNTS if m != "started")  # counts also compared per 100 starters


def per_starters(summaries: Mapping[str, pd.DataFrame], reference: str) -> pd.DataFrame:
    """Where the plans' intake differs (mean starters): each count per 100 starters (`<count>_per_100`,
    replication by replication; as sim.workflows.analysis.decision_table); else an empty table."""
    started = {name: s["started"].mean() for name, s in summaries.items()}
    if all(np.isclose(v, started[reference]) for v in started.values()):
        return pd.DataFrame()
    scaled = {name: s[["replication"]].assign(**{f"{m}_per_100": 100 * s[m] / s["started"].where(s["started"] > 0)
                                                 for m in PER_STARTERS if m in s})
              for name, s in summaries.items()}
    table = decision_table(scaled, reference, [c for c in scaled[reference].columns if c != "replication"], LEVEL)
    return table




@dataclass(frozen=True)
class Simulated:
    """What `evaluate` takes from one scenario's run before pairing it with another: the
    per-replication summary, the retention curve and the per-centre summaries (`_centre_summaries`;
    None without the per-citizen table, or the cost table for the centres). A function of the config
    alone (same config and seed, same results), so it can be kept and reused, and it is small: the
    run's own tables are not kept."""

    summary: pd.DataFrame
    curve: pd.DataFrame | None
    centres: dict[str, pd.DataFrame] | None


def simulated(cfg: SimConfig) -> Simulated:
    """Run one config (`sim.workflows.simulate`) and take from it what `evaluate` compares."""
    return tables_of(simulate(cfg))


def tables_of(res: Results) -> Simulated:
    """What `evaluate` compares, from one run's results."""
    citizens = res.citizens is not None
    return Simulated(res.summary, retention_curve(res) if citizens else None,
                     _centre_summaries(res) if citizens and res.costs is not None else None)


def evaluate(named_configs: Mapping[str, SimConfig], reference: str,
             progress: Callable[[int, int], None] | None = None, *,
             titles: Mapping[str, str] | None = None, questions: Mapping[str, str] | None = None,
             simulate_one: Callable[[SimConfig], Simulated] = simulated, prices: Sequence[float] = PRICES,
             years: int = YEARS) -> Comparison:
    """Run each named config and compare it with `reference` (one of the names).

    The configs must share `run.seed` and `run.replications` (common random numbers: replication
    r of every scenario has the same citizens), so differences are paired by replication.
    `progress(done, total)` is called after each scenario and once more when the tables are done
    (total = scenarios + 1). `titles` and `questions` give readable names and the question each
    scenario answers (default: the name, spaced out; no question). Raises UserError if the
    reference is not among the names or the configs cannot be paired. Deterministic for given
    configs. `prices` (DKK per extra citizen active at 52 weeks) and `years` (the decision's lifetime)
    are the decision analysis's (sim.workflows.choice.analyse). `simulate_one` runs one config
    and takes its tables (default `simulated`; the dashboard passes a cached one, which is valid because
    the same config and seed give the same results: an unchanged reference is not run or summarised again).
    """
    configs = {name: to_schema(cfg) for name, cfg in named_configs.items()}
    if reference not in configs:
        raise UserError(f"reference {reference!r} is not one of the compared scenarios: {', '.join(configs)}")
    check_paired(configs, reference)
    first = configs[reference]
    total = len(configs) + 1
    results = {}
    for done, (name, cfg) in enumerate(configs.items(), 1):
        results[name] = simulate_one(cfg)
        if progress:
            progress(done, total)
    summaries = {name: res.summary for name, res in results.items()}
    curves = {name: res.curve for name, res in results.items() if res.curve is not None}
    titles = {name: (titles or {}).get(name) or default_title(name) for name in configs}
    table = incremental(summaries, reference, seed=first.run.seed)
    table = table.rename(columns={"cost_per_extra": "cost_per_extra_retained_52w"})
    result = Comparison(
        reference=reference, configs=configs, titles=titles,
        questions={name: (questions or {}).get(name, "") for name in configs}, summaries=summaries,
        headline=comparison(summaries, reference), counts=comparison(summaries, reference, COUNTS),
        rates=comparison(summaries, reference, RATES), costs=comparison(summaries, reference, COSTS),
        incremental=table, by_centre=centre_comparison({n: r.centres for n, r in results.items()}, reference),
        curves=curves,
        explain=uncertainty.explain(first),
        decision=analyse(summaries, reference, configs, prices, years, seed=first.run.seed),
        per_starters=per_starters(summaries, reference),
    )
    if progress:
        progress(total, total)
    return result


def _codes(values: pd.Series, names: Sequence[str]) -> np.ndarray:
    """Each value's position in `names` (KeyError for one not there, NaN included), looked up once per
    distinct value: a lookup per row is slow on the citizens table's string columns."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    position = {name: i for i, name in enumerate(names)}
    return np.array([position[v] for v in distinct], dtype=np.int64)[codes]


def _centre_summaries(res: Results) -> dict[str, pd.DataFrame]:
    """Per centre label: per-replication counts, rates (sim.model.metrics.summarise on the centre's
    citizens) and cost items (sim.model.costs); the instructor pool as CITY_WIDE, costs only.

    Every replication has the same citizens in the same places (the engines keep the plan's citizen
    order), so the citizens table is read once as (replication, citizen) arrays and a centre's
    citizens are its columns."""
    cfg, city = res.config, build_city(res.config)
    citizens = res.citizens.sort_values(["replication", "citizen"])
    n_reps = citizens["replication"].nunique()
    centre_index = {name: i for i, name in enumerate(city.centre_names)}

    def grid(values: np.ndarray) -> np.ndarray:
        return values.reshape(n_reps, -1)

    weeks = ("start_week", "handover_week", "lapse_week", "patient_join_week", "patient_lapse_week")
    columns = {k: grid(citizens[k].to_numpy(dtype=float)) for k in weeks}
    columns["completed"] = grid(citizens["completed"].to_numpy(bool))
    centre = grid(_codes(citizens["centre"], city.centre_names))
    offer = city.offers.of[centre, grid(_codes(citizens["diagnosis"], DIAGNOSES))]
    policy = grid(np.tile(plan(cfg, city).policy, n_reps))
    labels = dict(zip(city.centre_names, city.centre_labels, strict=True))
    priced = res.costs.set_index(["centre", "replication"]).sort_index()
    out = {}
    for name in city.centre_names:
        mine = centre[0] == centre_index[name]  # same citizens every rep
        arrays = {k: v[:, mine] for k, v in columns.items()}
        centre_offer = offer[:, mine]
        training = np.append(city.offers.training, False)[centre_offer]
        items = priced.loc[name]
        ends = window_end(cfg, arrays["start_week"], policy[:, mine])
        summary = summarise(arrays, items[list(COST_ITEMS)].sum(axis=1).to_numpy(), cfg.programme.weeks,
                            cfg.run.horizon_weeks, eligible=centre_offer >= 0, training=training, decision_end=ends)
        for column in COST_ITEMS:
            summary[column] = items[column].to_numpy()
        summary.insert(0, "replication", items.index.to_numpy())
        out[labels[name] or name] = summary
    pool = priced.loc[costs.CITY_WIDE]
    out[costs.CITY_WIDE] = pool[list(COST_ITEMS)].assign(cost_municipality=pool[list(COST_ITEMS)].sum(axis=1))
    out[costs.CITY_WIDE] = out[costs.CITY_WIDE].reset_index()
    return out


def centre_comparison(centres: Mapping[str, dict[str, pd.DataFrame] | None], reference: str) -> pd.DataFrame:
    """Counts, rates and cost items per centre and scenario (columns as `comparison`, plus centre), from
    each scenario's per-centre summaries (`Simulated.centres`; an empty table when a scenario has none)."""
    if any(per is None for per in centres.values()):
        return pd.DataFrame(columns=["centre", "metric", "scenario", "mean", "ci_low", "ci_high", "diff_mean",
                                     "diff_low", "diff_high"])
    metrics = (*COUNTS, *RATES, *COST_ITEMS, "cost_municipality", "cost_per_retained_52w")
    tables = [comparison({name: per[c] for name, per in centres.items()}, reference, metrics).assign(centre=c)
              for c in centres[reference]]
    table = pd.concat(tables, ignore_index=True)
    return table[["centre", *[c for c in table.columns if c != "centre"]]]


def run(prepared: list[tuple[Scenario, SimConfig]], reference: str | None = None, prices: Sequence[float] = PRICES,
        years: int = YEARS) -> Comparison:
    """Evaluate prepared scenarios (as `prepare` returns them) with a progress line per scenario;
    `prices` and `years` as `evaluate`."""
    names = [s.name for s, _ in prepared]

    def report(done: int, total: int) -> None:
        if done < total:
            print(f"[{done}/{len(prepared)}] {names[done - 1]} done", file=sys.stderr)

    return evaluate({s.name: cfg for s, cfg in prepared}, reference or names[0], report,
                    titles={s.name: s.title for s, _ in prepared}, questions={s.name: s.question for s, _ in prepared},
                    prices=prices, years=years)


