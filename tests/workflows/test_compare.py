"""`python -m sim.compare`: tables, paired differences, figures, user errors; `sim.workflows.analysis` and
`sim.present.plots`."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import compare
from sim.errors import UserError
from sim.present import labels, plots
from sim.present.comparison import plain_summary
from sim.workflows import files
from sim.workflows.analysis import comparison, paired, retention_by_replication, retention_curve
from sim.workflows.compare import COUNTS, evaluate
from sim.workflows.sweep import code_version

# One intake wave and a horizon that reaches 52 weeks after its programme end (12 + 52 < 66).
SMALL = ["intake.waves=1", "run.horizon_weeks=66", "run.replications=3", "run.progress=false"]
FILES = {"comparison.csv", "comparison.md", "summary.parquet", "retention.csv", "retention.png",
         "handover_retention.png", "cost_per_retained.png", "config", "comparison.html", "counts.csv", "rates.csv",
         "costs.csv", "incremental.csv", "by_centre.csv", "cost_items.png", "incremental.png", "decision.csv",
         "acceptability.csv", "ceac.png", "value_of_information.csv"}


@pytest.fixture
def twin(tmp_path: Path) -> str:
    """A copy of the reference scenario under another name: every paired difference must be 0."""
    path = tmp_path / "twin.yaml"
    path.write_text("# What if nothing changed?\npolicy: mixed\n")
    return str(path)


def test_compare_writes_tables_and_figures(tmp_path, twin, capsys):
    out = tmp_path / "out"
    compare.main(["as_reported", "amager_everywhere", twin, *SMALL, "--out", str(out)])
    assert {p.name for p in out.iterdir()} >= FILES
    assert {p.name for p in (out / "config").iterdir()} == {"as_reported.yaml", "amager_everywhere.yaml", "twin.yaml"}
    assert all((out / f).stat().st_size > 10_000 for f in FILES if f.endswith(".png"))
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == ["metric", "scenario", "mean", "ci_low", "ci_high", "diff_mean", "diff_low",
                                   "diff_high"]
    assert {"handover_rate", "retention_52w", "cost_per_retained_52w"} <= set(table["metric"])
    reference = table[table["scenario"] == "as_reported"]
    assert reference["diff_mean"].isna().all()
    same = table[table["scenario"] == "twin"]
    assert (same[["diff_mean", "diff_low", "diff_high"]].abs().max() == 0).all()  # common random numbers
    amager = table[(table["scenario"] == "amager_everywhere") & (table["metric"] == "handover_rate")].iloc[0]
    assert amager["diff_low"] <= amager["diff_mean"] <= amager["diff_high"]
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 3 * 3 and set(summary["scenario"]) == {"as_reported", "amager_everywhere", "twin"}
    printed = capsys.readouterr().out
    assert "| metric | scenario | mean | 95% interval | difference to as_reported | 95% interval |" in printed
    assert printed.split("\n\ntables, figures")[0].strip() == (out / "comparison.md").read_text().strip()
    assert not [p for p in out.iterdir() if p.name.startswith(".partial")]
    incremental = pd.read_csv(out / "incremental.csv").set_index("scenario")
    assert incremental.loc["twin", "extra_retained_52w"] == 0 and incremental.loc["twin", "extra_cost"] == 0
    assert np.isnan(incremental.loc["twin", "cost_per_extra_retained_52w"])
    by_centre = pd.read_csv(out / "by_centre.csv")
    assert {"Østerbro", "Nørrebro", "Amager", "Vanløse", "Vesterbro", "(city-wide)"} == set(by_centre["centre"])
    html = (out / "comparison.html").read_text(encoding="utf-8")
    assert "Amager model everywhere" in html and "What if every centre ran the Amager model" in html
    # comparisons spread replications over the shipped calibration ensemble by default
    assert "cost_per_extra_retained_52w" in html and "Intervals: Monte Carlo + calibration." in html
    assert "costs.coordination_week" in html and html.count("data:image/png;base64,") == 6  # + ceac (no evppi: 3 draws)
    assert "http" not in html.replace("http-equiv", "") and "<script" not in html  # nothing loaded from elsewhere
    # the first screen: the plans, the summary in words, the decision at two prices, the headline ranges, the
    # acceptability curve and three figures; every table folded below it
    top, details = html.split("<h2>Details</h2>")
    assert "<table" in top and top.count("<li>") == 3 + 2 and top.count("data:image/png") == 4 and "<details" not in top
    assert "At 20,000 DKK per extra citizen kept active" in top and "At 50,000 DKK" in top
    assert "90% range of outcomes, parameters + Monte Carlo" in top and "precision of the mean" in details
    assert details.count("<details>") >= 8 and code_version() in top and "made 20" in top
    markdown = (out / "comparison.md").read_text(encoding="utf-8")
    assert "Intervals: Intervals" not in markdown
    costs_part = markdown.split("## Municipal cost by item")[1].split("## Incremental")[0]
    for metric in pd.read_csv(out / "costs.csv")["metric"].unique():  # each table once, each row once
        assert costs_part.count(f"| {labels.label(metric, of=True)} |") == 1, metric


def test_reference_option_and_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    compare.main(["as_reported", "baseline_everywhere", *SMALL, "run.citizens_table=false",
                  "--reference", "baseline_everywhere"])
    (out,) = (tmp_path / "results" / "compare").iterdir()
    table = pd.read_csv(out / "comparison.csv")
    assert table.loc[table["scenario"] == "baseline_everywhere", "diff_mean"].isna().all()
    assert not (out / "retention.png").exists()  # no per-citizen table, no retention curves


def test_retention_curve_agrees_with_the_summary_metrics():
    res = sim.simulate(sim.compose(SMALL))
    curve = retention_by_replication(res)
    assert curve.shape == (3, 53)
    np.testing.assert_allclose(curve[:, 26], res.summary["retention_26w"])
    np.testing.assert_allclose(curve[:, 52], res.summary["retention_52w"])
    table = retention_curve(res)
    assert list(table.columns) == ["week", "mean", "ci_low", "ci_high"] and len(table) == 53
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()


def test_comparison_pairs_replications():
    a = pd.DataFrame({"replication": [0, 1, 2], "handover_rate": [0.2, 0.3, 0.4]})
    b = pd.DataFrame({"replication": [2, 0, 1], "handover_rate": [0.5, 0.3, 0.4]})  # +0.1 in every replication
    table = comparison({"a": a, "b": b}, reference="a", metrics=("handover_rate", "retention_52w"))
    row = table[table["scenario"] == "b"].iloc[0]
    assert row["diff_mean"] == pytest.approx(0.1) and row["diff_high"] - row["diff_low"] == pytest.approx(0)
    assert set(table["metric"]) == {"handover_rate"}  # metrics no scenario has are left out


def test_paired_differences_match_pandas_alignment_and_leave_out_missing_pairs():
    rng = np.random.default_rng(3)
    a = pd.Series(rng.normal(size=50), index=pd.RangeIndex(50, name="replication"))
    b = pd.Series(rng.normal(size=50), index=pd.RangeIndex(50, name="replication"))
    a.iloc[[4, 9]] = np.nan
    same_order = paired(a, b)  # the array shortcut
    assert len(same_order) == 48
    np.testing.assert_array_equal(same_order, (a - b).dropna().to_numpy())
    shuffled = b.sample(frac=1, random_state=1).iloc[:45]  # other order, five replications missing
    expected = (a - shuffled).dropna()
    np.testing.assert_array_equal(paired(a, shuffled), expected.to_numpy())
    assert len(expected) < 45


def test_figures_are_labelled():
    curves = {"a": pd.DataFrame({"week": [0, 1], "mean": [0.1, 0.2], "ci_low": [0.05, 0.1], "ci_high": [0.15, 0.3]})}
    table = pd.DataFrame({
        "metric": ["handover_rate", "retention_52w", "cost_per_retained_52w"] * 2,
        "scenario": ["a"] * 3 + ["b"] * 3,
        "mean": [0.3, 0.2, 900, 0.4, 0.25, 700], "ci_low": [0.2, 0.1, 800, 0.3, 0.2, 600],
        "ci_high": [0.4, 0.3, 1000, 0.5, 0.3, 800],
    })
    for fig in (plots.retention_figure(curves), plots.handover_retention_figure(table), plots.cost_figure(table)):
        for ax in fig.axes:
            assert ax.get_xlabel()
        assert fig.axes[0].get_ylabel() or [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    assert plots.retention_figure(curves).axes[0].get_legend() is not None
    assert "DKK" in plots.cost_figure(table).axes[0].get_xlabel()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["amagr_everywhere"], "unknown scenario 'amagr_everywhere'; available:"),
        (["BAD"], "scenario bad ("),
        (["as_reported", "instructor.turnover_annual=1.5"], "instructor.turnover_annual=1.5 is out of range"),
        (["as_reported", "instructor.turnover=0.4"], "unknown config key 'instructor.turnover'"),
        (["as_reported", "SEED"], "run.seed=7"),
        (["as_reported", "amager_everywhere", "--reference", "vesterbro_everywhere"], "--reference"),
        (["as_reported", "--out", "afile/out"], "cannot write to afile/out"),
        (["run.replications=3"], "no scenario given"),
        (["as_reported", "--colour", "red"], "unrecognized arguments"),
        (["as_reported", "--prices", "20k"], "'20k': DKK amounts separated by commas"),
        (["as_reported", "--prices", "-5"], "at least 0 DKK"),
        (["as_reported", "--years", "0"], "a whole number of years, at least 1"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, monkeypatch, capsys, args, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("in the way")
    (tmp_path / "bad.yaml").write_text("# What if?\ninstructor:\n  turnover: 0.4\n")
    (tmp_path / "seed.yaml").write_text("# What if?\nrun:\n  seed: 7\n")
    args = [{"BAD": "bad.yaml", "SEED": "seed.yaml"}.get(a, a) for a in args]
    with pytest.raises(SystemExit) as exit_:
        compare.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "results").exists()


def test_cli_error_has_no_traceback(tmp_path):
    env = {**os.environ, "HYDRA_FULL_ERROR": ""}
    proc = subprocess.run([sys.executable, "-m", "sim.compare", "as_reported", "club.cafe=maybe"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("error: club.cafe") and "Traceback" not in proc.stderr


def test_output_folder_without_permission(tmp_path, capsys, monkeypatch):
    """A folder the user may not write to (made so by refusing every file in it: root, as in CI, may
    write anywhere, so file modes cannot make one) stops the command before any run."""
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr(compare, "run", lambda *a, **k: pytest.fail("ran before checking the folder"))
    with pytest.raises(SystemExit) as exit_:
        compare.main(["as_reported", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err == f"error: cannot write to {tmp_path / 'out'}: Permission denied\n"


def test_evaluate_is_the_one_computation(tmp_path):
    """`evaluate` on composed configs, as the dashboard calls it: tables, progress, plain summary."""
    configs = {"as_reported": sim.compose(SMALL), "amager": sim.compose([*SMALL, "policy=amager"])}
    calls = []
    result = evaluate(configs, "as_reported", lambda done, total: calls.append((done, total)),
                              titles={"amager": "Amager model everywhere"})
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert result.titles == {"as_reported": "As reported", "amager": "Amager model everywhere"}
    assert set(result.counts["metric"]) == set(COUNTS)
    assert {"cost_club_sessions", "cost_coleading", "cost_municipality", "club_net"} <= set(result.costs["metric"])
    row = result.incremental.set_index("scenario").loc["amager"]
    ratio = row["extra_cost"] / row["extra_retained_52w"]
    assert row["cost_per_extra_retained_52w"] == pytest.approx(ratio)
    text = plain_summary(result)
    assert text.startswith("Over the run") and "Amager model everywhere hands over" in text
    counts = result.by_centre[(result.by_centre.metric == "started") & (result.by_centre.scenario == "amager")]
    total = result.counts[(result.counts.metric == "started") & (result.counts.scenario == "amager")]["mean"]
    assert counts["mean"].sum() == pytest.approx(float(total.iloc[0]))  # the centres add up to the city
    with pytest.raises(UserError, match="reference"):
        evaluate(configs, "nope")


def test_sim_run_and_sim_compare_give_the_same_headline_by_default(tmp_path, capsys):
    """One default everywhere: the default plan (as_reported) and seed give the same replications, with
    the same parameter draws, from `python -m sim.run` and `python -m sim.compare`, and the same headline."""
    import subprocess
    import sys

    from sim.model.metrics import HEADLINE

    run_dir = tmp_path / "run"
    printed = subprocess.run([sys.executable, "-m", "sim.run", "run.replications=6", "run.progress=false",
                              f"hydra.run.dir={run_dir}"], capture_output=True, text=True, check=True).stdout
    compare.main(["as_reported", "run.replications=6", "--out", str(tmp_path / "cmp")])
    ran = pd.read_parquet(run_dir / "summary.parquet")
    compared = pd.read_parquet(tmp_path / "cmp" / "summary.parquet").drop(columns="scenario")
    assert "parameter_set" in ran and ran["parameter_set"].nunique() > 1  # spread over the shipped ensemble
    pd.testing.assert_frame_equal(ran[["replication", "parameter_set", *HEADLINE]],
                                  compared[["replication", "parameter_set", *HEADLINE]])
    decision = pd.read_csv(tmp_path / "cmp" / "decision.csv").set_index("metric")
    row = next(line for line in printed.splitlines() if line.startswith("retention_52w "))
    low, high = decision.loc["retention_52w", ["range_low", "range_high"]]
    assert f"{100 * low:.1f}% to {100 * high:.1f}%" in row  # the same range of outcomes, printed by both
    assert "parameters + Monte Carlo" in printed
