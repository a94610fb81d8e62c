"""The cost model: the engines and the intake plan COUNT activities, this module prices them.

Both engines keep the same per-replication, per-centre counters (`ENGINE_COUNTS`, added where the
activity happens: a parallel session attended, a gift card redeemed, a trial session taken up, an
open team-week with its members, regulars and wage). What follows from the intake plan alone
(programme sessions at the centre or in a club, trial sessions held, coordination weeks, the
instructors trained up front) is counted here from `sim.model.population.plan`; instructor replacements
come from the teams' instructor changes. `price` turns all counts into DKK by item with the unit
costs of `costs.*` (conf/costs/copenhagen.yaml) and the four MODEL.md prices
(`vesterbro.price_session`, `vanlose.card_value`, `economics.subsidy_week`, `economics.wage_week`).

Municipal cost items (`ITEMS`; summary columns `cost_<item>`, their sum is `cost_municipality`):

    centre_sessions      centre staff and hall for programme sessions held at the centre
    club_sessions        centre staff for programme sessions held in a club (Amager)
    coleading            fee to the club per hosted session, its instructor co-leading (Amager)
    parallel_sessions    Vesterbro: per parallel club session attended
    gift_cards           Vanløse: per redeemed gift card
    trial_sessions       per trial session held for a cohort (baseline trial, monthly trials)
    instructor_training  per trained club instructor (listed teams + pool up front, replacements)
    subsidies            economics.subsidy_week per open team-week
    wages                instructor wages, when economics.municipality_pays_wages
    coordination         per centre-week with citizens in the programme or deciding

The club side is kept apart (`CLUB_ITEMS`, summary columns `club_<item>`): fees from members and
regulars, payments received from the municipality (subsidies, wages, co-leading, trial and
parallel sessions, gift cards) and wages the clubs pay themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sim.model import policies, rules
from sim.model.city import City
from sim.model.config import MODIFIERS, SimConfig
from sim.model.population import Plan

# Counted by both engines, per replication and centre (a team counts at its centre).
ENGINE_COUNTS = (
    "parallel_sessions",  # Vesterbro parallel club sessions attended
    "gift_cards",  # Vanløse gift cards redeemed
    "trial_takeups",  # baseline trial sessions attended (take-ups)
    "team_weeks",  # open sports team-weeks (step 7)
    "wage_weeks",  # team-weeks with a paid instructor present: a wage is due
    "member_weeks",  # handed-over citizens on open teams, summed over weeks (fees)
    "regular_weeks",  # regular members on open teams, summed over weeks (fees)
)
# Counted from the intake plan and the teams table, per centre.
PLAN_COUNTS = ("centre_sessions", "club_sessions", "trial_sessions", "coordination_weeks")
ITEMS = ("centre_sessions", "club_sessions", "coleading", "parallel_sessions", "gift_cards", "trial_sessions",
         "instructor_training", "subsidies", "wages", "coordination")
CLUB_ITEMS = ("fees", "municipal_payments", "wages_paid", "net")
# Shown where no centre owns the cost: the instructor pool trained up front for sister teams.
CITY_WIDE = "(city-wide)"
# The unit costs behind the items: config key, what one unit is, source tag (conf/costs/*.yaml).
UNIT_COSTS = (
    ("costs.centre_session_staff", "centre staff per programme session at the centre", "assumed"),
    ("costs.centre_session_hall", "the centre's hall per programme session at the centre", "assumed"),
    ("costs.club_session_staff", "centre staff per programme session in a club (one trainer, travel)",
     "seed: one trainer; assumed: amount"),
    ("costs.coleading_fee", "paid to the club per session it hosts, its instructor co-leading", "assumed"),
    ("costs.trial_session", "paid to the club per trial session held for a cohort", "assumed"),
    ("costs.instructor_training", "per trained club instructor (34 trained in 2012-13)",
     "seed: 34 trained; assumed: amount"),
    ("costs.coordination_week", "handover coordination per centre-week", "assumed"),
    ("vesterbro.price_session", "paid to the club per parallel session attended (Vesterbro)", "assumed"),
    ("vanlose.card_value", "per redeemed gift card (Vanløse)", "assumed"),
    ("economics.subsidy_week", "subsidy per open team per week", "assumed"),
    ("economics.wage_week", "instructor wage per week (the municipality's cost only with "
     "economics.municipality_pays_wages)", "assumed"),
)
# What the report's DKK 4 million covered that the model does not price (docs/model.md, Costs).
NOT_MODELLED = ("project management and the sports federations' and patient associations' project staff "
                "(DGI, DIF, DFIF, the four associations)", "training the 26 patient-association volunteers and "
                "running their offerings", "the evaluation (115 telephone interviews, focus groups, seminars)",
                "flyers, information and materials", "club administration of paid instructors")


def engine_counts(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Zeroed counters: (replications, centres) for the vector engine, (centres,) for one model."""
    return {name: np.zeros(shape) for name in ENGINE_COUNTS}


def team_week(paid, has_instructor, members, regulars, meets) -> dict:
    """What one open team-week counts (scalars or arrays): the rule both engines apply at step 7.
    A wage is due when the team has a paid instructor who is there, in its meeting weeks."""
    return {"team_weeks": 1, "wage_weeks": rules.wage_is_due(paid, meets, has_instructor), "member_weeks": members,
            "regular_weeks": regulars}


def plan_counts(cfg: SimConfig, city: City, plan: Plan) -> dict[str, np.ndarray]:
    """Per centre: programme sessions at the centre and in a club, trial sessions held and
    coordination weeks, all within the horizon. A cohort holds `sessions_per_week` sessions in
    each programme week (whoever attends); under Amager one of them is in the club. A trial
    session is held for a baseline cohort in `baseline.trial_week` and, with monthly trials, in each
    of `modifiers.monthly_trial_weeks` (extra club sessions, not replacing programme sessions)."""
    weeks, per_week, horizon = cfg.programme.weeks, cfg.programme.sessions_per_week, cfg.run.horizon_weeks
    first = np.unique(np.stack([plan.centre, plan.cohort]), axis=1, return_index=True)[1]
    centre, start, policy = plan.centre[first], plan.start_week[first].astype(int), plan.policy[first]
    held = np.clip(horizon - start, 0, weeks)  # programme weeks held before the horizon
    in_club = np.where(policy == policies.AMAGER, held, 0)  # one session a week (the only one if 1)
    trials = (policy == policies.BASELINE) & (cfg.baseline.trial_week <= held)
    monthly = city.centre_modifiers[centre, MODIFIERS.index("monthly_trial")]
    trials = trials + monthly * sum((w <= held).astype(int) for w in cfg.modifiers.monthly_trial_weeks)
    # Coordination: from the centre's first intake to the last decision window's close.
    delay = np.array([policies.window_delay(cfg, int(p)) for p in policy])
    last = np.minimum(start + weeks + delay + cfg.handover.window_weeks, horizon)

    def by_centre(values: np.ndarray) -> np.ndarray:
        return np.bincount(centre, weights=values, minlength=city.n_centres)

    span = np.zeros(city.n_centres)
    for c in range(city.n_centres):
        mine = centre == c
        if mine.any():
            span[c] = max(0, last[mine].max() - start[mine].min())
    return {"centre_sessions": by_centre(held * per_week - in_club), "club_sessions": by_centre(in_club),
            "trial_sessions": by_centre(trials.astype(float)), "coordination_weeks": span}


def instructors_trained(cfg: SimConfig, city: City, teams: Mapping[str, np.ndarray]) -> np.ndarray:
    """(replications, centres + 1): instructors trained, by the centre of their team; the last
    column is the pool trained up front for sister teams (CITY_WIDE). Listed teams' instructors
    are trained up front; every later instructor change is a new instructor to train, except a
    sister team's first, who comes from the pool (`teams`: RawRun.teams arrays)."""
    n_reps = teams["instructor_changes"].shape[0]
    sister_firsts = teams["opened"] & city.team_is_sister
    trained = teams["instructor_changes"] - sister_firsts + ~city.team_is_sister  # listed: + the first
    per_centre = np.zeros((n_reps, city.n_centres + 1))
    for c in range(city.n_centres):
        per_centre[:, c] = trained[:, city.team_centre == c].sum(axis=1)
    per_centre[:, -1] = cfg.instructor.pool
    return per_centre


def price(cfg: SimConfig, counts: Mapping[str, np.ndarray], plan: Mapping[str, np.ndarray],
          trained: np.ndarray) -> dict[str, np.ndarray]:
    """Municipal cost (DKK) by item and the club side, each (replications, centres + 1): the last
    column is CITY_WIDE. `counts`: ENGINE_COUNTS (R, C); `plan`: plan_counts (C,); `trained`:
    instructors_trained (R, C + 1)."""
    k, econ = cfg.costs, cfg.economics
    n_reps = trained.shape[0]

    def wide(x: np.ndarray) -> np.ndarray:  # (R, C) or (C,) -> (R, C + 1), nothing city-wide
        x = np.broadcast_to(np.asarray(x, float), (n_reps, trained.shape[1] - 1))
        return np.concatenate([x, np.zeros((n_reps, 1))], axis=1)

    wage_weeks = wide(counts["wage_weeks"])
    municipal_wages = wage_weeks * econ.wage_week if econ.municipality_pays_wages else 0 * wage_weeks
    cost = {
        "centre_sessions": wide(plan["centre_sessions"]) * (k.centre_session_staff + k.centre_session_hall),
        "club_sessions": wide(plan["club_sessions"]) * k.club_session_staff,
        "coleading": wide(plan["club_sessions"]) * k.coleading_fee,
        "parallel_sessions": wide(counts["parallel_sessions"]) * cfg.vesterbro.price_session,
        "gift_cards": wide(counts["gift_cards"]) * cfg.vanlose.card_value,
        "trial_sessions": wide(plan["trial_sessions"]) * k.trial_session,
        "instructor_training": trained * k.instructor_training,
        "subsidies": wide(counts["team_weeks"]) * econ.subsidy_week,
        "wages": municipal_wages,
        "coordination": wide(plan["coordination_weeks"]) * k.coordination_week,
    }
    assert tuple(cost) == ITEMS
    fees = wide(counts["member_weeks"] + counts["regular_weeks"]) * econ.fee_week
    received = sum(cost[i] for i in ("coleading", "parallel_sessions", "gift_cards", "trial_sessions", "subsidies",
                                     "wages"))
    wages_paid = wage_weeks * econ.wage_week - municipal_wages
    club = {"fees": fees, "municipal_payments": received, "wages_paid": wages_paid,
            "net": fees + received - wages_paid}
    return {**{f"cost_{i}": v for i, v in cost.items()}, **{f"club_{i}": v for i, v in club.items()}}


def table(priced: Mapping[str, np.ndarray], replication: np.ndarray, centres: list[str]) -> pd.DataFrame:
    """Long table of `price`'s output: replication, centre (CITY_WIDE last), one column per item."""
    n_reps, width = next(iter(priced.values())).shape
    frame = pd.DataFrame({name: v.reshape(-1) for name, v in priced.items()})
    frame.insert(0, "centre", np.tile(np.asarray([*centres, CITY_WIDE], dtype=object), n_reps))
    frame.insert(0, "replication", np.repeat(replication, width))
    return frame
