"""Uniform draws for a block of replications, one generator per replication.

A replication's numbers must not depend on which replications share its block, so every request
asks each replication's own generator for exactly the draws that replication needs (counted from
its own state), in one call per replication covering all segments of the request. The segments
come back flat, in replication order, ready to pair with flat citizen indices sorted the same way.
"""

from __future__ import annotations

import numpy as np

from sim.seeding import streams


class Streams:
    """The dynamics generators of a block's replications (sim.seeding)."""

    def __init__(self, seed: int, replications: np.ndarray) -> None:
        self.population = []
        self.generators = []
        for replication in replications:
            population, dynamics = streams(seed, int(replication))
            self.population.append(population)
            self.generators.append(np.random.default_rng(dynamics))

    def __getitem__(self, replication: int) -> np.random.Generator:
        """One replication's generator, for rare sequential events (team closures)."""
        return self.generators[replication]

    def uniforms(self, *counts: np.ndarray) -> list[np.ndarray]:
        """For each segment, given its draw count per replication (R,), its float32 uniforms in
        [0, 1): flat, replication by replication."""
        counts = [np.asarray(c, dtype=np.int64) for c in counts]
        total = np.sum(counts, axis=0)
        parts = [g.random(n, dtype=np.float32) for g, n in zip(self.generators, total.tolist(), strict=True) if n]
        buffer = np.concatenate(parts) if parts else np.empty(0, np.float32)
        offset = np.cumsum(total) - total  # where each replication's draws start in `buffer`
        segments = []
        for count in counts:
            first = np.cumsum(count) - count  # where each replication starts in the segment
            segments.append(buffer[np.repeat(offset - first, count) + np.arange(count.sum())])
            offset = offset + count
        return segments
