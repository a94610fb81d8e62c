"""Citizens drawn once per process: a replication's population (sim.model.population) depends only
on the seed, the replication and the population's plan, and the workflows draw the same ones again
and again (design points and calibration trials on the same replications, scenarios compared with
common random numbers, the dashboard's plan and its reference). The last few million citizens drawn
are kept; a population is drawn from its own stream either way, so results are the same.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

from sim.model.config import SimConfig
from sim.model.population import Plan, Population

CAPACITY = 2_000_000  # citizens kept (about 25 bytes each)
_KEPT: OrderedDict[Hashable, Population] = OrderedDict()
_size = 0


def plan_key(cfg: SimConfig, plan: Plan) -> bytes:
    """What who the citizens are (diagnosis, r, e) is drawn from besides its stream: each citizen's
    diagnosis shares and resourcefulness logit, and the citizen knobs. (Not the policies: scenarios
    that differ in them share their citizens, whose policy and schedule the engine takes from its
    layout.)"""
    digest = hashlib.blake2b(digest_size=16)
    for array in (plan.diagnosis_cum, plan.logit_base, plan.offset):
        digest.update(np.ascontiguousarray(array, dtype=float).tobytes())
    c = cfg.citizen
    digest.update(repr((c.resourcefulness_concentration, c.expectation_mean, c.expectation_concentration)).encode())
    return digest.digest()


def drawn(key: Hashable, draw: Callable[[], Population]) -> Population:
    """The population under `key`, drawn by `draw` the first time (the least recently used go)."""
    global _size
    if key in _KEPT:
        _KEPT.move_to_end(key)
        return _KEPT[key]
    _KEPT[key] = population = draw()
    _size += len(population)
    while _size > CAPACITY and len(_KEPT) > 1:
        _size -= len(_KEPT.popitem(last=False)[1])
    return population


def clear() -> None:
    """Forget every population kept."""
    global _size
    _KEPT.clear()
    _size = 0
