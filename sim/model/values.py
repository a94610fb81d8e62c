"""Per-replication parameter values: the replications of one block, each with its own numeric knobs.

`sim.simulate(cfg, values=table)` gives replication r the values of row r (INTERFACES.md, "Many
parameter sets"). The workflows check the table's keys, types and ranges; keys that shape the
model's arrays or its schedule (`structural`) are set on the config of a block of their own, and
the rest reach an engine as `{dotted key: array over the block's replications}`.

`stack` makes a config hold those arrays as its leaves, so everything derived from it at once
(`sim.model.city.build_city`, the shortcuts' checks) is derived for every replication; `Values`
then reads the config for a selection of replications (`at`): each varying leaf gathered at the
selection, e.g. `p = values.at(rep); p.handover.intercept` is one value per citizen of `rep`. The
equations of sim.model.rules read a config this way without knowing whether it varies.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.model.config import SimConfig

# Keys that shape a block's arrays or its schedule: the weeks and sizes of the programme, its
# intake and policies (the layout), the horizon, meeting rhythms. Replications that differ in them
# run in blocks of their own. (Prefixes end with a dot; whole keys do not.) Not `team.max_extra`:
# a block holds sister slots for its largest value and each replication opens its own number.
STRUCTURE = (
    "run.", "policy.", "intake.", "modifiers.", "trial_cohorts", "programme.weeks", "programme.sessions_per_week",
    "handover.window_weeks", "baseline.trial_week", "vanlose.free_weeks", "patient.presentation_week",
)
# Keys under a structural prefix that still vary per replication (the mask they set keeps the arrays' shape).
NOT_STRUCTURE = ("intake.fill_share",)
# Per-entity city keys that shape a block, by their last part (city.<kind>.<name>.<key>).
STRUCTURE_CITY = ("citizens_per_year", "meeting_interval_weeks", "course_weeks", "report_row", "observed_handed_over")


def structural(key: str, value_type: type = float) -> bool:
    """Whether `key` must be equal within a block (true/false keys always are)."""
    if value_type is bool:
        return True
    if key.startswith("city."):
        return key.rsplit(".", 1)[-1] in STRUCTURE_CITY
    if key in NOT_STRUCTURE:
        return False
    return any(key.startswith(s) if s.endswith(".") else key == s for s in STRUCTURE)


def _child(obj: Any, part: str) -> Any:
    return obj[part] if isinstance(obj, dict) else getattr(obj, part)


def _set(obj: Any, part: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[part] = value
    else:
        setattr(obj, part, value)


def _copied(obj: Any) -> Any:
    """A shallow copy of a config node (a dataclass or a dict of entities)."""
    return dict(obj) if isinstance(obj, dict) else copy.copy(obj)


def stack(cfg: SimConfig, values: Mapping[str, Any]) -> SimConfig:
    """A copy of `cfg` with each dotted key of `values` set to its value (an array over replications,
    or a scalar); only the nodes on the keys' paths are copied, the rest is shared with `cfg`."""
    out = copy.copy(cfg)
    for key, value in values.items():
        *path, leaf = key.split(".")
        node = out
        for part in path:
            child = _copied(_child(node, part))
            _set(node, part, child)
            node = child
        _set(node, leaf, value)
    return out


def replication(cfg: SimConfig, values: Mapping[str, np.ndarray], i: int) -> SimConfig:
    """The config of replication `i` of a block (scalars: as the agent engine runs it)."""
    return stack(cfg, {key: column[i].item() for key, column in values.items()})


class _Section:
    """A config section (or city entity) read at a selection of replications."""

    __slots__ = ("_node", "_at")

    def __init__(self, node: Any, at: np.ndarray) -> None:
        self._node, self._at = node, at

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._node, name)
        return value[self._at] if isinstance(value, np.ndarray) else value


class _View:
    """A stacked config read at a selection of replications (duck-types SimConfig for the rules)."""

    __slots__ = ("_cfg", "_at", "_varying")

    def __init__(self, cfg: SimConfig, at: np.ndarray, varying: frozenset[str]) -> None:
        self._cfg, self._at, self._varying = cfg, at, varying

    def __getattr__(self, name: str) -> Any:
        node = getattr(self._cfg, name)
        return _Section(node, self._at) if name in self._varying else node


class Values:
    """A block's config (`cfg`) with its per-replication values stacked in, read per selection."""

    def __init__(self, cfg: SimConfig, values: Mapping[str, np.ndarray] | None, replications: int) -> None:
        values = dict(values or {})
        for key, column in values.items():
            if np.shape(column) != (replications,):
                raise ValueError(f"{key}: expected one value per replication ({replications}), got {np.shape(column)}")
        self.keys = tuple(values)
        self.n = replications
        self.cfg = stack(cfg, values) if values else cfg
        # Sections whose leaves vary (city entities vary through sim.model.city's arrays instead).
        self.sections = frozenset(k.split(".", 1)[0] for k in values if not k.startswith("city."))

    def varies(self, *sections: str) -> bool:
        """Whether any key of these sections (e.g. "club", "citizen") varies in the block."""
        return any(s in self.sections for s in sections)

    def at(self, rep: np.ndarray | int) -> SimConfig:
        """The config with each varying leaf read at `rep` (replication indices of the block): an
        array shaped like `rep`, or a scalar for an integer."""
        if not self.sections:
            return self.cfg
        return _View(self.cfg, rep, self.sections)  # type: ignore[return-value]

    @property
    def grid(self) -> SimConfig:
        """The config for (replications × anything) arrays: varying leaves as (R, 1) columns."""
        return self.at(np.arange(self.n)[:, None])

