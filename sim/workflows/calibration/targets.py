"""The simulated figure a calibration target names, per replication.

A metric is `summary.<column>` (the summary table's column) or `team.<listed team>.<column>` (that
listed team plus its sister teams, summed per replication; a team or sister that never opened
counts 0). A target may sum several metrics (a list) and may be counted `at_week: W`, the figure as
it stood at the end of week W, computed from the citizens table (`handover_week`, `team`, ...) so the
engines need not record it:

- `summary.handed_over`: citizens with handover_week <= W; `summary.started`: start_week <= W;
  `summary.completed`: completed with their last programme week <= W;
  `summary.teams_opened`: the listed teams plus the sister teams that a citizen had joined by W.
- `team.<t>.joined_total`: citizens whose team (t or a sister of t) they joined by week W (the
  citizens table records a citizen's first team; moves after a closure are not counted again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.results import Results

SUMMARY_AT_WEEK = ("started", "completed", "handed_over", "teams_opened")
TEAM_COLUMNS = ("joined_total", "members_at_end", "instructor_changes", "balance_at_end")
TEAM_AT_WEEK = ("joined_total",)


@dataclass(frozen=True)
class Metric:
    source: str  # "summary" or "team"
    column: str
    team: str = ""

    def __str__(self) -> str:
        return f"summary.{self.column}" if self.source == "summary" else f"team.{self.team}.{self.column}"


def parse(text: object, cfg: SimConfig, summary_columns: Sequence[str], at_week: int | None) -> Metric:
    """A metric from its text; `UserError` (without the entry's name: the caller adds it) if unknown."""
    parts = str(text).split(".")
    if parts[0] == "summary" and len(parts) == 2:
        column = parts[1]
        if column not in summary_columns:
            raise UserError(f"unknown metric {text!r}; summary columns: {', '.join(summary_columns)}")
        if at_week is not None and column not in SUMMARY_AT_WEEK:
            raise UserError(f"{text} cannot be counted at_week; allowed: "
                            + ", ".join(f"summary.{c}" for c in SUMMARY_AT_WEEK))
        return Metric("summary", column)
    if parts[0] == "team" and len(parts) == 3:
        team, column = parts[1], parts[2]
        if team not in cfg.city.teams:
            raise UserError(f"unknown team {team!r} in {text!r}; listed teams: {', '.join(cfg.city.teams)}")
        allowed = TEAM_AT_WEEK if at_week is not None else TEAM_COLUMNS
        if column not in allowed:
            raise UserError(f"unknown team column {column!r} in {text!r}{' at_week' if at_week is not None else ''}; "
                            f"allowed: {', '.join(allowed)}")
        return Metric("team", column, team)
    raise UserError(f"unknown metric {text!r}: expected summary.<column> or team.<listed team>.<column>")


class Observed:
    """Per-replication values of metrics from one run's tables (index shared work between targets)."""

    def __init__(self, results: Results) -> None:
        self.results = results
        self.replications = np.sort(results.summary["replication"].to_numpy())
        self._citizens: dict | None = None

    def _cz(self) -> dict:
        if self._citizens is None:
            cz = self.results.citizens
            if cz is None:
                raise UserError("at_week needs the citizens table: do not set run.citizens_table=false")
            code, names = pd.factorize(cz["team"].to_numpy(), use_na_sentinel=True)
            listed = np.array([str(n).split("#")[0] for n in names] + [""], dtype=object)
            self._citizens = dict(
                rep=np.searchsorted(self.replications, cz["replication"].to_numpy()),
                hw=cz["handover_week"].to_numpy(dtype=float),
                start=cz["start_week"].to_numpy(dtype=float),
                completed=cz["completed"].to_numpy(dtype=bool),
                team_code=code, team_names=np.append(np.asarray(names, dtype=object), ""),
                listed=listed[code],  # code -1 (no team) picks ""
            )
        return self._citizens

    def _count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self._cz()["rep"][mask], minlength=len(self.replications)).astype(float)

    def value(self, metric: Metric, at_week: int | None) -> np.ndarray:
        """One value per replication (in replication order)."""
        if at_week is None:
            if metric.source == "summary":
                s = self.results.summary.sort_values("replication")
                return s[metric.column].to_numpy(dtype=float)
            teams = self.results.teams
            own = teams["team"].str.split("#").str[0] == metric.team
            sums = teams[own].groupby("replication")[metric.column].sum()
            return sums.reindex(self.replications, fill_value=0).to_numpy(dtype=float)
        cz = self._cz()
        by = cz["hw"] <= at_week
        if metric.source == "team":
            return self._count(by & (cz["listed"] == metric.team))
        if metric.column == "handed_over":
            return self._count(by)
        if metric.column == "started":
            return self._count(cz["start"] <= at_week)
        if metric.column == "completed":
            weeks = self.results.config.programme.weeks
            return self._count(cz["completed"] & (cz["start"] + weeks - 1 <= at_week))
        # teams_opened: listed teams + sisters joined by then (one count per distinct sister and replication)
        sister = by & (cz["team_code"] >= 0)
        sister &= np.char.find(cz["team_names"][cz["team_code"]].astype(str), "#") >= 0
        pairs = np.unique(cz["rep"][sister] * (len(cz["team_names"]) + 1) + cz["team_code"][sister])
        opened = np.bincount(pairs // (len(cz["team_names"]) + 1), minlength=len(self.replications))
        return len(self.results.config.city.teams) + opened.astype(float)

    def total(self, metrics: Sequence[Metric], at_week: int | None) -> np.ndarray:
        """The sum of several metrics, per replication."""
        return np.sum([self.value(m, at_week) for m in metrics], axis=0)
