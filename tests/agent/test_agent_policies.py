"""Each policy's and modifier's mechanics in the agent engine (MODEL.md §4), on a stepped model."""

from __future__ import annotations

import numpy as np
import pytest

from sim.agent.engine import build_model, run_replication
from sim.model.city import build_city
from sim.model.config import POLICIES
from sim.model.states import LapseReason, State, TeamStatus
from tests.conftest import small

NO_DROPOUT = "programme.dropout_logit=-40"


def model_at(week: int, *overrides: str):
    """A model stepped through weeks 0..week-1 (one wave only: everyone starts at week 0)."""
    cfg = small("intake.waves=1", NO_DROPOUT, *overrides)
    model = build_model(cfg, build_city(cfg), 0)
    for _ in range(week):
        model.step()
    return model


def familiarity(model) -> np.ndarray:
    return np.array([c.f for c in model.citizens])


def test_amager_one_exposure_per_attended_week():
    odk = "city.associations.gymnastikforeningen_odk.turnover_annual=0"
    model = model_at(12, "policy=amager", "instructor.turnover_annual=0", odk)
    assert np.allclose(familiarity(model), 1 - 0.85**12)
    assert all(c.knows_instructor == c.centre.partner.instructor.unique_id for c in model.citizens)


def test_dropouts_stop_being_exposed():
    cfg = small("intake.waves=1", "policy=amager", "programme.dropout_logit=0")
    model = build_model(cfg, build_city(cfg), 0)
    for _ in range(12):
        model.step()
    dropped = [c for c in model.citizens if c.state == State.programme_dropout]
    assert dropped and all(c.f < 1 - 0.85**12 - 1e-12 for c in dropped)


def test_baseline_trial_in_its_week():
    always = "baseline.trial_logit=40"
    assert np.all(familiarity(model_at(10, "policy=baseline", always)) == 0)  # programme weeks 1..10
    assert np.allclose(familiarity(model_at(11, "policy=baseline", always)), 0.20)  # week 11: the trial
    assert np.all(familiarity(model_at(11, "policy=baseline", "baseline.trial_logit=-40")) == 0)


def test_vesterbro_parallel_sessions_are_paid():
    model = model_at(12, "policy=vesterbro", "vesterbro.parallel_logit=40")
    assert np.allclose(familiarity(model), 1 - 0.85**12)
    assert model.activity["parallel_sessions"].sum() == 12 * len(model.citizens)


def test_vanlose_window_opens_after_the_free_weeks():
    cfg = small("policy=vanlose", "vanlose.redeem_logit=40", NO_DROPOUT)
    model = run_replication(cfg, build_city(cfg), 0)
    joined = [c for c in model.citizens if not np.isnan(c.handover_week)]
    assert joined and all(c.handover_week >= c.programme_end + 2 for c in joined)
    assert all(c.window_start == c.programme_end + 2 for c in model.citizens)
    # free weeks are the only exposure: two club sessions
    assert np.allclose(familiarity(model), 1 - 0.85**2)
    assert model.activity["gift_cards"].sum() == len(model.citizens)


def test_other_policies_decide_right_after_programme():
    cfg = small("policy=amager")
    model = run_replication(cfg, build_city(cfg), 0)
    joined = [c for c in model.citizens if not np.isnan(c.handover_week)]
    assert joined and min(c.handover_week - c.programme_end for c in joined) == 0
    assert all(c.handover_week < c.programme_end + cfg.handover.window_weeks for c in joined)


@pytest.mark.parametrize(
    ("modifier", "expected"),
    [("team_visit", 0.20), ("club_presentation", 0.08), ("monthly_trial", 1 - 0.8**3)],
)
def test_modifiers_reach_every_attending_citizen(modifier, expected):
    model = model_at(12, "policy=baseline", "baseline.trial_logit=-40", f"modifiers.{modifier}=true")
    assert np.allclose(familiarity(model), expected)


def test_centre_modifier_switch_only_at_that_centre():
    model = model_at(12, "policy=baseline", "baseline.trial_logit=-40", "city.centres.amager.modifiers=[team_visit]")
    f = {c.centre.name: c.f for c in model.citizens}
    assert f["amager"] == pytest.approx(0.2) and f["osterbro"] == 0


def test_mixed_runs_trial_models_on_first_cohorts_only():
    cfg = small("intake.waves=6")
    model = build_model(cfg, build_city(cfg), 0)
    by_centre = {}
    for c in model.citizens:
        cohort = (c.start_week // cfg.intake.wave_interval_weeks) * cfg.intake.cohorts_per_wave
        by_centre.setdefault(c.centre.name, set()).add((cohort < cfg.trial_cohorts, POLICIES[c.policy]))
    assert by_centre["amager"] == {(True, "amager"), (False, "baseline")}
    assert by_centre["vanlose"] == {(True, "vanlose"), (False, "baseline")}
    assert {p for _, p in by_centre["osterbro"]} == {"baseline"}


def test_sister_teams_open_when_demand_exceeds_capacity():
    cfg = small("policy=amager", "team.capacity=6", "handover.intercept=0")
    model = run_replication(cfg, build_city(cfg), 0)
    sisters = [t for t in model.teams[model.city.n_listed:] if t.status != TeamStatus.dormant]
    assert sisters and model.pool == cfg.instructor.pool - len(sisters)
    assert all(t.size <= t.capacity for t in model.teams)
    cfg = small("policy=amager", "team.capacity=6", "handover.intercept=0", "instructor.pool=0")
    assert run_replication(cfg, build_city(cfg), 0).pool == 0
    assert all(t.status == TeamStatus.dormant for t in run_replication(cfg, build_city(cfg), 0).teams[16:])


def test_a_replication_opens_only_its_own_max_extra_of_the_citys_sister_slots():
    """In a block whose largest team.max_extra is 4, a replication at 1 may open one sister per listed team."""
    cfg = small("policy=amager", "team.capacity=6", "handover.intercept=0", "team.open_threshold=1",
                "team.max_extra=1")
    model = run_replication(cfg, build_city(cfg, 4), 0)
    assert all(len(sisters) <= 1 for sisters in model.dormant_sisters.values())
    opened = [t for t in model.teams[model.city.n_listed:] if t.status != TeamStatus.dormant]
    listed = [int(model.city.team_listed[t.index]) for t in opened]
    assert opened and len(set(listed)) == len(listed)
    assert all((t.index - model.city.n_listed) % 4 == 0 for t in opened)  # each the first of its slots


def test_closure_disbands_members():
    cfg = small("policy=amager", "handover.intercept=0", "team.min_size=15", "team.closure_patience_weeks=2",
                "team.transfer_prob=0")
    model = run_replication(cfg, build_city(cfg), 0)
    closed = [t for t in model.teams if t.status == TeamStatus.closed]
    assert closed and all(not t.members and t.instructor is None for t in closed)
    reasons = {c.lapse_reason for c in model.citizens}
    assert LapseReason.team_closed in reasons


def test_paid_instructor_wages_drain_the_balance():
    cfg = small("city.teams.kom_i_gang.paid_instructor=true", "economics.deficit_tolerance=2000", "policy=baseline")
    model = run_replication(cfg, build_city(cfg), 0)
    assert model.teams[1].status == TeamStatus.closed  # 500/week wage vs a few members' fees
    assert model.teams[1].balance < -2000
