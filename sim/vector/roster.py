"""The members of a channel (sports teams or patient offerings) as compact arrays.

Members are a small, slowly changing part of the (replications × citizens) grid, but every one of
them is stepped every week. Finding them with `flatnonzero` and gathering their state from the grid
each week cost more than the step itself, so a roster keeps them in a list sorted by flat
(replication * N + citizen) index, the order in which the block's streams hand out draws, with
their per-member state alongside: joins are merged in, leavers filtered out.
"""

from __future__ import annotations

import numpy as np


class Roster:
    """Sorted flat citizen indices `idx` and parallel member columns (given at construction)."""

    def __init__(self, **columns: np.dtype | type) -> None:
        self.idx = np.empty(0, np.int64)
        self.columns = {name: np.empty(0, dtype) for name, dtype in columns.items()}

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def add(self, idx: np.ndarray, **values: np.ndarray) -> None:
        """New members `idx` (sorted, not members yet) with a value for every column."""
        if len(idx) == 0:
            return
        new = np.searchsorted(self.idx, idx) + np.arange(len(idx))  # positions after the merge
        old = np.ones(len(self.idx) + len(idx), bool)
        old[new] = False
        old = np.flatnonzero(old)
        for name, column in [("idx", self.idx), *self.columns.items()]:
            merged = np.empty(len(old) + len(new), column.dtype)
            merged[old] = column
            merged[new] = values[name] if name != "idx" else idx
            if name == "idx":
                self.idx = merged
            else:
                self.columns[name] = merged

    def keep(self, stay: np.ndarray) -> None:
        """Keep the members where `stay` is True (in order)."""
        at = np.flatnonzero(stay)  # once, rather than once per column
        self.idx = self.idx.take(at)
        for name, column in self.columns.items():
            self.columns[name] = column.take(at)

    def remove(self, at: np.ndarray) -> None:
        """Remove the members at positions `at` (any order, repeats allowed)."""
        if len(at):
            stay = np.ones(len(self.idx), bool)
            stay[at] = False
            self.keep(stay)

    def position(self, idx: np.ndarray | int) -> np.ndarray:
        """Where members `idx` are in the roster."""
        return np.searchsorted(self.idx, idx)

    def per_replication(self, n: int, replications: int) -> np.ndarray:
        """Members per replication (n citizens each)."""
        return np.bincount(self.idx // n, minlength=replications)
