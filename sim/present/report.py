"""The terminal summary of a run: each headline metric, its mean and 95% interval, and what it is."""

from __future__ import annotations

import pandas as pd

from sim.model.metrics import HEADLINE, describe
from sim.present.format import interval, number
from sim.present.labels import axis_label


def summary_table(summary: pd.DataFrame) -> str:
    """Each headline metric: mean and 95% confidence interval over replications, and its label with its unit."""
    stats = describe(summary, HEADLINE)
    rows = [(m, number(m, r["mean"]), interval(m, r["ci_low"], r["ci_high"]), axis_label(m))
            for m, r in stats.iterrows()]
    width = max(len(m) for m, *_ in rows)
    span = max(len(ci) for _, _, ci, _ in rows)
    lines = [f"{m:<{width}}  {mean:>10}  {ci:<{span}}  {what}" for m, mean, ci, what in rows]
    head = f"{'metric':<{width}}  {'mean':>10}  {'95% interval':<{span}}  what it is"
    lines = [head, "-" * max(len(line) for line in [head, *lines]), *lines]
    lines.append(f"({len(summary)} replications; n/a: not simulated or not reached by the horizon)")
    return "\n".join(lines)
