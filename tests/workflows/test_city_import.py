"""A city of one's own: the template, the CSV import (sim.city_import) and `city=NAME` from every command.

The second city here is the shipped example (examples/city/*.csv, a made-up town with 2 centres,
3 clubs, 4 teams and no patient association), imported into a temporary folder's ./conf/city the
way a planner would; `city=template` is a third (with a patient association). Both engines, sim.run
and sim.compare run on them: nothing in the code may assume Copenhagen.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

import sim
from sim import city_import, compare, run
from sim.errors import UserError
from sim.model.config import AssociationCfg, CentreCfg, CityCfg, TeamSpec
from sim.workflows.city_import import slug
from tests.conftest import SMALL

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "city"
TEMPLATE = ROOT / "conf" / "city" / "template.yaml"


def _import_example(*extra: str) -> None:
    city_import.main([str(EXAMPLE / "clubs.csv"), "--centres", str(EXAMPLE / "centres.csv"), "--name", "eksempelby",
                      *extra])


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    """A working folder with the example imported as city `eksempelby` into its ./conf/city (once)."""
    folder = tmp_path_factory.mktemp("town")
    _import_example("--out", str(folder / "conf" / "city" / "eksempelby.yaml"))
    return folder


@pytest.fixture
def town(imported, monkeypatch) -> Path:
    """Run the test from the folder that holds the imported city, as a planner would."""
    monkeypatch.chdir(imported)
    return imported


def test_example_import_gives_the_spreadsheet_city(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _import_example()
    assert capsys.readouterr().out.splitlines() == ["wrote conf/city/eksempelby.yaml: 2 centres, 3 clubs, 4 teams",
                                                    "run it: python -m sim.run city=eksempelby"]
    city = sim.compose(["city=eksempelby"]).city
    assert city.name == "eksempelby" and list(city.centres) == ["nord", "syd"]
    nord, syd = city.centres["nord"], city.centres["syd"]
    assert (nord.label, nord.policy.value, nord.partner_team, nord.resourcefulness_mean) == (
        "Sundhedshus Nord", "amager", "if_football", 0.55)
    assert (syd.policy.value, syd.partner_team, syd.modifiers) == ("vanlose", "gym_basic", ["monthly_trial"])
    assert syd.diagnosis_mix == {"at_risk": 0.5, "diabetes": 0.2, "copd": 0.1, "heart": 0.1, "cancer": 0.1}
    assert list(city.associations) == ["eksempelby_if", "svommeklubben_bolgen", "gymnastikforeningen_syd"]
    bolgen = city.associations["svommeklubben_bolgen"]  # its second row leaves the club columns blank
    assert (bolgen.kind, bolgen.has_cafe, bolgen.has_admin_staff) == ("sport", False, True)
    assert bolgen.facility_quality == 0.8
    assert bolgen.turnover_annual is None  # blank: instructor.turnover_annual applies
    assert city.associations["gymnastikforeningen_syd"].turnover_annual == 0.5
    assert list(city.teams) == ["if_football", "bolgen_nord", "gym_basic", "bolgen_syd"]
    team = city.teams["bolgen_syd"]
    assert (team.association, team.centre, team.activity, team.capacity) == (
        "svommeklubben_bolgen", "syd", "water exercise", 30)
    assert city.teams["if_football"].capacity is None  # blank: team.capacity applies


def test_ids_and_defaults_derived_from_a_minimal_spreadsheet(tmp_path, monkeypatch):
    """A few columns, Danish names, a semicolon-separated Windows-1252 file with a
    decimal comma (as a Danish spreadsheet saves it): centres on the baseline model, one team per
    centre is its partner, the same club and activity at two centres get distinct team ids."""
    monkeypatch.chdir(tmp_path)
    rows = ["Centre;Club;Activity;Facility quality;Café;Partner",
            "Østerbro;Svømmeklubben Bølgen;Svømning;0,4;ja;",
            "Valby;Svømmeklubben Bølgen;Svømning;;;",
            "Valby;B 1908;Fodbold;;nej;x"]
    Path("clubs.csv").write_bytes("\r\n".join(rows).encode("cp1252"))
    city_import.main(["clubs.csv", "--name", "byen"])
    city = sim.compose(["city=byen"]).city
    assert {n: (c.label, c.policy.value, c.partner_team) for n, c in city.centres.items()} == {
        "osterbro": ("Østerbro", "baseline", "svommeklubben_bolgen_svomning"),
        "valby": ("Valby", "baseline", "b_1908_fodbold"),
    }
    assert list(city.teams) == ["svommeklubben_bolgen_svomning", "svommeklubben_bolgen_svomning_valby",
                                "b_1908_fodbold"]
    club = city.associations["svommeklubben_bolgen"]
    assert (club.facility_quality, club.has_cafe, city.associations["b_1908"].has_cafe) == (0.4, True, False)


@pytest.mark.parametrize("text, expected", [
    ("Østerbro", "osterbro"), ("Svømmeklubben Bølgen", "svommeklubben_bolgen"), ("B 1908", "b_1908"),
    ("Æblehaven/Rådhuset", "aeblehaven_raadhuset"), ("  Café Noir! ", "cafe_noir"),
])
def test_slug(text, expected):
    assert slug(text) == expected


CLUBS = ("centre,club,activity,partner,capacity,cafe,facility_quality\n"
         "Nord,IF,football,yes,,yes,\nNord,Bølgen,swim,,30,,0.8\n")
CENTRES = "centre,policy,resourcefulness_mean,at_risk,diabetes,copd,heart,cancer\nNord,amager,0.5,,,,,\n"


@pytest.mark.parametrize("clubs, centres, needle", [
    ("centre,club,activity,colour\nNord,IF,football,red\n", None, "clubs.csv, row 1, column 'colour': unknown column"),
    ("centre,activity\nNord,football\n", None, "clubs.csv, row 1: missing column 'club'; required: centre, club,"),
    ("centre,club,activity\n", None, "clubs.csv: no rows below the header"),
    (CLUBS.replace(",30,", ",thirty,"), None,
     "clubs.csv, row 3, column capacity: 'thirty' is not a whole number >= 0"),
    (CLUBS.replace(",30,", ",-2,"), None, "clubs.csv, row 3, column capacity: '-2' is out of range"),
    (CLUBS.replace("0.8", "1.5"), None, "clubs.csv, row 3, column facility_quality: '1.5' is out of range"),
    (CLUBS.replace(",yes,\n", ",maybe,\n"), None, "clubs.csv, row 2, column cafe: 'maybe' is not yes or no"),
    (CLUBS.replace("football,yes", ",yes"), None, "clubs.csv, row 2, column activity: empty"),
    (CLUBS + "Nord,IF,tennis,,,no,\n", None, "clubs.csv, row 4, column cafe: False contradicts row 2 for club 'IF'"),
    (CLUBS.replace(",,30,", ",yes,30,"), None, "clubs.csv, row 3, column partner: centre 'nord' already has"),
    (CLUBS.replace("football,yes", "football,"), None,
     "clubs.csv, column partner: centre 'nord' has 2 teams (rows 2, 3) and none is marked partner=yes"),
    ("centre,club,activity,team\nNord,IF,football,a\nNord,IF,tennis,A\n", None,
     "clubs.csv, row 3, column team: team 'a' is already row 2"),
    (CLUBS + "Nord,IF,yoga,,,,,extra\n", None, "clubs.csv, row 4: 8 cells but 7 columns"),
    (CLUBS, CENTRES.replace("amager", "copenhagen"),
     "centres.csv, row 2, column policy: unknown handover model 'copenhagen'; allowed: baseline, amager,"),
    (CLUBS, CENTRES.replace(",,,,,", ",0.5,0.5,,,"), "centres.csv, row 2, column copd: empty; give the diagnosis mix"),
    (CLUBS, CENTRES.replace(",,,,,", ",0.5,0.5,0.5,0,0"),
     "centres.csv, row 2, columns at_risk, diabetes, copd, heart, cancer: city.centres.nord.diagnosis_mix: "
     "shares must sum to 1"),
    (CLUBS, CENTRES.replace("0.5,", "1,"), "centres.csv, row 2, column resourcefulness_mean: '1' is out of range"),
    (CLUBS, CENTRES + "Syd,baseline,0.5,,,,,\n", "centres.csv, row 3, column centre: centre 'syd' has no team"),
    (CLUBS + "Syd,IF,tennis,,,,\n", CENTRES, "centres.csv: no row for centre 'syd', which the clubs file names"),
])
def test_bad_cells_exit_2_naming_file_row_and_column(tmp_path, monkeypatch, capsys, clubs, centres, needle):
    monkeypatch.chdir(tmp_path)
    Path("clubs.csv").write_text(clubs, encoding="utf-8")
    args = ["clubs.csv", "--name", "byen"]
    if centres is not None:
        Path("centres.csv").write_text(centres, encoding="utf-8")
        args += ["--centres", "centres.csv"]
    with pytest.raises(SystemExit) as exit_:
        city_import.main(args)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and needle in err, err
    assert not Path("conf").exists()  # nothing written


@pytest.mark.parametrize("args, needle", [
    (["--name", "My City"], "--name 'My City': use lower-case letters"),
    (["--name", "copenhagen"], "--name copenhagen: a city shipped with the package has this name"),
    (["--name", "byen", "--out", "elsewhere/town.yaml"], "a city file is named after its city: byen.yaml"),
    (["--name", "byen", "--centres", "missing.csv"], "cannot read missing.csv"),
])
def test_bad_arguments_exit_2(tmp_path, monkeypatch, capsys, args, needle):
    monkeypatch.chdir(tmp_path)
    Path("clubs.csv").write_text(CLUBS, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        city_import.main(["clubs.csv", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1 and needle in err, err


def test_an_existing_city_file_is_overwritten_only_with_force(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    _import_example()
    before = Path("conf/city/eksempelby.yaml").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        city_import.main([str(EXAMPLE / "clubs.csv"), "--name", "eksempelby"])
    assert "exists; add --force" in capsys.readouterr().err
    assert Path("conf/city/eksempelby.yaml").read_text(encoding="utf-8") == before
    city_import.main([str(EXAMPLE / "clubs.csv"), "--name", "eksempelby", "--force"])
    assert sim.compose(["city=eksempelby"]).city.centres["nord"].policy.value == "baseline"  # no centres file now


def test_a_city_file_outside_the_search_path_is_written_with_a_note(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    city_import.main([str(EXAMPLE / "clubs.csv"), "--name", "byen", "--out", "cities/byen.yaml"])
    assert "is in neither: move it there" in capsys.readouterr().out
    assert Path("cities/byen.yaml").is_file()


def test_unknown_city_is_one_line_listing_the_cities(town):
    with pytest.raises(UserError, match=r"^city=nowhere: unknown city; allowed: copenhagen, eksempelby, template$"):
        sim.compose(["city=nowhere"])


def test_template_is_a_valid_city_that_explains_every_field():
    city = sim.compose(["city=template"]).city
    assert len(city.centres) == 2 and {a.kind for a in city.associations.values()} == {"sport", "patient"}
    text = TEMPLATE.read_text(encoding="utf-8")
    for schema in (CityCfg, CentreCfg, AssociationCfg, TeamSpec):
        for f in fields(schema):
            assert re.search(rf"^\s*#?\s*{f.name}:", text, re.M), f"{schema.__name__}.{f.name} not in the template"


@pytest.mark.parametrize("engine", ["agent", "vector"])
@pytest.mark.parametrize("city", ["eksempelby", "template"])
def test_both_engines_run_another_city(town, city, engine):
    cfg = sim.compose([f"city={city}", *SMALL, f"run.engine={engine}"])
    res = sim.simulate(cfg)
    centres = list(cfg.city.centres)
    per_centre = cfg.intake.waves * cfg.intake.cohorts_per_wave * cfg.intake.cohort_size
    assert (res.summary["started"] == per_centre * len(centres)).all()
    assert sorted(res.weekly["centre"].unique()) == sorted(centres)
    assert set(res.citizens["centre"]) == set(centres)
    listed = set(res.teams["team"].str.split("#").str[0])
    assert listed == set(cfg.city.teams)
    assert res.summary["handed_over"].sum() > 0
    joined = res.citizens["team"].dropna().str.split("#").str[0]
    assert set(joined) <= set(cfg.city.teams)
    has_patient = any(a.kind == "patient" for a in cfg.city.associations.values())
    assert res.summary["patient_uptake"].notna().all() == has_patient


def test_compare_runs_another_city(town):
    compare.main(["as_reported", "amager_everywhere", "city=eksempelby", *SMALL, "--out", "out"])
    table = (town / "out" / "comparison.csv").read_text(encoding="utf-8")
    assert "amager_everywhere" in table
    assert "name: eksempelby" in (town / "out" / "config" / "amager_everywhere.yaml").read_text(encoding="utf-8")


def test_sim_run_finds_a_city_in_the_working_folder(town):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "sim.run", "city=eksempelby", *SMALL, "hydra.run.dir=out"]
    done = subprocess.run(run, cwd=town, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "name: eksempelby" in (town / "out" / "config.yaml").read_text(encoding="utf-8")
    assert "warn" not in done.stderr.lower()


def test_sim_run_refuses_an_unknown_city_in_one_line(town, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sim.run", "city=nowhere", "hydra.run.dir=refused"])
    with pytest.raises(SystemExit) as exit_:
        run.main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err == "error: city=nowhere: unknown city; allowed: copenhagen, eksempelby, template\n"
    assert not (town / "refused").exists()
