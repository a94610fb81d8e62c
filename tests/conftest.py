"""Shared fixtures: configs composed through the same path users take (sim.workflows.compose), shrunk for speed."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest
from hypothesis import strategies as st

import sim

# Two intake waves, a horizon that still reaches 52 weeks after the last programme end.
# The configured point (run.uncertainty=none): the mechanisms' tests compare runs at fixed parameters.
# Every cohort place filled and sister teams as large as their listed team (MECHANICS): the calibrated
# intake.fill_share and team.sister_capacity have tests of their own (tests/model/test_fill_share.py,
# test_sister_capacity.py), the others count places and capacities by hand.
MECHANICS = ["intake.fill_share=1.0", "team.sister_capacity=null"]
SMALL = ["intake.waves=2", "run.horizon_weeks=80", "run.replications=2", "run.progress=false", "run.uncertainty=none",
         *MECHANICS]


def in_ci() -> bool:
    """CI sets CI=true (.ci/run): there every test must run."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_unless_ci(reason: str) -> None:
    """Skip for a missing file or tool on a developer's machine; fail in CI, where nothing may be skipped."""
    if in_ci():
        pytest.fail(f"{reason} (not skipped: CI must run every test)", pytrace=False)
    pytest.skip(reason)


def import_or_skip(name: str) -> ModuleType:
    """`pytest.importorskip`, but failing in CI (skip_unless_ci)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        skip_unless_ci(f"cannot import {name}: {exc}")


def small(*overrides: str) -> sim.SimConfig:
    """A small, fast config (two waves) with extra overrides."""
    return sim.compose([*SMALL, *overrides])


@pytest.fixture
def small_cfg() -> sim.SimConfig:
    return small()


# Random valid configs for the invariant tests of both engines: every mechanism can be switched on,
# off or pushed to its edge (zero capacity, certain turnover, tiny horizons).
RANDOM_OVERRIDES = st.fixed_dictionaries({
    "policy": st.sampled_from(["baseline", "amager", "vesterbro", "vanlose", "mixed"]),
    "instructor.turnover_annual": st.sampled_from([0.0, 0.25, 0.9, 1.0]),
    "club.cafe": st.sampled_from(["null", "true", "false"]),
    "team.capacity": st.integers(0, 25),
    "team.regulars": st.integers(0, 5),
    "team.min_size": st.integers(0, 10),
    "team.closure_patience_weeks": st.integers(1, 10),
    "team.transfer_prob": st.sampled_from([0.0, 0.5, 1.0]),
    "team.max_extra": st.integers(0, 2),
    "team.open_threshold": st.integers(1, 4),
    "instructor.pool": st.integers(0, 3),
    "handover.intercept": st.sampled_from([-6.0, -4.6, 0.0, 3.0]),
    "economics.deficit_tolerance": st.sampled_from([0.0, 5000.0]),
    "economics.subsidy_week": st.sampled_from([0.0, 20.0]),
    "modifiers.team_visit": st.booleans(),
    "modifiers.monthly_trial": st.booleans(),
    "vanlose.free_weeks": st.integers(1, 3),
    "patient.intercept": st.sampled_from([-2.0, 1.0, 5.0]),
    "patient.volunteer_turnover_annual": st.sampled_from([0.0, 0.3, 1.0]),
    "city.associations.diabetes_association.capacity": st.integers(0, 4),
    "city.associations.heart_association.staff_run_at": st.sampled_from(["[]", "[vanlose,vesterbro]"]),
    "handover.window_weeks": st.integers(1, 5),
    "intake.waves": st.integers(1, 3),
    "run.horizon_weeks": st.integers(1, 60),
    "run.seed": st.integers(0, 2**31),
})
