"""sim.sensitivity: known answers (Ishigami through the same evaluation code), screening of the
model (an inert parameter near zero, the dominant one first), resume, the command line and its
one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.test_functions import Ishigami

from sim import sensitivity as cli
from sim.workflows.sensitivity import Spec, base_config, design, evaluate, indices, sample
from sim.workflows.sensitivity.spec import check, load

ISHIGAMI = Spec("ishigami", {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}, outputs=("y",))
# SALib's published values for Ishigami (a=7, b=0.1), analytic (Ishigami & Homma 1990; SALib docs).
S1_TRUE = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ST_TRUE = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
# Two intake waves, a horizon that reaches 52 weeks past the last programme end.
SMALL = ["intake.waves=2", "run.horizon_weeks=80"]


def ishigami(values):
    return {"y": float(Ishigami.evaluate(np.array([[values["x1"], values["x2"], values["x3"]]]))[0])}


def test_ishigami_sobol_reproduces_salib_and_the_published_indices():
    points = sample(ISHIGAMI, "sobol", 1024, seed=3)
    evaluated = evaluate(ishigami, points, progress=False)
    table = indices("sobol", ISHIGAMI, evaluated, seed=3).set_index("parameter")
    # The same numbers as SALib on its own, from the same sample and bootstrap seed ...
    direct = sobol_analyze.analyze(ISHIGAMI.problem(), Ishigami.evaluate(points.to_numpy()), calc_second_order=False,
                                   num_resamples=1000, seed=np.random.default_rng(3))
    np.testing.assert_allclose(table.loc[ISHIGAMI.names, "ST"], direct["ST"], rtol=1e-12)
    np.testing.assert_allclose(table.loc[ISHIGAMI.names, "S1_conf"], direct["S1_conf"], rtol=1e-12)
    # ... and close to the analytic values: within the bootstrap's 95% half-width, twice over.
    for name in ISHIGAMI.names:
        row = table.loc[name]
        assert abs(row["S1"] - S1_TRUE[name]) <= 2 * row["S1_conf"], (name, row["S1"], row["S1_conf"])
        assert abs(row["ST"] - ST_TRUE[name]) <= 2 * row["ST_conf"], (name, row["ST"], row["ST_conf"])
    assert list(table.index) == ["x1", "x2", "x3"]  # ranked by ST


def test_ishigami_morris_equals_salib():
    points = sample(ISHIGAMI, "morris", 50, seed=1)
    table = indices("morris", ISHIGAMI, evaluate(ishigami, points, progress=False), seed=1).set_index("parameter")
    direct = morris_analyze.analyze(ISHIGAMI.problem(), points.to_numpy(), Ishigami.evaluate(points.to_numpy()),
                                    num_resamples=1000, seed=np.random.default_rng(1))
    np.testing.assert_allclose(table.loc[ISHIGAMI.names, "mu_star"], direct["mu_star"], rtol=1e-12)
    np.testing.assert_allclose(table.loc[ISHIGAMI.names, "sigma"], direct["sigma"], rtol=1e-12)
    np.testing.assert_allclose(table.loc[ISHIGAMI.names, "mu_star_conf"], direct["mu_star_conf"], rtol=1e-12)


def test_model_screening_ranks_the_dominant_parameter_first_and_an_inert_one_near_zero():
    spec = Spec("toy", {"handover.intercept": (-5.6, -3.6), "patient.intercept": (-3.0, -1.0),
                        "club.lapse_base": (0.04, 0.10)}, outputs=("handover_rate", "patient_uptake"))
    base = base_config(SMALL, replications=20)
    points = sample(spec, "morris", 4, seed=0)
    table = indices("morris", spec, evaluate(design.SimulationModel(base, spec.outputs), points, progress=False),
                    seed=0)
    mu = table.set_index(["output", "parameter"])["mu_star"]
    assert table.groupby("output")["parameter"].first().to_dict() == {
        "handover_rate": "handover.intercept", "patient_uptake": "patient.intercept"}
    # The patient channel does not enter the club decision; with common random numbers only the
    # shifted random streams are left (a few tenths of a percentage point), far below the intercept.
    # (about 1.5% of it for design seeds 0-2; club.lapse_base is not inert: lapses free team places).
    assert mu["handover_rate", "patient.intercept"] < 0.05 * mu["handover_rate", "handover.intercept"]


def test_evaluate_resumes_from_chunks_and_refuses_another_design(tmp_path):
    points = sample(ISHIGAMI, "morris", 5, seed=2)  # 20 points, 5 chunks of 4
    first = evaluate(ishigami, points, tmp_path, progress=False)
    chunks = sorted((tmp_path / "chunks").glob("*.parquet"))
    assert len(chunks) == 5
    for path in chunks[1:3]:
        path.unlink()
    calls = []

    def counting(values):
        calls.append(values)
        return ishigami(values)

    again = evaluate(counting, points, tmp_path, progress=False)
    assert len(calls) == 8  # only the two missing chunks
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(Exception, match="another design"):
        evaluate(ishigami, sample(ISHIGAMI, "morris", 5, seed=9), tmp_path, progress=False)


@pytest.mark.slow  # starts worker processes
def test_parallel_evaluation_equals_serial():
    points = sample(ISHIGAMI, "morris", 4, seed=0)
    pd.testing.assert_frame_equal(evaluate(ishigami, points, n_jobs=2, progress=False),
                                  evaluate(ishigami, points, progress=False))


def test_command_writes_everything_and_resumes(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "small.yaml"
    spec.write_text("parameters:\n  handover.intercept: {low: -5.6, high: -3.6}\n"
                    "  city.associations.gymnastikforeningen_odk.facility_quality: {low: 0.1, high: 0.5}\n"
                    "outputs: [handover_rate, retention_52w]\n")
    out = tmp_path / "out"
    # blocks of 2 replications: batches of 4 * 2 // 4 = 2 points, one chunk file each
    argv = [str(spec), *SMALL, "run.chunk_size=2", "--n", "3", "--replications", "4", "--n-jobs", "1",
            "--out", str(out)]
    cli.main(argv)
    assert {p.name for p in out.iterdir()} >= {"indices.csv", "design.parquet", "report.md", "handover_rate.png",
                                                "retention_52w.png", "sensitivity.json", "chunks"}
    table = pd.read_csv(out / "indices.csv")
    assert list(table.columns) == ["output", "parameter", "mu_star", "mu_star_conf", "mu", "sigma"]
    assert len(table) == 4 and table.groupby("output")["parameter"].first()["handover_rate"] == "handover.intercept"
    points = pd.read_parquet(out / "design.parquet")
    assert len(points) == 9 and {"point", "handover.intercept", "handover_rate"} <= set(points.columns)
    # 3 trajectories and 4 replications: flagged on the terminal and in the report, not silently read as a ranking
    report = (out / "report.md").read_text()
    assert "- warning: a small run: 3 Morris trajectories" in report
    assert "What matters most for the handover rate" in report and "| 1 | `handover.intercept` |" in report
    printed, err = capsys.readouterr()
    assert "warning: a small run: 3 Morris trajectories" in err
    assert "handover_rate: What matters most" in printed

    (out / "chunks" / "0000004.parquet").unlink()  # points 4-5 lost, as after an interruption
    calls = []
    original = design.SimulationModel.batch
    monkeypatch.setattr(design.SimulationModel, "batch", lambda self, p: calls.extend(p.index) or original(self, p))
    cli.main(argv)
    assert calls == [4, 5]
    pd.testing.assert_frame_equal(pd.read_csv(out / "indices.csv"), table)

    with pytest.raises(SystemExit) as exit_:
        cli.main([*argv, "--seed", "1"])
    assert exit_.value.code == 2 and "another seed" in capsys.readouterr().err


def test_command_sobol_writes_its_columns_bars_and_report(tmp_path):
    spec = tmp_path / "two.yaml"
    spec.write_text("parameters:\n  handover.intercept: {low: -5.6, high: -3.6}\n"
                    "  patient.intercept: {low: -3, high: -1}\noutputs: [patient_uptake]\n")
    out = tmp_path / "out"
    cli.main([str(spec), *SMALL, "--method", "sobol", "--n", "4", "--replications", "2", "--n-jobs", "1",
              "--out", str(out)])
    table = pd.read_csv(out / "indices.csv")
    assert list(table.columns) == ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert table["parameter"].iloc[0] == "patient.intercept"  # ranked by ST
    assert len(pd.read_parquet(out / "design.parquet")) == 4 * (2 + 2)
    assert (out / "patient_uptake.png").stat().st_size > 10_000
    assert "(Sobol')" in (out / "report.md").read_text() and "| ST |" in (out / "report.md").read_text()


BAD = {
    "unknown key": ("parameters:\n  handover.nope: {low: 0, high: 1}\n", "handover.nope"),
    "unknown entity": ("parameters:\n  city.teams.nope.capacity: {low: 1, high: 9}\n", "nope"),
    "range outside": ("parameters:\n  instructor.turnover_annual: {low: 0.1, high: 1.5}\n", "probability"),
    "empty range": ("parameters:\n  handover.intercept: {low: -3, high: -4}\n", "below"),
    "true/false key": ("parameters:\n  club.cafe: {low: 0, high: 1}\n", "club.cafe"),
    "no range": ("parameters:\n  handover.intercept: -4\n", "{low: NUMBER, high: NUMBER}"),
    "unknown output": ("parameters:\n  handover.intercept: {low: -5, high: -4}\noutputs: [happiness]\n", "happiness"),
    "unknown entry": ("parameters:\n  handover.intercept: {low: -5, high: -4}\nmethod: sobol\n", "'method'"),
    "not a mapping": ("- handover.intercept\n", "expected a mapping"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_specs_exit_2_with_one_line_before_anything_runs(tmp_path, capsys, case):
    text, needle = BAD[case]
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(SystemExit) as exit_:
        cli.main([str(tmp_path / "bad.yaml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, needle", [
    (["nope"], "unknown sensitivity spec 'nope'"),
    (["missing.yaml"], "does not exist"),
    (["--method", "sobol", "--n", "100"], "power of two"),
    (["--n", "1"], "at least 2"),
    (["run.engine=agent"], "run.engine: fixed"),
    (["run.replications=5"], "--replications"),
    (["policy=nowhere"], "policy=nowhere"),
    (["--method", "fast"], "invalid choice"),
])
def test_bad_options_exit_2_with_one_line(tmp_path, capsys, args, needle):
    with pytest.raises(SystemExit) as exit_:
        cli.main([*args, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "out").exists()


def test_resume_guard_and_no_traceback_from_the_command_line(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sensitivity.json").write_text(json.dumps({"spec": {}, "method": "morris"}))
    env = {**os.environ, "HYDRA_FULL_ERROR": ""}
    proc = subprocess.run([sys.executable, "-m", "sim.sensitivity", "--out", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "another spec" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1 and sorted(p.name for p in out.iterdir()) == ["sensitivity.json"]


def test_small_run_warning_names_what_is_small():
    assert cli.small_run("morris", 20, 100) == "" and cli.small_run("sobol", 256, 10) == ""
    assert "2 Morris trajectories" in cli.small_run("morris", 2, 100)
    assert "32 Sobol' base samples" in cli.small_run("sobol", 32, 100)
    assert "5 replications per point" in cli.small_run("morris", 20, 5)


def test_default_spec_is_valid_and_has_15_to_25_assumed_knobs():
    spec = load("default")
    check(spec, base_config([], 1))
    assert 15 <= len(spec.parameters) <= 25
    assert spec.outputs == ("handover_rate", "retention_52w", "cost_per_retained_52w", "patient_uptake")
    text = Path(cli.__file__).parents[1].joinpath("conf", "sensitivity", "default.yaml").read_text()
    assert all(f"  {key}:" in text for key in spec.parameters)
