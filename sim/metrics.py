"""Headline metrics (MODEL.md §5), computed from per-citizen outcomes by the same code for both engines.

Inputs are arrays shaped (replications, citizens); NaN marks a week that never happened (no
handover, no lapse). A citizen is a member at week m if it joined at or before m and has not
lapsed (or left) at or before m; the same holds for patient-association activities. Shares are
of programme starters unless named otherwise.
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


def _at(start_week: np.ndarray, programme_weeks: int, horizon: int, after: int) -> tuple[np.ndarray, np.ndarray]:
    """(the week `after` weeks past each citizen's own programme end, whether the horizon reaches it)."""
    at = start_week + programme_weeks + after
    return at, at <= horizon - 1


def summarise(
    citizens: dict[str, np.ndarray], cost: np.ndarray, programme_weeks: int, horizon: int,
    eligible: np.ndarray, training: np.ndarray,
) -> pd.DataFrame:
    """One row per replication: counts and the headline metrics.

    `eligible`: the citizen has a patient-association offering for its diagnosis at its centre;
    `training`: that offering includes physical training (counts towards `active_52w`).
    """
    start, hw, lw = citizens["start_week"], citizens["handover_week"], citizens["lapse_week"]
    pjw, plw = citizens["patient_join_week"], citizens["patient_lapse_week"]
    completed = citizens["completed"]
    started = (start < horizon).sum(axis=1)
    n_completed = completed.sum(axis=1)
    handed_over = (~np.isnan(hw)).sum(axis=1)
    out = {
        "started": started,
        "completed": n_completed,
        "handed_over": handed_over,
        "completion_rate": _share(n_completed, started),
        "handover_rate": _share(handed_over, n_completed),
    }
    for weeks in RETENTION_WEEKS:
        at, reached = _at(start, programme_weeks, horizon, weeks)
        kept = (member_at(hw, lw, at) & reached).sum(axis=1)
        out[f"retention_{weeks}w"] = _share(kept, reached.sum(axis=1))
        out[f"retained_{weeks}w"] = kept
    eligible_done = eligible & completed
    out["patient_uptake"] = _share((eligible_done & ~np.isnan(pjw)).sum(axis=1), eligible_done.sum(axis=1))
    at, reached = _at(start, programme_weeks, horizon, 52)
    in_patient = member_at(pjw, plw, at)
    base = eligible_done & reached
    out["patient_retention_52w"] = _share((in_patient & base).sum(axis=1), base.sum(axis=1))
    active = (member_at(hw, lw, at) | (in_patient & training)) & reached
    out["active_52w"] = _share(active.sum(axis=1), reached.sum(axis=1))
    out["active_count_52w"] = active.sum(axis=1)  # citizens, for planners' counts
    out["reached_52w"] = reached.sum(axis=1)  # starters whose 52-week follow-up the horizon reaches
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
