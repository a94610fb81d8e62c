"""Bad input, counted: every entry of the table below is something a user can get wrong (an override,
a command-line option, a scenario file, a sensitivity or calibration spec, a city spreadsheet, a
dashboard field). Each must stop with ONE line that names the key (or file, option, cell) and says
what is allowed, before any work starts: exit status 2 from a command line, `UserError` from the
library. A misspelt key gets a "did you mean"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import sim
from sim import calibrate, city_import, compare, sensitivity
from sim import sweep as sweep_cli
from sim.dashboard import controls

EXAMPLE_CLUBS = Path(__file__).resolve().parents[2] / "examples" / "city" / "clubs.csv"
CLUB_HEADER = ("centre,club,activity,team,partner,capacity,regulars,paid_instructor,cafe,admin_staff,"
               "facility_quality,turnover_annual,district,note")
GOOD_ROW = "Nord,Eksempelby IF,football for fun,if_football,yes,,,no,yes,no,0.7,0.2,Nordby,"


@dataclass(frozen=True)
class Case:
    """One bad input: what runs it (`how`: override, cli, or a callable), its arguments, the words the
    one-line message must contain, and files to write first (name -> text, in the test's folder)."""

    name: str
    how: str | Callable
    args: tuple[str, ...]
    expect: tuple[str, ...]
    files: tuple[tuple[str, str], ...] = ()


def override(*args: str, expect: tuple[str, ...] = ()) -> Case:
    key = args[0].split("=", 1)[0]
    return Case(f"override {args[0]}", "override", args, expect or (key,))


OVERRIDES = [
    override("club.lapse_bse=0.1", expect=("club.lapse_bse", "did you mean 'club.lapse_base'")),
    override("polcy=amager", expect=("polcy", "did you mean 'policy'")),
    override("handover.intercpt=-3", expect=("did you mean 'handover.intercept'",)),
    override("city.teams.b1908.capacty=3", expect=("did you mean 'city.teams.b1908_football.capacity'",)),
    override("policy=amagr", expect=("policy=amagr", "allowed: amager")),
    override("city=kopenhagen", expect=("city=kopenhagen", "allowed: copenhagen")),
    override("params=posterior", expect=("params=posterior", "allowed:")),
    override("club.lapse_base=0,3", expect=("club.lapse_base=0,3", "club.lapse_base=0.3")),
    override("team.capacity=1e3", expect=("team.capacity=1e3", "whole number")),
    override("team.capacity=abc", expect=("team.capacity=abc", "whole number")),
    override("club.lapse_base=abc", expect=("club.lapse_base=abc", "a number")),
    override("club.cafe=maybe", expect=("club.cafe=maybe", "true or false")),
    override("run.engine=vectr", expect=("run.engine=vectr", "allowed: agent, vector")),
    override("run.uncertainty=some", expect=("run.uncertainty=some", "allowed: none, ensemble")),
    override("club.lapse_base=-1", expect=("club.lapse_base", "out of range", ">= 0")),
    override("run.replications=0", expect=("run.replications", "out of range")),
    override("handover.window_weeks=0", expect=("handover.window_weeks", "out of range")),
    override("modifiers.visit_week=20", expect=("modifiers.visit_week=20", "1..12")),
    override("intake.cohort_size=-2", expect=("intake.cohort_size", "out of range")),
    override("instructor.turnover_annual=1.5", expect=("instructor.turnover_annual", "out of range")),
    override("team.transfer_prob=1.2", expect=("team.transfer_prob", "out of range")),
    override("intake.fill_share=0", expect=("intake.fill_share", "out of range", "(0, 1]")),
    override("intake.fill_share=1.5", expect=("intake.fill_share", "out of range", "(0, 1]")),
    override("team.sister_capacity=0", expect=("team.sister_capacity", "out of range", "whole number >= 1")),
    override("citizen.diagnosis_mix.at_risk=2", expect=("citizen.diagnosis_mix",)),
    override("city.centres.amager.policy=mixed", expect=("city.centres.amager.policy", "mixed")),
    override("programme.weeks=0", expect=("programme.weeks", "out of range")),
]

CLI = [
    Case("compare: unknown scenario", compare.main, ("nope",), ("nope", "available:", "as_reported")),
    Case("compare: scenario twice", compare.main, ("as_reported", "as_reported"), ("as_reported", "twice")),
    Case("compare: unknown reference", compare.main, ("as_reported", "--reference", "x"), ("--reference x",)),
    Case("compare: no scenario", compare.main, ("run.replications=2",), ("no scenario given", "available:")),
    Case("compare: misspelt override", compare.main, ("as_reported", "club.lapse_bse=1"),
         ("club.lapse_bse", "did you mean")),
    Case("compare: unknown option", compare.main, ("as_reported", "--bogus"), ("--bogus",)),
    Case("compare: output in a file", compare.main, ("as_reported", "--out", "{tmp}/afile/out"),
         ("cannot write to", "afile"), (("afile", "x"),)),
    Case("scenario: unknown key", compare.main, ("{tmp}/s.yaml",), ("club.lapse_bse", "did you mean"),
         (("s.yaml", "club:\n  lapse_bse: 0.1\n"),)),
    Case("scenario: not YAML", compare.main, ("{tmp}/s.yaml",), ("s.yaml", "not valid YAML"),
         (("s.yaml", "club: [1, 2\n"),)),
    Case("scenario: a list", compare.main, ("{tmp}/s.yaml",), ("s.yaml", "mapping"), (("s.yaml", "- a\n- b\n"),)),
    Case("scenario: out of range", compare.main, ("{tmp}/s.yaml",), ("club.lapse_base", "out of range"),
         (("s.yaml", "club:\n  lapse_base: -1\n"),)),
    Case("scenario: missing file", compare.main, ("{tmp}/missing.yaml",), ("missing.yaml", "does not exist")),
    Case("scenario: unknown policy", compare.main, ("{tmp}/s.yaml",), ("policy", "allowed"),
         (("s.yaml", "policy: amagr\n"),)),
    Case("sensitivity: unknown spec", sensitivity.main, ("nospec",), ("nospec", "available")),
    Case("sensitivity: misspelt key", sensitivity.main, ("{tmp}/spec.yaml",), ("club.lapse_bse", "did you mean"),
         (("spec.yaml", "parameters:\n  club.lapse_bse: {low: 0.04, high: 0.1}\noutputs: [handover_rate]\n"),)),
    Case("sensitivity: low above high", sensitivity.main, ("{tmp}/spec.yaml",), ("club.lapse_base", "low"),
         (("spec.yaml", "parameters:\n  club.lapse_base: {low: 0.1, high: 0.04}\noutputs: [handover_rate]\n"),)),
    Case("sensitivity: unknown output", sensitivity.main, ("{tmp}/spec.yaml",), ("handover_rat", "allowed"),
         (("spec.yaml", "parameters:\n  club.lapse_base: {low: 0.04, high: 0.1}\noutputs: [handover_rat]\n"),)),
    Case("sensitivity: range not a mapping", sensitivity.main, ("{tmp}/spec.yaml",), ("club.lapse_base", "low"),
         (("spec.yaml", "parameters:\n  club.lapse_base: 0.1\noutputs: [handover_rate]\n"),)),
    Case("sensitivity: unknown method", sensitivity.main, ("--method", "fast"), ("--method", "morris")),
    Case("sensitivity: zero replications", sensitivity.main, ("--replications", "0"), ("--replications",)),
    Case("sensitivity: zero processes", sensitivity.main, ("--n-jobs", "0"), ("--n-jobs",)),
    Case("sensitivity: replications as override", sensitivity.main, ("run.replications=5",),
         ("run.replications", "--replications")),
    Case("sensitivity: misspelt override", sensitivity.main, ("club.lapse_bse=1",), ("did you mean",)),
    Case("calibrate: unknown spec", calibrate.main, ("nospec",), ("nospec", "available")),
    Case("calibrate: not YAML", calibrate.main, ("{tmp}/c.yaml",), ("c.yaml", "not valid YAML"),
         (("c.yaml", "parameters: [1\n"),)),
    Case("calibrate: unknown likelihood", calibrate.main, ("{tmp}/c.yaml",), ("poison", "allowed"),
         (("c.yaml", "parameters:\n  handover.intercept: {low: -8, high: -1}\ntargets:\n"
                     "  - {name: t, metric: summary.handed_over, observed: 3, likelihood: poison}\n"),)),
    Case("calibrate: misspelt parameter", calibrate.main, ("{tmp}/c.yaml",), ("handover.intercpt",),
         (("c.yaml", "parameters:\n  handover.intercpt: {low: -8, high: -1}\ntargets:\n"
                     "  - {name: t, metric: handed_over, observed: 3, likelihood: poisson}\n"),)),
    Case("calibrate: target week past the horizon", calibrate.main, ("{tmp}/c.yaml",), ("at_week",),
         (("c.yaml", "parameters:\n  handover.intercept: {low: -8, high: -1}\ntargets:\n"
                     "  - {name: t, metric: handed_over, observed: 3, likelihood: poisson, at_week: 9999}\n"),)),
    Case("calibrate: too few particles", calibrate.main, ("--particles", "5"), ("--particles",)),
    Case("calibrate: one replication", calibrate.main, ("--replications", "1"), ("--replications",)),
    Case("calibrate: two specs", calibrate.main, ("copenhagen", "other"), ("one spec",)),
    Case("calibrate: misspelt override", calibrate.main, ("club.lapse_bse=1",), ("did you mean",)),
    Case("city: missing file", city_import.main, ("{tmp}/none.csv", "--name", "byen"), ("none.csv",)),
    Case("city: capacity not a number", city_import.main, ("{tmp}/c.csv", "--name", "byen", "--out", "{tmp}/byen.yaml"),
         ("c.csv", "capacity"), (("c.csv", f"{CLUB_HEADER}\n{GOOD_ROW.replace(',yes,,,no', ',yes,abc,,no')}\n"),)),
    Case("city: facility quality above 1", city_import.main,
         ("{tmp}/c.csv", "--name", "byen", "--out", "{tmp}/byen.yaml"), ("c.csv", "facility_quality"),
         (("c.csv", f"{CLUB_HEADER}\n{GOOD_ROW.replace(',0.7,', ',1.5,')}\n"),)),
    Case("city: missing column", city_import.main, ("{tmp}/c.csv", "--name", "byen", "--out", "{tmp}/byen.yaml"),
         ("c.csv", "club"), (("c.csv", "centre,activity\nNord,football\n"),)),
    Case("city: bad name", city_import.main, (str(EXAMPLE_CLUBS), "--name", "Bad Name!"), ("Bad Name!",)),
    Case("city: yes/no cell", city_import.main, ("{tmp}/c.csv", "--name", "byen", "--out", "{tmp}/byen.yaml"),
         ("c.csv", "cafe"), (("c.csv", f"{CLUB_HEADER}\n{GOOD_ROW.replace(',no,yes,no,', ',no,maybe,no,')}\n"),)),
    Case("sweep: not a sweep folder", sweep_cli.main, ("{tmp}/nothing",), ("nothing",)),
]


def dashboard_field(key: str, value: str) -> Callable[[], object]:
    return lambda: controls.make_plan("as_reported", {key: value})


DASHBOARD = [
    Case("dashboard: negative turnover", dashboard_field("instructor.turnover_annual", "-0.2"), (),
         ("instructor.turnover_annual", "out of range")),
    Case("dashboard: text for a number", dashboard_field("instructor.turnover_annual", "lots"), (),
         ("instructor.turnover_annual=lots", "a number")),
    Case("dashboard: empty field", dashboard_field("instructor.turnover_annual", ""), (),
         ("instructor.turnover_annual", "no value")),
    Case("dashboard: unknown field", dashboard_field("club.lapse_bse", "0.1"), (), ("club.lapse_bse",)),
    Case("dashboard: decimal for a count", dashboard_field("intake.years", "1.5"), (), ("intake.years",)),
]

CASES = OVERRIDES + CLI + DASHBOARD


def test_the_table_counts_at_least_60_bad_inputs():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def _run(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture) -> str:
    for name, text in case.files:
        (tmp_path / name).write_text(text, encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    if case.how == "override":
        with pytest.raises(sim.UserError) as err:
            sim.compose(args)
        return str(err.value)
    if case.how in (compare.main, sensitivity.main, calibrate.main, city_import.main, sweep_cli.main):
        with pytest.raises(SystemExit) as stop:
            case.how(args)
        assert stop.value.code == 2, f"exit status {stop.value.code}"
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert lines and lines[-1].startswith("error: "), err
        return lines[-1]
    with pytest.raises(sim.UserError) as err:
        case.how()
    return str(err.value)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input_gives_one_line_naming_it(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing is written into the repository, whatever the command
    message = _run(case, tmp_path, capsys)
    assert "\n" not in message.strip(), message
    for words in case.expect:
        assert words in message, f"{words!r} not in {message!r}"


def test_the_dashboard_reads_a_decimal_comma_as_a_decimal():
    plan = controls.make_plan("as_reported", {"instructor.turnover_annual": "0,4"})
    assert plan.config.instructor.turnover_annual == pytest.approx(0.4)
