"""Fuzzing: random valid configs run in both engines without error and keep the invariants.

The configs come from the schema itself (sim/model/config.py): every key with a range in its field
metadata, global and per entity (centres, associations, teams), is drawn within that range, as are
the true/false switches and the policies. Each key is either its composed value or a random one;
a failing example is printed with a note of the keys that differ from the base, as command-line
overrides (no shrinking: over hundreds of keys it takes minutes). A config the validation refuses
(a cross-check between keys) is rejected, not counted. The population and horizon are capped
(`FAST`) so that each example takes a fraction of a second.

The slow test compares the two engines statistically on a few such configs (seeded; the falsifying
config is printed), with the machinery and tolerance of tests/engines/test_equivalence.py.
"""

from __future__ import annotations

import copy
import os
from enum import Enum
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

import sim
from sim.agent.engine import build_model
from sim.errors import UserError
from sim.model.checks import validate
from sim.model.city import build_city
from sim.model.config import DIAGNOSES, MODIFIERS, Engine, IntakeCfg, PolicyName, SimConfig
from sim.model.intake import REPLACED
from sim.model.keys import leaves, set_key
from sim.vector.layout import build_layout
from sim.vector.model import HandoverModel as VectorModel
from sim.vector.roster import GONE
from sim.workflows.compose import compose
from sim.workflows.params import apply
from tests.agent.test_agent_invariants import check_tables
from tests.agent.test_agent_invariants import check_week as check_agent_week
from tests.engines.test_equivalence import TOLERANCE, _disagreements, outcomes
from tests.vector.test_vector import _check_citizens as check_vector_citizens
from tests.vector.test_vector import _check_week as check_vector_week

# Keys the tests set themselves: the engine, the tables they read, one process, no progress bar.
FIXED = {"run.engine": "vector", "run.n_jobs": 1, "run.citizens_table": True, "run.weekly_table": True,
         "run.progress": False, "run.uncertainty": "none", "intake.fill_share": 1.0}
# Bounds (inclusive) that keep an example small: at most 5 centres x 2 waves x 2 cohorts x 12 citizens.
# The intake keys start at 0: an empty population is valid (test_an_empty_population_runs_in_both_engines).
FAST = {"intake.waves": (0, 2), "intake.cohorts_per_wave": (0, 2), "intake.cohort_size": (0, 12),
        "run.horizon_weeks": (1, 60), "run.replications": (1, 2), "run.chunk_size": (1, 2), "team.max_extra": (0, 3)}
# Programme weeks that validation checks against `programme.weeks`: drawn within it.
IN_PROGRAMME = ("baseline.trial_week", "modifiers.visit_week", "modifiers.presentation_week",
                "patient.presentation_week")
MONTHLY_WEEKS = "modifiers.monthly_trial_weeks"  # distinct programme weeks, drawn within it too
# The yearly intake (sim/model/intake.py) replaces the waves: drawn as a mode of its own (`_intake`), with
# the waves at their defaults, a city total of up to 60 citizens in one year; centres' own totals stay null.
YEARLY = ("intake.citizens_per_year", "intake.years")
# A value of each range kind, to ask the validation whether an entity takes a key it leaves unset.
PROBE = {"prob": 0.5, "coef": 0.5, "nonneg": 1.0, "positive": 1.0, "unit_open": 0.5, "count": 1, "weeks": 1,
         "one_up": 1}
# Ranges of city structure (who serves which diagnosis, sport or patient), not parameters: kept.
STRUCTURE = {"diagnoses", "kind"}


def configure(base: SimConfig, values: dict[str, Any]) -> SimConfig:
    """`base` with `values` set: numbers and switches through sim.workflows.params.apply (type and range
    checks), the rest (policies, mixes, modifier lists, null) directly; then validated."""
    simple = {k: v for k, v in values.items() if isinstance(v, (bool, int, float)) and not isinstance(v, Enum)}
    cfg = apply(base, simple)
    for key, value in values.items():
        if key not in simple:
            set_key(cfg, key, copy.deepcopy(value))
    return validate(cfg)


def _accepted(base: SimConfig, key: str, value: Any) -> bool:
    try:
        configure(base, {key: value})
    except UserError:
        return False
    return True


def _mix() -> st.SearchStrategy:
    weights = st.lists(st.floats(0.0, 1.0), min_size=len(DIAGNOSES), max_size=len(DIAGNOSES))
    return weights.filter(lambda w: sum(w) > 0.01).map(lambda w: dict(zip(DIAGNOSES, np.array(w) / sum(w),
                                                                          strict=True)))


def _numbers(rng: str, value: Any, bounds: tuple | None) -> st.SearchStrategy | None:
    """Values of one range kind of sim.model.config.RANGES, scaled by the composed value."""
    scale = abs(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0
    if rng in ("count", "weeks", "one_up"):
        low, high = bounds or ({"count": 0}.get(rng, 1), max(4, 2 * int(scale)))
        return st.integers(low, high)
    if bounds:
        return st.floats(*bounds)
    return {
        "prob": st.floats(0.0, 1.0),
        "coef": st.floats(-max(2.0, 2 * scale), max(2.0, 2 * scale)),
        "nonneg": st.floats(0.0, max(1.0, 3 * scale)),
        # tiny positive values (test_tiny_replacement_times_fill_at_once covers the extremes)
        "positive": st.floats(1e-9, max(1.0, 3 * scale)),
        # near 0 or 1 too (test_extreme_resourcefulness_means_run covers the extremes)
        "unit_open": st.floats(1e-12, 1.0 - 1e-12),
    }.get(rng)


def _strategy(base: SimConfig, key: str, f, value: Any, bounds: tuple | None) -> st.SearchStrategy | None:
    """Random values of one key within its schema range, or None for keys that are not parameters."""
    rng, text = f.metadata.get("range"), str(f.type)
    if rng in STRUCTURE:
        return None
    if isinstance(value, Enum) or "PolicyName" in text:
        choices = [p for p in PolicyName if _accepted(base, key, p)]
        return st.sampled_from(choices) if len(choices) > 1 else None
    if "bool" in text:
        options = [v for v in ((None,) if "None" in text else ()) + (False, True) if _accepted(base, key, v)]
        return st.sampled_from(options) if len(options) > 1 else None
    if rng in ("mix", "centre_mix"):
        return _mix()
    if rng == "offsets":
        return st.fixed_dictionaries({d: st.floats(-2.0, 2.0) for d in DIAGNOSES})
    if rng == "modifiers":
        return st.lists(st.sampled_from(MODIFIERS), unique=True)
    numbers = _numbers(rng, value, bounds) if rng else None
    if numbers is None:
        return None  # names, labels, lists of centres: city structure
    # a per-entity key the validation refuses for this entity (e.g. a key of the other kind of
    # association) is not a parameter of it
    probe = PROBE[rng] if value is None else value
    return numbers if _accepted(base, key, probe) else None


def config_values(base: SimConfig, bounds: dict[str, tuple]) -> st.SearchStrategy:
    """Random {key: value} over every parameter of `base` (each key its value or a random one)."""
    keys = {}
    for key, f, value in leaves(base):
        if key in (*FIXED, *IN_PROGRAMME, *YEARLY, MONTHLY_WEEKS) or key.endswith(".citizens_per_year"):
            continue
        strategy = _strategy(base, key, f, value, bounds.get(key))
        if strategy is not None:
            keys[key] = st.one_of(st.just(value), strategy)

    @st.composite
    def draw(draw_from):
        values = draw_from(st.fixed_dictionaries(keys))
        weeks = values.get("programme.weeks", base.programme.weeks)
        values.update({k: draw_from(st.integers(1, weeks)) for k in IN_PROGRAMME})
        values[MONTHLY_WEEKS] = draw_from(st.lists(st.integers(1, weeks), unique=True, max_size=4))
        if draw_from(st.sampled_from([False, False, False, True])):  # a yearly intake instead of waves
            values.update({f"intake.{k}": getattr(IntakeCfg(), k) for k in REPLACED}, **{
                "intake.citizens_per_year": draw_from(st.floats(0.0, 60.0)), "intake.years": 1})
        return values

    return draw()


# The composed base: Copenhagen with one wave and one replication (each key is this or random).
BASE = compose([f"{k}={str(v).lower()}" for k, v in FIXED.items()]
               + ["intake.waves=1", "run.horizon_weeks=40", "run.replications=1"])
BASE_VALUES = {key: value for key, _, value in leaves(BASE)}
# Built when a test first draws (asking the validation per key takes a second or two).
FAST_CONFIGS = st.deferred(lambda: config_values(BASE, FAST))


def _override(value: Any) -> str:
    """A value as the command line writes it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_override(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(map(_override, value)) + "]"
    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    return repr(float(value)) if isinstance(value, float | np.floating) else str(value)


def _valid(values: dict[str, Any]) -> SimConfig:
    """The config of `values` (hypothesis prints the keys that differ from the base as overrides)."""
    try:
        cfg = configure(BASE, values)
    except UserError:
        reject()  # a combination the validation refuses (e.g. a cross-check): not a valid config
    note("differs from the base: " + " ".join(f"{k}={_override(v)}" for k, v in values.items()
                                              if v != BASE_VALUES.get(k)))
    return cfg


def check_unit_states(model, block: VectorModel) -> None:
    """Habit, bond and familiarity grow towards 1 and stay in [0, 1], in both engines (float32 in
    the vector engine, hence the tolerance)."""
    live = block.sport.idx != GONE
    states = [np.array([(c.h, c.s, c.f) for c in model.citizens]), block.h, block.s, block.f, block.s_end,
              block.sport["h"][live], block.sport["s"][live]]
    for x in states:
        assert ((x >= 0) & (x <= 1 + 1e-6)).all(), "habit, bond or familiarity outside [0, 1]"


@settings(max_examples=16, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FAST_CONFIGS)
def test_random_valid_configs_keep_the_invariants_in_both_engines(values):
    cfg = _valid(values)
    city = build_city(cfg)
    model = build_model(cfg, city, 0)
    block = VectorModel(cfg, city, build_layout(cfg, city), np.arange(cfg.run.replications))
    for week in range(cfg.run.horizon_weeks):
        model.step()
        check_agent_week(model, week)
        block.step(week)
        check_vector_week(block, cfg, week)
        check_unit_states(model, block)
    check_vector_citizens(block, cfg)
    for engine in Engine:
        cfg.run.engine = engine
        res = sim.simulate(cfg)
        check_tables({"citizens": res.citizens, "summary": res.summary, "weekly": res.weekly, "teams": res.teams},
                     cfg, city)


@pytest.mark.parametrize("empty", ["intake.waves", "intake.cohort_size", "intake.cohorts_per_wave"])
def test_an_empty_population_runs_in_both_engines(empty):
    """No intake is a valid config (counts >= 0): both engines return NaN rates, not an error."""
    for engine in Engine:
        res = sim.simulate(configure(BASE, {"run.engine": engine, empty: 0}))
        assert res.summary.started.eq(0).all() and res.summary.handover_rate.isna().all()


def test_tiny_replacement_times_fill_at_once():
    """Replacement times and the admin-staff factor may be any positive number: a vacancy is then
    filled within the week (probability min(1, 1/R) = 1)."""
    tiny = {"instructor.replacement_weeks": 1e-200, "instructor.admin_staff_factor": 1e-200}
    city = build_city(configure(BASE, tiny))
    assert (city.team_fill_prob == 1.0).all()


@pytest.mark.parametrize("values", [{"citizen.resourcefulness_shift": 40.0},
                                    {"city.centres.amager.resourcefulness_mean": 1e-310}])
def test_extreme_resourcefulness_means_run(values):
    """Any finite shift and any mean inside (0, 1) is valid: citizens are then (nearly) all at one end."""
    res = sim.simulate(configure(BASE, values))
    assert res.citizens.resourcefulness.between(0, 1).all()


# --- the engines agree on random valid configs (slow) --------------------------------------------

# A population big enough to compare (at least one wave of 6-citizen cohorts) and a horizon that
# reaches past the first programme ends.
COMPARE = {**FAST, "intake.cohort_size": (6, 12), "intake.waves": (1, 1), "run.horizon_weeks": (30, 50)}
# Independent samples per engine (the tolerance is the SE of the difference of their means).
RUNS = {Engine.agent: {"run.seed": 11, "run.replications": 50},
        Engine.vector: {"run.seed": 22, "run.replications": 500}}
# SIM_FUZZ_SEED=<n> draws other configs (e.g. nightly); unset, every run draws the same ones.
FUZZ_SEED = os.environ.get("SIM_FUZZ_SEED")


def _seeded(test):
    return hypothesis_seed(int(FUZZ_SEED))(test) if FUZZ_SEED else test


@pytest.mark.slow
@_seeded
@settings(max_examples=4, deadline=None, derandomize=FUZZ_SEED is None, database=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.deferred(lambda: config_values(BASE, COMPARE)))
def test_engines_agree_on_random_valid_configs(values):
    """Every headline metric and weekly curve point within TOLERANCE standard errors (the machinery
    of tests/engines/test_equivalence.py); a failing config is printed as overrides by the note."""
    cfg = _valid(values)
    agent, vector = (outcomes(configure(cfg, {"run.engine": e, "run.citizens_table": False, **RUNS[e]}))
                     for e in (Engine.agent, Engine.vector))
    bad = _disagreements(agent, vector)
    assert not bad, f"engines disagree beyond {TOLERANCE} SE: " + "; ".join(bad)
