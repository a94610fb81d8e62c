"""The configuration schema (MODEL.md §8) as Hydra structured configs, with range validation.

Every model knob is declared once here, with its default and its allowed range. The YAML files in
`conf/` mirror these dataclasses; Hydra merges them onto the schema, so an unknown key or a value of
the wrong type is rejected by OmegaConf, and `validate` checks ranges, which OmegaConf does not.
Both engines read the validated dataclass tree (`SimConfig`), never raw YAML.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, is_dataclass
from enum import Enum
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.errors import UserError

POLICIES = ("baseline", "amager", "vesterbro", "vanlose")
DIAGNOSES = ("at_risk", "diabetes", "copd", "heart", "cancer")
MODIFIERS = ("team_visit", "club_presentation", "monthly_trial")


class PolicyName(str, Enum):
    """A handover policy (MODEL.md §4); `mixed` = each centre its own, the 2012–13 situation."""

    baseline = "baseline"
    amager = "amager"
    vesterbro = "vesterbro"
    vanlose = "vanlose"
    mixed = "mixed"


class Engine(str, Enum):
    agent = "agent"
    vector = "vector"


class Uncertainty(str, Enum):
    """What replications vary: Monte Carlo noise only, or also the calibrated parameters (sim.ensemble)."""

    none = "none"
    ensemble = "ensemble"


# --- field helpers: the allowed range travels with the field as metadata -----------------------


def _f(default: Any, rng: str) -> Any:
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"range": rng})
    return field(default=default, metadata={"range": rng})


def f_prob(d: float) -> Any:
    """A probability or share, in [0, 1]."""
    return _f(d, "prob")


def f_coef(d: float) -> Any:
    """A finite coefficient (any sign)."""
    return _f(d, "coef")


def f_nonneg(d: float) -> Any:
    """A finite amount ≥ 0 (money, rates, factors)."""
    return _f(d, "nonneg")


def f_positive(d: float) -> Any:
    """A finite amount > 0."""
    return _f(d, "positive")


def f_count(d: int) -> Any:
    """A whole number ≥ 0."""
    return _f(d, "count")


def f_weeks(d: int) -> Any:
    """A whole number of weeks ≥ 1."""
    return _f(d, "weeks")


def f_one_up(d: int) -> Any:
    """A whole number >= 1 (replications, processes)."""
    return _f(d, "one_up")


def f_unit_open(d: float) -> Any:
    """A mean strictly inside (0, 1) (Beta means)."""
    return _f(d, "unit_open")


RANGES = {
    "prob": ("a probability in [0, 1]", lambda v: 0.0 <= v <= 1.0),
    "coef": ("a finite number", lambda v: math.isfinite(v)),
    "nonneg": ("a finite number >= 0", lambda v: math.isfinite(v) and v >= 0),
    "positive": ("a finite number > 0", lambda v: math.isfinite(v) and v > 0),
    "count": ("a whole number >= 0", lambda v: v >= 0),
    "weeks": ("a whole number of weeks >= 1", lambda v: v >= 1),
    "one_up": ("a whole number >= 1", lambda v: v >= 1),
    "unit_open": ("a number strictly between 0 and 1", lambda v: 0.0 < v < 1.0),
}


# --- the global knobs (MODEL.md §8) -------------------------------------------------------------


@dataclass
class ProgrammeCfg:
    weeks: int = f_weeks(12)
    sessions_per_week: int = f_one_up(2)
    dropout_logit: float = f_coef(-3.8)
    dropout_r: float = f_coef(-2.0)
    habit_growth: float = f_prob(0.08)
    bond_growth: float = f_prob(0.06)


@dataclass
class HandoverCfg:
    window_weeks: int = f_weeks(4)
    intercept: float = f_coef(-4.6)
    familiarity: float = f_coef(2.2)
    knows_instructor: float = f_coef(0.8)
    resourcefulness: float = f_coef(1.5)
    habit: float = f_coef(1.0)
    bond: float = f_coef(0.5)
    facility_gap: float = f_coef(2.0)
    decay: float = f_coef(0.3)


@dataclass
class ExposureCfg:
    club_session: float = f_prob(0.15)
    trial: float = f_prob(0.20)
    visit: float = f_prob(0.20)
    presentation: float = f_prob(0.08)


@dataclass
class BaselineCfg:
    trial_week: int = f_weeks(11)
    trial_logit: float = f_coef(-0.4)
    trial_r: float = f_coef(1.5)


@dataclass
class VesterbroCfg:
    parallel_logit: float = f_coef(-0.6)
    parallel_r: float = f_coef(1.5)
    parallel_h: float = f_coef(0.5)
    price_session: float = f_nonneg(40.0)


@dataclass
class VanloseCfg:
    free_weeks: int = f_weeks(2)
    redeem_logit: float = f_coef(-1.1)
    redeem_r: float = f_coef(1.5)
    redeem_f: float = f_coef(1.0)
    card_value: float = f_nonneg(100.0)


@dataclass
class ModifiersCfg:
    team_visit: bool = False
    club_presentation: bool = False
    monthly_trial: bool = False
    visit_week: int = f_weeks(10)
    presentation_week: int = f_weeks(8)


@dataclass
class ClubCfg:
    lapse_base: float = f_nonneg(0.07)
    bond: float = f_coef(2.0)
    habit: float = f_coef(0.8)
    resourcefulness: float = f_coef(1.0)
    facility_gap: float = f_coef(1.0)
    vacancy: float = f_coef(1.0)
    change: float = f_coef(0.5)
    small: float = f_coef(0.5)
    bond_growth: float = f_prob(0.03)
    cafe_bond_boost: float = f_nonneg(1.5)
    bond_carry: float = f_prob(0.5)
    habit_growth: float = f_prob(0.05)
    # null: each association's own `has_cafe`; true/false overrides all (a sweep knob).
    cafe: bool | None = None
    # Default facility quality q of an association that sets none (MODEL.md §8 "facility quality q").
    facility_quality: float = f_prob(0.6)


@dataclass
class InstructorCfg:
    turnover_annual: float = f_prob(0.25)
    replacement_weeks: float = f_positive(6.0)
    replacement_weeks_paid: float = f_positive(2.0)
    admin_staff_factor: float = f_positive(0.5)
    continuity_weeks: int = f_count(8)
    pool: int = f_count(18)


@dataclass
class TeamCfg:
    capacity: int = f_count(20)
    min_size: int = f_count(4)
    closure_patience_weeks: int = f_weeks(8)
    transfer_prob: float = f_prob(0.3)
    regulars: int = f_count(3)
    max_extra: int = f_count(2)
    open_threshold: int = f_one_up(4)
    # Default attractiveness a of a team that sets none (calibrated; 0 = neutral).
    attractiveness: float = f_coef(0.0)


@dataclass
class EconomicsCfg:
    fee_week: float = f_nonneg(10.0)
    wage_week: float = f_nonneg(500.0)
    deficit_tolerance: float = f_nonneg(5000.0)
    subsidy_week: float = f_nonneg(0.0)
    # Assumption (not in the report): wages are the club's cost unless the municipality pays them.
    municipality_pays_wages: bool = False


@dataclass
class CostsCfg:
    """Unit costs in DKK of what the engines and the intake plan count (sim/costs.py prices them).

    Values and their [seed]/[assumed] tags: conf/costs/copenhagen.yaml and docs/model.md. The
    Vesterbro session price, the gift card's value, subsidies and wages keep their MODEL.md keys
    (vesterbro.price_session, vanlose.card_value, economics.*)."""

    centre_session_staff: float = f_nonneg(1200.0)
    centre_session_hall: float = f_nonneg(300.0)
    club_session_staff: float = f_nonneg(800.0)
    coleading_fee: float = f_nonneg(300.0)
    trial_session: float = f_nonneg(300.0)
    instructor_training: float = f_nonneg(6000.0)
    coordination_week: float = f_nonneg(1500.0)


@dataclass
class PatientCfg:
    intercept: float = f_coef(-2.0)
    resourcefulness: float = f_coef(1.5)
    bond: float = f_coef(0.5)
    knows: float = f_coef(0.8)
    volunteer_run: float = f_coef(0.3)
    lapse_base: float = f_nonneg(0.04)
    volunteer_turnover_annual: float = f_prob(0.3)
    presentation_week: int = f_weeks(9)


def _mix() -> dict[str, float]:
    return {"at_risk": 0.40, "diabetes": 0.25, "copd": 0.10, "heart": 0.15, "cancer": 0.10}


def _offsets() -> dict[str, float]:
    return {"at_risk": 0.0, "diabetes": -0.2, "copd": -0.8, "heart": 0.0, "cancer": 0.2}


def _no_mix() -> dict[str, float | None]:
    return dict.fromkeys(DIAGNOSES)


def own_mix(mix: dict[str, float | None] | None) -> bool:
    """Whether a centre's `diagnosis_mix` gives shares (else the global `citizen.diagnosis_mix` applies)."""
    return bool(mix) and any(v is not None for v in mix.values())


@dataclass
class CitizenCfg:
    resourcefulness_concentration: float = f_positive(6.0)
    resourcefulness_shift: float = f_coef(0.0)
    diagnosis_mix: dict[str, float] = field(default_factory=_mix, metadata={"range": "mix"})
    diagnosis_offset: dict[str, float] = field(default_factory=_offsets, metadata={"range": "offsets"})
    expectation_mean: float = f_unit_open(0.5)
    expectation_concentration: float = f_positive(6.0)


@dataclass
class IntakeCfg:
    cohort_size: int = f_count(12)
    cohorts_per_wave: int = f_count(2)
    wave_interval_weeks: int = f_weeks(6)
    waves: int = f_count(12)
    # Planning (sim/intake.py): a yearly intake instead of the waves above, for `years` years; the
    # horizon then extends itself until every starter's 52-week follow-up is reached.
    # (city.centres.<name>.citizens_per_year sets a centre's own; the rest is split over the others.)
    citizens_per_year: float | None = f_nonneg(None)
    years: int | None = f_one_up(None)


@dataclass
class RunCfg:
    engine: Engine = Engine.vector
    replications: int = f_one_up(100)
    seed: int = f_count(0)
    n_jobs: int = f_one_up(1)
    horizon_weeks: int = f_weeks(136)
    citizens_table: bool = True
    # The weekly table has replications x weeks x centres rows: switch off for huge runs.
    weekly_table: bool = True
    # Replications stepped together by the vector engine (memory bound; results do not depend on it).
    chunk_size: int = f_one_up(500)
    progress: bool = True
    # ensemble: spread replications over the calibration ensemble's parameter sets (sim.ensemble).
    uncertainty: Uncertainty = Uncertainty.none


@dataclass
class PolicyCfg:
    name: PolicyName = PolicyName.mixed


# --- city data (per-entity values; None = use the global default) -------------------------------


@dataclass
class CentreCfg:
    label: str = ""
    policy: PolicyName = PolicyName.baseline
    partner_team: str = ""
    resourcefulness_mean: float = f_unit_open(0.5)
    # No share given (the default) = citizen.diagnosis_mix; otherwise a share for every diagnosis,
    # summing to 1. The default names every diagnosis (null) so that a `{...}` override merges into it.
    diagnosis_mix: dict[str, float | None] | None = field(default_factory=_no_mix, metadata={"range": "centre_mix"})
    modifiers: list[str] = field(default_factory=list, metadata={"range": "modifiers"})
    # Planning: this centre's yearly intake (sim/intake.py); null = its share of intake.citizens_per_year.
    citizens_per_year: float | None = f_nonneg(None)
    note: str = ""


@dataclass
class AssociationCfg:
    kind: str = field(default="sport", metadata={"range": "kind"})
    federation: str = ""
    has_cafe: bool = False
    has_admin_staff: bool = False
    facility_quality: float | None = f_prob(None)
    turnover_annual: float | None = f_prob(None)
    replacement_weeks: float | None = f_positive(None)
    # Patient associations only: which diagnoses it serves at which centres, who runs it, its
    # rhythm, whether it trains.
    diagnoses: list[str] = field(default_factory=list, metadata={"range": "diagnoses"})
    centres: list[str] = field(default_factory=list)
    staff_run_at: list[str] = field(default_factory=list)
    capacity: int | None = f_count(None)
    meeting_interval_weeks: int = f_weeks(1)
    has_training: bool = True
    course_weeks: int | None = f_weeks(None)
    note: str = ""


@dataclass
class TeamSpec:
    association: str = ""
    centre: str = ""
    district: str = ""
    activity: str = ""
    capacity: int | None = f_count(None)
    attractiveness: float | None = f_coef(None)
    paid_instructor: bool = False
    regulars: int | None = f_count(None)
    # The report's table: its row and the number handed over in that row (calibration target).
    report_row: int | None = f_count(None)
    observed_handed_over: int | None = f_count(None)
    note: str = ""


@dataclass
class CityCfg:
    """City data keyed by name (`city.teams.kom_i_gang.capacity=30`); the order of `teams` is the
    city order that sister teams follow (MODEL.md §3.5b)."""

    name: str = ""
    centres: dict[str, CentreCfg] = field(default_factory=dict)
    associations: dict[str, AssociationCfg] = field(default_factory=dict)
    teams: dict[str, TeamSpec] = field(default_factory=dict)


@dataclass
class SimConfig:
    policy: PolicyCfg = field(default_factory=PolicyCfg)
    city: CityCfg = field(default_factory=CityCfg)
    trial_cohorts: int = f_count(6)
    programme: ProgrammeCfg = field(default_factory=ProgrammeCfg)
    handover: HandoverCfg = field(default_factory=HandoverCfg)
    exposure: ExposureCfg = field(default_factory=ExposureCfg)
    baseline: BaselineCfg = field(default_factory=BaselineCfg)
    vesterbro: VesterbroCfg = field(default_factory=VesterbroCfg)
    vanlose: VanloseCfg = field(default_factory=VanloseCfg)
    modifiers: ModifiersCfg = field(default_factory=ModifiersCfg)
    club: ClubCfg = field(default_factory=ClubCfg)
    instructor: InstructorCfg = field(default_factory=InstructorCfg)
    team: TeamCfg = field(default_factory=TeamCfg)
    economics: EconomicsCfg = field(default_factory=EconomicsCfg)
    costs: CostsCfg = field(default_factory=CostsCfg)
    patient: PatientCfg = field(default_factory=PatientCfg)
    citizen: CitizenCfg = field(default_factory=CitizenCfg)
    intake: IntakeCfg = field(default_factory=IntakeCfg)
    run: RunCfg = field(default_factory=RunCfg)


# --- validation --------------------------------------------------------------------------------


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
        name = f"{path}.{sorted(extra)[0]}" if path else sorted(extra)[0]
        raise UserError(f"unknown config key {name!r} (check the spelling against conf/ or MODEL.md §8)")
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


def validate(cfg: SimConfig) -> SimConfig:
    """Check every range and cross-reference; raise `UserError` naming the first bad key."""
    from sim import intake  # imports this module's types only

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


def to_yaml(cfg: SimConfig | DictConfig) -> str:
    """The resolved config as YAML (saved beside every result)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg) if isinstance(cfg, SimConfig) else cfg)


def flat_overrides(cfg: SimConfig) -> dict[str, Any]:
    """The scalar global knobs as a flat {dot.path: value} dict (city data left out)."""
    out: dict[str, Any] = {}

    def rec(obj: Any, path: str) -> None:
        for f in fields(obj):
            value = getattr(obj, f.name)
            sub = f"{path}.{f.name}" if path else f.name
            if is_dataclass(value):
                rec(value, sub)
            elif not isinstance(value, (list, dict)):
                out[sub] = value.value if isinstance(value, Enum) else value

    rec(cfg, "")
    return {k: v for k, v in out.items() if not k.startswith("city.")}


def register() -> None:
    """Register the schema with Hydra's ConfigStore (conf/config.yaml builds on it as `schema`)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="schema", node=SimConfig)


register()
