"""`comparison.html`: one self-contained page of a scenario comparison that a planner can open,
read and forward. Figures are embedded as base64 PNG, styles are inline; the page makes no
request of any kind (no scripts, fonts or images from elsewhere)."""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from sim.model import costs
from sim.model.keys import get_key
from sim.present.comparison import (
    HEADLINE_HEAD,
    INCREMENTAL_HEAD,
    RATIO,
    VALUE_HEAD,
    cases,
    decision_sentences,
    headline_rows,
    incremental_rows,
    intake_note,
    plain_summary,
    value_rows,
)
from sim.present.format import amount, estimate, interval, number
from sim.present.labels import axis_label, definition, label
from sim.workflows import uncertainty
from sim.workflows.analysis import BOOTSTRAP
from sim.workflows.sweep import code_version
from sim.workflows.uncertainty import outcome_range

if TYPE_CHECKING:
    from sim.workflows.compare import Comparison

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1240px; margin: 1.5em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin: 1.4em 0 0.4em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; } td.n { text-align: right; white-space: nowrap; }
.wide { overflow-x: auto; }
.ci { color: #555; font-size: 0.86em; display: block; font-weight: normal; } .summary li { margin: 0.3em 0; }
.figures { display: grid; grid-template-columns: 1fr 1fr; gap: 0.5em 1.5em; }
.figures figure { margin: 0; } .figures figure.full { grid-column: 1 / -1; }
img { max-width: 100%; } figcaption { margin-bottom: 1em; } dt { font-weight: 600; } dd { margin: 0 0 0.5em 1.2em; }
details { margin: 0.4em 0; border: 1px solid #ddd; border-radius: 4px; padding: 0.3em 0.8em; }
summary { cursor: pointer; font-weight: 600; padding: 0.2em 0; }
.note { color: #555; font-size: 0.92em; }
"""
FIGURE_CAPTIONS = {
    "handover_retention": "Handover rate (of completers) and retention at 52 weeks (of starters reached).",
    "retention": "Share of starters in a club team by week since their own programme end, with 95% bands.",
    "cost_items": "Municipal cost by item over the run (mean over replications).",
    "cost_per_retained": "Average municipal cost per citizen retained at 52 weeks.",
    "incremental": "Each scenario against the reference: extra citizens retained at 52 weeks (x) and extra "
                   "municipal cost (y), 95% intervals. Right and below zero cost: saves money; left and above: "
                   "dominated.",
}
FIGURE_CAPTIONS.update({
    "ceac": "The chance each plan is the best choice, by what one more citizen active at 52 weeks is worth (net "
            "benefit: that price × citizens active − municipal cost, per draw). Thick: the plan to choose.",
    "evppi": "What it would be worth, for this decision, to know each group of parameters exactly (EVPPI), with ±2 "
             "standard errors; dashed: all uncertainty removed (EVPI). Within two standard errors of 0: no evidence "
             "it matters.",
})
DECISION_FIGURES = ("ceac", "evppi")  # shown in the Decision section
SHOWN = ("handed_over", "active_count_52w", "retention_52w", "cost_municipality")  # the headline table, open
# The figures on the page's first screen (in this order, the first over the whole width); the rest are folded.
FIRST = ("handover_retention", "incremental", "retention")


def _e(text: object) -> str:
    return html.escape(str(text))


def metric_table(table: pd.DataFrame, result: Comparison, define: bool = False) -> str:
    """One row per metric, one column per scenario: the mean and, under it, the reference's 95%
    interval or another scenario's paired difference to the reference with its interval (`define`:
    the metric's definition, with its denominator, under its name)."""
    scenarios = list(result.configs)
    head = "".join(f"<th>{_e(result.titles[s])}{' (reference)' if s == result.reference else ''}</th>"
                   for s in scenarios)
    rows = []
    for metric, group in table.groupby("metric", sort=False):
        by = group.set_index("scenario")
        cells = []
        for s in scenarios:
            if s not in by.index:
                cells.append("<td></td>")
                continue
            r = by.loc[s]
            if s == result.reference or pd.isna(r.diff_mean):
                under = f"95%: {interval(metric, r.ci_low, r.ci_high)}" if pd.notna(r.ci_low) else ""
            else:
                under = estimate(metric, r.diff_mean, r.diff_low, r.diff_high, of_difference=True)
            cells.append(f"<td class='n'>{number(metric, r['mean'])}<span class='ci'>{_e(under)}</span></td>")
        name = _e(label(metric, of=True))
        if define and definition(metric):
            name += f"<span class='ci'>{_e(definition(metric))}</span>"
        rows.append(f"<tr><th title='{_e(definition(metric))}'>{name}</th>{''.join(cells)}</tr>")
    return f"<div class='wide'><table><tr><th></th>{head}</tr>{''.join(rows)}</table></div>"


def incremental_table(result: Comparison) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in INCREMENTAL_HEAD)
    rows = "".join("<tr><th>" + _e(row[0]) + "</th>" + "".join(f"<td class='n'>{_e(c)}</td>" for c in row[1:-1])
                   + f"<td>{_e(row[-1])}</td></tr>" for row in incremental_rows(result))
    return f"<div class='wide'><table><tr>{head}</tr>{rows}</table></div>"


def centre_table(result: Comparison) -> str:
    """Per centre: handed over, retained at 52 weeks and municipal cost, per scenario (means)."""
    if result.by_centre.empty:
        return "<p class='note'>Not available: the run had no per-citizen table (run.citizens_table=false).</p>"
    shown = ("handed_over", "retained_52w", "cost_municipality")
    head = "".join(f"<th>{_e(result.titles[s])}</th>" for s in result.configs)
    tables = []
    for metric in shown:
        table = result.by_centre[result.by_centre["metric"] == metric]
        means = table.pivot_table(index="centre", columns="scenario", values="mean", sort=False)
        rows = "".join(f"<tr><th>{_e(centre)}</th>"
                       + "".join(f"<td class='n'>{number(metric, row.get(s))}</td>" for s in result.configs)
                       + "</tr>" for centre, row in means.iterrows())
        tables.append(f"<h3>{_e(axis_label(metric))}</h3><div class='wide'><table><tr><th>centre</th>{head}</tr>{rows}"
                      "</table></div>")
    return ("".join(tables) + "<p class='note'>Means over replications; intervals and every other metric per "
            "centre are in by_centre.csv.</p>")


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def assumptions(result: Comparison) -> str:
    """The unit costs of the reference (and where a scenario differs), with their sources."""
    ref = result.configs[result.reference]
    rows = []
    for key, what, tag in costs.UNIT_COSTS:
        value = float(get_key(ref, key))
        other = [f"{result.titles[n]}: {amount(get_key(c, key))}" for n, c in result.configs.items()
                 if float(get_key(c, key)) != value]
        differs = f"<span class='ci'>{_e('; '.join(other))}</span>" if other else ""
        rows.append(f"<tr><td><code>{_e(key)}</code></td><td class='n'>{amount(value)}{differs}</td><td>{_e(what)}</td>"
                    f"<td>{_e(tag)}</td></tr>")
    wages = "pays" if ref.economics.municipality_pays_wages else "does not pay"
    return (f"<table><tr><th>key</th><th>DKK</th><th>per</th><th>source</th></tr>{''.join(rows)}</table>"
            f"<p class='note'>In the reference the municipality {wages} instructor wages "
            "(economics.municipality_pays_wages). The report gives no unit costs: every amount is an assumption "
            "(conf/costs/copenhagen.yaml); change them with overrides such as <code>costs.coordination_week=2000"
            "</code>. Not priced by the model: " + _e("; ".join(costs.NOT_MODELLED)) + ".</p>")


def _figure(name: str, figure: Figure, css: str = "") -> str:
    return (f"<figure class='{css}'><img alt='{_e(FIGURE_CAPTIONS.get(name, name))}' "
            f"src='data:image/png;base64,{_png(figure)}'>"
            f"<figcaption class='note'>{_e(FIGURE_CAPTIONS.get(name, ''))}</figcaption></figure>")


def text_table(head: tuple[str, ...], rows: list[tuple[str, ...]], words: int = 2) -> str:
    """Rows of text as an HTML table: the first cell a heading, the first `words` cells left-aligned
    (names), the rest right-aligned (numbers)."""
    cells = "".join("<tr><th>" + _e(r[0]) + "</th>"
                    + "".join(f"<td{'' if i < words else ' class=n'}>{_e(c)}</td>" for i, c in enumerate(r[1:], 1))
                    + "</tr>" for r in rows)
    return f"<div class='wide'><table><tr>{''.join(f'<th>{_e(h)}</th>' for h in head)}</tr>{cells}</table></div>"


def decision_section(result: Comparison, figures: dict[str, Figure]) -> str:
    """The decision in words at each price, the headline ranges of outcomes, the acceptability curve and
    the value of information; where intake differs, the counts per 100 starters."""
    cfg = result.configs[result.reference]
    table = result.decision.table
    said = "".join(f"<li>{_e(line)}</li>" for line in decision_sentences(result))
    drawn = "".join(_figure(name, figures[name]) for name in DECISION_FIGURES if name in figures)
    out = [f"<h2>Decision</h2><ul class='summary'>{said}</ul>",
           f"<h2>Headline: what each plan can produce</h2><p class='note'>{_e(outcome_range(cfg))}: where 9 of 10 "
           f"outcomes fall (not the precision of the mean, which is in the details). Differences are paired by "
           f"replication; the chance better counts the {_e(cases(result))} in which the plan does strictly better "
           "(for costs: lower).</p>",
           text_table(HEADLINE_HEAD, headline_rows(table[table["metric"].isin(SHOWN)], result)),
           f"<div class='figures'>{drawn}</div>"]
    if not result.per_starters.empty:
        out.append(f"<p>{_e(intake_note(result))}</p>"
                   + text_table(HEADLINE_HEAD, headline_rows(result.per_starters, result)))
    return "".join(out)


def _folded(title: str, body: str, note: str = "") -> str:
    """A detail section, folded: its title shows, its body opens on a click."""
    note = f"<p class='note'>{note}</p>" if note else ""
    return f"<details><summary>{_e(title)}</summary>{note}{body}</details>"


def stamp(made: datetime | None = None) -> str:
    """When and with which code a page was made: "made 2026-12-06 07:00, code version 0.1.0+ab12…"."""
    made = made or datetime.now().astimezone()
    return f"made {made:%Y-%m-%d %H:%M}, code version {code_version()}"


def html_page(result: Comparison, figures: dict[str, Figure], made: datetime | None = None) -> str:
    """The whole page as one HTML string: first what a planner acts on (the plans, the summary in
    words, the main figures), then every table folded below it; `made`: when (default now)."""
    cfg = result.configs[result.reference]
    scenarios = "".join(
        f"<tr><th>{_e(result.titles[n])}{' (reference)' if n == result.reference else ''}</th>"
        f"<td>{_e(result.questions[n] or '(no question given)')}</td><td><code>{_e(n)}</code></td></tr>"
        for n in result.configs)
    summary = "".join(f"<li>{_e(line)}</li>" for line in plain_summary(result).splitlines())
    first = [name for name in FIRST if name in figures]
    shown = "".join(_figure(name, figures[name], "full" if i == 0 else "") for i, name in enumerate(first))
    more = "".join(_figure(name, fig) for name, fig in figures.items()
                   if name not in first and name not in DECISION_FIGURES)
    defined = [*result.counts["metric"].unique(), *result.rates["metric"].unique(), *result.costs["metric"].unique(),
               RATIO]
    definitions = "".join(f"<dt>{_e(label(m))} <code>{_e(m)}</code></dt><dd>{_e(definition(m))}</dd>"
                          for m in dict.fromkeys(defined) if definition(m))
    ref = _e(result.titles[result.reference])
    details = "".join([
        _folded(f"Every headline metric: {outcome_range(cfg)}",
                text_table(HEADLINE_HEAD, headline_rows(result.decision.table, result))),
        _folded("Value of information (DKK)", text_table(VALUE_HEAD, value_rows(result)),
                f"For this decision: the {amount(result.decision.citizens)} citizens one run covers. Over the "
                f"decision's lifetime: {result.decision.years} years of about "
                f"{amount(result.decision.citizens_per_year)} citizens a year, discounted at "
                f"{result.decision.discount:.1%} a year (sim.compare --years). EVPPI by nonparametric regression "
                "(docs/decision.md); read a value within two standard errors of 0 as no evidence it matters."),
        _folded("Citizens (counts over the run)", metric_table(result.counts, result, define=True),
                "Mean over replications; under each, the reference's 95% interval or the paired difference to the "
                "reference with its 95% interval."),
        _folded("Rates", metric_table(result.rates, result, define=True),
                "Each rate with its denominator under its name."),
        _folded("Municipal cost by item and the club side (DKK over the run)", metric_table(result.costs, result)),
        _folded(f"Cost per additional citizen retained at 52 weeks, against {result.titles[result.reference]}",
                incremental_table(result),
                "Extra cost divided by extra citizens still in a club team 52 weeks after their programme: the "
                f"ratio of the mean paired differences, its interval from {amount(BOOTSTRAP)} bootstrap resamples "
                "of the paired replications. \"Saves money\": more citizens retained for less; \"dominated\": no "
                "more citizens retained at no saving."),
        _folded("By centre", centre_table(result)),
        _folded("More figures", f"<div class='figures'>{more}</div>") if more else "",
        _folded("Definitions", f"<dl>{definitions}</dl>"),
        _folded("What the intervals cover", f"<p>{_e(result.explain)}</p>"),
        _folded("Cost assumptions", assumptions(result)),
    ])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Scenario comparison</title>
<style>{STYLE}</style></head><body>
<h1>Scenario comparison: handing citizens over from the prevention centres to clubs</h1>
<p class="note">{cfg.run.replications} replications per scenario, seed {cfg.run.seed},
{_e(cfg.run.engine.value)} engine, {cfg.run.horizon_weeks} weeks simulated; {_e(stamp(made))}. Every scenario sees
the same citizens and random numbers replication by replication, so differences are paired.
Ranges: {_e(uncertainty.outcome_range(cfg))}.</p>
<h2>The plans, against {ref}</h2><table>{scenarios}</table>
<h2>In short</h2><ul class="summary">{summary}</ul>
{decision_section(result, figures)}
<div class="figures">{shown}</div>
<h2>Details</h2>
<p class="note">{_e(uncertainty.PRECISION)}: the tables below give each mean with it.</p>
{details}
</body></html>
"""
