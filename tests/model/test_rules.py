"""sim/model/rules.py against MODEL.md §3–§4b: every equation recomputed here from the spec's formula.

The engines share these functions, so an error in them (a wrong sign, a missing term, the wrong
key) is shared too and no engine comparison can see it. Each test writes the formula out again from
MODEL.md with `math`, with the parameter values as literals, at non-default values that differ from
each other and at inputs where every term is non-zero, so a flipped sign, a dropped term or a swapped
coefficient changes the number. Each rule is evaluated on scalars (as the agent engine calls it) and
on arrays (as the vector engine does).

To add a rule: write its test with `@covers(rules.new_rule)`; `test_every_rule_is_covered` fails
until every public function of sim/model/rules.py has one.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
from collections.abc import Callable

import numpy as np
import pytest

from sim.errors import UserError
from sim.model import policies, rules
from sim.model.checks import validate
from sim.model.city import build_city
from sim.model.keys import set_key
from sim.model.policies import Attend
from sim.model.rules import weekly_quit_prob
from sim.workflows.compose import compose
from sim.workflows.params import apply

# Non-default values, all different from each other and from the defaults (MODEL.md §8), with some
# signs opposite to the default direction: the rules must read each one from its own key.
PARAMS = {
    "programme.dropout_logit": -1.7, "programme.dropout_r": 0.9,
    "baseline.trial_logit": 0.3, "baseline.trial_r": -0.7,
    "vesterbro.parallel_logit": -0.2, "vesterbro.parallel_r": 1.1, "vesterbro.parallel_h": -0.45,
    "vanlose.redeem_logit": 0.4, "vanlose.redeem_r": -1.3, "vanlose.redeem_f": 2.1,
    "handover.intercept": -1.3, "handover.familiarity": 0.7, "handover.knows_instructor": 0.45,
    "handover.resourcefulness": 1.9, "handover.habit": -0.6, "handover.bond": 0.35,
    "handover.facility_gap": 1.25, "handover.decay": 0.15,
    "club.lapse_base": 0.09, "club.bond": 1.6, "club.habit": 0.55, "club.resourcefulness": 0.85,
    "club.facility_gap": 1.35, "club.vacancy": 0.7, "club.change": 0.25, "club.small": 0.4,
    "club.bond_growth": 0.04, "club.cafe_bond_boost": 2.5,
    "economics.fee_week": 7.0, "economics.subsidy_week": 13.0, "economics.wage_week": 321.0,
    "economics.deficit_tolerance": 250.0,
    "team.min_size": 5, "team.closure_patience_weeks": 6,
    "patient.intercept": -0.9, "patient.resourcefulness": 1.2, "patient.bond": 0.65, "patient.knows": 1.05,
    "patient.volunteer_run": -0.35, "patient.lapse_base": 0.05,
    "instructor.replacement_weeks": 5.0, "instructor.replacement_weeks_paid": 2.5,
    "instructor.admin_staff_factor": 0.4, "instructor.turnover_annual": 0.35,
}

# Citizens: resourcefulness below and above 0.5; expectation below and above facility quality 0.55.
R = (0.15, 0.5, 0.8)
H = (0.0, 0.35, 0.9)
S = (0.0, 0.25, 0.7)
E = (0.3, 0.8)
F = (0.0, 0.45)
W = (0, 1, 3)
Q = 0.55

COVERED: set[str] = set()


def covers(*functions: Callable) -> Callable:
    """Register the rules a test checks (see test_every_rule_is_covered)."""
    COVERED.update(f.__name__ for f in functions)
    return lambda test: test


@pytest.fixture(scope="module")
def cfg():
    return apply(compose([]), PARAMS)


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def check(rule: Callable, expected: Callable, *axes) -> None:
    """`rule(*args)` equals `expected(*args)` at every combination of `axes`, called with scalars
    and, in one call, with arrays of all the combinations."""
    points = list(itertools.product(*axes))
    want = np.array([expected(*p) for p in points], dtype=float)
    got = np.array([rule(*p) for p in points], dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    columns = [np.array(c) for c in zip(*points, strict=True)]
    np.testing.assert_allclose(np.asarray(rule(*columns), dtype=float), want, rtol=1e-12, atol=1e-15)


def test_every_rule_is_covered():
    public = {name for name, f in inspect.getmembers(rules, inspect.isfunction)
              if f.__module__ == rules.__name__ and not name.startswith("_")}
    missing = sorted(public - COVERED)
    assert not missing, f"rules without a known-answer test in tests/model/test_rules.py: {', '.join(missing)}"


# --- building blocks ---------------------------------------------------------------------------


@covers(rules.sigmoid)
def test_sigmoid():
    assert rules.sigmoid(0.0) == 0.5
    np.testing.assert_allclose(rules.sigmoid(np.log([3.0, 1 / 3.0])), [0.75, 0.25], rtol=1e-12)


@covers(rules.grow)
def test_grow_approaches_one():
    """x <- x + η(1 − x) (MODEL.md §3.3, §3.6, §4)."""
    assert rules.grow(0.2, 0.25) == pytest.approx(0.4)
    assert rules.grow(1.0, 0.3) == 1.0 and rules.grow(0.6, 0.0) == 0.6
    np.testing.assert_allclose(rules.grow(np.array([0.0, 0.5]), 0.1), [0.1, 0.55])


@covers(rules.hazard_prob)
def test_hazard_prob():
    """Leaving in a week with hazard λ: 1 − exp(−λ) (MODEL.md §3.6)."""
    check(rules.hazard_prob, lambda lam: 1.0 - math.exp(-lam), (0.0, 0.01, math.log(2.0), 3.0))
    assert rules.hazard_prob(math.log(2.0)) == pytest.approx(0.5)


# --- §3.3 and §4: programme dropout and exposure take-up ---------------------------------------


@covers(rules.dropout_prob)
def test_dropout_prob(cfg):
    """σ(programme.dropout_logit + programme.dropout_r·(r − 0.5))."""
    check(lambda r: rules.dropout_prob(cfg, r), lambda r: sig(-1.7 + 0.9 * (r - 0.5)), R)


@covers(rules.trial_prob)
def test_trial_prob(cfg):
    """Baseline trial session: σ(baseline.trial_logit + baseline.trial_r·(r − 0.5))."""
    check(lambda r: rules.trial_prob(cfg, r), lambda r: sig(0.3 - 0.7 * (r - 0.5)), R)


@covers(rules.parallel_prob)
def test_parallel_prob(cfg):
    """Vesterbro: σ(parallel_logit + parallel_r·(r − 0.5) + parallel_h·h)."""
    check(lambda r, h: rules.parallel_prob(cfg, r, h), lambda r, h: sig(-0.2 + 1.1 * (r - 0.5) - 0.45 * h), R, H)


@covers(rules.redeem_prob)
def test_redeem_prob(cfg):
    """Vanløse gift card: σ(redeem_logit + redeem_r·(r − 0.5) + redeem_f·f)."""
    check(lambda r, f: rules.redeem_prob(cfg, r, f), lambda r, f: sig(0.4 - 1.3 * (r - 0.5) + 2.1 * f), R, F)


# --- §3.5: the handover decision ----------------------------------------------------------------


@covers(rules.citizen_utility, rules.team_utility)
def test_team_utility_is_model_utility(cfg):
    """U_j = intercept + a_j + familiarity·f_j + knows_instructor·k_j + resourcefulness·(r − 0.5)
    + habit·h + bond·s·[partner club] − facility_gap·max(0, e − q_j) − decay·w, f_j = f in the
    partner club else 0."""

    def rule(r, h, s, e, f, w, partner, knows):
        base = rules.citizen_utility(cfg, r, h, w)
        return rules.team_utility(cfg, base, -0.35, Q, e, partner, f, s, knows)

    def model(r, h, s, e, f, w, partner, knows):
        f_j = f if partner else 0.0
        return (-1.3 - 0.35 + 0.7 * f_j + 0.45 * knows + 1.9 * (r - 0.5) - 0.6 * h + 0.35 * s * partner
                - 1.25 * max(0.0, e - Q) - 0.15 * w)

    check(rule, model, R, H, S, E, F, W, (0, 1), (0, 1))


# --- §3.6: club week and lapse ------------------------------------------------------------------


@covers(rules.bond_rate)
def test_bond_rate(cfg):
    """club.bond_growth·(1 + club.cafe_bond_boost·has_cafe)."""
    check(lambda cafe: rules.bond_rate(cfg, cafe), lambda cafe: 0.04 * (1 + 2.5 * cafe), (0, 1))


def test_bond_rate_keeps_the_bond_within_one(cfg):
    """Valid values can make bond_growth·(1 + cafe_bond_boost) exceed 1 (here 3): the rate is capped
    at 1, so s never passes 1; uncapped, s ← s + 3(1 − s) alternates around 1 with growing swings
    (found by tests/engines/test_fuzz.py: s reached ±1e12 and the lapse hazard overflowed)."""
    c = apply(cfg, {"club.bond_growth": 0.5, "club.cafe_bond_boost": 5.0})
    assert rules.bond_rate(c, 1) == 1.0 and rules.bond_rate(c, 0) == 0.5
    s = 0.2
    for _ in range(40):
        s = rules.grow(s, rules.bond_rate(c, 1))
        assert 0.0 <= s <= 1.0


def _lapse_hazard(s, h, r, e, vacant, changed, small):
    """λ = lapse_base·exp(−bond·s − habit·h − resourcefulness·(r − 0.5) + facility_gap·max(0, e − q)
    + vacancy·[vacant] + change·[changed] + small·[small]) with the values of PARAMS."""
    return 0.09 * math.exp(-1.6 * s - 0.55 * h - 0.85 * (r - 0.5) + 1.35 * max(0.0, e - Q)
                           + 0.7 * vacant + 0.25 * changed + 0.4 * small)


@covers(rules.lapse_prob)
def test_lapse_prob(cfg):
    """1 − exp(−λ) with λ as MODEL.md §3.6 writes it."""
    check(lambda s, h, r, e, v, c, sm: rules.lapse_prob(cfg, s, h, r, e, Q, v, c, sm),
          lambda *x: 1.0 - math.exp(-_lapse_hazard(*x)), S, H, R, E, (0, 1), (0, 1), (0, 1))


@covers(rules.lapse_hazard, rules.lapse_citizen_term, rules.lapse_team_term)
def test_lapse_hazard_from_its_two_terms(cfg):
    """The engines cache the citizen's and the team's part of the exponent: together they are λ."""

    def rule(s, h, r, e, vacant, changed, small):
        citizen = rules.lapse_citizen_term(cfg, r, e, Q)
        team = rules.lapse_team_term(cfg, vacant, changed, small)
        return rules.lapse_hazard(cfg, s, h, citizen, team)

    check(rule, _lapse_hazard, S, H, R, E, (0, 1), (0, 1), (0, 1))
    check(lambda r, e: rules.lapse_citizen_term(cfg, r, e, Q), lambda r, e: -0.85 * (r - 0.5) + 1.35 * max(0, e - Q),
          R, E)
    check(lambda v, c, sm: rules.lapse_team_term(cfg, v, c, sm), lambda v, c, sm: 0.7 * v + 0.25 * c + 0.4 * sm,
          (0, 1), (0, 1), (0, 1))


def test_no_base_hazard_no_lapse_where_exp_overflows(cfg):
    """With lapse_base 0 nobody lapses, also where exp of the exponent overflows (float32 beyond
    88, as the vector engine computes): λ is 0, not 0·inf = NaN (found by tests/engines/test_fuzz.py)."""
    c = apply(cfg, {"club.lapse_base": 0.0, "patient.lapse_base": 0.0, "patient.bond": -800.0})
    team_term = np.float32(100.0) * np.ones(3, np.float32)
    s, h, citizen = np.zeros(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32)
    assert (rules.lapse_hazard(c, s, h, citizen, team_term) == 0).all()
    assert rules.lapse_prob(c, 0.0, 0.0, 0.5, 0.5, Q, 1, 1, 1) == 0
    assert (rules.patient_lapse_hazard(c, np.ones(3), np.array([0, 1, 1])) == 0).all()
    np.testing.assert_allclose(rules.lapse_hazard(cfg, s, h, citizen, np.float32(1.0) * np.ones(3, np.float32)),
                               0.09 * math.exp(1.0), rtol=1e-6)  # float32 in, the same λ out


# --- §3.7: team economics and closure -----------------------------------------------------------

FLAGS = (False, True)


@covers(rules.wage_due)
def test_wage_due(cfg):
    """The wage is paid only to a paid instructor, only in weeks the team meets (with its instructor)."""
    check(lambda paid, meets, instr: rules.wage_due(cfg, paid, meets, instr),
          lambda paid, meets, instr: 321.0 if paid and meets and instr else 0.0, FLAGS, FLAGS, FLAGS)


@covers(rules.team_accounts)
@pytest.mark.parametrize("municipality_pays", [False, True])
def test_team_accounts(cfg, municipality_pays):
    """balance += size·fee_week + subsidy − wage (size counts regulars); no wage from the club's
    balance under `economics.municipality_pays_wages` (docs/model.md)."""
    c = apply(cfg, {"economics.municipality_pays_wages": municipality_pays})
    for size, paid, instr in itertools.product((0, 3, 11), FLAGS, FLAGS):
        wage = 321.0 if paid and instr and not municipality_pays else 0.0
        for meets in FLAGS:  # the wage only in weeks the team meets (MODEL.md §3.7)
            due = wage if meets else 0.0
            assert rules.team_accounts(c, size, paid, instr, meets) == pytest.approx(size * 7 + 13 - due)
    sizes, paid, instr = np.array([0, 3, 11]), np.array([True, True, False]), np.array([True, False, True])
    np.testing.assert_allclose(rules.team_accounts(c, sizes, paid, instr, True),
                               sizes * 7 + 13 - (0 if municipality_pays else 321) * (paid & instr))


@covers(rules.low_size_weeks)
def test_low_size_weeks(cfg):
    """Consecutive weeks with size < team.min_size (5), counted once a citizen has ever joined."""
    check(lambda low, size, ever: rules.low_size_weeks(cfg, low, size, ever),
          lambda low, size, ever: low + 1 if ever and size < 5 else 0, (0, 2, 5), (0, 4, 5, 9), FLAGS)


@covers(rules.must_close)
def test_must_close(cfg):
    """Balance below −deficit_tolerance (250), or closure_patience_weeks (6) weeks too small."""
    check(lambda balance, low: rules.must_close(cfg, balance, low),
          lambda balance, low: balance < -250 or low >= 6, (-250.01, -250.0, 0.0, 40.0), (0, 5, 6, 7))


# --- §4b: the patient-association channel -------------------------------------------------------


@covers(rules.patient_join_prob)
def test_patient_join_prob(cfg):
    """σ(patient.intercept + resourcefulness·(r − 0.5) + bond·s + knows·[presented]
    + volunteer_run·[volunteer-run] − handover.decay·w)."""
    check(lambda r, s, p, v, w: rules.patient_join_prob(cfg, r, s, p, v, w),
          lambda r, s, p, v, w: sig(-0.9 + 1.2 * (r - 0.5) + 0.65 * s + 1.05 * p - 0.35 * v - 0.15 * w),
          R, S, (0, 1), (0, 1), W)


@covers(rules.patient_lapse_prob, rules.patient_lapse_hazard, rules.patient_member_hazard, rules.vacancy_factor)
def test_patient_lapse(cfg):
    """λ = patient.lapse_base·exp(−patient.bond·s + club.vacancy·[vacant]); p = 1 − exp(−λ)."""

    def lam(s, vacant):
        return 0.05 * math.exp(-0.65 * s + 0.7 * vacant)

    check(lambda s, v: rules.patient_lapse_hazard(cfg, s, v), lam, S, (0, 1))
    check(lambda s, v: rules.patient_lapse_prob(cfg, s, v), lambda s, v: 1.0 - math.exp(-lam(s, v)), S, (0, 1))
    check(lambda s, v: rules.patient_member_hazard(cfg, s) * rules.vacancy_factor(cfg, v), lam, S, (0, 1))
    check(lambda v: rules.vacancy_factor(cfg, v), lambda v: math.exp(0.7 * v), (0, 1))


# --- §4: exposure schedules (sim/model/policies.py) ----------------------------------------------

EXPOSURE = {"exposure.club_session": 0.11, "exposure.trial": 0.23, "exposure.visit": 0.31,
            "exposure.presentation": 0.05, "baseline.trial_week": 7, "modifiers.visit_week": 3,
            "modifiers.presentation_week": 5, "programme.weeks": 10, "vanlose.free_weeks": 3}


def exposure_config(cfg):
    c = copy.deepcopy(cfg)
    set_key(c, "modifiers.monthly_trial_weeks", [4, 9])  # within the 10 programme weeks of EXPOSURE
    return apply(c, EXPOSURE)


@pytest.mark.parametrize(("policy", "events"), [
    (policies.BASELINE, [(7, 0.23, Attend.TRIAL)]),  # one trial session, taken up with trial_prob
    (policies.AMAGER, [(w, 0.11, Attend.ALWAYS) for w in range(1, 11)]),  # every week at the club
    (policies.VESTERBRO, [(w, 0.11, Attend.PARALLEL) for w in range(1, 11)]),  # free parallel training
    (policies.VANLOSE, []),  # the gift card comes after the programme
])
def test_programme_exposures_follow_the_policy_table(cfg, policy, events):
    """MODEL.md §4: which programme weeks expose whom with which φ; modifiers add to any policy."""
    c = exposure_config(cfg)
    got = [(e.week, e.phi, e.attend) for e in policies.programme_exposures(c, policy, (False, False, False))]
    assert sorted(got) == sorted(events)
    modifiers = [(3, 0.31, Attend.ALWAYS), (5, 0.05, Attend.ALWAYS), (4, 0.23, Attend.ALWAYS), (9, 0.23, Attend.ALWAYS)]
    got = [(e.week, e.phi, e.attend) for e in policies.programme_exposures(c, policy, (True, True, True))]
    assert sorted(got) == sorted(events + modifiers)  # monthly trials in modifiers.monthly_trial_weeks


def test_monthly_trial_weeks_lie_within_the_programme(cfg):
    with pytest.raises(UserError, match="monthly_trial_weeks: week 12 is out of range: programme weeks are 1..10"):
        apply(cfg, EXPOSURE)  # the default weeks 4, 8, 12 with a 10-week programme
    for weeks in ([0, 4], [4, 4]):
        c = copy.deepcopy(cfg)
        set_key(c, "modifiers.monthly_trial_weeks", weeks)
        with pytest.raises(UserError, match="distinct programme weeks"):
            validate(c)


def test_vanlose_window_opens_after_the_free_weeks(cfg):
    c = exposure_config(cfg)
    assert [policies.window_delay(c, p) for p in range(4)] == [0, 0, 0, 3]
    assert [policies.has_gift_card(p) for p in range(4)] == [False, False, False, True]


# --- §3.1: instructor turnover and replacement (sim/model/city.py resolves them per team) -------


@covers(rules.weekly_quit_prob)
def test_weekly_quit_prob():
    """1 − (1 − T)^(1/52): over 52 weeks an instructor stays with probability 1 − T."""
    check(weekly_quit_prob, lambda t: 1.0 - (1.0 - t) ** (1.0 / 52.0), (0.0, 0.35, 0.8, 1.0))
    assert (1.0 - weekly_quit_prob(0.35)) ** 52 == pytest.approx(0.65)


@covers(rules.fill_prob)
def test_fill_prob(cfg):
    """1/R, R = replacement_weeks (paid: replacement_weeks_paid) or the association's own, times
    admin_staff_factor with admin staff; at most 1 (PARAMS: R = 5, paid 2.5, factor 0.4)."""
    for paid, own, admin in itertools.product(FLAGS, (None, 2.0, 10.0), FLAGS):
        weeks = (own or (2.5 if paid else 5.0)) * (0.4 if admin else 1.0)
        assert rules.fill_prob(cfg, paid, own, admin) == pytest.approx(min(1.0, 1.0 / weeks), rel=1e-12)


def test_team_instructor_probabilities(cfg):
    """Per team: quit from the club's (or the global) turnover; fill with 1/R, R = replacement_weeks
    (paid: replacement_weeks_paid) × admin_staff_factor where the club has admin staff, at most 1."""
    c = apply(cfg, {"city.teams.kom_i_gang.paid_instructor": True,
                    "city.associations.gymnastikforeningen_odk.turnover_annual": 0.6})
    city = build_city(c)
    team = {name: i for i, name in enumerate(city.team_names)}
    expect = {  # (turnover T, replacement weeks R) from the Copenhagen city data and PARAMS
        "b1908_football": (0.35, 5.0),  # no admin staff
        "kom_i_gang": (0.35, 2.5),  # paid instructor
        "iid_norrebro": (0.35, 5.0 * 0.4),  # admin staff
        "odk_gymnastics": (0.6, 5.0),  # the club's own turnover
    }
    for name, (turnover, weeks) in expect.items():
        assert city.team_quit_prob[team[name]] == pytest.approx(1.0 - (1.0 - turnover) ** (1 / 52))
        assert city.team_fill_prob[team[name]] == pytest.approx(min(1.0, 1.0 / weeks))
    fast = build_city(apply(c, {"instructor.replacement_weeks": 0.5}))
    assert fast.team_fill_prob[team["b1908_football"]] == 1.0


# --- the rules both engines apply (one rule, one place) -------------------------------------------


@covers(rules.session_rate)
def test_session_rate(cfg):
    """n sessions a week give 1 − (1 − η)^(n/2): exactly η at the report's 2 (docs/model.md)."""
    for n in (1, 2, 3, 5):
        c = apply(cfg, {"programme.sessions_per_week": n})
        assert rules.session_rate(c, 0.08) == pytest.approx(1 - 0.92 ** (n / 2), rel=1e-12)
    assert rules.session_rate(cfg, 0.08) == 0.08


@covers(rules.programme_week, rules.programme_end, rules.completes)
def test_programme_weeks(cfg):
    """Programme weeks 1…12 from start_week (§3.3); programme end start + 12; the last week completes."""
    check(rules.programme_week, lambda week, start: week - start + 1, (6, 17), (6, 10))
    check(lambda start: rules.programme_end(cfg, start), lambda start: start + 12, (0, 6, 30))
    check(lambda k: rules.completes(cfg, k), lambda k: k == 12, (1, 11, 12))


@covers(rules.window_closes)
def test_window_closes(cfg):
    """A window of window_weeks (4) weeks, w = 0 … 3, closes at the end of w = 3 (§3.5)."""
    check(lambda w: rules.window_closes(cfg, w), lambda w: w >= 3, (-2, 0, 2, 3))


@covers(rules.bond_on_joining)
def test_bond_on_joining(cfg):
    """s ← club.bond_carry·s on a partner-club team, else 0 (§3.5)."""
    c = apply(cfg, {"club.bond_carry": 0.35})
    check(lambda s, partner: rules.bond_on_joining(c, s, partner), lambda s, partner: 0.35 * s if partner else 0.0,
          S, FLAGS)


@covers(rules.opens_sister)
def test_opens_sister(cfg):
    """Turned away ≥ team.open_threshold (3 here), a dormant sister left and a non-empty pool (§3.5b)."""
    c = apply(cfg, {"team.open_threshold": 3})
    check(lambda n, left, pool: rules.opens_sister(c, n, left, pool),
          lambda n, left, pool: n >= 3 and left and pool > 0, (2, 3, 7), FLAGS, (0, 1))


@covers(rules.team_size, rules.free_capacity, rules.transfer_targets, rules.is_small)
def test_sizes_and_capacity(cfg):
    """Size counts regulars; free capacity = capacity − size, 0 when not open; transfer targets are
    the siblings with free capacity; small is size < team.min_size (5)."""
    check(rules.team_size, lambda regulars, members: regulars + members, (0, 3), (0, 4))
    check(rules.free_capacity, lambda cap, size, is_open: cap - size if is_open else 0, (6, 20), (2, 6), FLAGS)
    check(lambda size: rules.is_small(cfg, size), lambda size: size < 5, (0, 4, 5, 9))
    free = np.array([0, 3, 0, 1, 5])
    assert rules.transfer_targets(np.array([0, 1, 2, 3]), free).tolist() == [1, 3]


@covers(rules.meets, rules.changed_until, rules.is_changed)
def test_meeting_weeks_and_changed_flag(cfg):
    """Meets every meeting_interval_weeks weeks from week 0; `changed` for continuity_weeks (7 here)."""
    check(rules.meets, lambda week, interval: week % interval == 0, (0, 3, 4, 8), (1, 2, 4))
    c = apply(cfg, {"instructor.continuity_weeks": 7})
    check(lambda week: rules.changed_until(c, week), lambda week: week + 7, (0, 10))
    check(rules.is_changed, lambda week, until: week < until, (9, 16, 17), (17,))


@covers(rules.course_end)
def test_course_end():
    """A course member leaves in week join + course_weeks; a standing offer (0) never ends."""
    check(rules.course_end, lambda join, weeks: join + weeks if weeks else rules.NEVER, (0, 14), (0, 12))


@covers(rules.sees_presentation)
def test_sees_presentation(cfg):
    """Presented in programme week patient.presentation_week (8 here), by a key person who is there."""
    c = apply(cfg, {"patient.presentation_week": 8})
    check(lambda k, staffed: rules.sees_presentation(c, k, staffed), lambda k, staffed: k == 8 and staffed,
          (7, 8, 9), FLAGS)


@covers(rules.wage_is_due)
def test_wage_is_due():
    """The wage is due for a paid instructor who is there, in a meeting week (§3.7)."""
    check(rules.wage_is_due, lambda paid, meets, there: paid and meets and there, FLAGS, FLAGS, FLAGS)

