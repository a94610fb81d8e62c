"""Command line for planners: compare scenarios side by side.

    python -m sim.compare SCENARIO [SCENARIO ...] [OVERRIDES...] [--reference NAME] [--out DIR]

A scenario is a name from `scenarios/` (`amager_everywhere`) or a path to a YAML file of the same
form; overrides (`run.replications=200`) apply to every scenario. All scenarios run with the same
seeds replication by replication (common random numbers), so each difference to the reference
scenario (default: the first) is taken per replication and its interval is sharp. Writes to `--out`
(default `results/compare/<time>/`):

    comparison.html                 one self-contained page for planners: the scenarios' questions,
                                    a plain-language summary, the tables, the figures (embedded),
                                    definitions, what the intervals cover, the cost assumptions
    comparison.md, comparison.csv   the same tables as Markdown; the headline metrics per scenario
                                    (mean, 95% interval) and the paired difference to the reference
    counts.csv, rates.csv           citizens (started ... active at 52 weeks) and rates
    costs.csv                       municipal cost by item, total, per retained citizen; club side
    incremental.csv                 extra citizens retained at 52 weeks, extra cost and
                                    cost_per_extra_retained_52w against the reference
    by_centre.csv                   counts, rates and cost items per centre
    retention.png                   retention over the weeks since programme end, 95% bands
    handover_retention.png          handover rate and 52-week retention, 95% intervals
    cost_per_retained.png           municipal cost per citizen retained at 52 weeks
    cost_items.png, incremental.png municipal cost by item; extra cost against extra citizens retained
    summary.parquet, retention.csv  per-replication summaries and the retention curves
    config/<scenario>.yaml          each scenario's resolved config

The computation is `evaluate` (also used by the dashboard): the command line parses, calls it and
writes files. and prints the Markdown. User errors (unknown scenario, unknown key or bad value in a scenario file or
override, an output folder that cannot be written) exit with status 2 and one line, before any run.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import costs, ensemble, intake, page, plots, uncertainty
from sim.analysis import comparison, incremental, retention_curve
from sim.city import build_city
from sim.cli import check_writable, fail, timestamp
from sim.compose import compose
from sim.config import DIAGNOSES, SimConfig, Uncertainty, to_schema, to_yaml
from sim.errors import UserError
from sim.metrics import summarise, window_end
from sim.population import plan
from sim.report import DEFINITIONS, PERCENT
from sim.results import Results
from sim.scenarios import Scenario, available, compose_scenario, default_title, load
from sim.simulate import simulate

DEFAULT_OUT = Path("results") / "compare"
# Comparisons do not use the weekly table; the per-citizen table feeds the retention curves.
DEFAULTS = ("run.weekly_table=false",)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage + message, as our one line
        fail(message)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m sim.compare", description="Compare scenarios (see sim/compare.py).")
    parser.add_argument("items", nargs="+", metavar="SCENARIO|KEY=VALUE",
                        help="scenario names or YAML files, and overrides for all; scenarios: "
                        + ", ".join(available()))
    parser.add_argument("--reference", help="the scenario differences are taken to (default: the first)")
    parser.add_argument("--out", help="output folder (default: results/compare/<time>)")
    args = parser.parse_intermixed_args(argv)
    args.scenarios = [i for i in args.items if "=" not in i]
    args.overrides = [i for i in args.items if "=" in i]
    if not args.scenarios:
        fail(f"no scenario given; available: {', '.join(available())}")
    return args


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
    """A scenario's config as comparisons run it: `before` (the defaults), the scenario, the overrides;
    and, unless the scenario or the overrides set `run.uncertainty`, replications spread over the
    city's calibration ensemble where one is shipped (sim.ensemble), so intervals cover the calibrated
    parameters' uncertainty too."""
    cfg = compose_scenario(scenario, before, overrides)
    chosen = {_key(o) for o in (*scenario.overrides, *overrides)}
    if "run.uncertainty" not in chosen and ensemble.exists(cfg):
        cfg = copy.deepcopy(cfg)
        cfg.run.uncertainty = Uncertainty.ensemble
    return cfg


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
    - `headline`: the headline metrics (sim.metrics.HEADLINE) per scenario: metric, scenario, mean,
      ci_low, ci_high, diff_mean, diff_low, diff_high (difference to the reference, paired by
      replication; NaN for the reference). Written as comparison.csv.
    - `counts`: citizens (COUNTS: started, completed, handed over, retained at 26 and 52 weeks,
      active in any channel at 52 weeks), same columns.
    - `rates`: RATES, same columns; each rate's denominator is in sim.report.DEFINITIONS.
    - `costs`: municipal cost by item (cost_<item>, sim.costs.ITEMS), the total, cost per citizen
      retained at 52 weeks and the club side (club_<item>), in DKK over the run, same columns.
    - `incremental`: per scenario but the reference, sim.analysis.incremental on citizens retained
      at 52 weeks: extra_retained_52w, extra_cost (with intervals), cost_per_extra_retained_52w
      with ratio_low, ratio_high (bootstrap over the paired replications), verdict.
    - `by_centre`: the counts, rates and cost items per centre (column `centre`, the city data's
      labels; the instructor pool is `(city-wide)`), same columns as `headline` (empty without the
      per-citizen table).
    - `curves`: scenario -> retention curve (sim.analysis.retention_curve; empty without the
      per-citizen table).
    Plus `summaries` (scenario -> per-replication summary), `configs`, `reference`, `titles` and
    `questions` (scenario -> readable name, question), `summary_text` (a plain-language summary)
    and `explain` (what the intervals cover, from sim.uncertainty).
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
    summary_text: str
    explain: str


def evaluate(named_configs: Mapping[str, SimConfig], reference: str,
             progress: Callable[[int, int], None] | None = None, *,
             titles: Mapping[str, str] | None = None, questions: Mapping[str, str] | None = None,
             simulate_one: Callable[[SimConfig], Results] = simulate) -> Comparison:
    """Run each named config and compare it with `reference` (one of the names).

    The configs must share `run.seed` and `run.replications` (common random numbers: replication
    r of every scenario has the same citizens), so differences are paired by replication.
    `progress(done, total)` is called after each scenario and once more when the tables are done
    (total = scenarios + 1). `titles` and `questions` give readable names and the question each
    scenario answers (default: the name, spaced out; no question). Raises UserError if the
    reference is not among the names or the configs cannot be paired. Deterministic for given
    configs. `simulate_one` runs one config (default `sim.simulate`; the dashboard passes a cached one,
    which is valid because the same config and seed give the same results).
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
    curves = {name: retention_curve(res) for name, res in results.items() if res.citizens is not None}
    titles = {name: (titles or {}).get(name) or default_title(name) for name in configs}
    table = incremental(summaries, reference, seed=first.run.seed)
    table = table.rename(columns={"cost_per_extra": "cost_per_extra_retained_52w"})
    result = Comparison(
        reference=reference, configs=configs, titles=titles,
        questions={name: (questions or {}).get(name, "") for name in configs}, summaries=summaries,
        headline=comparison(summaries, reference), counts=comparison(summaries, reference, COUNTS),
        rates=comparison(summaries, reference, RATES), costs=comparison(summaries, reference, COSTS),
        incremental=table, by_centre=by_centre(results, reference), curves=curves, summary_text="",
        explain=uncertainty.explain(first),
    )
    result.summary_text = plain_summary(result)
    if progress:
        progress(total, total)
    return result


def _centre_summaries(res: Results) -> dict[str, pd.DataFrame]:
    """Per centre label: per-replication counts, rates (sim.metrics.summarise on the centre's
    citizens) and cost items (sim.costs); the instructor pool as CITY_WIDE, costs only."""
    cfg, city = res.config, build_city(res.config)
    citizens = res.citizens.sort_values(["replication", "citizen"])
    n_reps = citizens["replication"].nunique()
    centre_index = {name: i for i, name in enumerate(city.centre_names)}
    diagnosis = citizens["diagnosis"].map({d: i for i, d in enumerate(DIAGNOSES)}).to_numpy()
    centre = citizens["centre"].map(centre_index).to_numpy()
    offer = city.offers.of[centre, diagnosis]
    labels = dict(zip(city.centre_names, city.centre_labels, strict=True))
    priced = res.costs.set_index(["centre", "replication"]).sort_index()
    out = {}
    weeks = ("start_week", "handover_week", "lapse_week", "patient_join_week", "patient_lapse_week")
    policy = np.tile(plan(cfg, city).policy, n_reps)  # the engines keep the plan's citizen order
    for name in city.centre_names:
        mine = np.tile((centre == centre_index[name]).reshape(n_reps, -1)[0], n_reps)  # same citizens every rep
        rows = citizens[mine]
        arrays = {k: rows[k].to_numpy(dtype=float).reshape(n_reps, -1) for k in weeks}
        arrays["completed"] = rows["completed"].to_numpy(bool).reshape(n_reps, -1)
        centre_offer = offer[mine].reshape(n_reps, -1)
        training = np.append(city.offers.training, False)[centre_offer]
        items = priced.loc[name]
        ends = window_end(cfg, arrays["start_week"], policy[mine].reshape(n_reps, -1))
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


def by_centre(results: Mapping[str, Results], reference: str) -> pd.DataFrame:
    """Counts, rates and cost items per centre and scenario (columns as `comparison`, plus centre)."""
    if any(res.citizens is None or res.costs is None for res in results.values()):
        return pd.DataFrame(columns=["centre", "metric", "scenario", "mean", "ci_low", "ci_high", "diff_mean",
                                     "diff_low", "diff_high"])
    per = {name: _centre_summaries(res) for name, res in results.items()}
    centres = list(per[reference])
    metrics = (*COUNTS, *RATES, *COST_ITEMS, "cost_municipality", "cost_per_retained_52w")
    tables = [comparison({name: per[name][c] for name in results}, reference, metrics).assign(centre=c)
              for c in centres]
    table = pd.concat(tables, ignore_index=True)
    return table[["centre", *[c for c in table.columns if c != "centre"]]]


def _amount(value: float, unit: str = "") -> str:
    return f"{abs(value):,.0f}{unit}"


def _more(value: float, more: str = "more", fewer: str = "fewer") -> str:
    return more if value >= 0 else fewer


def plain_summary(result: Comparison) -> str:
    """A few plain sentences per scenario against the reference: citizens handed over and kept
    active a year on, the extra cost, the cost per additional citizen (numbers from the tables)."""
    ref_cfg = result.configs[result.reference]
    planning_years = (ref_cfg.intake.years or 1) if intake.planning(ref_cfg) else None
    per = (f"Per year of intake ({planning_years} year{'s' if planning_years > 1 else ''} simulated)"
           if planning_years else
           f"Over the run (intake in weeks 0-{intake.last_start(ref_cfg)}, each starter followed for a year)")
    scale = planning_years or 1
    counts = result.counts.set_index(["metric", "scenario"])
    cost_rows = result.costs.set_index(["metric", "scenario"])
    ref_title = result.titles[result.reference]
    lines = []
    for row in result.incremental.itertuples():
        title = result.titles[row.scenario]
        handed = counts.loc[("handed_over", row.scenario)]
        d_h, lo_h, hi_h = (handed[k] / scale for k in ("diff_mean", "diff_low", "diff_high"))
        d_e, lo_e, hi_e = (row.extra_retained_52w / scale, row.extra_retained_52w_low / scale,
                           row.extra_retained_52w_high / scale)
        d_c, lo_c, hi_c = row.extra_cost / scale, row.extra_cost_low / scale, row.extra_cost_high / scale
        text = (f"{per}, {title} hands over {_amount(d_h)} {_more(d_h)} citizens than {ref_title} (95% interval "
                f"{lo_h:+,.0f} to {hi_h:+,.0f}) and keeps {_amount(d_e)} {_more(d_e)} in a club team a year after "
                f"their programme ({lo_e:+,.0f} to {hi_e:+,.0f}), at {_amount(d_c)} DKK {_more(d_c, 'more', 'less')} "
                f"({lo_c:+,.0f} to {hi_c:+,.0f} DKK)")
        if row.verdict == "costs more per extra citizen":
            bounds = (f"95% interval {row.ratio_low:,.0f} to {row.ratio_high:,.0f} DKK" if pd.notna(row.ratio_low)
                      else "no upper bound: the extra citizens retained may be none")
            text += f": about {row.cost_per_extra_retained_52w:,.0f} DKK per additional citizen retained ({bounds})."
        elif row.verdict == "saves money":
            text += ": it saves money and retains more citizens."
        elif row.verdict == "dominated":
            text += ": dominated (it retains no more citizens and costs no less)."
        else:
            text += f": it {row.verdict}."
        lines.append(text)
    total = cost_rows.loc[("cost_municipality", result.reference)]
    lines.append(f"{ref_title} costs the municipality {total['mean']:,.0f} DKK over the run (95% interval "
                 f"{total['ci_low']:,.0f} to {total['ci_high']:,.0f}).")
    return "\n".join(lines)


def run(prepared: list[tuple[Scenario, SimConfig]], reference: str | None = None) -> Comparison:
    """Evaluate prepared scenarios (as `prepare` returns them) with a progress line per scenario."""
    names = [s.name for s, _ in prepared]

    def report(done: int, total: int) -> None:
        if done < total:
            print(f"[{done}/{len(prepared)}] {names[done - 1]} done", file=sys.stderr)

    return evaluate({s.name: cfg for s, cfg in prepared}, reference or names[0], report,
                    titles={s.name: s.title for s, _ in prepared}, questions={s.name: s.question for s, _ in prepared})


def _cell(metric: str, value: float, signed: bool = False) -> str:
    if pd.isna(value):
        return "n/a"
    if metric in PERCENT:
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f}%"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def table_markdown(table: pd.DataFrame, reference: str, titles: Mapping[str, str] | None = None) -> list[str]:
    """Rows of a comparison table (sim.analysis.comparison) as Markdown lines."""
    lines = [f"| metric | scenario | mean | 95% interval | difference to {reference} | 95% interval |",
             "|---|---|--:|---|--:|---|"]
    previous = None
    for r in table.itertuples():
        m = r.metric
        ci = f"[{_cell(m, r.ci_low)}, {_cell(m, r.ci_high)}]" if pd.notna(r.ci_low) else ""
        if r.scenario == reference:
            diff, diff_ci = "(reference)", ""
        else:
            diff = _cell(m, r.diff_mean, signed=True)
            diff_ci = f"[{_cell(m, r.diff_low, True)}, {_cell(m, r.diff_high, True)}]" if pd.notna(r.diff_low) else ""
        label = m if m != previous else ""
        name = (titles or {}).get(r.scenario, r.scenario)
        lines.append(f"| {label} | {name} | {_cell(m, r.mean)} | {ci} | {diff} | {diff_ci} |")
        previous = m
    return lines


def incremental_markdown(result: Comparison) -> list[str]:
    """The incremental table as Markdown lines."""
    lines = ["| scenario | extra citizens retained at 52 weeks | extra cost (DKK) | DKK per extra citizen "
             "retained (95% interval) | verdict |", "|---|--:|--:|--:|---|"]
    for r in result.incremental.itertuples():
        ratio = "n/a" if pd.isna(r.cost_per_extra_retained_52w) else f"{r.cost_per_extra_retained_52w:,.0f}"
        bounds = f" [{r.ratio_low:,.0f}, {r.ratio_high:,.0f}]" if pd.notna(r.ratio_low) else " (unbounded)"
        if ratio != "n/a" and r.verdict != "costs more per extra citizen":
            ratio, bounds = page.ratio_words(r.verdict, r.cost_per_extra_retained_52w), ""
        lines.append(f"| {result.titles[r.scenario]} | {r.extra_retained_52w:+,.1f} [{r.extra_retained_52w_low:+,.1f}, "
                     f"{r.extra_retained_52w_high:+,.1f}] | {r.extra_cost:+,.0f} [{r.extra_cost_low:+,.0f}, "
                     f"{r.extra_cost_high:+,.0f}] | {ratio}{bounds if ratio != 'n/a' else ''} | {r.verdict} |")
    return lines


def markdown(result: Comparison) -> str:
    """The comparison as Markdown: scenarios and questions, the summary, then counts, rates, costs
    by item and the incremental cost, each scenario against the reference; then definitions."""
    cfg, ref = result.configs[result.reference], result.reference
    lines = [
        "# Scenario comparison", "",
        f"{cfg.run.replications} replications per scenario, seed {cfg.run.seed}, {cfg.run.engine.value} engine; "
        "every scenario sees the same citizens and random numbers replication by replication.", "",
    ]
    lines += [f"- **{result.titles[n]}** (`{n}`){' (reference)' if n == ref else ''}: "
              f"{result.questions[n] or '(no question given)'}" for n in result.configs]
    lines += ["", "## Summary", "", *[f"- {t}" for t in result.summary_text.splitlines()], ""]
    for heading, table in (("Citizens (counts over the run)", result.counts), ("Rates", result.rates),
                           ("Municipal cost by item and the club side (DKK over the run)", result.costs),
                           ("Headline metrics", result.headline)):
        lines += [f"## {heading}", "", *table_markdown(table, ref, result.titles), ""]
    lines += ["## Incremental cost per additional citizen retained at 52 weeks", "", *incremental_markdown(result),
              "", "## Definitions", ""]
    lines += [f"- `{m}`: {DEFINITIONS[m]}" for m in (*COUNTS, *RATES, *COSTS) if m in DEFINITIONS]
    lines += ["", f"Intervals: {result.explain} Differences are paired by replication; pp = percentage points. "
              "Metrics not simulated are left out."]
    return "\n".join(lines)


def figures(result: Comparison) -> dict[str, Figure]:
    """The comparison's figures by file stem (the HTML page embeds the same)."""
    titles = result.titles
    out = {"handover_retention": plots.handover_retention_figure(result.headline, titles),
           "cost_per_retained": plots.cost_figure(result.headline, titles),
           "cost_items": plots.cost_items_figure(result.costs, titles)}
    if len(result.incremental):
        out["incremental"] = plots.incremental_figure(result.incremental, titles, result.reference)
    if result.curves:
        out["retention"] = plots.retention_figure(result.curves, titles=titles)
    return out


def write(out: Path, result: Comparison, text: str) -> None:
    """Write everything into a temporary folder inside `out`, then move it in: nothing half-written."""
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        result.headline.to_csv(tmp / "comparison.csv", index=False)
        for name in ("counts", "rates", "costs", "incremental", "by_centre"):
            getattr(result, name).to_csv(tmp / f"{name}.csv", index=False)
        (tmp / "comparison.md").write_text(text + "\n", encoding="utf-8")
        pd.concat(result.summaries, names=["scenario", None]).reset_index(0).to_parquet(tmp / "summary.parquet",
                                                                                        index=False)
        (tmp / "config").mkdir()
        for name, cfg in result.configs.items():
            (tmp / "config" / f"{name}.yaml").write_text(to_yaml(cfg), encoding="utf-8")
        if result.curves:
            pd.concat(result.curves, names=["scenario", None]).reset_index(0).to_csv(tmp / "retention.csv",
                                                                                     index=False)
        drawn = figures(result)
        for name, figure in drawn.items():
            figure.savefig(tmp / f"{name}.png", dpi=150)
        (tmp / "comparison.html").write_text(page.html_page(result, drawn), encoding="utf-8")
        for item in tmp.iterdir():
            if (out / item.name).is_dir():
                shutil.rmtree(out / item.name)
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out) if args.out else DEFAULT_OUT / timestamp()
    try:
        prepared = prepare(args.scenarios, args.overrides)
        names = [s.name for s, _ in prepared]
        reference = args.reference or names[0]
        if reference not in names:
            raise UserError(f"--reference {reference} is not one of the compared scenarios: {', '.join(names)}")
        existed = out.exists()
        check_writable(out)
    except UserError as exc:
        fail(exc)
    try:
        result = run(prepared, reference)
        text = markdown(result)
        write(out, result, text)
    except BaseException:
        if not existed and not any(out.iterdir()):
            out.rmdir()  # leave nothing behind
        raise
    print(text)
    print(f"\ntables, figures and comparison.html written to {out}")


if __name__ == "__main__":
    main()
