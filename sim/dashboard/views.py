"""Pieces of the pages that show results: headline cards, retention curves, tables, the watched city.

Everything here formats tables that `compute.run_plan` (that is, `sim.compare`) or `watch.Watch`
computed; nothing here computes a metric.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from matplotlib.figure import Figure

from sim.dashboard.compute import Outcome
from sim.dashboard.watch import Watch
from sim.model.config import SimConfig
from sim.model.states import State
from sim.present.comparison import (
    HEADLINE_HEAD,
    INCREMENTAL_HEAD,
    VALUE_HEAD,
    cases,
    decision_figures,
    decision_sentences,
    headline_rows,
    incremental_rows,
    intake_note,
    plain_summary,
    value_rows,
)
from sim.present.format import chance, difference, estimate, number, plain, span
from sim.present.labels import axis_label, definition, label, team_label
from sim.present.page import FIGURE_CAPTIONS, SHOWN
from sim.workflows.compare import COST_ITEMS
from sim.workflows.uncertainty import PRECISION, explain, outcome_range

PLAN = "this plan"  # the name of the planner's plan in comparisons (no scenario file can be named so)
# The headline cards: (title, count or main metric, the rate shown under it).
# The first of the counts that the comparison has is shown.
CARDS = (
    ("Citizens handed over", ("handed_over",), "handover_rate"),
    ("Still active after a year", ("active_count_52w", "retained_52w"), "active_52w"),
    ("Cost per retained citizen", ("cost_per_retained_52w",), "cost_municipality"),
)


COMPARED = ("counts", "headline", "rates", "costs")  # the comparison-shaped tables of an outcome, in page order
AGAINST = ("counts", "rates")  # the Results page's table against the reference; costs have their own


def rows_of(outcome: Outcome) -> pd.DataFrame:
    """Every per-metric table the comparison has, in one, indexed by (metric, scenario)."""
    tables = [t for t in (getattr(outcome, name) for name in COMPARED) if not t.empty]
    table = pd.concat(tables).set_index(["metric", "scenario"])
    return table[~table.index.duplicated()]


def cards(outcome: Outcome, cfg: SimConfig) -> html.Div:
    """The three headline cards for the plan, each with the range of outcomes it can produce (what that
    covers said), and the paired difference to the reference with its range and the chance it is better.
    The means' 95% intervals are in the details."""
    table = outcome.decision.table.set_index(["metric", "scenario"])
    out = []
    for title, mains, sub in CARDS:
        main = next((m for m in mains if (m, PLAN) in table.index), None)
        if main is None:
            continue
        r = table.loc[(main, PLAN)]
        lines = [
            html.Div(title, className="card-title"),
            html.Div(number(main, r["mean"], unit=True), className="card-value", **{"data-metric": main}),
            html.Div(f"{span(main, r['range_low'], r['range_high'])}: {outcome_range(cfg)}", className="card-ci"),
            html.Div(label(main, of=True), className="card-note"),
        ]
        if (sub, PLAN) in table.index:
            s = table.loc[(sub, PLAN)]
            lines.append(html.Div(f"{label(sub, of=True)}: {number(sub, s['mean'])} "
                                  f"({span(sub, s['range_low'], s['range_high'])})", className="card-note"))
        diff = (f"{difference(main, r['diff_mean'])} ({span(main, r['diff_range_low'], r['diff_range_high'], True)}), "
                f"better in {chance(r['p_better'])} of {cases(outcome)}")
        lines.append(html.Div(f"vs {outcome.titles[outcome.reference]}: {diff} (paired)", className="card-diff"))
        out.append(html.Div(lines, className="card"))
    return html.Div(out, className="cards")


def _png(figure: Figure) -> str:
    """A matplotlib figure as a data address (the page loads nothing from elsewhere)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def decision(outcome: Outcome) -> html.Div:
    """The Decision view: the same sentences, headline ranges, acceptability curve and value of
    information as comparison.html (sim.present.comparison), for the plan against its reference."""
    d = outcome.decision
    figures = decision_figures(outcome)
    rows = headline_rows(d.table[d.table["metric"].isin(SHOWN)], outcome)
    parts = [html.Ul([html.Li(line) for line in decision_sentences(outcome)], className="summary",
                     id="decision-sentences"),
             frame(pd.DataFrame(rows, columns=HEADLINE_HEAD)),
             html.Div([html.Div(html.Img(src=_png(f), alt=FIGURE_CAPTIONS[name], id=f"decision-{name}",
                                         style={"width": "100%", "height": "auto"}), className="half")
                       for name, f in figures.items()], className="row")]
    if len(d.at_prices):
        value = frame(pd.DataFrame(value_rows(outcome), columns=VALUE_HEAD))
        parts.append(_folded("Value of information (DKK)", value))
    if not outcome.per_starters.empty:
        parts += [html.P(intake_note(outcome), className="note"),
                  frame(pd.DataFrame(headline_rows(outcome.per_starters, outcome), columns=HEADLINE_HEAD))]
    return html.Div(parts, id="results-decision")


def curves_figure(outcome: Outcome) -> go.Figure:
    """Retention curves with their 95% bands, the plan and the reference."""
    fig = go.Figure()
    colours = ("#1f5f8b", "#c0392b", "#27ae60", "#8e44ad")
    for (name, curve), colour in zip(outcome.curves.items(), colours, strict=False):
        band = pd.concat([curve["ci_high"], curve["ci_low"][::-1]])
        weeks = pd.concat([curve["week"], curve["week"][::-1]])
        fig.add_trace(go.Scatter(x=weeks, y=100 * band, fill="toself", line={"width": 0}, fillcolor=colour,
                                 opacity=0.2, hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=curve["week"], y=100 * curve["mean"], name=outcome.titles.get(name, name),
                                 line={"color": colour}))
    # from zero: an axis starting near the lowest curve makes a small gap look large
    fig.update_layout(xaxis_title="weeks since the citizen's programme ended", yaxis_title=axis_label("retention"),
                      yaxis={"rangemode": "tozero", "ticksuffix": "%"}, margin={"l": 50, "r": 10, "t": 30, "b": 40},
                      height=320, legend={"orientation": "h", "y": 1.15}, template="plotly_white")
    return fig


def costs_figure(outcome: Outcome) -> go.Figure:
    """Where the plan's municipal cost differs from the reference's: the paired difference of each
    cost item (mean, 95% interval), items that do not differ left out."""
    table = outcome.costs[outcome.costs["metric"].isin(COST_ITEMS) & (outcome.costs["scenario"] == PLAN)]
    table = table[(table["diff_mean"].abs() > 0.5) | (table["diff_high"] - table["diff_low"] > 0.5)]
    reference = outcome.titles[outcome.reference]
    fig = go.Figure(go.Bar(
        y=[label(m) for m in table["metric"]], x=table["diff_mean"], orientation="h",
        error_x={"type": "data", "symmetric": False, "array": table["diff_high"] - table["diff_mean"],
                 "arrayminus": table["diff_mean"] - table["diff_low"]},
        marker_color=["#c0392b" if d > 0 else "#27ae60" for d in table["diff_mean"]],
        text=[difference(m, d) for m, d in zip(table["metric"], table["diff_mean"], strict=True)],
        textposition="auto", cliponaxis=False, hoverinfo="skip"))
    fig.update_layout(xaxis_title=f"DKK over the run, this plan minus {reference}", xaxis={"tickformat": ",.0f"},
                      yaxis={"autorange": "reversed"}, height=max(200, 40 * len(table) + 110),
                      margin={"l": 10, "r": 60, "t": 20, "b": 40}, template="plotly_white")
    if table.empty:
        fig.add_annotation(text=f"No cost item differs from {reference}.", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    return fig


def differences(table: pd.DataFrame, outcome: Outcome) -> html.Div:
    """A comparison-shaped table (metric, scenario, mean, ci_low, ci_high, diff_*) as the plan, the
    reference and their paired difference, one row per metric."""
    reference = outcome.reference
    table = table.set_index(["metric", "scenario"])
    head = html.Tr([html.Th(h) for h in ("", outcome.titles.get(PLAN, PLAN), outcome.titles[reference],
                                         "difference (paired)")])
    body = []
    for metric in dict.fromkeys(table.index.get_level_values(0)):
        if (metric, PLAN) not in table.index or (metric, reference) not in table.index:
            continue
        p, q = table.loc[(metric, PLAN)], table.loc[(metric, reference)]
        body.append(html.Tr([
            html.Th(label(metric, of=True), title=definition(metric)),
            html.Td(estimate(metric, p["mean"], p["ci_low"], p["ci_high"])),
            html.Td(estimate(metric, q["mean"], q["ci_low"], q["ci_high"])),
            html.Td(estimate(metric, p["diff_mean"], p["diff_low"], p["diff_high"], of_difference=True)),
        ]))
    return html.Div(html.Table([html.Thead(head), html.Tbody(body)], className="table"), className="wide")


def frame(df: pd.DataFrame) -> html.Div:
    """A table of text as it is (numbers rounded for reading), scrolling inside the page if wide."""
    cells = lambda v: plain(v) if isinstance(v, float) else str(v)  # noqa: E731
    return html.Div(html.Table([html.Thead(html.Tr([html.Th(c) for c in df.columns])),
                                html.Tbody([html.Tr([html.Td(cells(v)) for v in row])
                                            for row in df.itertuples(index=False)])], className="table"),
                    className="wide")


EMPTY = "sim.compare computed no {} for this run."


def incremental(outcome: Outcome) -> html.Div:
    """The cost per additional citizen retained, labelled and formatted as on comparison.html."""
    if outcome.incremental.empty:
        return html.Div(EMPTY.format("incremental cost"), className="note")
    return frame(pd.DataFrame(incremental_rows(outcome), columns=INCREMENTAL_HEAD))


def by_centre(outcome: Outcome) -> html.Div:
    """Every metric per centre against the reference, one folded table per centre."""
    if outcome.by_centre.empty:
        return html.Div(EMPTY.format("results by centre"), className="note")
    return html.Div([html.Details([html.Summary(str(centre)), differences(rows, outcome)])
                     for centre, rows in outcome.by_centre.groupby("centre", sort=False)])


def _folded(title: str, *body: Any) -> html.Details:
    return html.Details([html.Summary(title), *body], className="folded")


def results(outcome: Outcome, cfg: SimConfig, heading: str, question: str = "") -> html.Div:
    """The Results page for one run: first the plan, its headline numbers, the summary in words and two
    figures; then each table once, folded."""
    reference = outcome.titles[outcome.reference]
    against = pd.concat([getattr(outcome, name) for name in AGAINST if not getattr(outcome, name).empty])
    summary = [html.Li(line) for line in plain_summary(outcome).splitlines()]
    graph = {"config": {"displayModeBar": False}}
    return html.Div([
        html.H2(heading),
        html.P(question, className="question") if question else None,
        cards(outcome, cfg),
        html.H3("In short"),
        html.Ul(summary, className="summary"),
        html.H3("Decision"),
        decision(outcome),
        html.Div([
            html.Div([html.H3("Retention"), dcc.Graph(figure=curves_figure(outcome), id="results-curves", **graph)],
                     className="half"),
            html.Div([html.H3(f"Municipal cost by item against {reference}"),
                      dcc.Graph(figure=costs_figure(outcome), id="results-costs", **graph)], className="half"),
        ], className="row"),
        html.H3("Details"),
        _folded(f"Citizens and rates against {reference}", differences(against, outcome)),
        _folded("Municipal cost by item and the club side (DKK over the run)", differences(outcome.costs, outcome)),
        _folded(f"Cost per additional citizen retained at 52 weeks, against {reference}", incremental(outcome)),
        _folded("By centre", by_centre(outcome)),
        _folded("What the intervals cover", html.P(f"{explain(cfg)} Tables: {PRECISION}.", className="note")),
    ])


def side_by_side(runs: list[tuple[str, Outcome]]) -> pd.DataFrame:
    """One row per metric, one column per run: the plan's mean and 95% interval."""
    data: dict[str, dict[str, str]] = {}
    for run, outcome in runs:
        table = rows_of(outcome)
        for (metric, scenario), r in table.iterrows():
            if scenario == PLAN:
                row = data.setdefault(label(metric, of=True), {})
                row[run] = estimate(metric, r["mean"], r["ci_low"], r["ci_high"])
    return pd.DataFrame(data).T.rename_axis("metric").reset_index()


# --- the Watch page --------------------------------------------------------------------------------------------


def watch_figures(watch: Watch, week: int) -> tuple[go.Figure, go.Figure]:
    """(members per open team, with vacant instructors marked; citizens by state up to `week`)."""
    snap = watch.at(week)
    teams = [i for i in range(len(watch.teams)) if snap.open[i]]
    labels = [team_label(watch.cfg, watch.teams[i]) for i in teams]
    labels = [f"{text} [{watch.teams[i]}]" if labels.count(text) > 1 else text  # each bar its own row
              for text, i in zip(labels, teams, strict=True)]
    names = [text + (" (no instructor)" if snap.vacant[i] else "") for text, i in zip(labels, teams, strict=True)]
    bars = go.Figure([
        go.Bar(y=names, x=snap.regulars[teams], name="regulars", orientation="h", marker_color="#b0bec5"),
        go.Bar(y=names, x=snap.members[teams], name="handed over", orientation="h",
               marker_color=["#c0392b" if snap.vacant[i] else "#1f5f8b" for i in teams]),
    ])
    bars.update_layout(barmode="stack", height=max(300, 22 * len(teams) + 80), template="plotly_white",
                       xaxis_title="members", margin={"l": 10, "r": 10, "t": 30, "b": 40},
                       legend={"orientation": "h", "y": 1.08}, yaxis={"autorange": "reversed"})
    states = watch.states(week)
    lines = go.Figure([go.Scatter(x=states["week"], y=states[s.name], name=s.name.replace("_", " "))
                       for s in State])
    lines.update_layout(height=300, template="plotly_white", xaxis_title="week", yaxis_title="citizens",
                        xaxis_range=[0, watch.weeks - 1], margin={"l": 50, "r": 10, "t": 30, "b": 40})
    return bars, lines
