"""A comparison (sim.workflows.compare.Comparison) in words, Markdown and figures."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from sim.model import intake
from sim.present import plots
from sim.present.report import DEFINITIONS, PERCENT
from sim.workflows.compare import COSTS, COUNTS, RATES, Comparison


def ratio_words(verdict: str, ratio: float) -> str:
    """The ratio where it is not a price per extra citizen: said in words."""
    if verdict == "saves money, retains fewer":
        return f"saves {ratio:,.0f} DKK per citizen fewer retained"
    return verdict


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


def _cell(metric: str, value: float, signed: bool = False) -> str:
    if pd.isna(value):
        return "n/a"
    if metric in PERCENT:
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f}%"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def table_markdown(table: pd.DataFrame, reference: str, titles: Mapping[str, str] | None = None) -> list[str]:
    """Rows of a comparison table (sim.workflows.analysis.comparison) as Markdown lines."""
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
            ratio, bounds = ratio_words(r.verdict, r.cost_per_extra_retained_52w), ""
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
    lines += ["", "## Summary", "", *[f"- {t}" for t in plain_summary(result).splitlines()], ""]
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


