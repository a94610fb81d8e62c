"""The Copenhagen city data and its resolution into team arrays."""

from __future__ import annotations

import numpy as np

import sim
from sim.city import build_city, weekly_quit_prob
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
    assert city.team_quality[odk] == 0.3 and np.isclose(city.team_quit_prob[odk], weekly_quit_prob(0.8))
    # sisters copy their listed team and sit in the same (partner) club
    sister = city.n_listed + odk * cfg.team.max_extra
    assert city.team_names[sister] == "odk_gymnastics#1" and city.team_listed[sister] == odk
    assert city.team_partner_club[sister] and city.team_quality[sister] == 0.3


def test_cafe_override_and_modifier_switch():
    city = build_city(small("club.cafe=false", "modifiers.team_visit=true"))
    assert not city.team_cafe.any()
    assert city.centre_modifiers[:, 0].all() and not city.centre_modifiers[:, 1:].any()
    assert build_city(small("club.cafe=true")).team_cafe.all()


def test_weekly_quit_prob_compounds_to_annual():
    assert np.isclose(1 - (1 - weekly_quit_prob(0.25)) ** 52, 0.25)


def test_patient_offerings_are_city_data():
    offers = build_city(sim.compose([])).offers
    lung = {n for n in offers.names if n.startswith("lung_association@")}
    assert lung == {"lung_association@" + c for c in ("osterbro", "norrebro", "amager", "vanlose")}
    staff = {n for n, s in zip(offers.names, offers.staff_run, strict=True) if s}
    assert staff == {"heart_association@vanlose", "heart_association@vesterbro"}
    assert (offers.quit_prob[offers.staff_run] == 0).all()
