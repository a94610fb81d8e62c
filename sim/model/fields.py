"""The vocabulary of the schema: names of policies, diagnoses and modifiers, the enums OmegaConf
validates, and the field helpers that carry each knob's allowed range as metadata (RANGES)."""

from __future__ import annotations

import math
from dataclasses import field
from enum import Enum
from typing import Any

POLICIES = ("baseline", "amager", "vesterbro", "vanlose")
DIAGNOSES = ("at_risk", "diabetes", "copd", "heart", "cancer")
MODIFIERS = ("team_visit", "club_presentation", "monthly_trial")


class PolicyName(str, Enum):
    """A handover policy (MODEL.md §4); `mixed` = each centre its own, the 2012–13 situation."""

    baseline = "baseline"
    amager = "amager"
    vesterbro = "vesterbro"
    vanlose = "vanlose"
    mixed = "mixed"


class Engine(str, Enum):
    agent = "agent"
    vector = "vector"


class Backend(str, Enum):
    """Where a run's blocks run (sim.workflows.backend): this machine's processes, or Dask."""

    local = "local"
    dask = "dask"


class ClusterKind(str, Enum):
    """The Dask cluster started for `run.backend=dask` without a scheduler address (conf/cluster/)."""

    local = "local"
    slurm = "slurm"
    pbs = "pbs"


class Uncertainty(str, Enum):
    """What replications vary: Monte Carlo noise only, or also the calibrated parameters (sim.workflows.ensemble)."""

    none = "none"
    ensemble = "ensemble"


# --- field helpers: the allowed range travels with the field as metadata -----------------------


def _f(default: Any, rng: str) -> Any:
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"range": rng})
    return field(default=default, metadata={"range": rng})


def f_prob(d: float) -> Any:
    """A probability or share, in [0, 1]."""
    return _f(d, "prob")


def f_coef(d: float) -> Any:
    """A finite coefficient (any sign)."""
    return _f(d, "coef")


def f_nonneg(d: float) -> Any:
    """A finite amount ≥ 0 (money, rates, factors)."""
    return _f(d, "nonneg")


def f_positive(d: float) -> Any:
    """A finite amount > 0."""
    return _f(d, "positive")


def f_count(d: int) -> Any:
    """A whole number ≥ 0."""
    return _f(d, "count")


def f_weeks(d: int) -> Any:
    """A whole number of weeks ≥ 1."""
    return _f(d, "weeks")


def f_week_list(d: list[int]) -> Any:
    """Distinct programme weeks, each >= 1 (and within `programme.weeks`, checked with the programme)."""
    return _f(d, "week_list")


def f_one_up(d: int) -> Any:
    """A whole number >= 1 (replications, processes)."""
    return _f(d, "one_up")


def f_share(d: float) -> Any:
    """A share in (0, 1]: part of something that cannot be empty (intake.fill_share)."""
    return _f(d, "share")


def f_unit_open(d: float) -> Any:
    """A mean strictly inside (0, 1) (Beta means)."""
    return _f(d, "unit_open")


RANGES = {
    "prob": ("a probability in [0, 1]", lambda v: 0.0 <= v <= 1.0),
    "coef": ("a finite number", lambda v: math.isfinite(v)),
    "nonneg": ("a finite number >= 0", lambda v: math.isfinite(v) and v >= 0),
    "positive": ("a finite number > 0", lambda v: math.isfinite(v) and v > 0),
    "count": ("a whole number >= 0", lambda v: v >= 0),
    "weeks": ("a whole number of weeks >= 1", lambda v: v >= 1),
    "one_up": ("a whole number >= 1", lambda v: v >= 1),
    "unit_open": ("a number strictly between 0 and 1", lambda v: 0.0 < v < 1.0),
    "share": ("a share in (0, 1]", lambda v: 0.0 < v <= 1.0),
}
