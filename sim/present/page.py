"""`comparison.html`: one self-contained page of a scenario comparison that a planner can open,
read and forward. Figures are embedded as base64 PNG, styles are inline; the page makes no
request of any kind (no scripts, fonts or images from elsewhere)."""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import pandas as pd
from matplotlib.figure import Figure

from sim.model import costs
from sim.model.keys import get_key
from sim.present.comparison import EXTRA, EXTRA_COST, RATIO, plain_summary, ratio_words
from sim.present.format import amount, difference, number
from sim.present.labels import axis_label, definition, label
from sim.workflows import uncertainty

if TYPE_CHECKING:
    from sim.workflows.compare import Comparison

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; } td.n { text-align: right; }
.wide { overflow-x: auto; }
.ci, .diff { color: #555; font-size: 0.88em; display: block; font-weight: normal; } .summary li { margin: 0.4em 0; }
img { max-width: 100%; margin: 0.5em 0 1.5em; } dt { font-weight: 600; } dd { margin: 0 0 0.5em 1.2em; }
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


def _e(text: object) -> str:
    return html.escape(str(text))


def metric_table(table: pd.DataFrame, result: Comparison, define: bool = False) -> str:
    """One row per metric, one column per scenario: mean, its 95% interval and the paired
    difference to the reference with its interval (`define`: the metric's definition, with its
    denominator, under its name)."""
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
            ci = f"<span class='ci'>95%: {number(metric, r.ci_low)} to {number(metric, r.ci_high)}</span>" \
                if pd.notna(r.ci_low) else ""
            diff = "" if s == result.reference or pd.isna(r.diff_mean) else (
                f"<span class='diff'>vs reference {difference(metric, r.diff_mean)} "
                f"({difference(metric, r.diff_low)} to {difference(metric, r.diff_high)})</span>")
            cells.append(f"<td class='n'>{number(metric, r['mean'])}{ci}{diff}</td>")
        name = _e(label(metric, of=True))
        if define and definition(metric):
            name += f"<span class='ci'>{_e(definition(metric))}</span>"
        rows.append(f"<tr><th title='{_e(definition(metric))}'>{name}</th>{''.join(cells)}</tr>")
    return f"<div class='wide'><table><tr><th></th>{head}</tr>{''.join(rows)}</table></div>"


def _difference_cell(metric: str, mean: float, low: float, high: float) -> str:
    return (f"<td class='n'>{difference(metric, mean)}<span class='ci'>95%: {difference(metric, low)} to "
            f"{difference(metric, high)}</span></td>")


def incremental_table(result: Comparison) -> str:
    rows = []
    for r in result.incremental.itertuples():
        if pd.isna(r.cost_per_extra_retained_52w):
            ratio = "n/a"
        elif r.verdict != "costs more per extra citizen":
            ratio = _e(ratio_words(r.verdict, r.cost_per_extra_retained_52w))
        else:
            bounds = (f"95%: {amount(r.ratio_low)} to {amount(r.ratio_high)}" if pd.notna(r.ratio_low)
                      else "interval unbounded: the extra citizens retained may be 0")
            ratio = f"{amount(r.cost_per_extra_retained_52w)}<span class='ci'>{bounds}</span>"
        rows.append(
            f"<tr><th>{_e(result.titles[r.scenario])}</th>"
            + _difference_cell(EXTRA, r.extra_retained_52w, r.extra_retained_52w_low, r.extra_retained_52w_high)
            + _difference_cell(EXTRA_COST, r.extra_cost, r.extra_cost_low, r.extra_cost_high)
            + f"<td class='n'>{ratio}</td><td>{_e(r.verdict)}</td></tr>")
    head = (f"<tr><th>scenario</th><th>{_e(label(EXTRA))}</th><th>{_e(axis_label(EXTRA_COST))}</th>"
            f"<th>{_e(label(RATIO))} (DKK, <code>{RATIO}</code>)</th><th>verdict</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


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


def html_page(result: Comparison, figures: dict[str, Figure]) -> str:
    """The whole page as one HTML string."""
    cfg = result.configs[result.reference]
    scenarios = "".join(
        f"<tr><th>{_e(result.titles[n])}{' (reference)' if n == result.reference else ''}</th><td><code>{_e(n)}"
        f"</code></td><td>{_e(result.questions[n] or '(no question given)')}</td></tr>" for n in result.configs)
    summary = "".join(f"<li>{_e(line)}</li>" for line in plain_summary(result).splitlines())
    images = "".join(
        f"<figure><img alt='{_e(name)}' src='data:image/png;base64,{_png(fig)}'>"
        f"<figcaption class='note'>{_e(FIGURE_CAPTIONS.get(name, ''))}</figcaption></figure>"
        for name, fig in figures.items())
    shown = [*result.counts["metric"].unique(), *result.rates["metric"].unique(), *result.costs["metric"].unique(),
             RATIO]
    definitions = "".join(f"<dt>{_e(label(m))} <code>{_e(m)}</code></dt><dd>{_e(definition(m))}</dd>"
                          for m in dict.fromkeys(shown) if definition(m))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Scenario comparison</title>
<style>{STYLE}</style></head><body>
<h1>Scenario comparison: handing citizens over from the prevention centres to clubs</h1>
<p class="note">{cfg.run.replications} replications per scenario, seed {cfg.run.seed},
{_e(cfg.run.engine.value)} engine, {cfg.run.horizon_weeks} weeks simulated. Every scenario sees the same citizens
and random numbers replication by replication, so differences are paired. Intervals: {_e(uncertainty.covers(cfg))}.</p>
<h2>The scenarios and their questions</h2><table>{scenarios}</table>
<h2>In short</h2><ul class="summary">{summary}</ul>
<h2>Citizens</h2><p class="note">Counts over the run (mean over replications).</p>
{metric_table(result.counts, result, define=True)}
<h2>Rates</h2><p class="note">Each rate with its denominator under its name.</p>
{metric_table(result.rates, result, define=True)}
<h2>Municipal cost by item (DKK over the run) and the club side</h2>
{metric_table(result.costs, result)}
<h2>Cost per additional citizen retained at 52 weeks, against {_e(result.titles[result.reference])}</h2>
<p class="note">Extra cost divided by extra citizens still in a club team 52 weeks after their programme: the ratio
of the mean paired differences, its interval from 2,000 bootstrap resamples of the paired replications.
"Saves money": more citizens retained for less; "dominated": no more citizens retained at no saving.</p>
{incremental_table(result)}
<h2>By centre</h2>{centre_table(result)}
<h2>Figures</h2>{images}
<h2>Definitions</h2><dl>{definitions}</dl>
<h2>What the intervals cover</h2><p>{_e(result.explain)}</p>
<h2>Cost assumptions</h2>{assumptions(result)}
</body></html>
"""
