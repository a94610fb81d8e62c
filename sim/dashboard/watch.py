"""One replication of the agent (Mesa) engine, stepped week by week for the Watch page.

The model is stepped lazily: asking for week w steps it until week w has happened, keeping one
snapshot per week, so the slider can go back without re-running and forward by stepping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.agent.engine import build_model
from sim.model.checks import to_schema
from sim.model.city import build_city
from sim.model.config import SimConfig
from sim.model.states import State


@dataclass(frozen=True)
class Snapshot:
    """The city at the end of one week."""

    week: int
    open: np.ndarray  # bool per team
    members: np.ndarray  # handed-over citizens per team
    regulars: np.ndarray  # regular members (not from the programme) per team
    vacant: np.ndarray  # bool per team: an open team without an instructor
    states: np.ndarray  # citizens per State


class Watch:
    """Replication `replication` of `cfg` on the agent engine."""

    def __init__(self, cfg: SimConfig, replication: int = 0) -> None:
        self.cfg = to_schema(cfg)
        self.city = build_city(self.cfg)
        self.replication = replication
        self.model = build_model(self.cfg, self.city, replication)
        self.history: list[Snapshot] = []

    @property
    def weeks(self) -> int:
        return self.cfg.run.horizon_weeks

    @property
    def teams(self) -> list[str]:
        return self.city.team_names

    def at(self, week: int) -> Snapshot:
        """The snapshot at the end of `week` (0-based), stepping the model as far as needed."""
        week = max(0, min(week, self.weeks - 1))
        while len(self.history) <= week:
            self.model.step()
            teams = self.model.teams
            self.history.append(Snapshot(
                week=self.model.week - 1,
                open=np.array([t.is_open for t in teams]),
                members=np.array([len(t.members) if t.is_open else 0 for t in teams]),
                regulars=np.array([t.regulars if t.is_open else 0 for t in teams]),
                vacant=np.array([t.is_open and t.instructor is None for t in teams]),
                states=self.model.state_counts().sum(axis=0),
            ))
        return self.history[week]

    def states(self, week: int) -> pd.DataFrame:
        """Citizens by state for weeks 0..week: columns week and one per state."""
        self.at(week)
        rows = [s.states for s in self.history[: week + 1]]
        return pd.DataFrame(rows, columns=[s.name for s in State]).assign(week=range(week + 1))

    def events(self, week: int) -> list[tuple[int, str, str]]:
        """(week, team, 'opened' | 'closed') for every team that opened or closed up to `week`."""
        self.at(week)
        out = []
        before = np.arange(self.city.n_teams) < self.city.n_listed  # listed teams are open from the start
        for snap in self.history[: week + 1]:
            for i in np.flatnonzero(snap.open != before):
                out.append((snap.week, self.teams[i], "opened" if snap.open[i] else "closed"))
            before = snap.open
        return out
