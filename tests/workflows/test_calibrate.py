"""sim.calibrate: bad specs stop before any work; the sampler resumes to the same draws; the posterior
recovers known parameters; the outputs install."""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import install_calibration
from sim.calibrate import main, parse, prepare
from sim.errors import UserError
from sim.run import _with_scenario
from sim.workflows.calibration import install, smc
from sim.workflows.calibration import study as st
from sim.workflows.calibration.prior import Prior
from sim.workflows.calibration.spec import load
from sim.workflows.calibration.study import summary_columns
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
  - {name: total, metric: summary.handed_over, observed: 120, likelihood: poisson, rounded: 10, at_week: 45}
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
    ("handover.intercept: {low: -6.0, high: -2.0, prior_beta: [2, 2]}", "beta prior needs low >= 0"),
    ("club.lapse_base: {low: 0.0, high: 0.5, prior_beta: [2]}", "prior_beta is [a, b]"),
    ("club.lapse_base: {low: 0.0, high: 0.5, prior_beta: [2, 2], prior_sd: 0.1}", "not both"),
]
BAD_TARGETS = [
    ("{name: x, metric: team.nope.joined_total, observed: 3, likelihood: poisson}", "targets.x: unknown team 'nope'"),
    ("{name: x, metric: summary.nope, observed: 3, likelihood: poisson}", "targets.x: unknown metric"),
    ("{name: x, metric: summary.retention_52w, observed: 3, likelihood: poisson, at_week: 40}", "at_week"),
    ("{name: x, metric: summary.completion_rate, observed: 0.7, likelihood: binomial}", "targets.x: the binomial"),
    ("{name: x, metric: summary.handed_over, observed: 3, likelihood: gamma}", "targets.x: unknown likelihood"),
    ("{name: x, metric: summary.handed_over, observed: 3, likelihood: normal}", "targets.x: the normal"),
    ("{name: x, metric: summary.handed_over, observed: 3, likelihood: poisson, at_week: 999}", "targets.x: at_week"),
    ("{name: x, metric: summary.handed_over, observed: 12, likelihood: poisson, rounded: 5}", "observed multiple of 5"),
    ("{name: x, metric: summary.handed_over, observed: 10, likelihood: poisson, rounded: 0}", "rounded is a whole"),
    ("{name: x, metric: summary.completion_rate, observed: 0.7, likelihood: binomial, n: 9, rounded: 5}",
     "needs a count likelihood"),
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


def test_a_bad_spec_exits_2_with_one_line_before_any_work(tmp_path, capsys):
    spec = write_spec(tmp_path, GOOD.replace("handover.intercept", "handover.nope"))
    code, err = run_main([str(spec), *SMALL, "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "parameters.handover.nope" in err
    assert not (tmp_path / "out" / st.STATE).exists()


@pytest.mark.parametrize(("top", "named"), [
    ("sum_to_zero: [handover.intercept]", "sum_to_zero: a list of at least two"),
    ("sum_to_zero: [handover.intercept, handover.familiarity]", "'handover.familiarity' is not among them"),
    ("discrepancy: -0.1", "discrepancy must be >= 0"),
])
def test_bad_top_level_entries_are_refused(tmp_path, base, top, named):
    with pytest.raises(UserError, match=re.escape(named)):
        load(str(write_spec(tmp_path, GOOD + top + "\n")), *base)


@pytest.mark.parametrize("option", ["--particles=5", "--replications=1", "--n-jobs=0", "--trials=3"])
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, option):
    code, err = run_main([option, "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and len(err.splitlines()) == 1


def test_help_says_what_is_written(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for name in ("posterior.parquet", "best.yaml", "report.md", "resume", "--particles"):
        assert name in text, name


def test_unknown_spec_key_and_unknown_spec_name(tmp_path, base):
    with pytest.raises(UserError, match="unknown key 'sampler'"):
        load(str(write_spec(tmp_path, GOOD + "sampler: tpe\n")), *base)
    with pytest.raises(UserError, match="unknown calibration spec 'nope'"):
        load("nope", *base)


def test_the_shipped_spec_is_valid_and_counts_nothing_twice():
    base, spec = prepare(parse(["copenhagen", "--replications", "2"]))
    assert len(spec.targets) == 16 and {t.name for t in spec.holdout} == {"completion"}
    assert "new_teams" in {t.name for t in spec.targets}
    # the rows' total is not a target beside them (it would count the level twice)
    assert not any(str(m) == "summary.handed_over" for t in spec.targets for m in t.metrics)
    # every listed team's attractiveness is in the sum-to-zero group, and every parameter has a proper prior
    teams = [k for k in spec.keys if k.endswith(".attractiveness")]
    assert len(teams) == 16 and set(spec.sum_to_zero) == set(teams)
    assert all(p.prior != "uniform" or (p.low > -np.inf and p.high < np.inf) for p in spec.parameters)
    # rows reported as multiples of 5 are scored as rounded, the others (4, 9, 26) as exact
    for t in spec.targets:
        assert t.rounded == (5 if t.observed % 5 == 0 and t.name != "new_teams" else 1), t.name
    assert base.handover.intercept == compose(["params=prior"]).handover.intercept  # particles start from priors


def test_leave_out_moves_one_target_to_the_checks_and_names_its_own_study():
    _, spec = prepare(parse(["copenhagen", "--replications", "2"]))
    held = st.leave_out(spec, "floorball")
    assert [t.name for t in held.targets] == [t.name for t in spec.targets if t.name != "floorball"]
    assert [t.name for t in held.holdout] == ["floorball", *(t.name for t in spec.holdout)]
    assert held.digest != spec.digest  # a refit never resumes the full calibration's folder
    with pytest.raises(UserError, match="nope: not a target of spec copenhagen"):
        st.leave_out(spec, "nope")


def test_particles_that_differ_in_max_extra_count_as_they_would_alone():
    """A batch runs particles with different team.max_extra in one block (sister slots for the
    largest, sim.workflows.simulate); each particle's counts are those of a run of that value alone."""
    base, spec = prepare(parse(["copenhagen", "--replications", "3"]))
    cfg = st.calibration_base(apply(base, {"team.open_threshold": 1, "team.sister_capacity": 6}), spec, 3)
    targets = tuple(t for t in spec.targets if t.name in ("new_teams", "groenne_aeble_basic"))
    mixed = st.simulated(cfg, targets, pd.DataFrame({"team.max_extra": [1, 4]}))
    for i, extra in enumerate((1, 4)):
        alone = st.simulated(cfg, targets, pd.DataFrame({"team.max_extra": [extra]}))
        for t in targets:
            np.testing.assert_array_equal(mixed[t.name][i], alone[t.name][0])
    assert (mixed["new_teams"][0] <= 16 + 16).all()  # at most one sister per listed team
    assert mixed["new_teams"][1].mean() > mixed["new_teams"][0].mean()  # the cap binds at threshold 1


def test_no_direction_of_the_config_is_invisible_to_the_data():
    """Adding c to every attractiveness (and so, before, -c to the intercept) leaves the config's
    attractivenesses unchanged: the intercept alone sets the level, so the old flat direction
    (intercept + c, attractivenesses - c) now changes the simulation."""
    base, spec = prepare(parse(["copenhagen", "--replications", "2"]))
    prior = Prior.of(spec)
    z = prior.sample(np.random.default_rng(3), 5)
    shifted = z + 0.5 * prior.centred
    v, w = prior.values(z), prior.values(shifted)
    np.testing.assert_allclose(v, w, atol=1e-12)
    np.testing.assert_allclose(v[:, prior.centred].sum(axis=1), 0.0, atol=1e-12)


def _interrupt_after(monkeypatch, calls: int):
    """Make the engine fail after `calls` chunks (a killed process, as far as the folder knows)."""
    real = st.Problem.evaluate
    count = {"n": 0}

    def evaluate(self, values):
        count["n"] += 1
        if count["n"] > calls:
            raise KeyboardInterrupt
        return real(self, values)

    monkeypatch.setattr(st.Problem, "evaluate", evaluate)
    return count


def test_an_interrupted_calibration_resumes_to_the_same_draws_without_repeating_batches(tmp_path, capsys, monkeypatch):
    spec_path = write_spec(tmp_path, GOOD)
    argv = [str(spec_path), *SMALL, "--particles", "40", "--replications", "3", "--predictive", "2", "--n-jobs", "1"]
    with pytest.raises(SystemExit):  # 40 particles are too few for the thresholds: exit 1, outputs written
        main([*argv, "--out", str(tmp_path / "whole")])
    count = _interrupt_after(monkeypatch, 7)
    with pytest.raises(KeyboardInterrupt):
        main([*argv, "--out", str(tmp_path / "cut")])
    chunks = sorted((tmp_path / "cut" / st.CHUNKS).glob("*.npz"))
    assert len(chunks) == 7
    monkeypatch.undo()
    count = _interrupt_after(monkeypatch, 10**6)
    with pytest.raises(SystemExit):
        main([*argv, "--out", str(tmp_path / "cut")])
    total = len(list((tmp_path / "whole" / st.CHUNKS).glob("*.npz")))
    assert count["n"] == total - 7  # the 7 finished chunks were read, not run again
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cut" / "posterior.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "posterior.parquet"))
    # another spec into the same folder is refused
    other = write_spec(tmp_path, GOOD.replace("observed: 120", "observed: 130"))
    code, err = run_main([str(other), *SMALL, "--particles", "40", "--replications", "3", "--out",
                          str(tmp_path / "cut")], capsys)
    assert code == 2 and "another spec" in err


# --- recovering known parameters ----------------------------------------------------------------
# Targets counted while citizens are still being handed over (the three waves' windows close in weeks
# 15, 21 and 27), so that the week a target is counted at matters. Wide priors, so that the posterior
# mean is close to the likelihood's maximum (a prior of sd 1 would pull it towards its mean on purpose).
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
FITS = 4  # seeds: each fit has its own observations (run seed 99 + k), particles' run seed and sampler seed
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
    """The posterior mean (200 particles, 10 replications each) for the k-th seed's observations."""
    text = RECOVERY
    for name, value in observations(99 + k).items():
        text = text.replace(name, str(value))
    spec_path = tmp_path / f"recovery_{k}.yaml"
    spec_path.write_text(textwrap.dedent(text), encoding="utf-8")
    base, spec = prepare(parse([str(spec_path), *SMALL, f"run.seed={k}", "--n-jobs", "1"]))
    prior = Prior.of(spec)
    problem = st.Problem(st.calibration_base(base, spec, 10), spec, prior)
    state = st.calibrate(problem, smc.Settings(particles=200, seed=k))
    return st.posterior(prior, state).mean().to_dict()


@pytest.mark.slow
def test_parameter_recovery(tmp_path):
    """Fits of observations made at known values recover them: over FITS seeds, the mean estimate of
    each parameter is within t(0.995, FITS-1) standard errors of the truth, the standard error being
    the spread of the fits over the seeds / sqrt(FITS) (observation noise, Monte Carlo noise of the
    particles, the sampler's own) — a tolerance the fit earns, not one picked. Counting a target at
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


def test_calibration_writes_its_outputs_and_installs_only_when_its_diagnostics_pass(tmp_path, monkeypatch, capsys):
    """The command line writes every output; best.yaml is a scenario file at the posterior median;
    a posterior failing its thresholds is refused by the installer, one passing is installed."""
    spec_path = write_spec(tmp_path, GOOD)
    out = tmp_path / "fit"
    code, _ = run_main([str(spec_path), *SMALL, "--particles", "40", "--replications", "3", "--predictive", "2",
                        "--n-jobs", "1", "--out", str(out)], capsys)
    assert code == 1  # 40 draws: fewer distinct draws and effective size than the thresholds ask
    for name in ("posterior.parquet", "best.yaml", "diagnostics.json", "fit.csv", "fit.png", "learned.csv",
                 "learned.png", "pairs.png", "report.md"):
        assert (out / name).is_file(), name
    draws = pd.read_parquet(out / "posterior.parquet")
    assert list(draws.columns) == ["handover.intercept", "city.teams.b1908_football.attractiveness"]
    scenario = load_scenario(str(out / "best.yaml"))  # best.yaml is a scenario file
    assert compose_scenario(scenario).handover.intercept == pytest.approx(draws["handover.intercept"].median(),
                                                                          abs=1e-3)
    report = (out / "report.md").read_text()
    assert "fails a threshold" in report and "unreliable: the diagnostics failed" in report  # a small run is flagged
    monkeypatch.setattr(install, "PARAMS_FOLDER", tmp_path / "params")  # not the project's conf/
    monkeypatch.setattr(install, "provenance_path", lambda city: tmp_path / "params" / "ensemble" / "p.yaml")
    (tmp_path / "params" / "city").mkdir(parents=True)
    with pytest.raises(UserError, match="fails a diagnostic threshold"):
        install.install(out, "copenhagen")
    info = json.loads((out / "diagnostics.json").read_text())
    (out / "diagnostics.json").write_text(json.dumps({**info, "passed": True}))  # as if it had passed
    written = install.install(out, "copenhagen")
    assert yaml.safe_load(written[0].read_text())["handover"]["intercept"] == pytest.approx(
        draws["handover.intercept"].median(), abs=1e-3)
    assert "b1908_football" in yaml.safe_load(written[1].read_text())["city"]["teams"]
    ensemble = pd.read_csv(written[2])
    assert len(ensemble) == len(draws) and np.isclose(ensemble.weight.sum(), 1.0)
    assert yaml.safe_load(written[3].read_text())["digest"] == info["digest"]


def test_sim_run_takes_a_scenario_with_overrides_on_top():
    expanded = _with_scenario(["run.replications=3", "scenario=amager_everywhere"])
    assert expanded == [*load_scenario("amager_everywhere").overrides, "run.replications=3"]
    with pytest.raises(UserError, match="one scenario"):
        _with_scenario(["scenario=a,b"])


def test_install_command_refuses_a_folder_without_a_calibration(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        install_calibration.main([str(tmp_path)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("error: ") and "no posterior.parquet" in err
    assert err.count("\n") == 1
