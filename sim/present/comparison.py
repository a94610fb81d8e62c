"""A comparison (sim.workflows.compare.Comparison) in words, Markdown and figures."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from sim.model import intake
from sim.present import plots
from sim.present.format import amount, difference, estimate, interval, number
from sim.present.labels import axis_label, definition, label
from sim.workflows.compare import COSTS, COUNTS, RATES, Comparison

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
        text = (f"{per}, {title} hands over {amount(abs(d_h))} {_more(d_h)} citizens than {ref_title} (95% interval "
                f"{_range(lo_h, hi_h)}) and keeps {amount(abs(d_e))} {_more(d_e)} in a club team a year after "
                f"their programme ({_range(lo_e, hi_e)}), at {amount(abs(d_c))} DKK {_more(d_c, 'more', 'less')} "
                f"({_range(lo_c, hi_c)} DKK)")
        if row.verdict == "costs more per extra citizen":
            bounds = (f"95% interval {amount(row.ratio_low)} to {amount(row.ratio_high)} DKK" if pd.notna(row.ratio_low)
                      else "no upper bound: the extra citizens retained may be none")
            text += f": about {amount(row.cost_per_extra_retained_52w)} DKK per additional citizen retained ({bounds})."
        elif row.verdict == "saves money":
            text += ": it saves money and retains more citizens."
        elif row.verdict == "dominated":
            text += ": dominated (it retains no more citizens and costs no less)."
        else:
            text += f": it {row.verdict}."
        lines.append(text)
    total = cost_rows.loc[("cost_municipality", result.reference)]
    lines.append(f"{ref_title} costs the municipality {amount(total['mean'])} DKK over the run (95% interval "
                 f"{amount(total['ci_low'])} to {amount(total['ci_high'])}).")
    return "\n".join(lines)


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
    lines += ["", "## Summary", "", *[f"- {t}" for t in plain_summary(result).splitlines()], ""]
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
    return out


