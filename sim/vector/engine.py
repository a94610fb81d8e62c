"""Run a block of replications of the vectorised model and hand back the shared raw arrays
(sim.model.results.RawRun), as sim.agent.engine does for the Mesa model."""

from __future__ import annotations

import numpy as np

from sim.model.city import City
from sim.model.config import SimConfig
from sim.model.results import RawRun
from sim.vector.layout import build_layout
from sim.vector.model import HandoverModel


def run_block(cfg: SimConfig, city: City, replications: np.ndarray) -> RawRun:
    """Run the replications `replications` of `cfg` together and return their raw arrays."""
    if cfg.run.horizon_weeks + cfg.instructor.continuity_weeks >= np.iinfo(np.int16).max:
        raise ValueError("the vector engine stores weeks as int16: run.horizon_weeks is too long")
    model = HandoverModel(cfg, city, build_layout(cfg, city), np.asarray(replications))
    for t in range(cfg.run.horizon_weeks):
        model.step(t)
    return RawRun(
        replication=np.asarray(replications),
        citizens=model.citizen_arrays(),
        weekly=model.weekly,
        teams=model.teams.outputs(),
        counts=model.counts,
    )
