"""Run a block of replications of the vectorised model and hand back the shared raw arrays
(sim.model.results.RawRun), as sim.agent.engine does for the Mesa model."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim.model.city import City, build_city
from sim.model.config import SimConfig
from sim.model.results import RawRun
from sim.model.values import Values
from sim.vector.layout import build_layout
from sim.vector.model import HandoverModel


def run_block(cfg: SimConfig, city: City, replications: np.ndarray,
              values: Mapping[str, np.ndarray] | None = None) -> RawRun:
    """Run the replications `replications` of `cfg` together and return their raw arrays.
    `values`: each replication's own value of some numeric keys (sim.model.values), one block."""
    values = Values(cfg, values, len(replications))
    if values.keys:  # the same teams (`city`'s sister slots), with each replication's own attributes
        city = build_city(values.cfg, city.sister_slots)
    continuity = np.max(values.cfg.instructor.continuity_weeks)
    if cfg.run.horizon_weeks + continuity >= np.iinfo(np.int16).max:
        raise ValueError("the vector engine stores weeks as int16: run.horizon_weeks is too long")
    model = HandoverModel(cfg, city, build_layout(values.cfg, city), np.asarray(replications), values)
    for t in range(cfg.run.horizon_weeks):
        model.step(t)
    return RawRun(
        replication=np.asarray(replications),
        citizens=model.citizen_arrays(),
        weekly=model.weekly,
        teams=model.teams.outputs(),
        counts=model.engine_counts(),
    )
