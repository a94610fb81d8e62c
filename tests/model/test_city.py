"""The Copenhagen city data and its resolution into team arrays."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.city import build_city
from sim.model.rules import weekly_quit_prob
from tests.conftest import small


def test_report_table_is_kept_as_data():
    cfg = sim.compose([])
    rows = {t.report_row: t.observed_handed_over for t in cfg.city.teams.values() if t.report_row is not None}
    assert len(rows) == 15 and sum(rows.values()) == 303  # the report's table sums to 303


def test_sports_teams_and_partner_clubs():
    cfg = sim.compose([])
    city = build_city(cfg)
    assert city.n_listed == 16 and city.n_teams == 16 * (1 + cfg.team.max_extra)
    partners = [city.team_names[i] for i in city.centre_partner]
    assert partners == ["groenne_aeble_basic", "iid_norrebro", "kom_i_gang", "odk_gymnastics", "ssb_strength"]
    odk = city.team_names.index("odk_gymnastics")
    assert city.team_facility_quality[odk] == 0.3 and np.isclose(city.team_quit_prob[odk], weekly_quit_prob(0.8))
    # sisters copy their listed team and sit in the same (partner) club
    sister = city.n_listed + odk * cfg.team.max_extra
    assert city.team_names[sister] == "odk_gymnastics#1" and city.team_listed[sister] == odk
    assert city.team_partner_club[sister] and city.team_facility_quality[sister] == 0.3


def test_cafe_override_and_modifier_switch():
    city = build_city(small("club.cafe=false", "modifiers.team_visit=true"))
    assert not city.team_has_cafe.any()
    assert city.centre_modifiers[:, 0].all() and not city.centre_modifiers[:, 1:].any()
    assert build_city(small("club.cafe=true")).team_has_cafe.all()


def test_weekly_quit_prob_compounds_to_annual():
    assert np.isclose(1 - (1 - weekly_quit_prob(0.25)) ** 52, 0.25)


def test_patient_offerings_are_city_data():
    offers = build_city(sim.compose([])).offers
    lung = {n for n in offers.names if n.startswith("lung_association@")}
    assert lung == {"lung_association@" + c for c in ("osterbro", "norrebro", "amager", "vanlose")}
    staff = {n for n, s in zip(offers.names, offers.staff_run, strict=True) if s}
    assert staff == {"heart_association@vanlose", "heart_association@vesterbro"}
    assert (offers.quit_prob[offers.staff_run] == 0).all()


# --- per-association keys that would be silently ignored -----------------------------------------


def test_club_capacity_is_its_teams_default_and_its_rhythm_their_rhythm():
    cfg = small("city.associations.fremad_valby.capacity=7", "city.teams.fremad_ball.capacity=9",
                "city.associations.fremad_valby.meeting_interval_weeks=2")
    city = build_city(cfg)
    strength, ball, other = (city.team_names.index(n) for n in ("fremad_strength", "fremad_ball", "ssb_strength"))
    assert city.team_capacity[strength] == 7 and city.team_capacity[ball] == 9  # a team's own value wins
    assert city.team_capacity[other] == 20  # team.capacity
    assert city.team_interval[strength] == city.team_interval[ball] == 2 and city.team_interval[other] == 1
    sister = city.n_listed + strength * cfg.team.max_extra
    assert city.team_capacity[sister] == 7 and city.team_interval[sister] == 2


def test_patient_association_turnover_overrides_the_volunteer_turnover():
    offers = build_city(small("city.associations.lung_association.turnover_annual=0.9")).offers
    lung = [i for i, n in enumerate(offers.assoc_names) if n == "lung_association"]
    diabetes = [i for i, n in enumerate(offers.assoc_names) if n == "diabetes_association"]
    assert np.allclose(offers.quit_prob[lung], weekly_quit_prob(0.9))
    assert np.allclose(offers.quit_prob[diabetes], weekly_quit_prob(0.3))  # patient.volunteer_turnover_annual


def test_sessions_per_week_scales_the_programme_doses():
    from sim.model import rules

    cfg = small()
    assert rules.session_rate(cfg, 0.08) == 0.08  # the reference: 2 sessions a week, rates as given
    cfg.programme.sessions_per_week = 4
    assert np.isclose(rules.session_rate(cfg, 0.08), 1 - 0.92**2)  # two weeks' worth of sessions


def test_more_sister_slots_than_max_extra_keep_the_sisters_names():
    """A block whose replications differ in team.max_extra holds slots for the largest value: a
    sister's name is its listed team's and its number, whatever the number of slots."""
    cfg = small("team.max_extra=2")
    own, wide = build_city(cfg), build_city(cfg, 5)
    assert own.sister_slots == 2 and wide.sister_slots == 5 and wide.n_teams == 16 * 6
    odk = own.team_names.index("odk_gymnastics")
    assert [wide.team_names[wide.n_listed + odk * 5 + k] for k in range(2)] == ["odk_gymnastics#1", "odk_gymnastics#2"]
    assert set(own.team_names) < set(wide.team_names)
    with pytest.raises(ValueError, match="1 sister slots per listed team, but team.max_extra goes up to 2"):
        build_city(cfg, 1)
