"""The members of a channel (sports teams or patient offerings) as compact arrays.

Members are a small, slowly changing part of the (replications × citizens) grid, but every one of
them is stepped every week. Finding them with `flatnonzero` and gathering their state from the grid
each week cost more than the step itself, so a roster keeps their flat (replication * N + citizen)
indices in a list with their per-member state alongside: joins are appended, leavers filtered out.
Nothing is drawn per member per week, so the order of the list does not matter (it is the order of
joining).
"""

from __future__ import annotations

import numpy as np


class Roster:
    """Flat citizen indices `idx` and parallel member columns (given at construction)."""

    def __init__(self, **columns: np.dtype | type) -> None:
        self.idx = np.empty(0, np.int64)
        self.columns = {name: np.empty(0, dtype) for name, dtype in columns.items()}

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def add(self, idx: np.ndarray, **values: np.ndarray) -> None:
        """New members `idx` (not members yet) with a value for every column."""
        if len(idx) == 0:
            return
        self.idx = np.concatenate([self.idx, idx])
        for name, column in self.columns.items():
            self.columns[name] = np.concatenate([column, np.broadcast_to(values[name], idx.shape).astype(column.dtype)])

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

    def position(self, idx: int) -> int:
        """Where member `idx` is in the roster (a scan: for rare events)."""
        return int(np.flatnonzero(self.idx == idx)[0])
