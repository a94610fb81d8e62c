"""sim.calibrate: bad specs stop before any trial; a study resumes; the fit recovers known parameters."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import install_calibration
from sim.calibrate import main, parse, prepare, summary_columns
from sim.errors import UserError
from sim.run import _with_scenario
from sim.workflows.calibration import install
from sim.workflows.calibration import study as st
from sim.workflows.calibration.spec import load
from sim.workflows.compose import compose
from sim.workflows.params import apply
from sim.workflows.scenarios import compose_scenario
from sim.workflows.scenarios import load as load_scenario
from sim.workflows.simulate import simulate

# Small and fast: three intake waves, the Amager district's teams in focus.
SMALL = ["intake.waves=3", "run.horizon_weeks=50", "policy=amager"]
GOOD = """
parameters:
  handover.intercept: {low: -6.0, high: -2.0}
  city.teams.b1908_football.attractiveness: {low: -2.0, high: 3.0, prior_sd: 1.0}
targets:
  - {name: b1908, metric: team.b1908_football.joined_total, observed: 20, likelihood: poisson, at_week: 45}
  - {name: amager, metric: [team.kom_i_gang.joined_total, team.b1908_football.joined_total], observed: 40,
     likelihood: negative_binomial, at_week: 45}
  - {name: total, metric: summary.handed_over, observed: 120, likelihood: poisson, at_week: 45}
holdout:
  - {name: completion, metric: summary.completion_rate, observed: 0.73, likelihood: binomial, n: 449}
"""


def write_spec(tmp_path, text: str):
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


BAD = [
    ("handover.nope: {low: 0, high: 1}", "parameters.handover.nope"),
    ("handover.intercept: {low: -2.0, high: -6.0}", "parameters.handover.intercept"),
    ("instructor.turnover_annual: {low: 0.1, high: 1.5}", "parameters.instructor.turnover_annual"),
    ("handover.intercept: {low: -6.0, high: -2.0, prior_sd: -1}", "prior_sd"),
    ("handover.intercept: {low: -6.0, high: -2.0, step: 1}", "unknown key 'step'"),
]
BAD_TARGETS = [
    ("{name: x, metric: team.nope.joined_total, observed: 3, likelihood: poisson}", "targets.x: unknown team 'nope'"),
    ("{name: x, metric: summary.nope, observed: 3, likelihood: poisson}", "targets.x: unknown metric"),
    ("{name: x, metric: summary.retention_52w, observed: 3, likelihood: poisson, at_week: 40}", "at_week"),
    ("{name: x, metric: summary.completion_rate, observed: 0.7, likelihood: binomial}", "targets.x: the binomial"),
    ("{name: x, metric: summary.handed_over, observed: 3, likelihood: gamma}", "targets.x: unknown likelihood"),
    ("{name: x, metric: summary.handed_over, observed: 3, likelihood: normal}", "targets.x: the normal"),
    ("{name: x, metric: summary.handed_over, observed: 3, likelihood: poisson, at_week: 999}", "targets.x: at_week"),
]


def run_main(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err.strip()
    return exit_info.value.code, err


@pytest.fixture(scope="module")
def base():
    cfg = compose(["params=prior", *SMALL])
    return cfg, summary_columns(cfg)


@pytest.mark.parametrize(("line", "named"), BAD)
def test_bad_parameters_are_refused_naming_the_entry(tmp_path, base, line, named):
    spec = write_spec(tmp_path, f"parameters:\n  {line}\ntargets:\n"
                                "  - {name: t, metric: summary.handed_over, observed: 3, likelihood: poisson}\n")
    with pytest.raises(UserError, match=re.escape(named)):
        load(str(spec), *base)


@pytest.mark.parametrize(("entry", "named"), BAD_TARGETS)
def test_bad_targets_are_refused_naming_the_entry(tmp_path, base, entry, named):
    head = "parameters:\n  handover.intercept: {low: -6.0, high: -2.0}\ntargets:\n"
    spec = write_spec(tmp_path, f"{head}  - {entry}\n")
    with pytest.raises(UserError, match=re.escape(named)):
        load(str(spec), *base)


def test_a_bad_spec_exits_2_with_one_line_before_any_trial(tmp_path, capsys):
    spec = write_spec(tmp_path, GOOD.replace("handover.intercept", "handover.nope"))
    code, err = run_main([str(spec), *SMALL, "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "parameters.handover.nope" in err
    assert not (tmp_path / "out" / st.JOURNAL).exists()


def test_unknown_spec_key_and_unknown_spec_name(tmp_path, base):
    with pytest.raises(UserError, match="unknown key 'sampler'"):
        load(str(write_spec(tmp_path, GOOD + "sampler: tpe\n")), *base)
    with pytest.raises(UserError, match="unknown calibration spec 'nope'"):
        load("nope", *base)


def test_the_shipped_spec_is_valid():
    base, spec, _ = prepare(parse(["copenhagen", "--replications", "2"]))
    assert len(spec.targets) == 16 and {t.name for t in spec.holdout} == {"new_teams", "completion"}
    assert base.handover.intercept == compose(["params=prior"]).handover.intercept  # trials start from priors


def test_an_interrupted_study_resumes_without_repeating_finished_trials(tmp_path, capsys):
    spec_path = write_spec(tmp_path, GOOD)
    out = tmp_path / "out"
    argv = [str(spec_path), *SMALL, "--replications", "3", "--ensemble", "0", "--out", str(out)]
    main([*argv, "--trials", "3"])
    args = parse([*argv, "--trials", "3"])
    base, spec, fingerprint = prepare(args)
    study = st.open_study(out, spec, base, 0, 0, fingerprint)
    first = {t.number: (t.params, t.value) for t in st.finished(study, st.SEARCH)}
    study.ask()  # a trial left running by a killed process: never finished, never counted
    main([*argv, "--trials", "5"])
    study = st.open_study(out, spec, base, 0, 0, fingerprint)
    done = st.finished(study, st.SEARCH)
    assert len(done) == 5
    assert {t.number: (t.params, t.value) for t in done if t.number in first} == first
    # another spec into the same folder is refused
    other = write_spec(tmp_path, GOOD.replace("observed: 120", "observed: 121"))
    code, err = run_main([str(other), *SMALL, "--replications", "3", "--out", str(out)], capsys)
    assert code == 2 and "another spec" in err


# --- recovering known parameters ----------------------------------------------------------------
# Targets counted while citizens are still being handed over (the three waves' windows close in weeks
# 15, 21 and 27), so that the week a target is counted at matters. No prior: the best fit is then the
# maximum of the likelihood, whose bias is small; a prior would pull the estimate towards its mean on
# purpose (with prior_sd 1, by about 0.3 for the attractiveness here).
RECOVERY = """
parameters:
  handover.intercept: {low: -6.0, high: -2.0}
  city.teams.b1908_football.attractiveness: {low: -2.0, high: 3.0}
targets:
  - {name: b1908, metric: team.b1908_football.joined_total, observed: B1908, likelihood: poisson, at_week: 30}
  - {name: amager, metric: [team.kom_i_gang.joined_total, team.b1908_football.joined_total], observed: AMAGER,
     likelihood: negative_binomial, at_week: 30}
  - {name: total, metric: summary.handed_over, observed: TOTAL, likelihood: poisson, at_week: 20}
"""
TRUTH = {"handover.intercept": -4.0, "city.teams.b1908_football.attractiveness": 1.0}
FITS = 4  # seeds: each fit has its own observations (run seed 99 + k), trials' run seed and sampler seed
T_99 = {3: 5.841}  # Student's t, 99.5% quantile (two-sided 1%), by degrees of freedom


def observations(seed: int) -> dict[str, int]:
    """The targets' observed figures, made by the model at TRUTH (the mean of 200 replications) and
    counted here from the citizens table with pandas, not by the calibration's own target code."""
    cfg = apply(compose(["params=prior", *SMALL, "run.replications=200", f"run.seed={seed}", "run.progress=false",
                         "run.weekly_table=false"]), TRUTH)
    cz = simulate(cfg).citizens
    listed = cz.team.str.split("#").str[0]  # a sister team counts for its listed team

    def mean_count(rows: pd.Series) -> int:
        return round(rows.groupby(cz.replication).sum().reindex(range(200), fill_value=0).mean())

    return {"B1908": mean_count((cz.handover_week <= 30) & (listed == "b1908_football")),
            "AMAGER": mean_count((cz.handover_week <= 30) & listed.isin(["b1908_football", "kom_i_gang"])),
            "TOTAL": mean_count(cz.handover_week <= 20)}


def fit(tmp_path, k: int) -> dict[str, float]:
    """The best of 40 search trials (30 replications each) for the k-th seed's observations."""
    text = RECOVERY
    for name, value in observations(99 + k).items():
        text = text.replace(name, str(value))
    spec_path = tmp_path / f"recovery_{k}.yaml"
    spec_path.write_text(textwrap.dedent(text), encoding="utf-8")
    base, spec, fingerprint = prepare(parse([str(spec_path), *SMALL, f"run.seed={k}", "--replications", "30"]))
    out = tmp_path / f"fit_{k}"
    out.mkdir()
    study = st.open_study(out, spec, base, k, 0, fingerprint)
    st.search(study, base, spec, 40)
    return st.best(spec, study)


@pytest.mark.slow
def test_parameter_recovery(tmp_path):
    """Fits of observations made at known values recover them: over FITS seeds, the mean estimate of
    each parameter is within t(0.995, FITS-1) standard errors of the truth, the standard error being
    the spread of the fits over the seeds / sqrt(FITS) (observation noise, Monte Carlo noise of the
    trials, the optimiser's own) — a tolerance the fit earns, not one picked. Counting a target at
    the horizon instead of its week, say, moves every fit the same way and fails this."""
    fits = pd.DataFrame([fit(tmp_path, k) for k in range(FITS)])
    start = compose(["params=prior"])
    for key, truth in TRUTH.items():
        estimates = fits[key]
        se = estimates.std(ddof=1) / np.sqrt(FITS)
        assert abs(estimates.mean() - truth) <= T_99[FITS - 1] * se, (key, estimates.tolist())
        # ... and the tolerance is narrower than the distance from where the fits start (the priors):
        # fits that spread widely (or never move) cannot pass by a wide tolerance
        prior = start.handover.intercept if key == "handover.intercept" else 0.0
        assert abs(prior - truth) > T_99[FITS - 1] * se, (key, "the fits spread too widely", estimates.tolist())


def test_calibration_writes_its_outputs(tmp_path, monkeypatch):
    """The command line writes every output of a (short) study; best.yaml is a scenario file and
    installs as the calibrated parameters."""
    spec_path = write_spec(tmp_path, GOOD)
    out = tmp_path / "fit"
    main([str(spec_path), *SMALL, "--replications", "5", "--trials", "6", "--ensemble", "6", "--out", str(out)])
    trials = pd.read_parquet(out / "trials.parquet")
    best = trials.loc[trials.objective.idxmin()]
    for name in ("best.yaml", "ensemble.parquet", "fit.csv", "fit.md", "fit.png", "identifiability.csv",
                 "identifiability.png", "report.md"):
        assert (out / name).is_file(), name
    scenario = load_scenario(str(out / "best.yaml"))  # best.yaml is a scenario file
    assert compose_scenario(scenario).handover.intercept == pytest.approx(best["handover.intercept"], abs=1e-3)
    monkeypatch.setattr(install, "PARAMS_FOLDER", tmp_path / "params")  # not the project's conf/
    (tmp_path / "params" / "city").mkdir(parents=True)
    written = install.install(out, "copenhagen")
    assert yaml.safe_load(written[0].read_text())["handover"]["intercept"] == pytest.approx(
        best["handover.intercept"], abs=1e-3)
    assert "b1908_football" in yaml.safe_load(written[1].read_text())["city"]["teams"]
    assert set(pd.read_csv(out / "fit.csv").kind) >= {"target"}
    assert np.isclose(pd.read_parquet(out / "ensemble.parquet").weight.sum(), 1.0)


def test_sim_run_takes_a_scenario_with_overrides_on_top():
    expanded = _with_scenario(["run.replications=3", "scenario=amager_everywhere"])
    assert expanded == [*load_scenario("amager_everywhere").overrides, "run.replications=3"]
    with pytest.raises(UserError, match="one scenario"):
        _with_scenario(["scenario=a,b"])


def test_install_command_refuses_a_folder_without_a_calibration(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        install_calibration.main([str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("error: ") and "no best.yaml" in err and err.count("\n") == 1
