"""Uniform draws for a block of replications, one generator per replication.

A replication's numbers must not depend on which replications share its block, so every request
takes from each replication's own stream exactly the draws that replication needs (counted from its
own state). The segments come back flat, in replication order, ready to pair with flat citizen
indices sorted the same way.

Asking each of a block's generators for a few hundred floats twice a week costs more in call
overhead than in drawing, so each replication draws ahead into its row of a buffer and requests
read from there. numpy's float32 draws do not depend on how they are split into calls
(`random(3)` then `random(5)` gives the same floats as `random(8)`), so a replication's stream, and
so the results, do not depend on the buffer width either (tested).
"""

from __future__ import annotations

import numpy as np

from sim.model.rules import NEVER
from sim.model.seeding import streams

WIDTH = 4096  # floats drawn ahead per replication (16 KiB)


class Streams:
    """The dynamics streams of a block's replications (sim.model.seeding)."""

    def __init__(self, seed: int, replications: np.ndarray, width: int | None = None) -> None:
        width = WIDTH if width is None else width
        self.population = []
        self.generators = []
        for replication in replications:
            population, dynamics = streams(seed, int(replication))
            self.population.append(population)
            self.generators.append(np.random.default_rng(dynamics))
        self.buffer = np.empty((len(replications), width), np.float32)
        self.cursor = np.full(len(replications), width, np.int64)  # next unread float of each row

    def _reserve(self, total: np.ndarray) -> None:
        """Make at least total[r] unread floats available in row r (drawing ahead as needed)."""
        width = self.buffer.shape[1]
        if total.max(initial=0) > width:  # a request larger than a row: widen the rows
            wider = np.empty((len(self.buffer), max(2 * width, int(total.max()))), np.float32)
            unread = width - self.cursor
            self.cursor = wider.shape[1] - unread  # unread floats stay at the end of their row
            for r in range(len(wider)):
                wider[r, self.cursor[r] :] = self.buffer[r, width - unread[r] :]
            self.buffer, width = wider, wider.shape[1]
        for r in np.flatnonzero(self.cursor + total > width).tolist():
            unread = width - self.cursor[r]
            self.buffer[r, :unread] = self.buffer[r, self.cursor[r] :]
            self.generators[r].random(dtype=np.float32, out=self.buffer[r, unread:])
            self.cursor[r] = 0

    def uniforms(self, *counts: np.ndarray) -> list[np.ndarray]:
        """For each segment, given its draw count per replication (R,), its float32 uniforms in
        [0, 1): flat, replication by replication."""
        counts = [np.asarray(c, dtype=np.int64) for c in counts]
        total = sum(counts[1:], start=counts[0])
        if not total.any():
            return [np.empty(0, np.float32) for _ in counts]
        self._reserve(total)
        width, flat = self.buffer.shape[1], self.buffer.reshape(-1)
        offset = np.arange(len(total)) * width + self.cursor  # where each replication reads next
        segments = []
        for count in counts:
            if len(count) and (count == count[0]).all():  # the same for all: a (R, count) block
                segments.append(flat.take((offset[:, None] + np.arange(count[0])).reshape(-1)))
            else:
                first = np.cumsum(count) - count  # where each replication starts in the segment
                segments.append(flat.take(np.repeat(offset - first, count) + np.arange(count.sum())))
            offset = offset + count
        self.cursor += total
        return segments

    def take(self, replication: int, n: int) -> np.ndarray:
        """The next n uniforms of one replication, for rare sequential events (team closures)."""
        total = np.zeros(len(self.cursor), np.int64)
        total[replication] = n
        self._reserve(total)
        start = self.cursor[replication]
        self.cursor[replication] += n
        return self.buffer[replication, start : start + n].copy()


def exponential(u: np.ndarray) -> np.ndarray:
    """Exp(1) draws from uniforms in [0, 1) (inverse CDF). Leaving in the first week in which the
    summed hazard reaches such a clock is leaving each week with probability 1 - exp(-λ):
    survival is exp(-Σλ)."""
    return -np.log1p(-np.asarray(u, dtype=np.float64))


def geometric(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The week (1, 2, ...) of the first event of a weekly Bernoulli(p), from uniforms in [0, 1)
    (inverse CDF); p = 0 never (NEVER weeks)."""
    p, u = np.asarray(p, np.float64), np.asarray(u, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.ceil(np.log1p(-u) / np.log1p(-p))
    return np.where(p > 0, np.clip(k, 1, NEVER), NEVER).astype(np.int64)
