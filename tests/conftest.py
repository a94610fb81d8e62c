"""Shared fixtures: configs composed through the same path users take (sim.compose), shrunk for speed."""

from __future__ import annotations

import pytest

import sim

# Two intake waves, a horizon that still reaches 52 weeks after the last programme end.
SMALL = ["intake.waves=2", "run.horizon_weeks=80", "run.replications=2", "run.progress=false"]


def small(*overrides: str) -> sim.SimConfig:
    """A small, fast config (two waves) with extra overrides."""
    return sim.compose([*SMALL, *overrides])


@pytest.fixture
def small_cfg() -> sim.SimConfig:
    return small()
