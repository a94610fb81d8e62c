"""The model's equations and rules (MODEL.md §3-§4), written once for both engines.

Each function is plain numpy arithmetic, so it takes scalars (agent engine) or arrays (vector
engine) alike, and so does `cfg`: the vector engine passes a config whose varying knobs are read
at the replication of each citizen or team (sim.model.values). Names and coefficients follow
MODEL.md; `r`, `h`, `s`, `e`, `f` are a citizen's resourcefulness, habit, bond, expectation and
familiarity. Weeks are absolute (0 … horizon − 1);
programme weeks are numbered 1 … `programme.weeks` from the citizen's start week (MODEL.md §3.3).
"""

from __future__ import annotations

import numpy as np

from sim.model.config import SimConfig

NEVER = 2**30  # a week that never comes (an event of probability 0, a course that does not end)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def grow(x, rate):
    """x <- x + rate (1 - x): habit, bond and familiarity all approach 1 this way."""
    return x + rate * (1.0 - x)


# --- the programme (MODEL.md §3.3-§3.4) ---------------------------------------------------------

# The programme's weekly habit and bond growth are given for this many sessions a week, the
# report's programme (MODEL.md §8: `programme.sessions_per_week` 2).
REFERENCE_SESSIONS = 2


def session_rate(cfg: SimConfig, rate):
    """A weekly programme rate for `programme.sessions_per_week` = n sessions (docs/model.md).

    `rate` is the week's growth at the reference 2 sessions; each session gives the same dose, so
    n sessions give `x ← x + η_n(1−x)` with `η_n = 1 − (1 − rate)^(n/2)` (exactly `rate` at n = 2).
    """
    n = cfg.programme.sessions_per_week
    if n == REFERENCE_SESSIONS:  # exact: 1 - (1 - rate) may differ from rate in the last bit
        return rate
    return 1.0 - (1.0 - rate) ** (n / REFERENCE_SESSIONS)


def programme_week(week, start_week):
    """"Programme weeks are numbered 1…12 from the citizen's `start_week`" (MODEL.md §3.3)."""
    return week - start_week + 1


def programme_end(cfg: SimConfig, start_week):
    """"The citizen's *programme end* is `start_week + programme.weeks`" (MODEL.md §3.4)."""
    return start_week + cfg.programme.weeks


def completes(cfg: SimConfig, week_of_programme):
    """"Citizens attending their last programme week move to `deciding`" (MODEL.md §3.4)."""
    return week_of_programme == cfg.programme.weeks


def sees_presentation(cfg: SimConfig, week_of_programme, staffed):
    """"the associations present themselves at the centre in programme week
    `patient.presentation_week` … attending eligible citizens then know the offering" (MODEL.md §4b),
    presented by the offering's key person: not in a week its volunteer post is vacant (`staffed`
    false; docs/model.md)."""
    return (week_of_programme == cfg.patient.presentation_week) & staffed


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


def team_utility(cfg: SimConfig, base, attractiveness, facility_quality, e, partner_club, f, s, knows_instructor):
    """U_j = base + a_j + familiarity·f_j + knows_instructor·k_j + bond·s·[partner] - facility_gap·gap.

    `partner_club` and `knows_instructor` are 0/1; f and s count only for teams of the partner club.
    """
    ho = cfg.handover
    return (
        base
        + attractiveness
        + partner_club * (ho.familiarity * f + ho.bond * s)
        + ho.knows_instructor * knows_instructor
        - ho.facility_gap * np.maximum(0.0, e - facility_quality)
    )


def window_closes(cfg: SimConfig, waited):
    """"After the window closes the citizen is `not_handed_over`" (MODEL.md §3.5): the window has
    `handover.window_weeks` weeks, w = 0 … window_weeks − 1, so it closes at the end of week
    w = `window_weeks − 1` (both channels)."""
    return waited >= cfg.handover.window_weeks - 1


def bond_on_joining(cfg: SimConfig, s, partner_club):
    """"On joining, s ← `club.bond_carry`·s if the team is in the partner club, else 0" (MODEL.md §3.5)."""
    return np.where(partner_club, cfg.club.bond_carry * s, 0.0)


def opens_sister(cfg: SimConfig, turned_away, dormant_left, pool):
    """MODEL.md §3.5b: a listed team gets a dormant sister "when the choosers it turned away this
    week … number at least `team.open_threshold` and the instructor pool is not empty" (and it has
    a dormant sister left)."""
    return (turned_away >= cfg.team.open_threshold) & dormant_left & (pool > 0)


# --- instructors and volunteers (MODEL.md §3.1) --------------------------------------------------


def weekly_quit_prob(turnover_annual):
    """Weekly probability that an instructor or volunteer quits, from an annual turnover T:
    1 - (1 - T)^(1/52) (MODEL.md §3.1)."""
    return 1.0 - (1.0 - turnover_annual) ** (1.0 / 52.0)


def fill_prob(cfg: SimConfig, paid: bool, own_replacement_weeks: float | None, has_admin_staff: bool):
    """Weekly probability that a vacancy is filled: min(1, 1/R) (MODEL.md §3.1), for one association
    (an array over replications where the config holds per-replication values). R is the
    association's own replacement time if it sets one, else `instructor.replacement_weeks` (paid
    instructors: `replacement_weeks_paid`), times
    `instructor.admin_staff_factor` where the association has admin staff."""
    weeks = cfg.instructor.replacement_weeks_paid if paid else cfg.instructor.replacement_weeks
    if own_replacement_weeks is not None:
        weeks = own_replacement_weeks
    if has_admin_staff:
        weeks *= cfg.instructor.admin_staff_factor
    return np.where(weeks <= 1.0, 1.0, 1.0 / np.maximum(weeks, 1.0))  # no division by an R that underflowed to 0


# --- teams and offerings (MODEL.md §2-§3) -------------------------------------------------------


def team_size(regulars, members):
    """A team's size counts its `team.regulars` regular members (MODEL.md §2): regulars + members."""
    return regulars + members


def free_capacity(capacity, size, is_open=True):
    """""Free capacity" = capacity − size (regulars included)" (MODEL.md §3.5); 0 for a team that is
    not open."""
    return np.where(is_open, capacity - size, 0)


def transfer_targets(siblings, free):
    """On closure a member may move "to an open team of the same association at the same centre
    that still has free capacity" (MODEL.md §3.7): of `siblings` (those teams' indices), the ones
    whose `free` (every team's free capacity, `free_capacity`) is above 0."""
    return siblings[np.asarray(free)[siblings] > 0]


def meets(week, interval):
    """Whether a team or offering meets in `week`: every `meeting_interval_weeks` weeks from week 0
    ("1 = weekly; 4 = monthly café", MODEL.md §2)."""
    return week % interval == 0


def changed_until(cfg: SimConfig, week):
    """"A new instructor marks the team `changed` for `instructor.continuity_weeks`" (MODEL.md §3.1):
    changed in the weeks before the week returned (hired in `week`)."""
    return week + cfg.instructor.continuity_weeks


def is_changed(week, until):
    """The `changed` flag of a team in `week` ("A new instructor marks the team `changed` for
    `instructor.continuity_weeks`", MODEL.md §3.1), given `changed_until` of its latest hire."""
    return week < until


def is_small(cfg: SimConfig, size):
    """The `small` flag: "size < `team.min_size`", size counting regulars (MODEL.md §3.6-§3.7)."""
    return size < cfg.team.min_size


def course_end(join_week, course_weeks):
    """A course member leaves in week `join + course_weeks` with reason `course_completed`
    (MODEL.md §4b, `course_weeks`); a standing offer (course_weeks 0) never ends (NEVER)."""
    return np.where(course_weeks > 0, join_week + course_weeks, NEVER)


def bond_rate(cfg: SimConfig, cafe):
    """Weekly bond growth on a club team; a café strengthens the bonds (MODEL.md §3.6). At most 1:
    a larger rate would carry `grow` past 1 (and beyond 2 make the bond diverge), where 1 means
    the bond is complete within the week."""
    return np.minimum(1.0, cfg.club.bond_growth * (1.0 + cfg.club.cafe_bond_boost * cafe))


def lapse_citizen_term(cfg: SimConfig, r, e, facility_quality):
    """The part of a member's lapse exponent that stays fixed while on one team."""
    c = cfg.club
    return -c.resourcefulness * (r - 0.5) + c.facility_gap * np.maximum(0.0, e - facility_quality)


def lapse_team_term(cfg: SimConfig, vacant, changed, small):
    """The part of the lapse exponent that is the team's this week (0/1 flags)."""
    c = cfg.club
    return c.vacancy * vacant + c.change * changed + c.small * small


def _scaled_exp(base, exponent):
    """base·exp(exponent), exactly 0 where base is 0: 0·exp(x) would be NaN where exp(x) overflows
    (beyond x ≈ 88 in the vector engine's float32)."""
    if np.ndim(base) == 0:
        return np.zeros_like(exponent) if base == 0.0 else base * np.exp(exponent)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(base == 0.0, 0.0, base * np.exp(exponent))


def lapse_hazard(cfg: SimConfig, s, h, citizen_term, team_term):
    """Weekly lapse hazard λ of a club member from bond, habit and the two terms above."""
    c = cfg.club
    return _scaled_exp(c.lapse_base, citizen_term + team_term - c.bond * s - c.habit * h)


def lapse_prob(cfg: SimConfig, s, h, r, e, facility_quality, vacant, changed, small):
    """Weekly lapse probability 1 - exp(-λ) of a club member (MODEL.md §3.6)."""
    return hazard_prob(lapse_hazard(cfg, s, h, lapse_citizen_term(cfg, r, e, facility_quality),
                                    lapse_team_term(cfg, vacant, changed, small)))


def hazard_prob(lam):
    """The probability 1 - exp(-λ) of leaving in a week with hazard λ."""
    return -np.expm1(-lam)


def wage_is_due(paid, meets, has_instructor):
    """"wage only for paid instructors, only in weeks the team meets" (MODEL.md §3.7), with its
    instructor there."""
    return paid & meets & has_instructor


def wage_due(cfg: SimConfig, paid, meets, has_instructor):
    """The week's wage of a team: `economics.wage_week` when `wage_is_due`."""
    return cfg.economics.wage_week * wage_is_due(paid, meets, has_instructor)


def team_accounts(cfg: SimConfig, size, paid, has_instructor, meets):
    """Step 7 for an open team: the change of its balance this week.

    `balance += members·economics.fee_week + subsidy − wage` (MODEL.md §3.7): fees count regulars
    (`size`); the subsidy is the municipality's; the wage (`wage_due`, in weeks the team `meets`)
    is the club's unless `economics.municipality_pays_wages`. (What the municipality pays is
    priced by sim.model.costs from the engines' counts.)"""
    econ = cfg.economics
    wage = 0.0 if econ.municipality_pays_wages else wage_due(cfg, paid, meets, has_instructor)
    return size * econ.fee_week + econ.subsidy_week - wage


def low_size_weeks(cfg: SimConfig, low_weeks, size, ever_joined):
    """"consecutive weeks with a size (regulars included) below `team.min_size`, counted once a
    handed-over citizen has ever joined it" (MODEL.md §3.7)."""
    return (low_weeks + 1) * (ever_joined & is_small(cfg, size))


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
