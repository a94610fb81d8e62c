"""Intake for planning: "N citizens a year for Y years" translated into cohorts.

By default the intake is the 2012-13 schedule of waves (`intake.waves` waves of
`intake.cohorts_per_wave` cohorts every `intake.wave_interval_weeks` weeks at every centre). A
planner can instead give a yearly intake for `intake.years` years (default 1): per centre
(`city.centres.<name>.citizens_per_year`), for the whole city (`intake.citizens_per_year`, split
evenly over the centres), or both (the city total minus the centres' own, split evenly over the
centres without their own value). Each centre then runs round(n / cohort_size) cohorts of
`intake.cohort_size` a year (at least one if n > 0), spread evenly over each year's 52 weeks, so
the simulated intake is a whole number of cohorts (`planned_per_year` says how many citizens).
`intake.fill_share` applies here as to the waves: these are places offered, each filled with that
probability (sim.model.population.filled).

The horizon then extends itself to the week where the last starter's 52-week follow-up is
reached (`required_horizon`), so that every starter counts in every headline metric.
"""

from __future__ import annotations

import numpy as np

from sim.errors import UserError
from sim.model.config import IntakeCfg, SimConfig

WEEKS_PER_YEAR = 52
FOLLOW_UP_WEEKS = 52
# Keys the yearly intake replaces; setting them away from their defaults alongside it is refused.
REPLACED = ("waves", "cohorts_per_wave", "wave_interval_weeks")


def _own(cfg: SimConfig) -> dict[str, float]:
    return {name: c.citizens_per_year for name, c in cfg.city.centres.items() if c.citizens_per_year is not None}


def planning(cfg: SimConfig) -> bool:
    """Whether the intake is given per year (else: the waves schedule)."""
    return cfg.intake.citizens_per_year is not None or bool(_own(cfg))


def per_centre(cfg: SimConfig) -> dict[str, float]:
    """Citizens a year each centre is asked to take in: its own value, else an even share of what
    the city total leaves (0 without a city total)."""
    own, total = _own(cfg), cfg.intake.citizens_per_year
    others = [c for c in cfg.city.centres if c not in own]
    share = (total - sum(own.values())) / len(others) if total is not None and others else 0.0
    return {c: own.get(c, share) for c in cfg.city.centres}


def cohorts_per_year(cfg: SimConfig) -> dict[str, int]:
    """Whole cohorts a year per centre: round(n / cohort_size), at least one if n > 0."""
    size = cfg.intake.cohort_size
    return {c: (max(1, round(n / size)) if n > 0 else 0) for c, n in per_centre(cfg).items()}


def planned_per_year(cfg: SimConfig) -> dict[str, int]:
    """Places a year per centre as simulated (whole cohorts; `intake.fill_share` of them filled)."""
    return {c: k * cfg.intake.cohort_size for c, k in cohorts_per_year(cfg).items()}


def planned_cohorts(cfg: SimConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre index, cohort number within the centre, start week) of every planned cohort."""
    years = cfg.intake.years or 1
    rows = []
    for c, k in enumerate(cohorts_per_year(cfg).values()):
        for j in range(k * years):
            rows.append((c, j, (j // k) * WEEKS_PER_YEAR + (j % k) * WEEKS_PER_YEAR // k))
    if not rows:
        return (np.zeros(0, int),) * 3
    return tuple(np.array(col) for col in zip(*rows, strict=True))


def last_start(cfg: SimConfig) -> int:
    """The start week of the last cohort of either schedule."""
    if planning(cfg):
        starts = planned_cohorts(cfg)[2]
        return int(starts.max()) if len(starts) else 0
    return (cfg.intake.waves - 1) * cfg.intake.wave_interval_weeks


def required_horizon(cfg: SimConfig) -> int:
    """Weeks needed for the last starter's 52-week follow-up (`retention_52w` counts a citizen
    when start + programme.weeks + 52 <= horizon - 1)."""
    return last_start(cfg) + cfg.programme.weeks + FOLLOW_UP_WEEKS + 1


def check(cfg: SimConfig) -> None:
    """Validate a yearly intake and extend `run.horizon_weeks` to reach every follow-up."""
    intake = cfg.intake
    if not planning(cfg):
        if intake.years is not None:
            raise UserError("intake.years needs intake.citizens_per_year or city.centres.<name>.citizens_per_year")
        return
    own = sum(_own(cfg).values())
    if intake.citizens_per_year is not None and own > intake.citizens_per_year:
        raise UserError(f"intake.citizens_per_year={intake.citizens_per_year:g} is less than the centres' own "
                        f"city.centres.*.citizens_per_year ({own:g} together)")
    for key in REPLACED:
        default = getattr(IntakeCfg(), key)
        if getattr(intake, key) != default:
            raise UserError(f"intake.{key}={getattr(intake, key)} has no effect with a yearly intake "
                            f"(intake.citizens_per_year): leave it at {default}")
    if intake.cohort_size == 0:
        raise UserError("intake.cohort_size=0: a yearly intake needs cohorts of at least one citizen")
    cfg.run.horizon_weeks = max(cfg.run.horizon_weeks, required_horizon(cfg))
