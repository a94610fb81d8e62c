"""No silent knobs: every schema key, global or per entity of the city data, changes the
results when changed, or is refused with a one-line error, or is on a short documented list of keys
that by design do not change results (docs/model.md, "Keys that do not change results").

Each key is changed on a small vector-engine run with a fixed seed, to a value chosen so the change
must show (an extreme of its range, or with a context that switches its mechanism on), and the
tables (summary, teams, weekly, citizens) are compared with the same run without the change.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import fields

import pandas as pd
import pytest

import sim
from sim.model.checks import validate
from sim.model.config import ClusterCfg, PolicyName, Uncertainty
from sim.model.keys import leaves, set_key

BASE = ["intake.waves=2", "run.horizon_weeks=40", "run.replications=2", "run.seed=3", "run.progress=false",
        "run.engine=vector", "run.uncertainty=none"]  # the point: a knob changes it, not the ensemble

# Keys whose value by design does not change results (docs/model.md lists them with the reason).
RUN_ONLY = {
    "run.n_jobs": "processes; results are identical for any number (tests/engines/test_determinism.py)",
    "run.chunk_size": "replications stepped together; results do not depend on it",
    "run.progress": "a progress bar",
    "run.engine": "which engine samples the model; both sample the same one (tests/engines/test_equivalence.py)",
    "run.backend": "where blocks run; results are identical on either backend (tests/workflows/test_backend.py)",
    "run.scheduler": "the Dask scheduler's address",
} | {f"run.cluster.{f.name}": "the Dask cluster's resources" for f in fields(ClusterCfg)}
DESCRIPTIVE = {  # labels and calibration targets: read by reports and calibration, not by the model
    "city.name", "centres.label", "centres.note", "associations.label", "associations.federation", "associations.note",
    "teams.district", "teams.activity", "teams.note", "teams.report_row", "teams.observed_handed_over",
}

# Representative entities of each kind (the per-entity keys are the same for every entity of a kind).
ENTITY = {"centres": "amager", "sport": "kom_i_gang", "patient": "diabetes_association", "teams": "b1908_football"}
SPORT, PATIENT, TEAM, CENTRE = (f"city.associations.{ENTITY['sport']}", f"city.associations.{ENTITY['patient']}",
                                f"city.teams.{ENTITY['teams']}", f"city.centres.{ENTITY['centres']}")

VACANCIES = {"instructor.turnover_annual": 0.9}  # instructors quit often: vacancies, hires, `changed`
CROWDED = {"handover.intercept": 0.0, "team.capacity": 5}  # choosers turned away: sister teams open
PAID = {"city.teams.kom_i_gang.paid_instructor": True}  # the Amager partner team pays a wage
CLOSING = {"handover.intercept": 0.0, "city.teams.fremad_strength.regulars": 0, "team.closure_patience_weeks": 1}
LONG = {"run.horizon_weeks": 70}  # reaches 52 weeks after the first programmes end
# Instructors change now and then, and knowing the current one matters much.
POSTS = {"instructor.turnover_annual": 0.9, "instructor.replacement_weeks": 1.0, "handover.knows_instructor": 5.0}
PATIENT_POSTS = {"patient.volunteer_turnover_annual": 1.0, "instructor.replacement_weeks": 1.0}  # likewise volunteers

# key -> (new value, context applied to both runs). Keys not listed get a value by their range.
CHANGES: dict[str, tuple[object, dict]] = {
    "policy.name": (PolicyName.amager, {}),
    "run.uncertainty": (Uncertainty.ensemble, {}),  # replications spread over the calibration ensemble
    "citizen.diagnosis_mix": ({"at_risk": 0.1, "diabetes": 0.1, "copd": 0.6, "heart": 0.1, "cancer": 0.1}, {}),
    "citizen.diagnosis_offset": ({"at_risk": 2.0, "diabetes": 2.0, "copd": 2.0, "heart": 2.0, "cancer": 2.0}, {}),
    "club.cafe": (True, {}),
    # the calibrated city gives every listed team its own attractiveness: let one fall back on it
    "team.attractiveness": (3.0, {f"{TEAM}.attractiveness": None}),
    "club.bond_growth": (0.3, {}),  # below the cap of a café team's rate (rules.bond_rate)
    "club.vacancy": (4.0, VACANCIES),
    "club.change": (4.0, VACANCIES),
    "instructor.replacement_weeks": (1.0, VACANCIES),
    "instructor.replacement_weeks_paid": (30.0, {**VACANCIES, **PAID, "economics.municipality_pays_wages": True}),
    "instructor.admin_staff_factor": (4.0, VACANCIES),
    "instructor.continuity_weeks": (0, VACANCIES),
    "instructor.pool": (0, CROWDED),
    "team.max_extra": (0, CROWDED),
    "team.open_threshold": (1, CROWDED),
    "team.sister_capacity": (30, CROWDED),
    "team.transfer_prob": (1.0, CLOSING),
    # Familiarity growth commutes: an event's week matters through who attends and whom they meet.
    "modifiers.visit_week": (5, {"modifiers.team_visit": True, **POSTS}),
    "modifiers.presentation_week": (4, {"modifiers.club_presentation": True, **POSTS}),
    "modifiers.monthly_trial_weeks": ([2, 6], {"modifiers.monthly_trial": True}),
    "exposure.visit": (1.0, {"modifiers.team_visit": True}),
    "exposure.presentation": (1.0, {"modifiers.club_presentation": True}),
    "economics.wage_week": (100.0, PAID),
    "economics.deficit_tolerance": (0.0, PAID),
    "economics.municipality_pays_wages": (True, PAID),
    "trial_cohorts": (0, {}),
    # A yearly intake replaces the waves (left at their default then, sim/model/intake.py).
    "intake.citizens_per_year": (100.0, {"intake.waves": 12}),
    "intake.years": (2, {"intake.waves": 12, "intake.citizens_per_year": 100.0}),
    f"{CENTRE}.citizens_per_year": (50.0, {"intake.waves": 12}),
    "intake.fill_share": (0.5, {}),  # half the places left empty
    "programme.weeks": (14, {}),
    "vanlose.redeem_f": (4.0, {"modifiers.team_visit": True}),  # f > 0 at completion only with exposure
    "club.small": (3.0, {"team.min_size": 8}),  # with 3 regulars a team with members is small below 4
    "patient.presentation_week": (4, PATIENT_POSTS),
    f"{SPORT}.turnover_annual": (0.95, {}),
    f"{CENTRE}.policy": (PolicyName.vanlose, {}),
    f"{CENTRE}.partner_team": ("b1908_football", {}),
    f"{CENTRE}.diagnosis_mix": ({"at_risk": 0.0, "diabetes": 1.0, "copd": 0.0, "heart": 0.0, "cancer": 0.0}, {}),
    f"{CENTRE}.modifiers": (["monthly_trial"], {"handover.intercept": 0.0}),
    # (a replacement slow enough that the same uniform gives another waiting time)
    # (8 replications: with 2, whether the instructor quits at all within 40 weeks is a coin toss)
    f"{SPORT}.has_admin_staff": (True, {f"{SPORT}.turnover_annual": 0.9, f"{SPORT}.replacement_weeks": 30.0,
                                        "run.replications": 8}),
    f"{SPORT}.replacement_weeks": (30.0, {f"{SPORT}.turnover_annual": 0.9}),
    f"{SPORT}.capacity": (1, {}),
    f"{SPORT}.meeting_interval_weeks": (4, {"handover.intercept": 0.0}),  # its team has members to meet
    f"{PATIENT}.diagnoses": ([], {}),
    f"{PATIENT}.centres": (["amager"], {}),
    f"{PATIENT}.staff_run_at": (["amager"], {f"{PATIENT}.turnover_annual": 1.0}),
    f"{PATIENT}.has_admin_staff": (True, {f"{PATIENT}.turnover_annual": 1.0}),
    f"{PATIENT}.replacement_weeks": (1.0, {f"{PATIENT}.turnover_annual": 1.0}),
    f"{PATIENT}.capacity": (0, {}),
    f"{PATIENT}.meeting_interval_weeks": (4, {}),
    f"{PATIENT}.has_training": (False, {**LONG, "run.replications": 8}),  # (enough members to matter)
    f"{PATIENT}.course_weeks": (2, {}),
    f"{TEAM}.association": ("kom_i_gang", {}),
    f"{TEAM}.centre": ("osterbro", {}),
    f"{TEAM}.capacity": (0, {}),
    f"{TEAM}.regulars": (0, {}),
}
# Keys that only one kind of association uses: set on the other kind they are refused (UserError
# naming the key). Changing an association's kind is refused too: its teams or diagnoses no longer fit.
REFUSED = {
    f"{SPORT}.{key}": value for key, value in
    {"has_training": False, "course_weeks": 4, "diagnoses": ["copd"], "centres": ["amager"],
     "staff_run_at": ["amager"], "kind": "patient"}.items()
} | {f"{PATIENT}.has_cafe": True, f"{PATIENT}.facility_quality": 0.3, f"{PATIENT}.kind": "sport"}
REFUSED_BY = {f"{SPORT}.kind": "city.teams.kom_i_gang.association", f"{PATIENT}.kind": f"{PATIENT}.diagnoses"}


def _default_change(key: str, value: object, rng: str | None) -> object:
    """A value for `key` that must show in the results: an extreme of its range."""
    if isinstance(value, bool):
        return not value
    if value is None:  # a per-entity value left to its global default: set one far from it
        return {"prob": 0.05, "coef": 3.0, "positive": 1.0, "nonneg": 50.0, "count": 1, "weeks": 4}[rng]
    if rng == "prob":
        return 1.0 if value < 0.5 else 0.0
    if rng == "unit_open":
        return 0.9
    if rng in ("count", "one_up"):
        return 0 if rng == "count" and value > 0 else (1 if value > 1 else 3)
    if rng == "weeks":
        return value // 2 if value > 1 else 3
    if rng in ("coef",):
        return value + 3.0
    if rng in ("nonneg", "positive"):
        return 4.0 * value + 1.0
    raise AssertionError(f"no change chosen for {key} (range {rng}): add it to CHANGES")


def _keys(cfg: sim.SimConfig) -> dict[str, tuple[object, str | None]]:
    """Every leaf key of the schema, per-entity ones on the representative entities: key -> (value,
    range kind)."""
    representative = {f"city.centres.{ENTITY['centres']}", f"city.teams.{ENTITY['teams']}",
                      f"city.associations.{ENTITY['sport']}", f"city.associations.{ENTITY['patient']}"}
    return {key: (value, f.metadata.get("range")) for key, f, value in leaves(cfg)
            if not key.startswith("city.") or key.rsplit(".", 1)[0] in representative or key == "city.name"}


def _generic(key: str) -> str:
    """`city.teams.b1908_football.note` -> `teams.note` (the DESCRIPTIVE spelling)."""
    parts = key.split(".")
    return key if parts[0] != "city" or len(parts) < 4 else f"{parts[1]}.{parts[3]}"


def _set(cfg: sim.SimConfig, values: dict) -> sim.SimConfig:
    out = copy.deepcopy(cfg)
    for key, value in values.items():
        set_key(out, key, value)
    return validate(out)


@functools.cache
def _base() -> sim.SimConfig:
    return sim.compose(BASE)


def _tables(cfg: sim.SimConfig) -> list[pd.DataFrame | None]:
    res = sim.simulate(cfg)
    return [res.summary, res.teams, res.weekly, res.citizens]


@functools.cache
def _context_run(context: tuple) -> list[pd.DataFrame | None]:
    return _tables(_set(_base(), dict(context)))


def _same(a: list, b: list) -> bool:
    """Whether two runs' tables are equal (a table switched off is None)."""
    return all(x is y if x is None or y is None else x.equals(y) for x, y in zip(a, b, strict=True))


KEYS = _keys(_base())


def test_every_key_is_classified():
    """The lists above name real keys, so a renamed key cannot hide on them."""
    generic = {_generic(k) for k in KEYS}
    assert set(RUN_ONLY) <= set(KEYS) and generic >= DESCRIPTIVE
    assert set(CHANGES) <= set(KEYS) and set(REFUSED) <= set(KEYS)


@pytest.mark.parametrize("key", [k for k in KEYS if k not in RUN_ONLY and _generic(k) not in DESCRIPTIVE])
def test_key_changes_results_or_is_refused(key):
    if key in REFUSED:
        with pytest.raises(sim.UserError) as err:
            _set(_base(), {key: REFUSED[key]})
        assert REFUSED_BY.get(key, key) in str(err.value) and "\n" not in str(err.value)
        return
    value, rng = KEYS[key]
    new, context = CHANGES.get(key, (None, {}))
    new = _default_change(key, value, rng) if key not in CHANGES else new
    assert new != value, f"{key}: the change must differ from the default"
    changed = _set(_base(), {**context, key: new})
    assert not _same(_tables(changed), _context_run(tuple(context.items()))), f"{key}={new!r} changed nothing"
