"""The vector engine: determinism, chunking and process invariance, invariants, mechanisms (both
channels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import sim
import sim.model.seeding
from sim.model import rules
from sim.model.city import build_city
from sim.model.config import DIAGNOSES
from sim.model.states import LapseReason, State
from sim.vector import choice, draws
from sim.vector.draws import Streams
from sim.vector.engine import run_block
from sim.vector.layout import build_layout
from sim.vector.model import ELIGIBLE, LEFT, TAKING_PART, UNSERVED, HandoverModel
from sim.vector.roster import GONE
from sim.vector.teams import CLOSED
from tests.conftest import RANDOM_OVERRIDES, small

VECTOR = "run.engine=vector"
# Everybody wants to take part in its patient association (every mechanism of the channel runs);
# the diabetes offerings are small, so they are oversubscribed.
EAGER = ["patient.intercept=5", "city.associations.diabetes_association.capacity=3"]
PATIENT_COLUMNS = ["patient_association", "patient_join_week", "patient_lapse_week", "patient_lapse_reason"]


def _tables(res: sim.Results) -> dict[str, pd.DataFrame]:
    return {"summary": res.summary, "weekly": res.weekly, "teams": res.teams, "citizens": res.citizens}


def _assert_same(a: sim.Results, b: sim.Results) -> None:
    for name, table in _tables(a).items():
        pd.testing.assert_frame_equal(table, _tables(b)[name])


def _citizens(*overrides: str) -> pd.DataFrame:
    return sim.simulate(small(VECTOR, *overrides)).citizens


# --- randomness --------------------------------------------------------------------------------


def test_same_seed_same_tables():
    cfg = small(VECTOR, "run.replications=3", "policy=mixed")
    _assert_same(sim.simulate(cfg), sim.simulate(cfg))


def test_other_seed_other_tables():
    a = sim.simulate(small(VECTOR, "run.seed=1")).summary
    b = sim.simulate(small(VECTOR, "run.seed=2")).summary
    assert not a.equals(b)


@pytest.mark.parametrize("overrides", [["policy=mixed"], ["policy=amager"], ["policy=vanlose"],
                                       ["policy=amager", *EAGER, "patient.volunteer_turnover_annual=0.9"]])
def test_chunk_size_does_not_change_results(overrides):
    # a subsidy that is not a round number shows any summation that depends on the block
    overrides = [VECTOR, *overrides, "run.replications=10", "economics.subsidy_week=7.3"]
    runs = [sim.simulate(small(*overrides, f"run.chunk_size={c}")) for c in (3, 7, 10)]
    _assert_same(runs[0], runs[1])
    _assert_same(runs[0], runs[2])
    cz = runs[0].citizens  # the patient columns are compared too, and are not empty
    assert cz.patient_join_week.notna().sum() > 0 and cz.patient_lapse_week.notna().sum() > 0
    assert (runs[0].weekly.members_patient > 0).any()


def test_buffer_width_does_not_change_results(monkeypatch):
    # each replication reads its stream through a buffer; the numbers must not depend on its width
    overrides = [VECTOR, *EAGER, "policy=mixed", "run.replications=4", "team.capacity=8", "team.min_size=6"]
    wide = sim.simulate(small(*overrides))
    monkeypatch.setattr("sim.vector.draws.WIDTH", 3)  # refills (and widening) nearly every request
    _assert_same(wide, sim.simulate(small(*overrides)))
    assert wide.summary.teams_closed.sum() > 0  # closures draw from the stream one by one


def test_streams_hand_out_each_replications_numbers_in_order():
    # a replication's numbers are its own generator's, in order, however the requests split them
    streams = Streams(5, np.array([2, 0]), width=4)
    a = streams.uniforms(np.array([3, 0]), np.array([1, 6]))  # two segments: replication 2, then 0
    (b,) = streams.uniforms(np.array([9, 2]))  # wider than the buffer
    c = streams.take(1, 2)  # the block's second replication, i.e. replication 0

    def own(replication: int, n: int) -> np.ndarray:
        return np.random.default_rng(sim.model.seeding.streams(5, replication)[1]).random(n, dtype=np.float32)

    assert np.array_equal(np.concatenate([a[0][:3], a[1][:1], b[:9]]), own(2, 13))
    assert np.array_equal(np.concatenate([a[1][1:], b[9:], c]), own(0, 10))


def test_n_jobs_does_not_change_results():
    one = sim.simulate(small(VECTOR, *EAGER, "run.replications=4", "run.chunk_size=2", "run.n_jobs=1"))
    two = sim.simulate(small(VECTOR, *EAGER, "run.replications=4", "run.chunk_size=2", "run.n_jobs=2"))
    _assert_same(one, two)
    assert one.citizens.patient_join_week.notna().any()


def test_tables_switched_off_leave_the_summary_unchanged():
    full = sim.simulate(small(VECTOR, "run.replications=3"))
    lean = sim.simulate(small(VECTOR, "run.replications=3", "run.weekly_table=false", "run.citizens_table=false"))
    assert lean.weekly is None and lean.citizens is None
    pd.testing.assert_frame_equal(full.summary, lean.summary)
    pd.testing.assert_frame_equal(full.teams, lean.teams)


# --- invariants over random valid configs ------------------------------------------------------

configs = RANDOM_OVERRIDES


def _check_week(block: HandoverModel, cfg: sim.SimConfig, t: int) -> None:
    """Team bookkeeping agrees with the citizens; capacity, closures and the pool hold; the
    rosters hold exactly whom they should."""
    city, teams = block.city, block.teams
    member = block.state == State.member
    rep = np.nonzero(member)[0]
    counted = np.bincount(rep * city.n_teams + block.team[member], minlength=teams.members.size)
    assert (counted.reshape(teams.members.shape) == teams.members).all()
    assert (city.team_centre[block.team[member]] == block.layout.centre[np.nonzero(member)[1]]).all()
    room = np.maximum(city.team_capacity - city.team_regulars, 0)
    assert (teams.members <= room).all(), "capacity exceeded"
    closed = teams.status == CLOSED
    assert (teams.members[closed] == 0).all() and not teams.instructor[closed].any()
    assert (teams.status[:, : city.n_listed] != 0).all()  # listed teams never dormant
    assert (teams.pool >= 0).all()
    assert (teams.pool + teams.sisters_opened.sum(axis=1) == cfg.instructor.pool).all()
    assert (teams.sisters_opened <= cfg.team.max_extra).all()
    # patient channel: offering bookkeeping agrees with the citizens; capacity; staff never leave
    offers, offerings = city.offers, block.offerings
    taking_part = block.patient_state == TAKING_PART
    rep = np.nonzero(taking_part)[0]
    counted = np.bincount(rep * len(offers) + block.offering[taking_part], minlength=offerings.members.size)
    assert (counted.reshape(offerings.members.shape) == offerings.members).all()
    assert (offerings.members <= offers.capacity).all(), "offering capacity exceeded"
    assert offerings.instructor[:, offers.staff_run].all(), "a staff-run offering is vacant"
    # the rosters hold exactly the members (in order of joining, leavers marked), with their teams
    # and offerings; a marked leaver can never leave again
    sport, patients = block.sport, block.patients
    live = np.flatnonzero(sport.idx != GONE)
    order = live[np.argsort(sport.idx[live])]
    assert np.array_equal(sport.idx[order], np.flatnonzero(member))
    assert np.array_equal(sport["team"][order], (np.nonzero(member)[0] * city.n_teams + block.team[member]))
    assert (sport["clock"] > 0).all() and np.isinf(sport["clock"][sport.idx == GONE]).all()
    live = np.flatnonzero(patients.idx != GONE)
    order = live[np.argsort(patients.idx[live])]
    assert np.array_equal(patients.idx[order], np.flatnonzero(taking_part))
    assert np.array_equal(patients["offer"][order] % len(offers), block.offering[taking_part])
    assert np.isinf(patients["threshold"][patients.idx == GONE]).all()
    # deciders at the end of week t: still deciding with the window open (and not over)
    since = t - block.layout.window_start
    assert np.array_equal(block.deciders.idx, np.flatnonzero((block.state == State.deciding) & (since >= 0)))
    in_window = (since >= 0) & (since < cfg.handover.window_weeks - 1)
    eligible = (block.patient_state == ELIGIBLE) & (block.state >= State.deciding) & in_window
    assert np.array_equal(block.patient_deciders.idx, np.flatnonzero(eligible))


def _check_citizens(block: HandoverModel, cfg: sim.SimConfig) -> None:
    """Nobody joins without completing, nor outside its window; nobody lapses before joining."""
    lay, state = block.layout, block.state
    joined = block.handover_week >= 0
    window_start = np.broadcast_to(lay.window_start, state.shape)
    assert (block.handover_week[joined] >= window_start[joined]).all()
    assert (block.handover_week[joined] < window_start[joined] + cfg.handover.window_weeks).all()
    assert np.isin(state[joined], (State.member, State.lapsed)).all()
    assert (joined == (block.team >= 0)).all()
    lapsed = block.lapse_week >= 0
    assert (lapsed == (state == State.lapsed)).all() and (lapsed <= joined).all()
    assert (block.lapse_week[lapsed] >= block.handover_week[lapsed]).all()
    assert ((block.lapse_reason != LapseReason.none) == lapsed).all()
    started = np.broadcast_to(lay.start_week, state.shape) < cfg.run.horizon_weeks
    assert ((state != State.waiting) == started).all()
    # patient channel: only eligible completers, within their window; leaving after joining
    patient, join, left = block.patient_state, block.patient_join_week, block.patient_lapse_week
    assert ((patient == UNSERVED) == (block.offering < 0)).all()
    took_part = join >= 0
    assert (took_part == np.isin(patient, (TAKING_PART, LEFT))).all()
    assert (block.offering[took_part] >= 0).all() and (state[took_part] >= State.deciding).all()
    assert (join[took_part] >= window_start[took_part]).all()
    assert (join[took_part] < window_start[took_part] + cfg.handover.window_weeks).all()
    assert ((left >= 0) == (patient == LEFT)).all() and (left[left >= 0] >= join[left >= 0]).all()
    assert ((block.patient_reason != LapseReason.none) == (patient == LEFT)).all()
    assert (block.presented <= (patient != UNSERVED)).all()
    assert not np.isin(patient, (ELIGIBLE, UNSERVED))[took_part].any()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs)
def test_invariants_hold_every_week(params):
    cfg = small(VECTOR, *(f"{k}={v}" for k, v in params.items()))
    city = build_city(cfg)
    block = HandoverModel(cfg, city, build_layout(cfg, city), np.arange(3))
    for t in range(cfg.run.horizon_weeks):
        block.step(t)
        _check_week(block, cfg, t)
    _check_citizens(block, cfg)
    res = sim.simulate(cfg)
    for metric in ("completion_rate", "handover_rate", "retention_26w", "retention_52w", "patient_uptake",
                   "patient_retention_52w", "active_52w"):
        values = res.summary[metric].dropna()
        assert ((values >= 0) & (values <= 1)).all()
    weekly = res.weekly.groupby(["replication", "week"])[["in_programme", "deciding", "members_sport"]].sum()
    assert (weekly.sum(axis=1) <= len(block.layout)).all()


# --- mechanisms ----------------------------------------------------------------------------------


def test_vanlose_window_starts_after_the_free_weeks():
    cz = _citizens("policy=vanlose", "handover.intercept=0", "vanlose.free_weeks=3")
    joined = cz.dropna(subset=["handover_week"])
    assert len(joined) > 0
    end = joined.start_week + 12
    assert (joined.handover_week >= end + 3).all() and (joined.handover_week < end + 3 + 4).all()


def test_amager_window_starts_at_programme_end():
    cz = _citizens("policy=amager", "handover.intercept=0")
    joined = cz.dropna(subset=["handover_week"])
    assert (joined.handover_week == joined.start_week + 12).any()
    assert (joined.handover_week >= joined.start_week + 12).all()


def test_closures_lapse_members_with_reason_team_closed():
    res = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "team.min_size=12",
                             "team.closure_patience_weeks=2", "team.transfer_prob=0"))
    cz, teams = res.citizens, res.teams
    closed = cz[cz.lapse_reason == "team_closed"]
    assert len(closed) > 0
    when = teams.set_index(["replication", "team"]).closed_week
    assert (closed.lapse_week.to_numpy() == when.loc[list(zip(closed.replication, closed.team, strict=True))]).all()
    assert (teams.dropna(subset=["closed_week"]).members_at_end == 0).all()
    # without transfers every handover is one join
    assert teams.joined_total.sum() == cz.handover_week.notna().sum()


def test_transfers_count_in_joined_total():
    # small teams and a large pool: many sister teams, so a closing team's members have somewhere to go
    res = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "team.capacity=10", "team.regulars=0",
                             "team.min_size=6", "team.open_threshold=1", "instructor.pool=30",
                             "team.closure_patience_weeks=2", "team.transfer_prob=1"))
    assert res.teams.joined_total.sum() > res.citizens.handover_week.notna().sum()


def test_no_free_capacity_no_handover():
    cz = _citizens("handover.intercept=3", "team.regulars=40")  # no team has more places
    assert cz.handover_week.isna().all()


def test_empty_pool_opens_no_sister_teams():
    summary = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "instructor.pool=0")).summary
    assert (summary.sister_teams_opened == 0).all()
    summary = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "instructor.pool=1")).summary
    assert (summary.sister_teams_opened <= 1).all() and summary.sister_teams_opened.sum() > 0


def test_no_turnover_no_instructor_changes_but_new_sisters():
    res = sim.simulate(small(VECTOR, "policy=amager", "handover.intercept=0", "instructor.turnover_annual=0"))
    teams = res.teams[res.teams.association != "gymnastikforeningen_odk"]  # its own turnover: 0.8
    sister = teams.team.str.contains("#")
    assert sister.any()
    assert (teams.instructor_changes[~sister] == 0).all() and (teams.instructor_changes[sister] == 1).all()


def test_subsidies_are_paid_per_open_team_week():
    res = sim.simulate(small(VECTOR, "policy=amager", "economics.subsidy_week=10"))
    # open at the end of a week, plus the week each closed team closed in (it was paid that week)
    team_weeks = res.weekly.groupby("replication").teams_open.sum().to_numpy() + res.summary.teams_closed
    np.testing.assert_allclose(res.summary.cost_subsidies, 10 * team_weeks)


def test_vesterbro_pays_per_parallel_session():
    cost = sim.simulate(small(VECTOR, "policy=vesterbro", "vesterbro.price_session=1")).summary.cost_parallel_sessions
    started = 2 * 5 * 24  # two waves, five centres, two cohorts of 12
    assert (cost > 0).all() and (cost < started * 12).all() and (cost == cost.round()).all()


def test_intake_enters_the_programme_in_its_start_week():
    weekly = sim.simulate(small(VECTOR)).weekly
    first = weekly[weekly.week == 0]
    assert (first.in_programme <= 24).all() and (first.in_programme >= 20).all()


def test_run_block_returns_the_documented_shapes():
    cfg = small(VECTOR, "policy=mixed")
    city = build_city(cfg)
    raw = run_block(cfg, city, np.array([4, 9]))
    n = len(build_layout(cfg, city))
    assert all(a.shape == (2, n) for a in raw.citizens.values())
    assert raw.weekly.shape[:3] == (2, cfg.run.horizon_weeks, city.n_centres)
    assert all(a.shape == (2, city.n_teams) for a in raw.teams.values())
    assert raw.teams["opened"][:, : city.n_listed].all()
    assert all(a.shape == (2, city.n_centres) for a in raw.counts.values())


# --- patient-association channel (MODEL.md §4b) -----------------------------------------------------


@pytest.fixture(scope="module")
def eager() -> sim.Results:
    """Everybody wants to take part; Vanløse delays every window by its free weeks."""
    return sim.simulate(small(VECTOR, *EAGER, "policy=vanlose", "run.replications=3"))


def test_only_eligible_completers_join_in_their_window(eager):
    cfg, cz = eager.config, eager.citizens
    city = build_city(cfg)
    joined = cz[cz.patient_join_week.notna()]
    assert len(joined) > 0
    assert joined.completed.all()
    centre = joined.centre.map({n: i for i, n in enumerate(city.centre_names)})
    diagnosis = joined.diagnosis.map({d: i for i, d in enumerate(DIAGNOSES)})
    offer = city.offers.of[centre, diagnosis]
    assert (offer >= 0).all() and (joined.patient_association == np.asarray(city.offers.assoc_names)[offer]).all()
    window_start = joined.start_week + cfg.programme.weeks + cfg.vanlose.free_weeks
    assert (joined.patient_join_week >= window_start).all()
    assert (joined.patient_join_week < window_start + cfg.handover.window_weeks).all()
    assert (joined.patient_join_week == window_start).any()
    assert cz[cz.diagnosis == "at_risk"].patient_join_week.isna().all()


def test_patient_decisions_are_independent_of_the_sports_ones(eager):
    """Both memberships at once, or a patient membership without a sports one."""
    cz = eager.citizens
    both = cz.patient_join_week.notna() & cz.handover_week.notna()
    assert both.any() and (cz.patient_join_week.notna() & cz.handover_week.isna() & cz.completed).any()


def _members_during_decisions(cz: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Members of each offering in each week right after the week's joins (leavers of the week
    still count): joined at or before the week and not left before it."""
    joined = cz[cz.patient_join_week.notna()]
    weeks = np.arange(horizon)
    member = (joined.patient_join_week.to_numpy()[:, None] <= weeks) & ~(
        joined.patient_lapse_week.to_numpy()[:, None] < weeks)
    frame = pd.DataFrame(member, columns=weeks)
    frame["replication"], frame["offer"] = joined.replication.to_numpy(), (joined.patient_association + "@"
                                                                          + joined.centre).to_numpy()
    return frame.groupby(["replication", "offer"]).sum()


def test_offering_capacity_is_never_exceeded(eager):
    cfg = eager.config
    members = _members_during_decisions(eager.citizens, cfg.run.horizon_weeks)
    city = build_city(cfg)
    capacity = pd.Series(city.offers.capacity, index=city.offers.names)
    cap = capacity.reindex(members.index.get_level_values("offer")).to_numpy()[:, None]
    assert (members.to_numpy() <= cap).all()
    diabetes = members.index.get_level_values("offer").str.startswith("diabetes")
    assert (members[diabetes].max(axis=1) == 3).all()  # oversubscribed: every small offering fills up


def test_oversubscribed_offerings_admit_later_in_the_window(eager):
    cz = eager.citizens
    diabetes = cz[(cz.patient_association == "diabetes_association")]
    window_start = diabetes.start_week + 12 + eager.config.vanlose.free_weeks
    assert (diabetes.patient_join_week > window_start).any()
    # most eligible diabetics find no seat
    eligible = cz[(cz.diagnosis == "diabetes") & cz.completed]
    assert eligible.patient_join_week.isna().mean() > 0.3


def test_weekly_members_patient_counts_members_at_the_end_of_the_week(eager):
    cz, weekly = eager.citizens, eager.weekly
    joined = cz[cz.patient_join_week.notna()]
    for week in (20, 35, 50, 79):
        member = (joined.patient_join_week <= week) & ~(joined.patient_lapse_week <= week)
        counted = member.groupby([joined.replication, joined.centre]).sum()
        recorded = weekly[weekly.week == week].set_index(["replication", "centre"]).members_patient
        assert (counted.reindex(recorded.index, fill_value=0) == recorded).all()
    assert weekly.members_patient.max() > 0


def test_course_members_leave_exactly_at_its_end(eager):
    cz = eager.citizens
    cancer = cz[cz.patient_association == "cancer_association"]
    done = cancer.patient_lapse_reason == "course_completed"
    assert done.any()
    assert (cancer.patient_lapse_week[done] == cancer.patient_join_week[done] + 12).all()
    lapsed = cancer[cancer.patient_lapse_reason == "lapse"]
    assert (lapsed.patient_lapse_week < lapsed.patient_join_week + 12).all()
    others = cz[cz.patient_association.notna() & (cz.patient_association != "cancer_association")]
    assert not (others.patient_lapse_reason == "course_completed").any()
    assert cz.patient_lapse_reason.isin([None, "lapse", "course_completed"]).all()


def test_monthly_cafes_lapse_only_in_meeting_weeks(eager):
    cz = eager.citizens
    heart = cz[(cz.patient_association == "heart_association") & (cz.patient_lapse_reason == "lapse")]
    assert len(heart) > 0 and (heart.patient_lapse_week % 4 == 0).all()
    weekly = cz[(cz.patient_association == "diabetes_association") & (cz.patient_lapse_reason == "lapse")]
    assert (weekly.patient_lapse_week % 4 != 0).any()


def test_staff_run_offerings_are_never_vacant():
    cfg = small(VECTOR, "patient.volunteer_turnover_annual=1")
    city = build_city(cfg)
    block = HandoverModel(cfg, city, build_layout(cfg, city), np.arange(3))
    staff = city.offers.staff_run
    assert staff.any() and (~staff).any()
    vacant = np.zeros(len(city.offers), bool)
    for t in range(cfg.run.horizon_weeks):
        block.step(t)
        assert block.offerings.instructor[:, staff].all()
        vacant |= ~block.offerings.instructor.any(axis=0)
    assert vacant[~staff].all()  # with turnover 1 every volunteer post is vacant now and then


def test_no_lung_network_at_vesterbro(eager):
    cz = eager.citizens
    copd = cz.diagnosis == "copd"
    assert cz[copd & (cz.centre == "vesterbro")].patient_join_week.isna().all()
    assert cz[copd & (cz.centre != "vesterbro")].patient_join_week.notna().any()


def test_presentation_raises_uptake():
    """Attending eligible citizens see the presentation (programme week 9): uptake rises with
    `patient.knows`."""
    base = sim.simulate(small(VECTOR, "run.replications=6", "patient.knows=0")).summary.patient_uptake
    more = sim.simulate(small(VECTOR, "run.replications=6", "patient.knows=3")).summary.patient_uptake
    assert more.mean() > base.mean() + 0.1


def test_the_grouped_team_choice_is_the_logit_over_teams():
    # choosing a group by its summed weight, then a team within it, must give every team with room
    # w / (1 + sum of weights) and the outside option the rest: checked on a grid of uniforms
    cfg = small(VECTOR, "params=prior")  # equal attractiveness: teams share groups
    city = build_city(cfg)
    sets = choice.choice_sets(city)
    assert sets.n_groups < np.bincount(city.team_centre).max()  # grouping does save work
    has_room = np.random.default_rng(1).random((2, city.n_teams)) < 0.6
    room = choice.teams_with_room(sets, has_room)
    n = 100_000
    u = ((np.arange(n) + 0.5) / n).astype(np.float32)
    weights = np.array([0.7, 0.2, 1.3, 0.05])[: sets.n_groups].astype(np.float32)
    for rep in range(2):
        for centre in range(city.n_centres):
            ones = np.ones(n, np.intp)
            chosen = choice.draw(sets, room, rep * ones, centre * ones, np.repeat(weights[:, None], n, 1), u)
            weight = np.zeros(city.n_teams)
            for g in range(sets.n_groups):
                teams = sets.teams[g, centre]
                teams = teams[(teams >= 0) & has_room[rep, np.maximum(teams, 0)]]
                weight[teams] = weights[g]
            assert (weight[chosen[chosen >= 0]] > 0).all()  # only teams of the centre with room
            p = weight / (1.0 + weight.sum())
            freq = np.bincount(chosen[chosen >= 0], minlength=city.n_teams) / n
            assert np.abs(freq - p).max() < 1e-3
            assert abs((chosen < 0).mean() - 1.0 / (1.0 + weight.sum())) < 1e-3


def test_exponential_clocks_survive_like_weekly_draws():
    # leaving when the summed hazard reaches Exp(1) = leaving each week with probability 1 - exp(-λ)
    u = ((np.arange(200_000) + 0.5) / 200_000).astype(np.float32)
    clock = draws.exponential(u)
    hazards = np.array([0.05, 0.3, 0.01, 0.2])
    survived = np.ones(len(u), bool)
    for week, total in enumerate(np.cumsum(hazards)):
        survived &= clock > total
        expected = np.prod(1.0 - rules.hazard_prob(hazards[: week + 1]))
        assert abs(survived.mean() - expected) < 1e-4


def test_citizens_drawn_before_are_reused_only_for_the_same_plan():
    """sim.vector.citizens keeps drawn populations: the same seed and plan give the same citizens
    (also in another policy), another plan (a resourcefulness shift) or seed new ones."""
    from sim.vector import citizens

    citizens.clear()
    first = sim.simulate(small("run.replications=2", "policy=amager")).citizens
    kept = len(citizens._KEPT)
    again = sim.simulate(small("run.replications=2", "policy=baseline")).citizens
    assert len(citizens._KEPT) == kept
    assert np.array_equal(first.resourcefulness, again.resourcefulness)
    shifted = sim.simulate(small("run.replications=2", "citizen.resourcefulness_shift=0.5")).citizens
    other_seed = sim.simulate(small("run.replications=2", "run.seed=5")).citizens
    assert len(citizens._KEPT) == kept + 4
    assert not np.array_equal(first.resourcefulness, shifted.resourcefulness)
    assert not np.array_equal(first.resourcefulness, other_seed.resourcefulness)
    citizens.clear()
    fresh = sim.simulate(small("run.replications=2", "policy=amager")).citizens
    pd.testing.assert_frame_equal(first, fresh)
