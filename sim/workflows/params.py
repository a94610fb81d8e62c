"""Parameter values for experiments: dotted config keys set on an already composed config.

Calibration, sensitivity analysis and the dashboard evaluate many parameter sets on one base
configuration. Re-running Hydra's composition for each would cost more than a small simulation, so
they compose the base once (`sim.workflows.compose`) and set values here. Keys are the command line's
(`handover.intercept`, `city.teams.floorball.attractiveness`); each is checked against the schema's
type and range exactly as `sim.model.config.validate` checks an override, and an unknown key raises a
`UserError` naming it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import Field, is_dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError, did_you_mean
from sim.model import values as per_replication
from sim.model.checks import validate
from sim.model.config import RANGES, SimConfig
from sim.model.keys import UnknownKey, field_of


def _parent(cfg: SimConfig, key: str) -> tuple[Any, Field]:
    """(the object holding the last part of `key`, the dataclass field describing it)."""
    try:
        holder, f = field_of(cfg, key)
    except UnknownKey as exc:
        part = exc.where.rsplit(".", 1)[-1]
        if exc.entity:
            allowed = ", ".join(exc.options) or "none"
            raise UserError(f"unknown config key {exc.where!r}: no entity {part!r}{did_you_mean(part, exc.options)}; "
                            f"allowed: {allowed}") from None
        prefix = exc.where[: -len(part)]
        raise UserError(f"unknown config key {exc.where!r}{did_you_mean(exc.where, [prefix + o for o in exc.options])}"
                        ) from None
    value = getattr(holder, f.name)
    if is_dataclass(value) or isinstance(value, (dict, list)):
        raise UserError(f"config key {key!r} is not a single value")
    return holder, f


def kind(cfg: SimConfig, key: str) -> tuple[type, str | None]:
    """(the Python type of `key`'s value, its range kind in `sim.model.config.RANGES`, or None if unranged)."""
    _, f = _parent(cfg, key)
    type_text = str(f.type)
    if "bool" in type_text:
        typ: type = bool
    elif "int" in type_text and "float" not in type_text:
        typ = int
    elif "float" in type_text:
        typ = float
    else:
        raise UserError(f"config key {key!r} is not numeric or boolean and cannot be varied here")
    return typ, f.metadata.get("range")


def check_range(cfg: SimConfig, key: str, low: float, high: float) -> None:
    """Raise `UserError` unless [low, high] is a non-empty interval of values `key` allows."""
    typ, rng = kind(cfg, key)
    if typ is bool:
        raise UserError(f"{key}: a true/false key has no range to vary over")
    if not low < high:
        raise UserError(f"{key}: low ({low}) must be below high ({high})")
    if rng in RANGES:
        text, ok = RANGES[rng]
        for bound in (low, high):
            if not ok(bound):
                raise UserError(f"{key}: range [{low}, {high}] leaves the allowed values ({text})")


def coerce(cfg: SimConfig, key: str, value: Any) -> Any:
    """`value` as the key's type (whole-number keys are rounded: samplers draw floats)."""
    typ, _ = kind(cfg, key)
    if typ is int:
        return int(round(float(value)))
    if typ is bool:
        return bool(value)
    return float(value)


def apply(cfg: SimConfig, values: Mapping[str, Any]) -> SimConfig:
    """A validated copy of `cfg` with each dotted key of `values` set (the original is unchanged)."""
    out = copy.deepcopy(cfg)
    for key, value in values.items():
        obj, f = _parent(out, key)
        setattr(obj, f.name, coerce(out, key, value))
    return validate(out)


def structural(cfg: SimConfig, key: str) -> bool:
    """Whether replications that differ in `key` must run in blocks of their own (sim.model.values)."""
    return per_replication.structural(key, kind(cfg, key)[0])


def columns(cfg: SimConfig, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of a table of parameter values (one row per replication, dotted keys), each
    checked against the schema (key, type, range) and as its key's type; `UserError` names the
    first bad key or value."""
    out = {}
    for key in map(str, table.columns):
        if key.startswith("run."):
            raise UserError(f"values: {key} describes the whole run, not a replication: set it on the config")
        typ, rng = kind(cfg, key)
        try:
            column = table[key].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise UserError(f"values: column {key} holds values that are not numbers") from None
        bad = np.flatnonzero(np.isnan(column))
        if len(bad):
            raise UserError(f"values: column {key} has no value in row {bad[0]}")
        if typ is int:
            column = np.round(column).astype(np.int64)
        elif typ is bool:
            if not np.isin(column, (0.0, 1.0)).all():
                raise UserError(f"values: column {key} must hold true/false values")
            column = column.astype(bool)
        if rng in RANGES:
            text, ok = RANGES[rng]
            for value in np.unique(column):
                if not ok(value):
                    row = int(np.flatnonzero(column == value)[0])
                    raise UserError(f"values: {key}={value.item()!r} (row {row}) is out of range: expected {text}")
        out[key] = column
    return out
