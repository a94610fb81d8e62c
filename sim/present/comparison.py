"""A comparison (sim.workflows.compare.Comparison) in words, Markdown and figures."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from sim.model import intake
from sim.present import plots
from sim.present.format import amount, chance, difference, estimate, interval, number, span
from sim.present.labels import axis_label, definition, label
from sim.workflows.choice import MIN_EVPPI_DRAWS
from sim.workflows.compare import COSTS, COUNTS, RATES, Comparison
from sim.workflows.uncertainty import PRECISION, outcome_range

# The incremental table's columns (sim.workflows.analysis.incremental), named in sim.present.labels.
EXTRA, EXTRA_COST, RATIO = "extra_retained_52w", "extra_cost", "cost_per_extra_retained_52w"


def ratio_words(verdict: str, ratio: float) -> str:
    """The ratio where it is not a price per extra citizen: said in words."""
    if verdict == "saves money, retains fewer":
        return f"saves {amount(ratio)} DKK per citizen fewer retained"
    return verdict


def _more(value: float, more: str = "more", fewer: str = "fewer") -> str:
    return more if value >= 0 else fewer


def _range(low: float, high: float) -> str:
    return f"{amount(low, signed=True)} to {amount(high, signed=True)}"


def cases(result: Comparison) -> str:
    """What one draw is, as a planner reads it: a plausible case (parameters and chance) or a replication."""
    return "plausible cases" if result.decision.parameters else "replications"


def plain_summary(result: Comparison) -> str:
    """A few plain sentences per scenario against the reference: citizens handed over and kept
    active a year on, the extra cost, each with the range of outcomes of the paired difference and
    the chance of doing better, and the cost per additional citizen retained (numbers from the tables)."""
    ref_cfg = result.configs[result.reference]
    planning_years = (ref_cfg.intake.years or 1) if intake.planning(ref_cfg) else None
    per = (f"Per year of intake ({planning_years} year{'s' if planning_years > 1 else ''} simulated)"
           if planning_years else
           f"Over the run (intake in weeks 0-{intake.last_start(ref_cfg)}, each starter followed for a year)")
    scale = planning_years or 1
    table = result.decision.table.set_index(["metric", "scenario"])
    ref_title = result.titles[result.reference]
    lines = []
    for row in result.incremental.itertuples():
        title = result.titles[row.scenario]
        parts = []
        for metric, what in (("handed_over", "hands over {} {} citizens than " + ref_title),
                             ("active_count_52w", "keeps {} {} active a year after their programme")):
            r = table.loc[(metric, row.scenario)]
            d, lo, hi = r["diff_mean"] / scale, r["diff_range_low"] / scale, r["diff_range_high"] / scale
            parts.append(f"{what.format(amount(abs(d)), _more(d))} (range of outcomes {_range(lo, hi)}; more in "
                         f"{chance(r['p_better'])} of {cases(result)})")
        c = table.loc[("cost_municipality", row.scenario)]
        d_c, lo_c, hi_c = c["diff_mean"] / scale, c["diff_range_low"] / scale, c["diff_range_high"] / scale
        text = (f"{per}, {title} {parts[0]} and {parts[1]}, at {amount(abs(d_c))} DKK {_more(d_c, 'more', 'less')} "
                f"({_range(lo_c, hi_c)} DKK)")
        if row.verdict == "costs more per extra citizen":
            bounds = (f"95% interval {amount(row.ratio_low)} to {amount(row.ratio_high)} DKK" if pd.notna(row.ratio_low)
                      else "no upper bound: the extra citizens retained may be none")
            text += (f": about {amount(row.cost_per_extra_retained_52w)} DKK per additional citizen in a club team "
                     f"a year on ({bounds}).")
        elif row.verdict == "saves money":
            text += ": it saves money and retains more citizens."
        elif row.verdict == "dominated":
            text += ": dominated (it retains no more citizens and costs no less)."
        else:
            text += f": it {row.verdict}."
        lines.append(text)
    total = table.loc[("cost_municipality", result.reference)]
    lines.append(f"{ref_title} costs the municipality {amount(total['mean'])} DKK over the run (range of outcomes "
                 f"{amount(total['range_low'])} to {amount(total['range_high'])}).")
    if (note := intake_note(result)):
        lines.append(note)
    return "\n".join(lines)


def intake_note(result: Comparison) -> str:
    """A sentence where the plans' intake differs (then counts are also compared per 100 starters); else ""."""
    if result.per_starters.empty:
        return ""
    started = ", ".join(f"{result.titles[n]} {amount(s['started'].mean())}" for n, s in result.summaries.items())
    return (f"The plans' intake differs (citizens starting the programme, mean over replications: {started}), "
            "so the counts are also compared per 100 starters.")


def worth_learning(evppi: float, se: float, evpi: float) -> bool:
    """Whether an EVPPI says a group is worth learning about: more than two standard errors above 0,
    and not negligible (at least 1 DKK and 1% of the EVPI; a regression's rounding noise is neither)."""
    return evppi > max(2 * se, 0.01 * evpi, 1.0)


def best_of(result: Comparison, price: float) -> str:
    """One sentence at one price, computed from the numbers: the plan to choose, how often it is best,
    and the uncertainty most worth reducing (or that none is) with its value for this decision and
    for everyone the decision affects."""
    d = result.decision
    row = d.at_prices.set_index("wtp").loc[price]
    text = (f"At {amount(price)} DKK per extra citizen kept active, {result.titles[row['best']]} is the best choice in "
            f"{chance(row['probability'])} of {cases(result)}")
    if not d.parameters:
        return text + ("; the run holds the parameters at one point (run.uncertainty=none), so the value of "
                       "learning more about them is not computed.")
    groups = d.evppi[d.evppi["wtp"] == price]
    if d.draws < MIN_EVPPI_DRAWS:
        return text + (f"; {d.draws} replications are too few to say which uncertainty is worth reducing (EVPPI "
                       f"needs at least {MIN_EVPPI_DRAWS}); removing all of it would be worth about "
                       f"{amount(row['evpi'])} DKK for this decision.")
    population = (f"over {d.years} years of about {amount(d.citizens_per_year)} citizens a year, "
                  f"{d.discount:.1%} discount")
    if groups.empty or not worth_learning(groups.iloc[0]["evppi"], groups.iloc[0]["se"], row["evpi"]):
        return text + ("; no group of parameters is clearly worth learning more about (each one's value of "
                       "information is within two standard errors of 0, or negligible); removing all uncertainty "
                       f"would be worth about {amount(row['evpi'])} DKK for this decision "
                       f"({amount(row['evpi_population'])} DKK {population}).")
    top = groups.iloc[0]
    return text + (f"; the uncertainty most worth reducing is {top['group']}, worth about {amount(top['evppi'])} DKK "
                   f"for this decision (± {amount(top['se'])}; {amount(top['evppi_population'])} DKK {population}).")


def decision_sentences(result: Comparison) -> list[str]:
    """`best_of` at each of the comparison's prices."""
    return [best_of(result, price) for price in result.decision.prices]


HEADLINE_HEAD = ("metric", "plan", "mean", "range of outcomes (90%)", "difference to the reference",
                 "its range (90%)", "chance better")


def headline_rows(table: pd.DataFrame, result: Comparison) -> list[tuple[str, ...]]:
    """A decision table (sim.workflows.analysis.decision_table) as a person reads it, one row per
    metric and plan (columns HEADLINE_HEAD): the plan's mean and range of outcomes, the paired
    difference to the reference with its range and the chance the plan does better."""
    rows, previous = [], None
    for r in table.itertuples():
        m, ref = r.metric, r.scenario == result.reference
        rows.append((label(m, of=True) if m != previous else "", result.titles[r.scenario], number(m, r.mean),
                     span(m, r.range_low, r.range_high),
                     "(reference)" if ref else difference(m, r.diff_mean),
                     "" if ref else span(m, r.diff_range_low, r.diff_range_high, of_difference=True),
                     "" if ref else chance(r.p_better)))
        previous = m
    return rows


def value_rows(result: Comparison) -> list[tuple[str, ...]]:
    """EVPI and EVPPI per price and parameter group, as text: (price, what, DKK for this decision,
    standard error, DKK for the population)."""
    d, rows = result.decision, []
    for p in d.at_prices.itertuples():
        rows.append((amount(p.wtp), "all uncertainty (EVPI)", amount(p.evpi), "", amount(p.evpi_population)))
        for g in d.evppi[d.evppi["wtp"] == p.wtp].itertuples():
            rows.append((amount(p.wtp), f"{g.group} ({g.parameters} parameters)", amount(g.evppi), amount(g.se),
                         amount(g.evppi_population)))
    return rows


VALUE_HEAD = ("DKK per extra citizen active", "learning exactly", "worth for this decision (DKK)", "standard error",
              "worth over the decision's lifetime (DKK)")


def table_markdown(table: pd.DataFrame, reference: str, titles: Mapping[str, str] | None = None) -> list[str]:
    """Rows of a comparison table (sim.workflows.analysis.comparison) as Markdown lines."""
    lines = [f"| metric | scenario | mean | 95% interval | difference to {reference} | 95% interval |",
             "|---|---|--:|---|--:|---|"]
    previous = None
    for r in table.itertuples():
        m = r.metric
        if r.scenario == reference:
            diff, diff_ci = "(reference)", ""
        else:
            diff, diff_ci = difference(m, r.diff_mean), interval(m, r.diff_low, r.diff_high, of_difference=True)
        name = label(m, of=True) if m != previous else ""
        scenario = (titles or {}).get(r.scenario, r.scenario)
        lines.append(f"| {name} | {scenario} | {number(m, r.mean)} | {interval(m, r.ci_low, r.ci_high)} | {diff} "
                     f"| {diff_ci} |")
        previous = m
    return lines


def ratio_text(row: tuple) -> str:
    """The cost per additional citizen retained of one row of the incremental table, as it is read:
    "4,222 [3,564, 5,191]", "4,222 (no upper bound: ...)", "saves 1,234 DKK per citizen fewer retained",
    "n/a" where there is no ratio, and a dash where the verdict ("saves money", "dominated") says it all."""
    ratio = row.cost_per_extra_retained_52w
    if pd.isna(ratio):
        return "n/a"
    if row.verdict != "costs more per extra citizen":
        words = ratio_words(row.verdict, ratio)
        return "–" if words == row.verdict else words
    if pd.isna(row.ratio_low):
        return f"{amount(ratio)} (no upper bound: the extra citizens retained may be none)"
    return f"{amount(ratio)} [{amount(row.ratio_low)}, {amount(row.ratio_high)}]"


INCREMENTAL_HEAD = ("scenario", f"{label(EXTRA)} (95% interval)", f"{axis_label(EXTRA_COST)} (95% interval)",
                    f"{label(RATIO)} (DKK, 95% interval)", "verdict")


def incremental_rows(result: Comparison) -> list[tuple[str, ...]]:
    """The incremental table as a person reads it, one row of text per scenario but the reference
    (columns INCREMENTAL_HEAD): labels from sim.present.labels, numbers from sim.present.format."""
    return [(result.titles[r.scenario],
             estimate(EXTRA, r.extra_retained_52w, r.extra_retained_52w_low, r.extra_retained_52w_high, True),
             estimate(EXTRA_COST, r.extra_cost, r.extra_cost_low, r.extra_cost_high, True),
             ratio_text(r), r.verdict)
            for r in result.incremental.itertuples()]


def incremental_markdown(result: Comparison) -> list[str]:
    """The incremental table as Markdown lines."""
    lines = ["| " + " | ".join(INCREMENTAL_HEAD) + " |", "|---|--:|--:|--:|---|"]
    return lines + ["| " + " | ".join(row) + " |" for row in incremental_rows(result)]


def _rows_markdown(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def markdown(result: Comparison) -> str:
    """The comparison as Markdown: scenarios and questions, the summary, the decision and the headline
    metrics with their ranges of outcomes; then counts, rates, costs by item and the incremental
    cost with 95% intervals of the means, each scenario against the reference; then definitions."""
    cfg, ref = result.configs[result.reference], result.reference
    lines = [
        "# Scenario comparison", "",
        f"{cfg.run.replications} replications per scenario, seed {cfg.run.seed}, {cfg.run.engine.value} engine; "
        "every scenario sees the same citizens and random numbers replication by replication.", "",
    ]
    lines += [f"- **{result.titles[n]}** (`{n}`){' (reference)' if n == ref else ''}: "
              f"{result.questions[n] or '(no question given)'}" for n in result.configs]
    lines += ["", "## Summary", "", *[f"- {t}" for t in plain_summary(result).splitlines()], ""]
    lines += ["## Decision", "", *[f"- {t}" for t in decision_sentences(result)], ""]
    lines += [f"## Headline: {outcome_range(cfg)}", "",
              *_rows_markdown(HEADLINE_HEAD, headline_rows(result.decision.table, result)), ""]
    if not result.per_starters.empty:
        lines += ["## Per 100 starters", "", intake_note(result), "",
                  *_rows_markdown(HEADLINE_HEAD, headline_rows(result.per_starters, result)), ""]
    if len(result.decision.at_prices):
        lines += ["## Value of information (DKK)", "", *_rows_markdown(VALUE_HEAD, value_rows(result)), ""]
    lines += [f"Details below: {PRECISION}.", ""]
    for heading, table in (("Citizens (counts over the run)", result.counts), ("Rates", result.rates),
                           ("Municipal cost by item and the club side (DKK over the run)", result.costs)):
        lines += [f"## {heading}", "", *table_markdown(table, ref, result.titles), ""]
    lines += ["## Incremental cost per additional citizen retained at 52 weeks", "", *incremental_markdown(result),
              "", "## Definitions", ""]
    lines += [f"- **{label(m)}** (`{m}`): {definition(m)}" for m in (*COUNTS, *RATES, *COSTS, RATIO) if definition(m)]
    lines += ["", f"{result.explain} Differences are paired by replication; pp = percentage points. "
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
    out.update(decision_figures(result))
    return out


def decision_figures(result: Comparison) -> dict[str, Figure]:
    """The acceptability curve (`ceac`) and, with parameter draws, the EVPPI by group (`evppi`)."""
    d = result.decision
    out = {"ceac": plots.acceptability_figure(d.acceptability, result.titles, d.prices, cases(result))}
    if not d.evppi.empty:
        out["evppi"] = plots.evppi_figure(d.evppi, d.at_prices)
    return out


