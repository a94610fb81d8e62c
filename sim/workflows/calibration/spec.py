"""A calibration spec (YAML): parameters with search ranges and optional priors, targets, holdouts.

    parameters:
      handover.intercept: {low: -7.0, high: -2.0}
      city.teams.floorball.attractiveness: {low: -2.0, high: 3.0, prior_sd: 1.0}   # normal prior
    targets:
      - {name: floorball, metric: team.floorball.joined_total, observed: 35, likelihood: poisson, at_week: 69}
    holdout:
      - {name: new_teams, metric: summary.teams_opened, observed: 26, likelihood: poisson}

A prior is normal with `prior_sd` around `prior_mean` (default: the key's value in the base config,
i.e. the prior default). Every entry is checked against the base config before any trial: an
unknown key, metric, team or likelihood, a bad range or a missing `n`/`sd` raises `UserError` with
one line naming the entry.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import conf
from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.keys import get_key
from sim.workflows.calibration.likelihood import LIKELIHOODS
from sim.workflows.calibration.targets import Metric, parse
from sim.workflows.files import find_yaml
from sim.workflows.params import check_range, kind

SPEC_FOLDER = Path(conf.__file__).resolve().parent / "calibration"
TOP_KEYS = ("parameters", "sum_to_zero", "discrepancy", "targets", "holdout")
PARAM_KEYS = ("low", "high", "prior_sd", "prior_mean", "prior_beta")
TARGET_KEYS = ("name", "metric", "observed", "likelihood", "at_week", "n", "sd", "rounded", "note")


@dataclass(frozen=True)
class Parameter:
    key: str
    low: float
    high: float
    integer: bool
    prior_mean: float | None = None
    prior_sd: float | None = None
    prior_beta: tuple[float, float] | None = None

    @property
    def prior(self) -> str:
        """normal (prior_sd), beta (prior_beta) or uniform (neither) on [low, high]."""
        return "normal" if self.prior_sd is not None else "beta" if self.prior_beta is not None else "uniform"


@dataclass(frozen=True)
class Target:
    name: str
    metrics: tuple[Metric, ...]
    observed: float
    likelihood: str
    at_week: int | None = None
    n: float | None = None
    sd: float | None = None
    rounded: int = 1  # the figure was reported rounded to a multiple of this (1: exact)

    @property
    def metric_text(self) -> str:
        return " + ".join(str(m) for m in self.metrics)


@dataclass(frozen=True)
class Spec:
    name: str
    parameters: tuple[Parameter, ...]
    targets: tuple[Target, ...]
    holdout: tuple[Target, ...]
    digest: str  # of the file's text: a resumed study must use the same spec
    sum_to_zero: tuple[str, ...] = ()  # keys that enter as deviations from their mean (sim.workflows.calibration.prior)
    discrepancy: float = 0.0  # model discrepancy: sd of the reported count as a share of its mean

    @property
    def keys(self) -> list[str]:
        return [p.key for p in self.parameters]


def find(name_or_path: str) -> Path:
    """A spec by name (`copenhagen`, in conf/calibration/) or path."""
    return find_yaml(name_or_path, [SPEC_FOLDER], "calibration spec")


def _number(where: str, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise UserError(f"{where}: {what} must be a finite number, not {value!r}")
    return float(value)


def _unknown(where: str, entry: Mapping, allowed: Sequence[str]) -> None:
    extra = [k for k in entry if k not in allowed]
    if extra:
        raise UserError(f"{where}: unknown key {extra[0]!r}; allowed: {', '.join(allowed)}")


def _parameter(cfg: SimConfig, key: str, entry: Any) -> Parameter:
    where = f"parameters.{key}"
    if not isinstance(entry, Mapping):
        raise UserError(f"{where}: expected a mapping {{low: .., high: ..}}")
    _unknown(where, entry, PARAM_KEYS)
    for required in ("low", "high"):
        if required not in entry:
            raise UserError(f"{where}: missing {required!r}")
    low, high = _number(where, entry["low"], "low"), _number(where, entry["high"], "high")
    try:
        check_range(cfg, key, low, high)
        typ, _ = kind(cfg, key)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    sd = entry.get("prior_sd")
    mean = entry.get("prior_mean")
    beta = entry.get("prior_beta")
    if beta is not None:
        if sd is not None:
            raise UserError(f"{where}: give prior_sd (normal) or prior_beta (beta), not both")
        if not isinstance(beta, list) or len(beta) != 2 or any(_number(where, b, "prior_beta") <= 0 for b in beta):
            raise UserError(f"{where}: prior_beta is [a, b] with a, b > 0")
        if low < 0 or high > 1:
            raise UserError(f"{where}: a beta prior needs low >= 0 and high <= 1")
        beta = (float(beta[0]), float(beta[1]))
    if sd is not None and _number(where, sd, "prior_sd") <= 0:
        raise UserError(f"{where}: prior_sd must be > 0")
    if mean is not None and sd is None:
        raise UserError(f"{where}: prior_mean needs a prior_sd")
    if sd is not None and mean is None:
        mean = base_value(cfg, key)
        if mean is None:
            raise UserError(f"{where}: the base config gives no value to centre the prior on; set prior_mean")
    return Parameter(key, low, high, typ is int, None if mean is None else float(mean),
                     None if sd is None else float(sd), beta)


def base_value(cfg: SimConfig, key: str) -> float | None:
    """The key's value in `cfg`; a per-entity value left null falls back to the global default of its name."""
    value = get_key(cfg, key)
    if value is None and key.startswith("city.teams."):
        value = getattr(cfg.team, key.rsplit(".", 1)[1], None)
    return None if value is None else float(value)


def _target(cfg: SimConfig, entry: Any, section: str, i: int, summary_columns: Sequence[str]) -> Target:
    where = f"{section}[{i}]"
    if not isinstance(entry, Mapping):
        raise UserError(f"{where}: expected a mapping with name, metric, observed, likelihood")
    if "name" in entry:
        where = f"{section}.{entry['name']}"
    _unknown(where, entry, TARGET_KEYS)
    for required in ("name", "metric", "observed", "likelihood"):
        if required not in entry:
            raise UserError(f"{where}: missing {required!r}")
    at_week = entry.get("at_week")
    if at_week is not None and (isinstance(at_week, bool) or not isinstance(at_week, int)
                                or not 0 <= at_week < cfg.run.horizon_weeks):
        raise UserError(f"{where}: at_week must be a whole week in 0..{cfg.run.horizon_weeks - 1} (run.horizon_weeks)")
    texts = entry["metric"] if isinstance(entry["metric"], list) else [entry["metric"]]
    if not texts:
        raise UserError(f"{where}: metric is an empty list")
    try:
        metrics = tuple(parse(t, cfg, summary_columns, at_week) for t in texts)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    likelihood = entry["likelihood"]
    if likelihood not in LIKELIHOODS:
        raise UserError(f"{where}: unknown likelihood {likelihood!r}; allowed: {', '.join(LIKELIHOODS)}")
    observed = _number(where, entry["observed"], "observed")
    n = sd = None
    if likelihood == "binomial":
        if "n" not in entry or _number(where, entry["n"], "n") <= 0:
            raise UserError(f"{where}: the binomial likelihood needs n (the number of trials, > 0)")
        n = float(entry["n"])
        if not 0 <= observed <= 1:
            raise UserError(f"{where}: a binomial observation is a share in [0, 1], not {observed}")
    elif likelihood == "normal":
        if "sd" not in entry or _number(where, entry["sd"], "sd") <= 0:
            raise UserError(f"{where}: the normal likelihood needs sd (> 0)")
        sd = float(entry["sd"])
    elif observed < 0:
        raise UserError(f"{where}: a {likelihood} observation is a count >= 0, not {observed}")
    rounded = entry.get("rounded", 1)
    if isinstance(rounded, bool) or not isinstance(rounded, int) or rounded < 1:
        raise UserError(f"{where}: rounded is a whole number >= 1 (the multiple the figure was rounded to)")
    if rounded > 1 and (likelihood not in ("poisson", "negative_binomial") or observed % rounded):
        raise UserError(f"{where}: rounded={rounded} needs a count likelihood and an observed multiple of {rounded}")
    for key in ("n", "sd"):
        if key in entry and key not in {"binomial": ("n",), "normal": ("sd",)}.get(likelihood, ()):
            raise UserError(f"{where}: {key} is not used by the {likelihood} likelihood")
    return Target(str(entry["name"]), metrics, observed, likelihood, at_week, n, sd, rounded)


def load(name_or_path: str, cfg: SimConfig, summary_columns: Sequence[str]) -> Spec:
    """Read and check a spec against the base config; `UserError` naming the first bad entry."""
    path = find(name_or_path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(data, Mapping):
        raise UserError(f"{path}: a calibration spec is a mapping with {', '.join(TOP_KEYS)}")
    _unknown(str(path), data, TOP_KEYS)
    params = data.get("parameters")
    if not isinstance(params, Mapping) or not params:
        raise UserError(f"{path}: parameters: give at least one key with its range")
    parameters = tuple(_parameter(cfg, str(k), v) for k, v in params.items())
    sections = {}
    for section in ("targets", "holdout"):
        entries = data.get(section) or []
        if not isinstance(entries, list) or (section == "targets" and not entries):
            raise UserError(f"{path}: {section}: expected a list" + (" of at least one target" if
                                                                        section == "targets" else ""))
        sections[section] = tuple(_target(cfg, e, section, i, summary_columns) for i, e in enumerate(entries))
    names = [t.name for t in sections["targets"] + sections["holdout"]]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise UserError(f"{path}: target name {dup!r} is used twice")
    keys = [p.key for p in parameters]
    group = data.get("sum_to_zero") or []
    if not isinstance(group, list) or any(k not in keys for k in group) or len(group) == 1:
        missing = next((k for k in group if k not in keys), None) if isinstance(group, list) else None
        raise UserError(f"{path}: sum_to_zero: a list of at least two keys from parameters"
                        + (f"; {missing!r} is not among them" if missing else ""))
    discrepancy = data.get("discrepancy", 0.0)
    if _number(f"{path}: discrepancy", discrepancy, "discrepancy") < 0:
        raise UserError(f"{path}: discrepancy must be >= 0 (the sd of a reported count as a share of its mean)")
    return Spec(path.stem, parameters, sections["targets"], sections["holdout"],
                hashlib.sha256(text.encode()).hexdigest()[:16], tuple(group), float(discrepancy))
