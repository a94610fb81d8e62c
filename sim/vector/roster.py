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
    """Flat citizen indices `idx` and parallel member columns (given at construction as a dtype,
    or (dtype, width) for a column of `width` values per member; leavers take the values in `gone`).

    An unordered roster appends joins into spare room (its arrays grow by doubling), so a join costs
    what it adds, not the roster's size."""

    def __init__(self, gone: dict[str, object] | None, **columns: np.dtype | type | tuple) -> None:
        shapes = {name: spec if isinstance(spec, tuple) else (spec, None) for name, spec in columns.items()}
        self._idx = np.empty(0, np.int64)
        self._columns = {name: np.empty((0,) if width is None else (0, width), dtype)
                         for name, (dtype, width) in shapes.items()}
        self.size = 0
        self.gone = gone  # None: ordered
        self.n_gone = 0

    def __len__(self) -> int:
        return self.size

    @property
    def idx(self) -> np.ndarray:
        return self._idx[: self.size]

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return {name: column[: self.size] for name, column in self._columns.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name][: self.size]

    def _room(self, extra: int) -> None:
        """Spare room for `extra` more members (unordered rosters)."""
        if self.size + extra <= len(self._idx):
            return
        capacity = max(2 * len(self._idx), self.size + extra, 64)
        for name, column in [("_idx", self._idx), *self._columns.items()]:
            grown = np.empty((capacity, *column.shape[1:]), column.dtype)
            grown[: self.size] = column[: self.size]
            if name == "_idx":
                self._idx = grown
            else:
                self._columns[name] = grown

    def add(self, idx: np.ndarray, **values: np.ndarray) -> None:
        """New members `idx` (not members yet) with a value for every column."""
        if len(idx) == 0:
            return
        if self.gone is not None:
            self._room(len(idx))
            end = self.size + len(idx)
            self._idx[self.size : end] = idx
            for name, column in self._columns.items():
                column[self.size : end] = values[name]
            self.size = end
            return
        new = np.searchsorted(self.idx, idx) + np.arange(len(idx))  # positions after the merge (idx sorted)
        old = np.ones(self.size + len(idx), bool)
        old[new] = False
        for name, column in [("_idx", self.idx), *self.columns.items()]:
            merged = np.empty((len(old), *column.shape[1:]), column.dtype)
            merged[old] = column
            merged[new] = idx if name == "_idx" else values[name]
            if name == "_idx":
                self._idx = merged
            else:
                self._columns[name] = merged
        self.size = len(old)

    def remove(self, at: np.ndarray) -> None:
        """Remove the members at positions `at` (distinct)."""
        if len(at) == 0:
            return
        if self.gone is None:
            stay = np.ones(self.size, bool)
            stay[at] = False
            self._keep(np.flatnonzero(stay))
            return
        self._idx[at] = GONE
        for name, value in self.gone.items():
            self._columns[name][at] = value
        self.n_gone += len(at)
        if 4 * self.n_gone > self.size:
            self._keep(np.flatnonzero(self.idx != GONE))
            self.n_gone = 0

    def _keep(self, at: np.ndarray) -> None:
        """Keep the members at positions `at` (increasing)."""
        self._idx = self.idx.take(at)
        for name, column in self.columns.items():
            self._columns[name] = column.take(at, axis=0)
        self.size = len(at)

    def position(self, idx: int) -> int:
        """Where member `idx` is in the roster (a scan: for rare events)."""
        return int(np.flatnonzero(self.idx == idx)[0])
