"""Who the citizens are: centre, cohort, start week, diagnosis, resourcefulness, expectation, policy.

One replication's population is drawn from its own population stream (sim.model.seeding), by the same
code for both engines. Every cohort place gets a citizen; `filled` says which places are filled
(`intake.fill_share`): an unfilled place never starts. Citizens are ordered by start week, then
centre, then cohort, so the citizens that start in one week are contiguous.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.city import City
from sim.model.config import DIAGNOSES, POLICIES, PolicyName, SimConfig
from sim.model.intake import planned_cohorts, planning
from sim.model.seeding import fill_stream


@dataclass(frozen=True)
class Population:
    centre: np.ndarray  # int8
    cohort: np.ndarray  # cohort number within the centre (0, 1, ...)
    start_week: np.ndarray  # int16
    diagnosis: np.ndarray  # int8, index into DIAGNOSES
    resourcefulness: np.ndarray  # float
    expectation: np.ndarray  # float
    policy: np.ndarray  # int8, index into POLICIES: the model this citizen's cohort runs

    def __len__(self) -> int:
        return len(self.centre)


def _logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(p) - np.log1p(-np.asarray(p))


MEAN_EDGE = 1e-12


def _beta_mean(rng: np.random.Generator, mean: np.ndarray | float, concentration: float, n: int) -> np.ndarray:
    """n Beta draws with the given means and concentration a + b, kept inside the open unit interval.
    (A scalar mean draws the same numbers as an array of it, only faster.)"""
    # A mean that rounds to 0 or 1 (an extreme but valid shift) would give numpy a Beta parameter of 0.
    mean = np.clip(mean, MEAN_EDGE, 1.0 - MEAN_EDGE)
    x = rng.beta(mean * concentration, (1.0 - mean) * concentration, size=n)
    return np.clip(x, 1e-9, 1.0 - 1e-9)


def schedule(cfg: SimConfig, city: City) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre, cohort, start_week) of every citizen: deterministic intake waves (MODEL.md §8), or
    the cohorts of a yearly intake (sim.model.intake), ordered by start week, centre and cohort."""
    intake = cfg.intake
    if planning(cfg):
        centre, cohort, start = planned_cohorts(cfg)
        order = np.lexsort((cohort, centre, start))
        return tuple(np.repeat(x[order], intake.cohort_size) for x in (centre, cohort, start))
    wave = np.arange(intake.waves)
    grid = np.stack(np.meshgrid(wave, np.arange(city.n_centres), np.arange(intake.cohorts_per_wave),
                                indexing="ij"), axis=-1).reshape(-1, 3)
    grid = np.repeat(grid, intake.cohort_size, axis=0)
    wave, centre, slot = grid.T
    return centre, wave * intake.cohorts_per_wave + slot, wave * intake.wave_interval_weeks


def citizen_policy(cfg: SimConfig, city: City, centre: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """The model each citizen's cohort runs: one policy everywhere, or under `mixed` the centre's
    own model on its first `trial_cohorts` cohorts and baseline on the rest (MODEL.md §4)."""
    if cfg.policy.name != PolicyName.mixed:
        return np.full(len(centre), POLICIES.index(cfg.policy.name.value), dtype=np.int8)
    own = city.centre_policy[centre]
    return np.where(cohort < cfg.trial_cohorts, own, POLICIES.index("baseline")).astype(np.int8)


@dataclass(frozen=True)
class Plan:
    """What every replication's population shares: the schedule, policies and the citizens'
    diagnosis thresholds and baseline resourcefulness logits (sim.model.population.plan)."""

    centre: np.ndarray
    cohort: np.ndarray
    start_week: np.ndarray
    policy: np.ndarray
    diagnosis_cum: np.ndarray  # (N, D - 1): cumulative diagnosis shares of the citizen's centre
    logit_base: np.ndarray  # logit of the centre's mean resourcefulness, plus the shift
    offset: np.ndarray  # (D,) resourcefulness logit offset by diagnosis


def plan(cfg: SimConfig, city: City) -> Plan:
    """The deterministic part of every replication's population."""
    centre, cohort, start = schedule(cfg, city)
    shared = Plan(
        centre=centre.astype(np.int8),
        cohort=cohort.astype(np.int16),
        start_week=start.astype(np.int16),
        policy=citizen_policy(cfg, city, centre, cohort),
        diagnosis_cum=np.cumsum(city.centre_mix, axis=1)[centre, :-1],
        logit_base=_logit(city.centre_r_mean[centre]) + cfg.citizen.resourcefulness_shift,
        offset=np.array([cfg.citizen.diagnosis_offset[d] for d in DIAGNOSES]),
    )
    for array in vars(shared).values():
        array.flags.writeable = False  # shared by every replication's Population
    return shared


def sample_population(cfg: SimConfig, city: City, rng: np.random.Generator, shared: Plan | None = None) -> Population:
    """Draw one replication's citizens (`shared`: the run's `plan`, to skip recomputing it)."""
    shared = plan(cfg, city) if shared is None else shared
    n = len(shared.centre)
    u = rng.random(n)
    diagnosis = np.zeros(n, np.int8)
    for k in range(shared.diagnosis_cum.shape[1]):  # the number of cumulative shares below u
        diagnosis += u > shared.diagnosis_cum[:, k]
    logit_mean = shared.logit_base + shared.offset[diagnosis]
    with np.errstate(over="ignore"):  # exp overflows to inf for a logit far below 0: the mean is then 0
        mean = 1.0 / (1.0 + np.exp(-logit_mean))
    r = _beta_mean(rng, mean, cfg.citizen.resourcefulness_concentration, n)
    e = _beta_mean(rng, cfg.citizen.expectation_mean, cfg.citizen.expectation_concentration, n)
    return Population(
        centre=shared.centre,
        cohort=shared.cohort,
        start_week=shared.start_week,
        diagnosis=diagnosis,
        resourcefulness=r,
        expectation=e,
        policy=shared.policy,
    )


def filled(cfg: SimConfig, seed: int, replication: int, n: int) -> np.ndarray:
    """Which of the `n` cohort places of replication `replication` are filled (bool, (n,)): each
    independently with probability `intake.fill_share`, from the replication's own fill stream
    (sim.model.seeding.fill_stream), so the other draws do not change with the share; nested in the
    share (a place filled at a share is filled at every larger one). All, without a draw, at 1."""
    share = float(cfg.intake.fill_share)
    if share >= 1.0:
        return np.ones(n, bool)
    return fill_stream(seed, replication).random(n) < share
