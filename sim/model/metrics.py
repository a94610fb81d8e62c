"""Headline metrics (MODEL.md §5), computed from per-citizen outcomes by the same code for both engines.

Inputs are arrays shaped (replications, citizens); NaN marks a week that never happened (no
handover, no lapse; no start: an unfilled cohort place, `intake.fill_share`, which the horizon never
reaches and so counts nowhere, in no denominator). A citizen is a member at week m if it joined at
or before m and has not lapsed (or left) at or before m; the same holds for patient-association activities. Shares are
of programme starters unless named otherwise.

A citizen counts in a rate only once the run's horizon reaches the week that settles its outcome
(`reached`): its last programme week for completion, the last week of its decision window for
handover (`handed_over`), the week k weeks after its programme end for retention (`retained`).
sim.workflows.analysis computes its curves and per-group rates with the same functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.config import POLICIES, SimConfig
from sim.model.policies import window_delay

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


def share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (nobody to count)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def member_at(handover_week: np.ndarray, lapse_week: np.ndarray, week: np.ndarray) -> np.ndarray:
    """Member of a sports team at `week` (comparisons with NaN are False, as they should be)."""
    return (handover_week <= week) & ~(lapse_week <= week)


def reached(week: np.ndarray, horizon: int) -> np.ndarray:
    """Whether a run of `horizon` weeks (numbered 0 … horizon − 1) reaches `week` (NaN: never)."""
    return np.asarray(week) <= horizon - 1


def window_end(cfg: SimConfig, start_week: np.ndarray, policy: np.ndarray) -> np.ndarray:
    """The last week of each citizen's decision window: programme end, then Vanløse's free weeks,
    then `handover.window_weeks` weeks (MODEL.md §3 steps 4–5). `policy`: index into POLICIES."""
    delay = np.array([window_delay(cfg, p) for p in range(len(POLICIES))])
    return start_week + cfg.programme.weeks + delay[policy] + cfg.handover.window_weeks - 1


def follow_up(start_week: np.ndarray, programme_weeks: int, horizon: int, after: int) -> tuple[np.ndarray, np.ndarray]:
    """(the week `after` weeks past each citizen's own programme end, whether the horizon reaches it)."""
    at = start_week + programme_weeks + after
    return at, reached(at, horizon)


def handed_over(completed: np.ndarray, decision_end: np.ndarray, handover_week: np.ndarray,
                horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Per citizen, for the handover rate: (joined a club team and counted, counted), counted = a
    completer whose decision window (ending in `decision_end`, `window_end`) the horizon closes."""
    counted = completed & reached(decision_end, horizon)
    return counted & ~np.isnan(handover_week), counted


def retained(handover_week: np.ndarray, lapse_week: np.ndarray, start_week: np.ndarray, programme_weeks: int,
             horizon: int, after: int) -> tuple[np.ndarray, np.ndarray]:
    """Per citizen, for retention at `after` weeks: (in a club team `after` weeks past its own
    programme end and counted, counted), counted = the horizon reaches that week."""
    at, counted = follow_up(start_week, programme_weeks, horizon, after)
    return member_at(handover_week, lapse_week, at) & counted, counted


def summarise(
    citizens: dict[str, np.ndarray], cost: np.ndarray, programme_weeks: int, horizon: int,
    eligible: np.ndarray, training: np.ndarray, decision_end: np.ndarray,
) -> pd.DataFrame:
    """One row per replication: counts and the headline metrics.

    `decision_end`: the last week of each citizen's decision window (`window_end`);
    `eligible`: the citizen has a patient-association offering for its diagnosis at its centre;
    `training`: that offering includes physical training (counts towards `active_52w`).
    """
    start, hw, lw = citizens["start_week"], citizens["handover_week"], citizens["lapse_week"]
    pjw, plw = citizens["patient_join_week"], citizens["patient_lapse_week"]
    completed = citizens["completed"]
    started = (start < horizon).sum(axis=1)
    n_completed = completed.sum(axis=1)
    programme_over = reached(start + programme_weeks - 1, horizon)
    handed, window_over = handed_over(completed, decision_end, hw, horizon)
    out = {
        "started": started,
        "completed": n_completed,
        "handed_over": (~np.isnan(hw)).sum(axis=1),
        "completion_rate": share((completed & programme_over).sum(axis=1), programme_over.sum(axis=1)),
        "handover_rate": share(handed.sum(axis=1), window_over.sum(axis=1)),
    }
    for weeks in RETENTION_WEEKS:
        kept, counted = retained(hw, lw, start, programme_weeks, horizon, weeks)
        out[f"retention_{weeks}w"] = share(kept.sum(axis=1), counted.sum(axis=1))
        out[f"retained_{weeks}w"] = kept.sum(axis=1)
    eligible_done = eligible & window_over  # the patient decision shares the sports decision's window
    out["patient_uptake"] = share((eligible_done & ~np.isnan(pjw)).sum(axis=1), eligible_done.sum(axis=1))
    at, counted = follow_up(start, programme_weeks, horizon, 52)
    in_patient = member_at(pjw, plw, at)
    base = eligible_done & counted
    out["patient_retention_52w"] = share((in_patient & base).sum(axis=1), base.sum(axis=1))
    active = (member_at(hw, lw, at) | (in_patient & training)) & counted
    out["active_52w"] = share(active.sum(axis=1), counted.sum(axis=1))
    out["active_count_52w"] = active.sum(axis=1)  # citizens, for planners' counts
    out["reached_52w"] = counted.sum(axis=1)  # starters whose 52-week follow-up the horizon reaches
    out["cost_municipality"] = cost
    out["cost_per_retained_52w"] = share(cost, out["retained_52w"].astype(float))
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
