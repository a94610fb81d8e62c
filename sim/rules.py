"""The model's equations (MODEL.md §3-§4), written once for both engines.

Each function is plain numpy arithmetic, so it takes scalars (agent engine) or arrays (vector
engine) alike. Names and coefficients follow MODEL.md; `r`, `h`, `s`, `e`, `f` are a citizen's
resourcefulness, habit, bond, expectation and familiarity.
"""

from __future__ import annotations

import numpy as np

from sim.config import SimConfig


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def grow(x, rate):
    """x <- x + rate (1 - x): habit, bond and familiarity all approach 1 this way."""
    return x + rate * (1.0 - x)


def dropout_prob(cfg: SimConfig, r):
    p = cfg.programme
    return sigmoid(p.dropout_logit + p.dropout_r * (r - 0.5))


def trial_prob(cfg: SimConfig, r):
    b = cfg.baseline
    return sigmoid(b.trial_logit + b.trial_r * (r - 0.5))


def parallel_prob(cfg: SimConfig, r, h):
    v = cfg.vesterbro
    return sigmoid(v.parallel_logit + v.parallel_r * (r - 0.5) + v.parallel_h * h)


def redeem_prob(cfg: SimConfig, r, f):
    v = cfg.vanlose
    return sigmoid(v.redeem_logit + v.redeem_r * (r - 0.5) + v.redeem_f * f)


def citizen_utility(cfg: SimConfig, r, h, w):
    """The part of every team's utility that depends on the citizen only."""
    ho = cfg.handover
    return ho.intercept + ho.resourcefulness * (r - 0.5) + ho.habit * h - ho.decay * w


def team_utility(cfg: SimConfig, base, attract, quality, e, partner_club, f, s, knows):
    """U_j = base + a_j + familiarity·f_j + knows_instructor·k_j + bond·s·[partner] - facility_gap·gap.

    `partner_club` and `knows` are 0/1; f and s count only for teams of the partner club.
    """
    ho = cfg.handover
    return (
        base
        + attract
        + partner_club * (ho.familiarity * f + ho.bond * s)
        + ho.knows_instructor * knows
        - ho.facility_gap * np.maximum(0.0, e - quality)
    )


def bond_rate(cfg: SimConfig, cafe):
    """Weekly bond growth on a club team; a café strengthens the bonds (MODEL.md §3.6). At most 1:
    a larger rate would carry `grow` past 1 (and beyond 2 make the bond diverge), where 1 means
    the bond is complete within the week."""
    return np.minimum(1.0, cfg.club.bond_growth * (1.0 + cfg.club.cafe_bond_boost * cafe))


def lapse_citizen_term(cfg: SimConfig, r, e, quality):
    """The part of a member's lapse exponent that stays fixed while on one team."""
    c = cfg.club
    return -c.resourcefulness * (r - 0.5) + c.facility_gap * np.maximum(0.0, e - quality)


def lapse_team_term(cfg: SimConfig, vacant, changed, small):
    """The part of the lapse exponent that is the team's this week (0/1 flags)."""
    c = cfg.club
    return c.vacancy * vacant + c.change * changed + c.small * small


def _scaled_exp(base: float, exponent):
    """base·exp(exponent), exactly 0 when base is 0: 0·exp(x) would be NaN where exp(x) overflows
    (beyond x ≈ 88 in the vector engine's float32)."""
    return np.zeros_like(exponent) if base == 0.0 else base * np.exp(exponent)


def lapse_hazard(cfg: SimConfig, s, h, citizen_term, team_term):
    """Weekly lapse hazard λ of a club member from bond, habit and the two terms above."""
    c = cfg.club
    return _scaled_exp(c.lapse_base, citizen_term + team_term - c.bond * s - c.habit * h)


def lapse_prob(cfg: SimConfig, s, h, r, e, quality, vacant, changed, small):
    """Weekly lapse probability 1 - exp(-λ) of a club member (MODEL.md §3.6)."""
    return hazard_prob(lapse_hazard(cfg, s, h, lapse_citizen_term(cfg, r, e, quality),
                                    lapse_team_term(cfg, vacant, changed, small)))


def hazard_prob(lam):
    """The probability 1 - exp(-λ) of leaving in a week with hazard λ."""
    return -np.expm1(-lam)


def wage_due(cfg: SimConfig, paid, meets, has_instructor):
    """A paid instructor's wage is due in weeks the team meets with its instructor."""
    return cfg.economics.wage_week * (paid & meets & has_instructor)


def team_accounts(cfg: SimConfig, size, paid, has_instructor):
    """Step 7 for an open team: the change of its balance this week.

    Fees count regulars (`size`); the subsidy is the municipality's; the wage is the club's unless
    `economics.municipality_pays_wages`. Sports teams meet every week. (What the municipality
    pays is priced by sim.costs from the engines' counts.)"""
    econ = cfg.economics
    wage = 0.0 if econ.municipality_pays_wages else wage_due(cfg, paid, True, has_instructor)
    return size * econ.fee_week + econ.subsidy_week - wage


def low_size_weeks(cfg: SimConfig, low_weeks, size, ever_joined):
    """Consecutive weeks below `team.min_size`, counted once a handed-over citizen has ever joined."""
    return (low_weeks + 1) * (ever_joined & (size < cfg.team.min_size))


def must_close(cfg: SimConfig, balance, low_weeks):
    """A team closes in deficit beyond the tolerance, or after too many weeks too small."""
    return (balance < -cfg.economics.deficit_tolerance) | (low_weeks >= cfg.team.closure_patience_weeks)


def patient_join_prob(cfg: SimConfig, r, s, presented, volunteer_run, w):
    """Binary logit of joining the patient-association offering one is eligible for (MODEL.md §4b).

    `s` is the bond at programme end (the group the citizen comes from), so the two channels stay
    independent: joining a club team this week does not change the patient decision.
    """
    p = cfg.patient
    u = (p.intercept + p.resourcefulness * (r - 0.5) + p.bond * s + p.knows * presented
         + p.volunteer_run * volunteer_run - cfg.handover.decay * w)
    return sigmoid(u)


def patient_lapse_hazard(cfg: SimConfig, s, vacant):
    """Lapse hazard λ in a meeting week of a patient-association offering (MODEL.md §4b): the
    member's own hazard times the offering's vacancy factor."""
    return patient_member_hazard(cfg, s) * vacancy_factor(cfg, vacant)


def patient_member_hazard(cfg: SimConfig, s):
    """The member's part of the patient-offering lapse hazard (bond at programme end)."""
    return _scaled_exp(cfg.patient.lapse_base, -cfg.patient.bond * s)


def vacancy_factor(cfg: SimConfig, vacant):
    """How a vacant volunteer post multiplies a patient-offering lapse hazard."""
    return np.exp(cfg.club.vacancy * vacant)


def patient_lapse_prob(cfg: SimConfig, s, vacant):
    """Lapse probability 1 - exp(-λ) in a meeting week of a patient-association offering."""
    return hazard_prob(patient_lapse_hazard(cfg, s, vacant))
