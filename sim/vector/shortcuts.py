"""The assumptions behind the vector engine's shortcuts, checked so that a model change that breaks
one fails loudly instead of making the engines disagree quietly.

The vector engine samples the model of sim.model.rules without stepping every weekly coin
(docs/model.md, Randomness): it draws waiting times where a weekly probability is constant, sums
hazards against exponential clocks, freezes a decider's team weights when its window opens and
groups teams of equal utility. Each shortcut relies on the form of some equations in sim.rules; `check`
verifies those forms once per block (cheap: a few scalar evaluations and signatures). The engine
checks the rest where it happens (`require` at the spot), outside its per-member loops.
"""

from __future__ import annotations

import inspect

import numpy as np

from sim.model import rules
from sim.model.config import SimConfig


def require(condition: object, shortcut: str) -> None:
    """Raise AssertionError (also under `python -O`) naming the shortcut whose assumption broke."""
    if not bool(np.all(condition)):
        raise AssertionError(f"vector engine shortcut no longer valid: {shortcut}")


def _inputs(function, *names: str) -> None:
    """The shortcut relies on `function` depending on `names` (after cfg) only."""
    got = tuple(inspect.signature(function).parameters)[1:]
    require(got == names, f"rules.{function.__name__} takes {got}, the shortcut assumes {names}")


def check(cfg: SimConfig) -> None:
    """Verify, for `cfg`, the equation forms the vector engine's shortcuts rely on."""
    # Dropout week drawn once at intake (geometric): the weekly dropout probability depends only on
    # r, which does not change in the programme.
    _inputs(rules.dropout_prob, "r")
    # Team choice as a logit over groups of teams with equal utility, grouped by (attractiveness,
    # facility_quality, partner club, partner team): nothing else about a team enters its utility.
    _inputs(rules.team_utility, "base", "attractiveness", "facility_quality", "e", "partner_club", "f", "s",
            "knows_instructor")
    # Decider weights frozen when the window opens: the weeks waited enter only through the
    # citizen's part `base`, which team_utility adds as is (so it moves into the outside weight).
    r, h, e, f, s = 0.3, 0.4, 0.7, 0.2, 0.5
    for w in range(cfg.handover.window_weeks):
        base = rules.citizen_utility(cfg, r, h, w)
        for attractiveness, facility_quality, partner, knows in ((0.0, 0.6, 1, 1), (1.0, 0.3, 0, 0)):
            u = rules.team_utility(cfg, base, attractiveness, facility_quality, e, partner, f, s, knows)
            u0 = rules.team_utility(cfg, 0.0, attractiveness, facility_quality, e, partner, f, s, knows)
            require(np.isclose(u - u0, base), "team_utility must add the citizen's utility (and its decay) as is")
    # Sports lapses as exponential clocks: the weekly lapse probability is 1 - exp(-λ) with λ the
    # product of the member's fixed part (lapse_citizen_term) and the week's terms (lapse_hazard).
    _inputs(rules.lapse_citizen_term, "r", "e", "facility_quality")
    for vacant, changed, small in ((0, 0, 0), (1, 1, 1), (1, 0, 1)):
        p = rules.lapse_prob(cfg, s, h, r, e, 0.4, vacant, changed, small)
        lam = rules.lapse_hazard(cfg, s, h, rules.lapse_citizen_term(cfg, r, e, 0.4),
                                 rules.lapse_team_term(cfg, vacant, changed, small))
        require(np.isclose(p, rules.hazard_prob(lam)), "lapse_prob must be 1 - exp(-lapse_hazard)")
    # Patient lapses against a threshold fixed on joining: the hazard in a meeting week is the
    # member's own (bond at programme end, fixed) times the offering's vacancy factor.
    _inputs(rules.patient_member_hazard, "s")
    for vacant in (0, 1):
        lam = rules.patient_member_hazard(cfg, s) * rules.vacancy_factor(cfg, vacant)
        require(np.isclose(rules.patient_lapse_prob(cfg, s, vacant), rules.hazard_prob(lam)),
                "patient_lapse_prob must be 1 - exp(-member hazard x vacancy factor)")
