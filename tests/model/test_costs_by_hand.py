"""Known answers for the cost code both engines share (sim.model.costs, rules.team_accounts): every
fee, wage, subsidy, payment and balance of a tiny city, counted by hand below — not with the code's
formulas — and compared with what each engine reports.

The tiny city (written to ./conf/city/tiny.yaml, where `city=tiny` finds it) has two centres with one
cohort of 4 citizens each, starting in week 0, and one team each:

- Nord runs the Amager model with `paid_biweekly`: a paid instructor, training every other week
  (weeks 0, 2, 4, ...), the Amager co-leading in all 12 programme weeks;
- Syd runs the baseline model with `weekly`: a volunteer instructor, training every week, one trial
  session (programme week 11).

The dynamics are made certain: nobody drops out, every completer joins its centre's one team in the
first week of its window (week 12), nobody lapses, instructors never quit, no sister teams (an empty
pool). The horizon is 20 weeks (0 … 19).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import sim
from tests.conftest import MECHANICS

TINY_CITY = """
name: tiny
centres:
  nord: {label: Nord, policy: amager, partner_team: paid_biweekly}
  syd: {label: Syd, policy: baseline, partner_team: weekly}
associations:
  club_a: {kind: sport, meeting_interval_weeks: 2}
  club_b: {kind: sport}
teams:
  paid_biweekly: {association: club_a, centre: nord, paid_instructor: true}
  weekly: {association: club_b, centre: syd}
"""
CERTAIN = [
    *MECHANICS, "city=tiny", "policy=mixed", "trial_cohorts=10", "intake.waves=1", "intake.cohorts_per_wave=1",
    "intake.cohort_size=4", "run.horizon_weeks=20", "run.replications=3", "run.progress=false",
    "programme.dropout_logit=-40", "handover.intercept=40", "club.lapse_base=0", "instructor.turnover_annual=0",
    "instructor.pool=0", "team.max_extra=0", "team.regulars=3", "team.capacity=20",
]
PRICES = [
    "costs.centre_session_staff=100", "costs.centre_session_hall=50", "costs.club_session_staff=70",
    "costs.coleading_fee=30", "costs.trial_session=200", "costs.instructor_training=1000",
    "costs.coordination_week=300", "vesterbro.price_session=40", "vanlose.card_value=100",
    "economics.subsidy_week=25", "economics.wage_week=500", "economics.fee_week=10",
]

# --- the hand count --------------------------------------------------------------------------------
WEEKS = 20  # the horizon: weeks 0 … 19
MEETING_WEEKS_BIWEEKLY = 10  # weeks 0, 2, …, 18
JOINED_WEEKS = 8  # each of the 4 citizens is a member in weeks 12 … 19
REGULAR_WEEKS = 3 * WEEKS  # 3 regulars on each team, every week
MEMBER_WEEKS = 4 * JOINED_WEEKS  # 32 per team
COORDINATION_WEEKS = 16  # from the intake (week 0) to the window's close: 12 programme weeks + 4 window weeks

NORD = {  # Amager: 12 programme weeks of 2 sessions, one of them in the club, co-led
    "cost_centre_sessions": 12 * (100 + 50),  # the other 12 sessions at the centre: staff + hall
    "cost_club_sessions": 12 * 70,
    "cost_coleading": 12 * 30,
    "cost_trial_sessions": 0,
    "cost_instructor_training": 1 * 1000,  # the team's instructor, trained up front
    "cost_subsidies": WEEKS * 25,
    "cost_coordination": COORDINATION_WEEKS * 300,
    "club_fees": (REGULAR_WEEKS + MEMBER_WEEKS) * 10,  # 920
    "wages_due": MEETING_WEEKS_BIWEEKLY * 500,  # 5,000: a wage in meeting weeks only
}
SYD = {  # baseline: 24 sessions at the centre, one trial session in the club (programme week 11)
    "cost_centre_sessions": 24 * (100 + 50),
    "cost_club_sessions": 0,
    "cost_coleading": 0,
    "cost_trial_sessions": 1 * 200,
    "cost_instructor_training": 1 * 1000,
    "cost_subsidies": WEEKS * 25,
    "cost_coordination": COORDINATION_WEEKS * 300,
    "club_fees": (REGULAR_WEEKS + MEMBER_WEEKS) * 10,
    "wages_due": 0,  # a volunteer
}
ITEMS = ("cost_centre_sessions", "cost_club_sessions", "cost_coleading", "cost_trial_sessions",
         "cost_instructor_training", "cost_subsidies", "cost_coordination")


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    (tmp_path / "conf" / "city").mkdir(parents=True)
    (tmp_path / "conf" / "city" / "tiny.yaml").write_text(textwrap.dedent(TINY_CITY), encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def run(engine: str, *overrides: str) -> sim.Results:
        return sim.simulate(sim.compose([*CERTAIN, *PRICES, f"run.engine={engine}", *overrides]))

    return run


def _centre(res: sim.Results, label: str):
    rows = res.costs[res.costs.centre == label]
    assert len(rows) == 3
    return rows


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_the_dynamics_are_certain(tiny, engine):
    """The premise of the hand count: all 8 citizens complete and join in week 12, nobody leaves."""
    res = tiny(engine)
    cz = res.citizens
    assert len(cz) == 3 * 8 and cz.completed.all() and (cz.handover_week == 12).all() and cz.lapse_week.isna().all()
    assert (cz.team == cz.centre.map({"nord": "paid_biweekly", "syd": "weekly"})).all(), cz[["centre", "team"]]
    assert (res.summary.instructors_trained == 2).all() and (res.summary.teams_closed == 0).all()


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_the_clubs_pay_the_wage(tiny, engine):
    res = tiny(engine)
    for label, hand in (("nord", NORD), ("syd", SYD)):
        rows = _centre(res, label)
        for item in ITEMS:
            assert (rows[item] == hand[item]).all(), (label, item, rows[item].tolist(), hand[item])
        assert (rows.cost_wages == 0).all()
        assert (rows.club_fees == hand["club_fees"]).all()
        payments = hand["cost_coleading"] + hand["cost_trial_sessions"] + hand["cost_subsidies"]
        assert (rows.club_municipal_payments == payments).all(), (label, rows.club_municipal_payments.tolist())
        assert (rows.club_wages_paid == hand["wages_due"]).all(), (label, rows.club_wages_paid.tolist())
        assert (rows.club_net == hand["club_fees"] + payments - hand["wages_due"]).all()
    # Nord: 920 fees + 360 co-leading + 500 subsidies − 5,000 wages; Syd: 920 + 200 trial + 500
    assert (_centre(res, "nord").club_net == -3220).all() and (_centre(res, "syd").club_net == 1620).all()
    city = sum(NORD[i] + SYD[i] for i in ITEMS)
    assert city == 19_400
    assert (res.summary.cost_municipality == city).all()
    assert (res.summary.club_fees == 1840).all() and (res.summary.club_wages_paid == 5000).all()
    # The teams' accounts (step 7): fees + subsidy − the wage the club pays.
    balance = res.teams.set_index(["replication", "team"]).balance_at_end
    assert (balance.xs("paid_biweekly", level="team") == 920 + 500 - 5000).all()
    assert (balance.xs("weekly", level="team") == 920 + 500).all()


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_the_municipality_pays_the_wage(tiny, engine):
    res = tiny(engine, "economics.municipality_pays_wages=true")
    nord = _centre(res, "nord")
    assert (nord.cost_wages == 5000).all() and (nord.club_wages_paid == 0).all()
    assert (nord.club_municipal_payments == 360 + 500 + 5000).all()  # co-leading, subsidies and the wage
    assert (nord.club_net == 920 + 5860).all()
    assert (res.summary.cost_municipality == 19_400 + 5000).all()
    balance = res.teams.set_index(["replication", "team"]).balance_at_end
    assert (balance.xs("paid_biweekly", level="team") == 920 + 500).all()  # the wage is not the club's


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_a_deficit_closes_the_paid_team_in_the_week_counted_by_hand(tiny, engine):
    """With a tolerance of 2,000 DKK the paid team's balance, counted week by week, first falls below
    −2,000 in week 8: a week-0 wage, then 4 weeks of +55 (3 regulars' fees + subsidy) and −500 every
    other week. Its members lapse with reason team_closed (nowhere to transfer to)."""
    balance, closed = 0.0, None
    for week in range(WEEKS):
        members = 4 if week >= 12 else 0
        balance += (3 + members) * 10 + 25 - (500 if week % 2 == 0 else 0)
        if balance < -2000:
            closed = week
            break
    assert closed == 8
    res = tiny(engine, "economics.deficit_tolerance=2000")
    teams = res.teams.set_index("team")
    assert (res.teams[res.teams.team == "paid_biweekly"].closed_week == closed).all()
    assert teams.loc["weekly"].closed_week.isna().all()
    # the wages stopped with the team: 5 meeting weeks (0, 2, 4, 6, 8), and 9 subsidised weeks
    nord = _centre(res, "nord")
    assert (nord.club_wages_paid == 5 * 500).all() and (nord.cost_subsidies == 9 * 25).all()
    nobody_joined = res.citizens[res.citizens.centre == "nord"].handover_week.isna().all()
    assert nobody_joined  # closed in week 8, before the window opened in week 12


@pytest.mark.parametrize("engine", ["vector", "agent"])
def test_a_sister_team_opens_with_a_pool_instructor(tiny, engine):
    """Syd's team has room for 2 (capacity 5, 3 regulars): in week 12 two of its four choosers are
    admitted and two turned away, which opens its sister (threshold 2) with the pool's one instructor;
    the two join the sister in week 13. The sister's first instructor was trained up front with the
    pool (city-wide), not again at Syd."""
    res = tiny(engine, "city.teams.weekly.capacity=5", "team.max_extra=1", "team.open_threshold=2",
               "instructor.pool=1")
    syd = res.citizens[res.citizens.centre == "syd"].groupby("replication").handover_week
    assert [sorted(weeks) for _, weeks in syd] == [[12, 12, 13, 13]] * 3
    assert (res.summary.sister_teams_opened == 1).all()
    rows = _centre(res, "syd")
    assert (rows.cost_instructor_training == 1 * 1000).all()  # the listed team's instructor only
    city_wide = res.costs[res.costs.centre == "(city-wide)"]
    assert (city_wide.cost_instructor_training == 1 * 1000).all()  # the pool, trained up front
    assert (res.summary.instructors_trained == 3).all()  # Nord's, Syd's, the pool's
    # team-weeks: the listed team in weeks 0-19, the sister from its opening (week 12) to 19
    assert (rows.cost_subsidies == (20 + 8) * 25).all()
    # fees: regulars 3 x 20 weeks + 3 x 8 weeks; members 2 x 8 weeks (from 12) + 2 x 7 weeks (from 13)
    assert (rows.club_fees == (60 + 24 + 16 + 14) * 10).all()


def test_counts_and_prices_are_separate_steps():
    """costs.price on hand-made counts (not from an engine): one replication, one centre."""
    from sim.model import costs

    cfg = sim.compose(["economics.fee_week=10", "economics.wage_week=500", "economics.subsidy_week=25",
                       "vesterbro.price_session=40", "vanlose.card_value=100", "costs.trial_session=200",
                       "costs.coleading_fee=30", "costs.club_session_staff=70", "costs.centre_session_staff=100",
                       "costs.centre_session_hall=50", "costs.instructor_training=1000",
                       "costs.coordination_week=300"])
    counts = {"parallel_sessions": np.array([[7.0]]), "gift_cards": np.array([[3.0]]),
              "trial_takeups": np.array([[5.0]]), "team_weeks": np.array([[20.0]]),
              "wage_weeks": np.array([[10.0]]), "member_weeks": np.array([[32.0]]),
              "regular_weeks": np.array([[60.0]])}
    plan = {"centre_sessions": np.array([12.0]), "club_sessions": np.array([12.0]),
            "trial_sessions": np.array([2.0]), "coordination_weeks": np.array([16.0])}
    trained = np.array([[1.0, 18.0]])  # one at the centre, a pool of 18 city-wide
    priced = {k: v[0] for k, v in costs.price(cfg, counts, plan, trained).items()}
    hand = {
        "cost_centre_sessions": [1800, 0], "cost_club_sessions": [840, 0], "cost_coleading": [360, 0],
        "cost_parallel_sessions": [280, 0], "cost_gift_cards": [300, 0], "cost_trial_sessions": [400, 0],
        "cost_instructor_training": [1000, 18_000], "cost_subsidies": [500, 0], "cost_wages": [0, 0],
        "cost_coordination": [4800, 0], "club_fees": [920, 0],
        # co-leading 360 + parallel 280 + gift cards 300 + trials 400 + subsidies 500
        "club_municipal_payments": [1840, 0], "club_wages_paid": [5000, 0], "club_net": [920 + 1840 - 5000, 0],
    }
    assert {k: v.tolist() for k, v in priced.items()} == hand
