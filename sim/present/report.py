"""Readable text tables of results (terminal and Markdown)."""

from __future__ import annotations

import pandas as pd

from sim.model import costs
from sim.model.metrics import HEADLINE, describe

PERCENT = {"completion_rate", "handover_rate", "retention_26w", "retention_52w", "patient_uptake",
           "patient_retention_52w", "active_52w"}
_AFTER = "weeks after the citizen's own programme end"
# One line per metric: what it counts and, for a rate, its denominator (tables, the HTML page).
DEFINITIONS = {
    "started": "citizens who started the programme within the run",
    "completed": "starters who completed all programme weeks",
    "handed_over": "completers who joined a club team within their decision window",
    "retained_26w": f"starters in a club team 26 {_AFTER}",
    "retained_52w": f"starters in a club team 52 {_AFTER}",
    "active_count_52w": f"starters physically active 52 {_AFTER}: in a club team or a patient-association "
                        "activity with training",
    "completion_rate": "completed / started",
    "handover_rate": "handed over / completed (denominator: completers)",
    "retention_26w": "retained at 26 weeks / starters whose 26-week follow-up the run reaches",
    "retention_52w": "retained at 52 weeks / starters whose 52-week follow-up the run reaches",
    "active_52w": "active at 52 weeks (club team or patient activity with training) / starters reached",
    "patient_uptake": "joined a patient-association offering / completers with an offering for their diagnosis "
                      "at their centre",
    "patient_retention_52w": "still in that offering 52 weeks after programme end / the same completers, reached",
    "cost_municipality": "the municipality's cost over the run, all items below (DKK)",
    "cost_per_retained_52w": "municipal cost / citizens retained at 52 weeks (DKK per citizen; an average, "
                             "not the incremental cost)",
    "cost_per_extra_retained_52w": "extra municipal cost / extra citizens retained at 52 weeks against the "
                                   "reference: ratio of the mean paired differences (DKK per additional citizen)",
    **{f"cost_{item}": f"{label} (DKK)" for item, label in costs.ITEM_LABELS.items()},
    "club_fees": "clubs' income from members' and regulars' fees (DKK)",
    "club_municipal_payments": "clubs' income from the municipality: subsidies, wages, co-leading, trial and "
                               "parallel sessions, gift cards (DKK)",
    "club_wages_paid": "instructor wages the clubs pay themselves (DKK)",
    "club_net": "clubs' fees + municipal payments − wages they pay (DKK)",
}


def _cell(metric: str, value: float) -> str:
    if pd.isna(value):
        return "n/a"
    return f"{100 * value:.1f}%" if metric in PERCENT else f"{value:,.0f}"


def summary_table(summary: pd.DataFrame) -> str:
    """Each headline metric: mean and 95% confidence interval over replications."""
    stats = describe(summary, HEADLINE)
    rows = [
        (m, _cell(m, r["mean"]), "" if pd.isna(r["ci_low"]) else f"[{_cell(m, r['ci_low'])}, {_cell(m, r['ci_high'])}]")
        for m, r in stats.iterrows()
    ]
    width = max(len(m) for m, _, _ in rows)
    lines = [f"{'metric':<{width}}  {'mean':>10}  95% interval", "-" * (width + 36)]
    lines += [f"{m:<{width}}  {mean:>10}  {ci}" for m, mean, ci in rows]
    lines.append(f"({len(summary)} replications; n/a: not simulated or not reached by the horizon)")
    return "\n".join(lines)
