"""Run replications of the Mesa model and hand back the shared raw arrays (sim.model.results.RawRun)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.agent.model import HandoverModel
from sim.model.city import City, build_city
from sim.model.config import SimConfig
from sim.model.population import filled, sample_population
from sim.model.results import TEAM_ARRAYS, WEEKLY_COUNTS, RawRun
from sim.model.seeding import streams
from sim.model.states import TeamStatus
from sim.model.values import replication


def build_model(cfg: SimConfig, city: City, replication: int) -> HandoverModel:
    """Replication `replication` at week 0, seeded from `run.seed`."""
    population_rng, dynamics = streams(cfg.run.seed, replication)
    population = sample_population(cfg, city, population_rng)
    places = filled(cfg, cfg.run.seed, replication, len(population))
    return HandoverModel(cfg, city, population, rng=dynamics, filled=places)


def run_replication(cfg: SimConfig, city: City, replication: int) -> HandoverModel:
    """One replication, stepped to the horizon."""
    model = build_model(cfg, city, replication)
    for _ in range(cfg.run.horizon_weeks):
        model.step()
    return model


def _citizen_arrays(model: HandoverModel) -> dict[str, np.ndarray]:
    cs = model.citizens
    return {
        "centre": np.array([c.centre.index for c in cs], dtype=np.int8),
        "diagnosis": np.array([c.diagnosis for c in cs], dtype=np.int8),
        "resourcefulness": np.array([c.r for c in cs]),
        "start_week": np.array([c.start_week for c in cs], dtype=np.int16),
        "completed": np.array([c.completed for c in cs], dtype=bool),  # bool also for an empty population
        "handover_week": np.array([c.handover_week for c in cs], dtype=float),
        "team": np.array([-1 if c.team is None else c.team.index for c in cs], dtype=np.int16),
        "lapse_week": np.array([c.lapse_week for c in cs], dtype=float),
        "lapse_reason": np.array([int(c.lapse_reason) for c in cs], dtype=np.int8),
        "patient_join_week": np.array([c.patient_join_week for c in cs], dtype=float),
        "patient_lapse_week": np.array([c.patient_lapse_week for c in cs], dtype=float),
        "patient_reason": np.array([int(c.patient_reason) for c in cs], dtype=np.int8),
        "filled": model.filled,
    }


def _team_arrays(model: HandoverModel) -> dict[str, np.ndarray]:
    ts = model.teams
    values = {
        "opened": [t.status != TeamStatus.dormant for t in ts],
        "joined_total": [t.joined_total for t in ts],
        "members_at_end": [len(t.members) for t in ts],
        "closed_week": [t.closed_week for t in ts],
        "instructor_changes": [t.instructor_changes for t in ts],
        "balance_at_end": [t.balance for t in ts],
    }
    return {k: np.asarray(values[k], dtype=float if k in ("closed_week", "balance_at_end") else None)
            for k in TEAM_ARRAYS}


def _weekly_array(model: HandoverModel, city: City) -> np.ndarray:
    table = model.datacollector.get_table_dataframe("weekly")
    counts = table[list(WEEKLY_COUNTS)].to_numpy(dtype=np.int32)
    return counts.reshape(len(table) // city.n_centres, city.n_centres, len(WEEKLY_COUNTS))


def _own(cfg: SimConfig, city: City, values: Mapping[str, np.ndarray] | None, i: int) -> tuple[SimConfig, City]:
    """The config and city of the block's replication i, with its own values (and the block's teams:
    `city`'s sister slots, of which it opens at most its own `team.max_extra`)."""
    if not values:
        return cfg, city
    own = replication(cfg, values, i)
    return own, build_city(own, city.sister_slots)


def run_block(cfg: SimConfig, city: City, replications: np.ndarray,
              values: Mapping[str, np.ndarray] | None = None) -> RawRun:
    """Run each replication in `replications` as its own seeded Mesa model (with its own config,
    where `values` gives it its own values of some keys: sim.model.values)."""
    models = [run_replication(*_own(cfg, city, values, i), int(r)) for i, r in enumerate(replications)]
    stack = lambda arrays: {k: np.stack([a[k] for a in arrays]) for k in arrays[0]}  # noqa: E731
    return RawRun(
        replication=np.asarray(replications),
        citizens=stack([_citizen_arrays(m) for m in models]),
        weekly=np.stack([_weekly_array(m, city) for m in models]),
        teams=stack([_team_arrays(m) for m in models]),
        counts={k: np.stack([m.activity[k] for m in models]) for k in models[0].activity},
    )
