"""Validation of a composed config: every value within its range (sim.model.fields.RANGES), city
cross-references, programme weeks, and the intake's own checks. `to_schema` is how every run
turns a composed DictConfig into the validated `SimConfig` the engines read."""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.errors import UserError, did_you_mean
from sim.model import intake
from sim.model.config import CityCfg, SimConfig, own_mix
from sim.model.fields import DIAGNOSES, MODIFIERS, POLICIES, RANGES, PolicyName


def _check_value(path: str, kind: str, value: Any) -> None:
    if value is None:
        return
    if kind in RANGES:
        text, ok = RANGES[kind]
        if not ok(value):
            raise UserError(f"{path}={value!r} is out of range: expected {text}")
    elif kind == "mix" or (kind == "centre_mix" and own_mix(value)):  # a centre without shares: the global mix
        _check_mix(path, value)
    elif kind == "offsets":
        if set(value) != set(DIAGNOSES) or not all(math.isfinite(v) for v in value.values()):
            raise UserError(f"{path} must give a finite number for each of {', '.join(DIAGNOSES)}")
    elif kind == "modifiers":
        bad = [m for m in value if m not in MODIFIERS]
        if bad:
            raise UserError(f"{path}: unknown modifier {bad[0]!r}; allowed: {', '.join(MODIFIERS)}")
    elif kind == "diagnoses":
        bad = [d for d in value if d not in DIAGNOSES]
        if bad:
            raise UserError(f"{path}: unknown diagnosis {bad[0]!r}; allowed: {', '.join(DIAGNOSES)}")
    elif kind == "week_list":
        if any(week < 1 for week in value) or len(set(value)) < len(value):
            raise UserError(f"{path}={list(value)} is out of range: expected distinct programme weeks, each >= 1")
    elif kind == "kind" and value not in ("sport", "patient"):
        raise UserError(f"{path}={value!r}: allowed: sport, patient")


def _check_mix(path: str, mix: dict[str, float]) -> None:
    unknown = set(mix) - set(DIAGNOSES)
    if unknown:
        raise UserError(f"{path}: unknown diagnosis {sorted(unknown)[0]!r}; allowed: {', '.join(DIAGNOSES)}")
    missing = [d for d in DIAGNOSES if mix.get(d) is None]
    if missing:
        raise UserError(f"{path}: no share for {missing[0]!r}; give one for each of {', '.join(DIAGNOSES)}")
    if any(not (0.0 <= v <= 1.0) for v in mix.values()):
        raise UserError(f"{path}: each share must be in [0, 1]")
    if abs(sum(mix.values()) - 1.0) > 1e-6:
        raise UserError(f"{path}: shares must sum to 1 (they sum to {sum(mix.values()):.4g})")


def _walk(obj: Any, path: str) -> None:
    extra = set(vars(obj)) - {f.name for f in fields(obj)}
    if extra:  # `+key=value` on the command line can slip an unknown key past Hydra
        wrong = sorted(extra)[0]
        name, prefix = (f"{path}.{wrong}", f"{path}.") if path else (wrong, "")
        hint = did_you_mean(name, [prefix + f.name for f in fields(obj)])
        raise UserError(f"unknown config key {name!r}{hint}")
    for f in fields(obj):
        value = getattr(obj, f.name)
        sub = f"{path}.{f.name}" if path else f.name
        if is_dataclass(value):
            _walk(value, sub)
        elif isinstance(value, dict) and value and is_dataclass(next(iter(value.values()))):
            for key, item in value.items():
                _walk(item, f"{sub}.{key}")
        elif "range" in f.metadata:
            _check_value(sub, f.metadata["range"], value)


def _check_city(cfg: SimConfig) -> None:
    city = cfg.city
    if not city.centres:
        raise UserError("city.centres is empty: a city needs at least one centre")
    centres = ", ".join(city.centres)
    for name, a in city.associations.items():
        for key in ("centres", "staff_run_at"):
            bad = [c for c in getattr(a, key) if c not in city.centres]
            if bad:
                raise UserError(f"city.associations.{name}.{key}: unknown centre {bad[0]!r}; allowed: {centres}")
    _check_association_keys(city)
    for name, t in city.teams.items():
        a = city.associations.get(t.association)
        if a is None or a.kind != "sport":
            clubs = ", ".join(k for k, v in city.associations.items() if v.kind == "sport")
            raise UserError(f"city.teams.{name}.association={t.association!r} is not a sports club; allowed: {clubs}")
        if t.centre not in city.centres:
            raise UserError(f"city.teams.{name}.centre={t.centre!r}; allowed: {centres}")
    for name, c in city.centres.items():
        if c.policy == PolicyName.mixed:
            raise UserError(f"city.centres.{name}.policy=mixed: a centre runs one of {', '.join(POLICIES)}")
        t = city.teams.get(c.partner_team)
        if t is None or t.centre != name:
            raise UserError(f"city.centres.{name}.partner_team={c.partner_team!r} must name a team at centre {name!r}")


# Per-association keys the model gives meaning for one kind only (MODEL.md §2, §4b): set on the
# other kind, they would be silently ignored, so they are refused. (key, value that means "not set", why)
_SPORT_ONLY = (
    ("has_cafe", False, "the patient channel has no café effect (its bond is the bond at programme end, MODEL.md §4b)"),
    ("facility_quality", None, "the patient decision has no facility term (MODEL.md §4b)"),
)
_PATIENT_ONLY = (
    ("has_training", True, "sports teams train; only a patient association's offering may not"),
    ("course_weeks", None, "sports teams are standing teams; courses are patient-association offerings"),
    ("diagnoses", [], "a sports club serves every diagnosis"),
    ("centres", [], "a sports club's teams name their centres (city.teams)"),
    ("staff_run_at", [], "sports teams have instructors (city.teams.<team>.paid_instructor)"),
)


def _check_association_keys(city: CityCfg) -> None:
    """Refuse association keys without meaning for the association's kind, and patient offerings
    that overlap (one offering per diagnosis and centre: a citizen is eligible for at most one)."""
    served: dict[tuple[str, str], str] = {}
    for name, a in city.associations.items():
        where = f"city.associations.{name}"
        refused, kind = (_PATIENT_ONLY, "patient associations") if a.kind == "sport" else (_SPORT_ONLY, "sports clubs")
        for key, unset, why in refused:
            value = getattr(a, key)
            if value != unset:
                shown = str(value).lower() if isinstance(value, bool) else repr(value)
                raise UserError(f"{where}.{key}={shown}: only for {kind}; {why}")
        if a.kind != "patient":
            continue
        stray = [c for c in a.staff_run_at if c not in a.centres]
        if stray:
            raise UserError(f"{where}.staff_run_at: {stray[0]!r} is not among its centres ({', '.join(a.centres)})")
        for d in a.diagnoses:
            for c in a.centres:
                if (d, c) in served:
                    raise UserError(f"{where}: {d} at {c} is served by city.associations.{served[d, c]} already; "
                                    "one patient offering per diagnosis and centre")
                served[d, c] = name


def _check_weeks(cfg: SimConfig) -> None:
    n = cfg.programme.weeks
    for path, week in (
        ("baseline.trial_week", cfg.baseline.trial_week),
        ("modifiers.visit_week", cfg.modifiers.visit_week),
        ("modifiers.presentation_week", cfg.modifiers.presentation_week),
        ("patient.presentation_week", cfg.patient.presentation_week),
    ):
        if week > n:
            raise UserError(f"{path}={week} is out of range: a programme week in 1..{n} (programme.weeks)")
    late = [week for week in cfg.modifiers.monthly_trial_weeks if week > n]
    if late:
        raise UserError(f"modifiers.monthly_trial_weeks: week {late[0]} is out of range: programme weeks are "
                        f"1..{n} (programme.weeks)")


def validate(cfg: SimConfig) -> SimConfig:
    """Check every range and cross-reference; raise `UserError` naming the first bad key."""
    _walk(cfg, "")
    _check_city(cfg)
    _check_weeks(cfg)
    intake.check(cfg)  # a yearly intake: its own checks, and the horizon that reaches every follow-up
    return cfg


def to_schema(cfg: DictConfig | SimConfig) -> SimConfig:
    """The validated dataclass tree of a composed config (engines take this, not a DictConfig)."""
    if isinstance(cfg, SimConfig):
        return validate(cfg)
    return validate(OmegaConf.to_object(cfg))


