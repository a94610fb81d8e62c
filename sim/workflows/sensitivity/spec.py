"""Sensitivity specs: which config keys vary over which ranges, and which outputs are analysed.

A spec is a YAML file in `conf/sensitivity/` (by name) or anywhere (by path):

    parameters:                       # any numeric config key, per-entity keys included
      handover.intercept: {low: -5.6, high: -3.6}
      city.associations.gymnastikforeningen_odk.facility_quality: {low: 0.1, high: 0.5}
    outputs: [handover_rate, retention_52w, cost_per_retained_52w, patient_uptake]

`load` checks the file's form and the outputs; `check` checks every key and range against the
schema of the composed base config (`sim.workflows.params`). Both raise `UserError` with one line naming
the file and the key, so a bad spec stops before any design point runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import conf
from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.metrics import HEADLINE
from sim.workflows import params
from sim.workflows.files import find_yaml, yaml_names

SPEC_DIR = Path(conf.__file__).parent / "sensitivity"
DEFAULT_SPEC = "default"
# The answers planners ask about (README); a spec may name any headline metric.
DEFAULT_OUTPUTS = ("handover_rate", "retention_52w", "cost_per_retained_52w", "patient_uptake")
OUTPUTS = HEADLINE


@dataclass(frozen=True)
class Spec:
    """Parameters (key -> (low, high)), in the file's order, and the outputs to analyse."""

    name: str
    parameters: dict[str, tuple[float, float]]
    outputs: tuple[str, ...] = DEFAULT_OUTPUTS

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    def problem(self) -> dict[str, Any]:
        """The SALib problem: one uniform input per parameter over its range."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [list(bounds) for bounds in self.parameters.values()]}

    def as_dict(self) -> dict[str, Any]:
        return {"parameters": {k: {"low": lo, "high": hi} for k, (lo, hi) in self.parameters.items()},
                "outputs": list(self.outputs)}


def available() -> list[str]:
    """Spec names shipped in conf/sensitivity/."""
    return yaml_names([SPEC_DIR])


def _path(name: str) -> Path:
    return find_yaml(name, [SPEC_DIR], "sensitivity spec")


def _bound(where: str, entry: Any, side: str) -> float:
    value = entry.get(side) if isinstance(entry, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{where}: give the range as {{low: NUMBER, high: NUMBER}}")
    return float(value)


def load(name: str = DEFAULT_SPEC) -> Spec:
    """Read a spec by name (conf/sensitivity/) or path and check its form and outputs."""
    path = _path(name)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"sensitivity spec {path}: cannot read it as YAML ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise UserError(f"sensitivity spec {path}: expected a mapping with 'parameters' and 'outputs'")
    unknown = sorted(set(data) - {"parameters", "outputs"})
    if unknown:
        raise UserError(f"sensitivity spec {path}: unknown entry {unknown[0]!r}; allowed: parameters, outputs")
    raw = data.get("parameters")
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"sensitivity spec {path}: 'parameters' must map config keys to {{low, high}}")
    parameters = {}
    for key, entry in raw.items():
        where = f"sensitivity spec {path}: {key}"
        if isinstance(entry, dict) and set(entry) - {"low", "high"}:
            raise UserError(f"{where}: unknown entry {sorted(set(entry) - {'low', 'high'})[0]!r}; allowed: low, high")
        parameters[str(key)] = (_bound(where, entry, "low"), _bound(where, entry, "high"))
    outputs = data.get("outputs", list(DEFAULT_OUTPUTS))
    if not isinstance(outputs, list) or not outputs:
        raise UserError(f"sensitivity spec {path}: 'outputs' must be a list of metrics; allowed: {', '.join(OUTPUTS)}")
    for output in outputs:
        if output not in OUTPUTS:
            raise UserError(f"sensitivity spec {path}: unknown output {output!r}; allowed: {', '.join(OUTPUTS)}")
    if len(set(outputs)) < len(outputs):
        raise UserError(f"sensitivity spec {path}: an output is listed twice")
    return Spec(name=path.stem if path.parent == SPEC_DIR else str(path), parameters=parameters,
                outputs=tuple(outputs))


def check(spec: Spec, cfg: SimConfig) -> None:
    """Every key exists in `cfg`, is numeric, and its range lies within what the schema allows."""
    for key, (low, high) in spec.parameters.items():
        try:
            params.check_range(cfg, key, low, high)
        except UserError as exc:
            raise UserError(f"sensitivity spec {spec.name}: {exc}") from None
