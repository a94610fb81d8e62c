"""The members of a channel (sports teams or patient offerings) as compact arrays.

Members are a small, slowly changing part of the (replications × citizens) grid, but every one of
them is stepped every week. Finding them with `flatnonzero` and gathering their state from the grid
each week cost more than the step itself, so a roster keeps their flat (replication * N + citizen)
indices in a list with their per-member state alongside: joins are appended, leavers filtered out.
Nothing is drawn per member per week, so the order of the list does not matter (it is the order of
joining).

Leavers are filtered out lazily: their index becomes -1 and their columns take the roster's `gone`
values (chosen so that a stepped leaver never leaves again), and the lists are compacted once a
quarter of them are leavers.
"""

from __future__ import annotations

import numpy as np

GONE = -1  # idx of a leaver not yet filtered out


class Roster:
    """Flat citizen indices `idx` and parallel member columns (given at construction, with the
    values leavers take in `gone`)."""

    def __init__(self, gone: dict[str, object], **columns: np.dtype | type) -> None:
        self.idx = np.empty(0, np.int64)
        self.columns = {name: np.empty(0, dtype) for name, dtype in columns.items()}
        self.gone = gone
        self.n_gone = 0

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

    def remove(self, at: np.ndarray) -> None:
        """Remove the members at positions `at` (distinct)."""
        if len(at) == 0:
            return
        self.idx[at] = GONE
        for name, value in self.gone.items():
            self.columns[name][at] = value
        self.n_gone += len(at)
        if 4 * self.n_gone > len(self.idx):
            keep = np.flatnonzero(self.idx != GONE)  # once, rather than once per column
            self.idx = self.idx.take(keep)
            for name, column in self.columns.items():
                self.columns[name] = column.take(keep)
            self.n_gone = 0

    def position(self, idx: int) -> int:
        """Where member `idx` is in the roster (a scan: for rare events)."""
        return int(np.flatnonzero(self.idx == idx)[0])
