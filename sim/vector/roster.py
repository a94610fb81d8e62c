"""The members of a channel (sports teams or patient offerings) as compact arrays.

Members are a small, slowly changing part of the (replications × citizens) grid, but every one of
them is stepped every week. Finding them with `flatnonzero` and gathering their state from the grid
each week cost more than the step itself, so a roster keeps their flat (replication * N + citizen)
indices in a list with their per-member state alongside: joins are appended, leavers filtered out.
Nothing is drawn per member per week, so the order of the list does not matter (it is the order of
joining).

Leavers are filtered out lazily: their index becomes -1 and their columns take the roster's `gone`
values (chosen so that a stepped leaver never leaves again), and the lists are compacted once a
quarter of them are leavers. An `ordered` roster instead keeps its members sorted by flat index, so
grouped by replication (the order in which the block's streams hand out draws), merging joins in
and filtering leavers out at once.
"""

from __future__ import annotations

import numpy as np

GONE = -1  # idx of a leaver not yet filtered out


class Roster:
    """Flat citizen indices `idx` and parallel member columns (given at construction, with the
    values leavers take in `gone`)."""

    def __init__(self, gone: dict[str, object] | None, **columns: np.dtype | type) -> None:
        self.idx = np.empty(0, np.int64)
        self.columns = {name: np.empty(0, dtype) for name, dtype in columns.items()}
        self.gone = gone  # None: ordered
        self.n_gone = 0

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def add(self, idx: np.ndarray, **values: np.ndarray) -> None:
        """New members `idx` (not members yet) with a value for every column."""
        if len(idx) == 0:
            return
        if self.gone is not None:
            self.idx = np.concatenate([self.idx, idx])
            for name, column in self.columns.items():
                added = np.broadcast_to(values[name], idx.shape).astype(column.dtype)
                self.columns[name] = np.concatenate([column, added])
            return
        new = np.searchsorted(self.idx, idx) + np.arange(len(idx))  # positions after the merge (idx sorted)
        old = np.ones(len(self.idx) + len(idx), bool)
        old[new] = False
        for name, column in [("idx", self.idx), *self.columns.items()]:
            merged = np.empty(len(old), column.dtype)
            merged[old] = column
            merged[new] = idx if name == "idx" else values[name]
            if name == "idx":
                self.idx = merged
            else:
                self.columns[name] = merged

    def remove(self, at: np.ndarray) -> None:
        """Remove the members at positions `at` (distinct)."""
        if len(at) == 0:
            return
        if self.gone is None:
            stay = np.ones(len(self.idx), bool)
            stay[at] = False
            self._keep(np.flatnonzero(stay))
            return
        self.idx[at] = GONE
        for name, value in self.gone.items():
            self.columns[name][at] = value
        self.n_gone += len(at)
        if 4 * self.n_gone > len(self.idx):
            self._keep(np.flatnonzero(self.idx != GONE))
            self.n_gone = 0

    def _keep(self, at: np.ndarray) -> None:
        """Keep the members at positions `at` (increasing)."""
        self.idx = self.idx.take(at)
        for name, column in self.columns.items():
            self.columns[name] = column.take(at)

    def position(self, idx: int) -> int:
        """Where member `idx` is in the roster (a scan: for rare events)."""
        return int(np.flatnonzero(self.idx == idx)[0])
