"""Random streams: one `SeedSequence` per replication, independent of chunking and processes.

Replication r of seed s always gets `SeedSequence(s, spawn_key=(r,))`, buildable on any worker.
Each replication has two child streams: the population (who the citizens are) and the dynamics
(everything that happens to them); a third, `fill_stream`, decides which cohort places are filled
(`intake.fill_share`), so a change of that share leaves the other two as they are. Scenarios that
share a seed therefore share their citizens: common random numbers for sharper comparisons.
"""

from __future__ import annotations

import numpy as np


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def streams(seed: int, replication: int) -> tuple[np.random.Generator, np.random.SeedSequence]:
    """(population generator, dynamics seed sequence) of one replication."""
    population, dynamics = replication_seed(seed, replication).spawn(2)
    return np.random.default_rng(population), dynamics


def fill_stream(seed: int, replication: int) -> np.random.Generator:
    """The generator that decides which cohort places of one replication are filled: the
    replication's third child stream (spawn_key (replication, 2)), apart from the other two."""
    return np.random.default_rng(replication_seed(seed, replication).spawn(3)[2])
