"""The terminal summary of a run: each headline metric, its mean, the range of outcomes the run can
produce (the headline interval) and, in the next column, the precision of the mean; and what it is."""

from __future__ import annotations

import pandas as pd

from sim.model.metrics import HEADLINE, describe
from sim.present.format import interval, number, span
from sim.present.labels import axis_label
from sim.workflows.choice import LEVEL
from sim.workflows.decision import predictive_range


def summary_table(summary: pd.DataFrame, covers: str = "") -> str:
    """Each headline metric: mean, the central 90% of the replications' outcomes (`covers`: what that
    range covers, sim.workflows.uncertainty.outcome_range), the 95% confidence interval of the mean,
    and its label with its unit."""
    stats = describe(summary, HEADLINE)
    rows = [(m, number(m, r["mean"]), span(m, *predictive_range(summary[m], LEVEL)), interval(m, r["ci_low"],
                                                                                              r["ci_high"]),
             axis_label(m)) for m, r in stats.iterrows()]
    heads = ("metric", "mean", "range of outcomes (90%)", "95% CI of the mean", "what it is")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads[:-1])]

    def line(cells: tuple[str, ...]) -> str:
        first, mean, *rest = cells
        return "  ".join([f"{first:<{widths[0]}}", f"{mean:>{widths[1]}}",
                          *(f"{c:<{w}}" for c, w in zip(rest[:-1], widths[2:], strict=True)), rest[-1]])

    lines = [line(heads), *(line(r) for r in rows)]
    lines.insert(1, "-" * max(len(x) for x in lines))
    lines.append(f"({len(summary)} replications; n/a: not simulated or not reached by the horizon)")
    if covers:
        lines.append(f"Range of outcomes: {covers}. CI of the mean: its precision, which shrinks with more "
                     "replications.")
    return "\n".join(lines)
