"""Habit and bond grow on a club team only in the weeks it meets with its instructor (MODEL.md §3.6),
in both engines, checked week by week on every member who stays on its team: a deterministic test
(no statistics), so that an engine growing them in other weeks fails here whatever the seed.

Clubs train at different rhythms here (every week, every other week, every third week), instructors
quit often (vacant weeks), some clubs have a café (faster bonds)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.agent.engine import build_model
from sim.model.city import build_city
from sim.vector.layout import build_layout
from sim.vector.model import HandoverModel
from sim.vector.roster import GONE

RHYTHMS = {"kom_i_gang": 2, "b1908": 3, "floorball_faellesskabet": 2, "hovedstadens_svommeklub": 2,
           "det_gronne_aeble": 3, "fremad_valby": 2}
CONFIG = ["run.uncertainty=none", "policy=amager",
          "intake.waves=2", "run.horizon_weeks=40", "run.progress=false", "handover.intercept=-1",
          "instructor.turnover_annual=0.9", "instructor.replacement_weeks=3", "club.bond_growth=0.05",
          *(f"city.associations.{club}.meeting_interval_weeks={weeks}" for club, weeks in RHYTHMS.items())]


def expected(cfg: sim.SimConfig, city, team: int, week: int, staffed: bool, h: float, s: float) -> tuple:
    """The week's habit and bond of a member who stays on `team`, counted from MODEL.md §3.6: grown if the
    team meets (every `meeting_interval_weeks` weeks from week 0) and has its instructor, else as they were."""
    if week % int(city.team_interval[team]) != 0 or not staffed:
        return h, s
    bond_rate = cfg.club.bond_growth * (1 + cfg.club.cafe_bond_boost * bool(city.team_has_cafe[team]))
    return h + cfg.club.habit_growth * (1 - h), s + bond_rate * (1 - s)


class Tally:
    """What the test saw, so that it cannot pass without seeing every case."""

    def __init__(self) -> None:
        self.cases = {"met": 0, "no meeting": 0, "vacant": 0}

    def count(self, city, team: int, week: int, staffed: bool) -> None:
        if week % int(city.team_interval[team]) != 0:
            self.cases["no meeting"] += 1
        elif not staffed:
            self.cases["vacant"] += 1
        else:
            self.cases["met"] += 1

    def check(self) -> None:
        assert min(self.cases.values()) >= 20, self.cases


def test_agent_engine_grows_habit_and_bond_only_in_meeting_weeks():
    cfg = sim.compose([*CONFIG, "run.engine=agent"])
    city, tally = build_city(cfg), Tally()
    for replication in range(2):
        model = build_model(cfg, city, replication)
        for week in range(cfg.run.horizon_weeks):
            before = {c: (c.team, c.h, c.s) for t in model.teams for c in t.members}
            model.step()
            for citizen, (team, h, s) in before.items():
                if citizen.team is not team or citizen not in team.members:
                    continue  # lapsed or moved this week
                staffed = team.instructor is not None
                want = expected(cfg, city, team.index, week, staffed, h, s)
                assert (citizen.h, citizen.s) == pytest.approx(want, rel=1e-12, abs=0), (week, team.index, staffed)
                if want == (h, s):
                    assert (citizen.h, citizen.s) == (h, s)  # exactly unchanged
                tally.count(city, team.index, week, staffed)
    tally.check()


def vector_members(model: HandoverModel) -> dict[int, tuple[int, float, float]]:
    """Sports members of a vector model: flat citizen index -> (flat team index, h, s), read from its
    roster (sim.vector.roster; leavers not yet filtered out have index GONE)."""
    roster = model.sport
    return {int(i): (int(t), float(h), float(s)) for i, t, h, s in
            zip(roster.idx, roster["team"], roster["h"], roster["s"], strict=True) if i != GONE}


def test_vector_engine_grows_habit_and_bond_only_in_meeting_weeks():
    cfg = sim.compose([*CONFIG, "run.engine=vector"])
    city, tally = build_city(cfg), Tally()
    model = HandoverModel(cfg, city, build_layout(cfg, city), np.arange(4))
    for week in range(cfg.run.horizon_weeks):
        before = vector_members(model)
        model.step(week)
        for i, (flat, h_now, s_now) in vector_members(model).items():
            if i not in before or before[i][0] != flat:
                continue  # joined or moved this week
            _, h, s = before[i]
            team, staffed = flat % city.n_teams, bool(model.teams.instructor.reshape(-1)[flat])
            want = expected(cfg, city, team, week, staffed, h, s)
            assert (h_now, s_now) == pytest.approx(want, rel=1e-6, abs=0), (week, team, staffed)
            if want == (h, s):
                assert (h_now, s_now) == (h, s)  # exactly unchanged
            tally.count(city, team, week, staffed)
    tally.check()
