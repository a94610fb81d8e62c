"""The agent and vector engines sample the same model (MODEL.md §6), tested statistically.

For each configuration both engines run many replications from independent seeds; every headline
metric, `teams_closed` and points of the weekly curves must agree within 4 standard errors of the
difference of the two means (SE from the two samples' pooled variance: one model, one variance).
The population is shrunk to three intake waves (the horizon still reaches 52 weeks after the last
programme end) so that the agent engine stays cheap; the city is the full Copenhagen city, except in `another_city`.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import sim

pytestmark = pytest.mark.slow

SHRUNK = ["intake.waves=3", "run.horizon_weeks=80", "run.progress=false", "run.citizens_table=false",
          "run.uncertainty=none"]
REPLICATIONS = {"agent": 100, "vector": 1000}  # agent runs dominate the suite's time (8-minute budget)
SEEDS = {"agent": 11, "vector": 22}  # independent samples: the SE of the difference is exact
TOLERANCE = 4.0  # standard errors
ROUNDING = 1e-9  # relative: two constant columns that differ by summation order alone agree

METRICS = ("completion_rate", "handover_rate", "retention_26w", "retention_52w", "cost_municipality",
           "teams_closed", "sister_teams_opened", "patient_uptake", "patient_retention_52w", "active_52w",
           # the cost items the engines count (sim.model.costs), and what the clubs take in fees
           "cost_parallel_sessions", "cost_gift_cards", "cost_instructor_training", "cost_subsidies", "cost_wages",
           "trial_takeups", "club_fees")
CURVES = {  # weekly count summed over centres, at these weeks
    "members_sport": (16, 20, 30, 45, 60, 79),
    "members_patient": (16, 20, 30, 45, 60, 79),
    "deciding": (13, 19, 25),
    "lapsed": (40, 79),
    "teams_open": (30, 79),
    "instructors_vacant": (40, 79),
}

CONFIGS = {
    "baseline": ["policy=baseline"],
    "amager": ["policy=amager"],
    "vesterbro": ["policy=vesterbro"],
    "vanlose": ["policy=vanlose"],
    "mixed": ["policy=mixed", "trial_cohorts=3"],  # trial and baseline cohorts in every trial district
    "cafe_on": ["policy=amager", "club.cafe=true"],
    "cafe_off": ["policy=amager", "club.cafe=false"],
    "high_turnover": ["policy=amager", "instructor.turnover_annual=0.95", "instructor.replacement_weeks=10"],
    "low_resourcefulness": ["policy=vesterbro", "citizen.resourcefulness_shift=-1"],
    "all_modifiers": ["policy=baseline", "modifiers.team_visit=true", "modifiers.club_presentation=true",
                      "modifiers.monthly_trial=true"],
    "closures": ["policy=amager", "handover.intercept=-3.5", "team.min_size=8", "team.closure_patience_weeks=4",
                 "team.transfer_prob=0.5", "economics.subsidy_week=25"],
    "tight_capacity": ["policy=amager", "handover.intercept=-3", "team.capacity=6", "team.regulars=2",
                       "team.open_threshold=2", "instructor.pool=5"],
    # A paid partner team (and its sisters) runs into deficit with members on board: transfers.
    "deficit_closures": ["policy=amager", "city.teams.kom_i_gang.paid_instructor=true",
                         "economics.deficit_tolerance=12000", "team.transfer_prob=1"],
    "municipal_wages": ["policy=amager", "city.teams.kom_i_gang.paid_instructor=true",
                        "city.teams.floorball.paid_instructor=true", "economics.municipality_pays_wages=true"],
    # Patient channel: volunteer posts emptied every week (no heart café staff-run) ...
    "patient_turnover": ["policy=amager", "patient.volunteer_turnover_annual=1",
                         "city.associations.heart_association.staff_run_at=[]"],
    # A partner club meeting every other week (growth and its paid instructor's wage only then),
    # a three-session programme, and volunteers of one association quitting fast.
    "rhythm_and_sessions": ["policy=amager", "city.associations.kom_i_gang.meeting_interval_weeks=2",
                            "city.teams.kom_i_gang.paid_instructor=true", "economics.municipality_pays_wages=true",
                            "programme.sessions_per_week=3",
                            "city.associations.diabetes_association.turnover_annual=1"],
    # ... and small diabetes groups that keen citizens oversubscribe, within delayed windows.
    "patient_oversubscribed": ["policy=vanlose", "patient.intercept=1",
                               "city.associations.diabetes_association.capacity=3"],
    # Four places in five filled, and crowded teams whose sisters hold more than their listed team.
    "filled_and_sisters": ["policy=amager", "intake.fill_share=0.8", "handover.intercept=-3", "team.capacity=6",
                           "team.sister_capacity=10"],
    # Another city (conf/city/template.yaml: two centres on their own models, a patient association).
    "another_city": ["city=template", "trial_cohorts=3", "handover.intercept=-3.5"],
}


def outcomes(cfg: sim.SimConfig, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per replication of `cfg` (with per-replication `values`): the summary metrics and
    the weekly curve points (those within the horizon)."""
    res = sim.simulate(cfg, values=values)
    totals = res.weekly.groupby(["replication", "week"])[list(CURVES)].sum()
    columns = {f"{name}@{week}": totals[name].xs(week, level="week") for name, weeks in CURVES.items()
               for week in weeks if week < cfg.run.horizon_weeks}
    return res.summary.set_index("replication")[list(METRICS)].join(pd.DataFrame(columns))


@functools.cache
def _outcomes(engine: str, overrides: tuple[str, ...]) -> pd.DataFrame:
    """`outcomes` of a shrunk config (cached: the detection tests reuse a run; CI's pytest-xdist runs a
    file's tests in one process, --dist loadfile)."""
    return outcomes(sim.compose([*SHRUNK, *overrides, f"run.engine={engine}", f"run.seed={SEEDS[engine]}",
                                 f"run.replications={REPLICATIONS[engine]}"]))


def _missing(column: str, a: pd.Series, v: pd.Series) -> list[str]:
    """The share of replications where `column` is undefined (NaN) must agree too: a two-proportion
    test, TOLERANCE standard errors of the difference under the pooled share (exact when the pooled
    share is 0 or 1)."""
    na, nv = a.isna().sum(), v.isna().sum()
    pooled = (na + nv) / (len(a) + len(v))
    se = np.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(v)))
    diff = na / len(a) - nv / len(v)
    if abs(diff) > TOLERANCE * se:  # se 0: any difference
        return [f"{column}: missing in {na} of {len(a)} agent, {nv} of {len(v)} vector replications"]
    return []


def _disagreements(agent: pd.DataFrame, vector: pd.DataFrame) -> list[str]:
    out = []
    for column in agent.columns:
        out += _missing(column, agent[column], vector[column])
        a, v = agent[column].dropna(), vector[column].dropna()
        if len(a) + len(v) < 3 or min(len(a), len(v)) == 0:
            continue  # no standard error; `_uncompared` names these, and the tests say which may be
        # in units of the largest value, so that the variance of tiny amounts does not underflow to 0
        scale = max(a.abs().max(), v.abs().max()) or 1.0
        a, v = a / scale, v / scale
        diff = a.mean() - v.mean()
        # One model means one variance: pooled, so that a small sample that happens to show no
        # variance (a rare event never seen in it) does not shrink the standard error to the other's;
        # a sample of one value adds its engine's mean and no spread.
        pooled = (((a - a.mean()) ** 2).sum() + ((v - v.mean()) ** 2).sum()) / (len(a) + len(v) - 2)
        se = np.sqrt(pooled * (1 / len(a) + 1 / len(v)))
        if abs(diff) > max(TOLERANCE * se, ROUNDING):
            out.append(f"{column}: agent {a.mean() * scale:.4g} vector {v.mean() * scale:.4g} ({diff / se:+.1f} SE)")
    return out


def _uncompared(agent: pd.DataFrame, vector: pd.DataFrame) -> set[str]:
    """Columns whose means `_disagreements` could not compare (fewer than 3 values in all, or none in
    one engine: then only their missing shares were compared)."""
    return {c for c in agent.columns
            if agent[c].notna().sum() + vector[c].notna().sum() < 3 or min(agent[c].notna().sum(),
                                                                            vector[c].notna().sum()) == 0}


def _report(name: str, agent: pd.DataFrame, vector: pd.DataFrame) -> None:
    assert not _disagreements(agent, vector), f"{name}: " + "; ".join(_disagreements(agent, vector))
    assert not _uncompared(agent, vector), f"{name}: means not compared: {sorted(_uncompared(agent, vector))}"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_engines_agree(name):
    overrides = tuple(CONFIGS[name])
    _report(name, _outcomes("agent", overrides), _outcomes("vector", overrides))


# Per-replication values (sim.simulate(cfg, values=...)): replication r runs set r % 4, in one
# vector block and as its own config in the agent engine, so both engines sample the same mixture.
SETS = pd.DataFrame({"handover.intercept": [-4.6, -3.5, -5.0, -4.0], "club.bond": [2.0, 1.0, 3.0, 2.5],
                     "city.teams.kom_i_gang.attractiveness": [0.0, 1.5, -1.0, 0.5],
                     "instructor.turnover_annual": [0.25, 0.9, 0.1, 0.5],
                     "exposure.club_session": [0.15, 0.3, 0.05, 0.2],
                     "team.capacity": [20, 8, 30, 12], "citizen.resourcefulness_shift": [0.0, -0.5, 0.5, 0.2]})


def test_engines_agree_with_per_replication_values():
    runs = {}
    for engine in ("agent", "vector"):
        cfg = sim.compose([*SHRUNK, "policy=amager", f"run.engine={engine}", f"run.seed={SEEDS[engine]}",
                           f"run.replications={REPLICATIONS[engine]}"])
        values = SETS.iloc[np.arange(REPLICATIONS[engine]) % len(SETS)].reset_index(drop=True)
        runs[engine] = outcomes(cfg, values)
    _report("per-replication values", runs["agent"], runs["vector"])


def test_the_check_detects_a_different_model():
    """The tolerance is tight enough to see a modest change (0.4) of one rule's coefficient."""
    agent = _outcomes("agent", tuple(CONFIGS["amager"]))
    familiarity = sim.compose([]).handover.familiarity - 0.4  # relative to the default, calibrated or not
    vector = _outcomes("vector", ("policy=amager", f"handover.familiarity={familiarity:.4f}"))
    assert any(d.startswith("handover_rate") for d in _disagreements(agent, vector))


def test_the_check_detects_a_different_patient_rule():
    """... and a change of 0.1 in a patient-channel logit (the presentation's effect on taking part)."""
    agent = _outcomes("agent", tuple(CONFIGS["amager"]))
    vector = _outcomes("vector", ("policy=amager", "patient.knows=0.7"))
    assert any(d.startswith("patient_uptake") for d in _disagreements(agent, vector))
