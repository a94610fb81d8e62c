"""The patient-association channel (MODEL.md §4b) in the agent engine: eligibility and mechanics."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.agent.engine import run_replication
from sim.model.city import build_city
from sim.model.config import DIAGNOSES
from sim.model.states import LapseReason
from tests.conftest import small


def test_eligibility_by_diagnosis_and_centre():
    city = build_city(sim.compose([]))
    of, names = city.offers.of, np.asarray(city.offers.assoc_names)
    centre = {n: i for i, n in enumerate(city.centre_names)}
    assert (of[:, DIAGNOSES.index("at_risk")] == -1).all()  # at-risk citizens have no association
    assert of[centre["vesterbro"], DIAGNOSES.index("copd")] == -1  # no lung network at Vesterbro
    assert of[centre["amager"], DIAGNOSES.index("copd")] >= 0
    for d, assoc in [("diabetes", "diabetes_association"), ("copd", "lung_association"),
                     ("heart", "heart_association"), ("cancer", "cancer_association")]:
        served = of[:, DIAGNOSES.index(d)]
        assert set(names[served[served >= 0]]) == {assoc}  # each diagnosis its own association


@pytest.fixture(scope="module")
def eager():
    """Everybody wants to join (high intercept), so every mechanism is exercised."""
    cfg = small("patient.intercept=5", "run.horizon_weeks=80", "intake.waves=2")
    return cfg, run_replication(cfg, build_city(cfg), 0)


def test_only_eligible_completers_join_in_their_window(eager):
    cfg, model = eager
    joined = [c for c in model.citizens if not np.isnan(c.patient_join_week)]
    assert joined
    for c in joined:
        assert c.completed and c.offering is c.patient
        assert c.window_start <= c.patient_join_week < c.window_start + cfg.handover.window_weeks
    assert all(c.offering is None for c in model.citizens if DIAGNOSES[c.diagnosis] == "at_risk")


def test_capacity_and_course_completion(eager):
    cfg, model = eager
    assert all(len(o.members) <= o.capacity for o in model.offerings)
    cancer = [c for c in model.citizens if c.patient is not None and c.patient.course_weeks]
    assert cancer
    for c in cancer:
        if c.patient_reason == LapseReason.course_completed:
            assert c.patient_lapse_week == c.patient_join_week + c.patient.course_weeks
        else:
            assert np.isnan(c.patient_lapse_week) or c.patient_lapse_week < c.patient_join_week + 12


def test_monthly_cafes_lapse_only_in_meeting_weeks(eager):
    _, model = eager
    heart = [c for c in model.citizens if c.patient is not None and c.patient.interval == 4]
    lapsed = [c for c in heart if c.patient_reason == LapseReason.lapse]
    assert lapsed and all(c.patient_lapse_week % 4 == 0 for c in lapsed)


def test_staff_run_offerings_never_vacant():
    cfg = small("patient.volunteer_turnover_annual=1", "run.horizon_weeks=60")
    model = run_replication(cfg, build_city(cfg), 0)
    for o in model.offerings:
        assert (o.instructor is not None) or o.volunteer_run
        assert o.instructor_changes == 0 or o.volunteer_run


def test_patient_metrics_in_summary():
    s = sim.simulate(small("run.replications=2")).summary
    for m in ("patient_uptake", "patient_retention_52w", "active_52w"):
        assert s[m].between(0, 1).all()
    # active at 52 weeks counts sports members too
    assert (s.active_52w >= s.retention_52w - 1e-12).all()
