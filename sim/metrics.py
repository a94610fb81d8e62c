"""Headline metrics (MODEL.md §5), computed from per-citizen outcomes by the same code for both engines.

Inputs are arrays shaped (replications, citizens); NaN marks a week that never happened (no
handover, no lapse). A citizen is a member at week m if it joined at or before m and has not
lapsed at or before m. Shares are of programme starters unless named otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RETENTION_WEEKS = (26, 52)
HEADLINE = (
    "completion_rate",
    "handover_rate",
    "retention_26w",
    "retention_52w",
    "patient_uptake",
    "patient_retention_52w",
    "active_52w",
    "cost_per_retained_52w",
    "cost_municipality",
)


def _share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def member_at(handover_week: np.ndarray, lapse_week: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Member of a sports team at `week` (comparisons with NaN are False, as they should be)."""
    return (handover_week <= week) & ~(lapse_week <= week)


def retained(
    start_week: np.ndarray, handover_week: np.ndarray, lapse_week: np.ndarray,
    programme_weeks: int, horizon: int, after: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(members `after` weeks past their own programme end, citizens the horizon reaches), per replication."""
    at = start_week + programme_weeks + after
    reached = at <= horizon - 1
    kept = member_at(handover_week, lapse_week, at) & reached
    return kept.sum(axis=1), reached.sum(axis=1)


def summarise(
    citizens: dict[str, np.ndarray], cost: np.ndarray, programme_weeks: int, horizon: int
) -> pd.DataFrame:
    """One row per replication: counts and the headline metrics."""
    start, hw, lw = citizens["start_week"], citizens["handover_week"], citizens["lapse_week"]
    started = (start < horizon).sum(axis=1)
    completed = citizens["completed"].sum(axis=1)
    handed_over = (~np.isnan(hw)).sum(axis=1)
    out = {
        "started": started,
        "completed": completed,
        "handed_over": handed_over,
        "completion_rate": _share(completed, started),
        "handover_rate": _share(handed_over, completed),
    }
    for weeks in RETENTION_WEEKS:
        kept, reached = retained(start, hw, lw, programme_weeks, horizon, weeks)
        out[f"retention_{weeks}w"] = _share(kept, reached)
        out[f"retained_{weeks}w"] = kept
    # The patient-association channel is not simulated yet: its metrics are missing, not zero.
    out["patient_uptake"] = np.full(len(cost), np.nan)
    out["patient_retention_52w"] = np.full(len(cost), np.nan)
    out["active_52w"] = np.full(len(cost), np.nan)
    out["cost_municipality"] = cost
    out["cost_per_retained_52w"] = _share(cost, out["retained_52w"].astype(float))
    return pd.DataFrame(out)


def interval(values: pd.Series | np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% confidence interval of the mean over replications (normal approximation)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    half = 1.96 * float(x.std(ddof=1)) / np.sqrt(len(x)) if len(x) > 1 else np.nan
    return mean, mean - half, mean + half


def describe(summary: pd.DataFrame, metrics: tuple[str, ...] = HEADLINE) -> pd.DataFrame:
    """Each metric as mean with its 95% interval over replications."""
    rows = [(m, *interval(summary[m])) for m in metrics if m in summary]
    return pd.DataFrame(rows, columns=["metric", "mean", "ci_low", "ci_high"]).set_index("metric")
