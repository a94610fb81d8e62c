"""The configuration schema (MODEL.md §8) as Hydra structured configs.

Every model knob is declared once here, with its default and its allowed range (sim.model.fields).
The YAML files in `conf/` mirror these dataclasses; Hydra merges them onto the schema, so an unknown
key or a value of the wrong type is rejected by OmegaConf; sim.model.checks checks ranges and
cross-references, which OmegaConf does not. Both engines read the validated dataclass tree
(`SimConfig`), never raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.model.fields import (  # the schema's vocabulary, also imported from here by its users
    DIAGNOSES,
    MODIFIERS,
    POLICIES,
    RANGES,
    Backend,
    ClusterKind,
    Engine,
    PolicyName,
    Uncertainty,
    f_coef,
    f_count,
    f_nonneg,
    f_one_up,
    f_positive,
    f_prob,
    f_share,
    f_unit_open,
    f_week_list,
    f_weeks,
)
from sim.model.keys import leaves

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
    # The programme weeks of the monthly trial sessions (the report recommends at least monthly).
    monthly_trial_weeks: list[int] = f_week_list([4, 8, 12])


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
    # Capacity of a sister team (MODEL.md §3.5b); null: what its listed team holds (a copy of it).
    sister_capacity: int | None = f_one_up(None)
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
    """Unit costs in DKK of what the engines and the intake plan count (sim/model/costs.py prices them).

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
    # Planning (sim/model/intake.py): a yearly intake instead of the waves above, for `years` years; the
    # horizon then extends itself until every starter's 52-week follow-up is reached.
    # (city.centres.<name>.citizens_per_year sets a centre's own; the rest is split over the others.)
    citizens_per_year: float | None = f_nonneg(None)
    years: int | None = f_one_up(None)
    # Share of cohort places filled: each place is filled independently with this probability (its
    # own random stream, sim.model.population.filled); an unfilled place never starts and counts
    # nowhere. Applies to either intake (a yearly intake then gives the places offered).
    fill_share: float = f_share(1.0)


@dataclass
class ClusterCfg:
    """The Dask cluster that `run.backend=dask` starts when `run.scheduler` is empty (conf/cluster/,
    docs/cluster.md): worker processes on this machine, or dask-jobqueue batch jobs."""

    kind: ClusterKind = ClusterKind.local
    # Local: worker processes. SLURM/PBS: batch jobs, each with `processes` workers on `cores` cores.
    workers: int = f_one_up(2)
    cores: int = f_one_up(1)
    processes: int = f_one_up(1)
    memory: str = "2GiB"
    walltime: str = "01:00:00"
    queue: str = ""
    account: str = ""
    local_directory: str = ""
    job_extra_directives: list[str] = field(default_factory=list)
    job_script_prologue: list[str] = field(default_factory=list)
    # How long a run waits for the first worker (batch jobs may queue).
    wait_seconds: float = f_positive(600.0)


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
    # ensemble: spread replications over the calibration ensemble's parameter sets (sim.workflows.ensemble).
    uncertainty: Uncertainty = Uncertainty.none
    # Where blocks run: local (this machine, n_jobs processes) or dask (sim.workflows.backend).
    backend: Backend = Backend.local
    # The Dask scheduler's address (tcp://host:8786); empty: start the cluster of `cluster`.
    scheduler: str = ""
    cluster: ClusterCfg = field(default_factory=ClusterCfg)


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
    # Planning: this centre's yearly intake (sim/model/intake.py); null = its share of intake.citizens_per_year.
    citizens_per_year: float | None = f_nonneg(None)
    note: str = ""


@dataclass
class AssociationCfg:
    label: str = ""  # its name as people write it ("Idræt i Dagtimerne"); default: the id
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


def to_yaml(cfg: SimConfig | DictConfig) -> str:
    """The resolved config as YAML (saved beside every result)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg) if isinstance(cfg, SimConfig) else cfg)


def flat_overrides(cfg: SimConfig) -> dict[str, Any]:
    """The scalar global knobs as a flat {dot.path: value} dict (city data left out)."""
    return {key: value.value if isinstance(value, Enum) else value for key, _, value in leaves(cfg)
            if not key.startswith("city.") and not isinstance(value, (list, dict))}


def register() -> None:
    """Register the schema with Hydra's ConfigStore (conf/config.yaml builds on it as `schema`)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="schema", node=SimConfig)


register()


__all__ = ["DIAGNOSES", "MODIFIERS", "POLICIES", "RANGES", "Backend", "ClusterKind", "Engine", "PolicyName",
           "Uncertainty"]
