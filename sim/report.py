"""Readable text tables of results (terminal and Markdown)."""

from __future__ import annotations

import pandas as pd

from sim.metrics import HEADLINE, describe

PERCENT = {"completion_rate", "handover_rate", "retention_26w", "retention_52w", "patient_uptake",
           "patient_retention_52w", "active_52w"}


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
