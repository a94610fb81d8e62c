"""Sweeps (`python -m sim.run -m`): aggregation, failed jobs, resume, interruptions, launchers, user errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hydra import compose as hydra_compose
from hydra import initialize_config_module

import sim
from sim import run
from sim import sweep as sweep_cli
from sim.workflows import sweep
from tests.conftest import import_or_skip

ROOT = Path(__file__).resolve().parents[2]
GATE = Path(__file__).resolve().parent / "sweep_gate"
TINY = ["intake.waves=1", "run.horizon_weeks=30", "run.replications=2", "run.progress=false"]


def _cli(*args: str, cwd: Path, module: str = "sim.run") -> subprocess.CompletedProcess:
    env = {**os.environ, "HYDRA_FULL_ERROR": ""}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def _sweep(tmp_path: Path, *args: str, launcher: str = "basic") -> subprocess.CompletedProcess:
    return _cli("-m", *TINY, *args, f"hydra/launcher={launcher}", f"hydra.sweep.dir={tmp_path / 'sweep'}",
                cwd=tmp_path)


def _in_process(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", ["sim.run", "-m", *TINY, "hydra/launcher=basic", *args])
    run.main()


def test_sweep_writes_job_folders_and_one_aggregated_table(tmp_path):
    proc = _sweep(tmp_path, "policy=amager,baseline", "club.cafe=true,false")
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "sweep"
    for job in range(4):  # each job's folder is a complete run folder
        names = {p.name for p in (root / str(job)).iterdir()}
        assert {"summary.parquet", "weekly.parquet", "teams.parquet", "config.yaml", ".hydra", sweep.KEY_FILE} <= names
    table = pd.read_parquet(root / "summary.parquet")
    assert list(table.columns[:4]) == ["job", "policy", "club.cafe", "replication"]
    assert len(table) == 4 * 2 and sorted(table["job"].unique()) == [0, 1, 2, 3]
    assert set(table["policy"]) == {"amager", "baseline"} and table["club.cafe"].dtype == bool
    assert {"handover_rate", "retention_26w", "cost_municipality"} <= set(table.columns)
    assert len(pd.read_csv(root / "summary.csv")) == len(table)
    assert pd.read_csv(root / sweep.FAILED_FILE).empty
    assert "4 of 4 jobs complete" in proc.stdout


def test_joblib_launcher_and_sweep_folder_are_the_defaults(tmp_path):
    proc = _cli("-m", *TINY, "instructor.turnover_annual=0.1,0.5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Joblib.Parallel" in proc.stdout
    (root,) = (tmp_path / "results" / "sweeps").iterdir()
    table = pd.read_parquet(root / "summary.parquet")
    assert sorted(table["instructor.turnover_annual"].unique()) == [0.1, 0.5]


def test_submitit_local_launcher(tmp_path):
    import_or_skip("hydra_plugins.hydra_submitit_launcher")
    proc = _sweep(tmp_path, "policy=amager,vanlose", launcher="submitit_local")
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(tmp_path / "sweep" / "summary.parquet")
    assert set(table["policy"]) == {"amager", "vanlose"} and len(table) == 4


def test_slurm_preset_composes():
    import_or_skip("hydra_plugins.hydra_submitit_launcher")
    with initialize_config_module(config_module="conf", version_base="1.3"):
        cfg = hydra_compose("config", overrides=["hydra/launcher=slurm", "hydra.launcher.partition=short"],
                            return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.partition == "short" and launcher.cpus_per_task == 1 and launcher.mem_gb == 4


def test_failed_job_is_listed_and_the_others_are_kept(tmp_path, monkeypatch, capsys):
    real = sweep.simulate

    def flaky(cfg):
        if cfg.instructor.turnover_annual == 0.5:
            raise RuntimeError("boom")
        return real(cfg)

    monkeypatch.setattr(sweep, "simulate", flaky)
    with pytest.raises(SystemExit) as exit_:
        _in_process(monkeypatch, "instructor.turnover_annual=0.1,0.5,0.9", f"hydra.sweep.dir={tmp_path}")
    assert exit_.value.code == 1
    table = pd.read_parquet(tmp_path / "summary.parquet")
    assert sorted(table["job"].unique()) == [0, 2]
    failed = pd.read_csv(tmp_path / sweep.FAILED_FILE)
    assert failed["job"].tolist() == [1] and failed["error"].tolist() == ["RuntimeError: boom"]
    assert (tmp_path / "1" / sweep.ERROR_FILE).exists() and not (tmp_path / "1" / sweep.KEY_FILE).exists()
    err = capsys.readouterr().err
    assert "#1 " in err and "boom" in err and "1 of 3 jobs failed" in err


def test_rerun_skips_complete_jobs_and_computes_missing_ones(tmp_path, monkeypatch):
    args = ("policy=amager,baseline", f"hydra.sweep.dir={tmp_path}")
    _in_process(monkeypatch, *args)
    (tmp_path / "1" / sweep.KEY_FILE).unlink()  # job 1 was interrupted before it finished
    done = (tmp_path / "0" / "summary.parquet").stat().st_mtime_ns
    calls = []
    real = sweep.simulate
    monkeypatch.setattr(sweep, "simulate", lambda cfg: calls.append(cfg.policy.name.value) or real(cfg))
    _in_process(monkeypatch, *args)
    assert calls == ["baseline"]  # only the missing job ran
    assert (tmp_path / "0" / "summary.parquet").stat().st_mtime_ns == done
    assert sorted(pd.read_parquet(tmp_path / "summary.parquet")["job"].unique()) == [0, 1]


def test_run_key_follows_config_and_code_not_bookkeeping(monkeypatch):
    base = sim.compose(TINY)
    key = sweep.run_key(base)
    assert sweep.run_key(sim.compose([*TINY, "run.n_jobs=2", "run.progress=true"])) == key
    assert sweep.run_key(sim.compose([*TINY, "club.cafe=true"])) != key
    assert sweep.run_key(sim.compose([*TINY, "run.seed=1"])) != key
    monkeypatch.setattr(sweep, "code_version", lambda: "0.1.0+changed")
    assert sweep.run_key(base) != key


def test_reaggregation_lists_jobs_without_results(tmp_path, monkeypatch, capsys):
    _in_process(monkeypatch, "policy=amager,baseline", f"hydra.sweep.dir={tmp_path}")
    (tmp_path / "0" / sweep.KEY_FILE).unlink()
    with pytest.raises(SystemExit) as exit_:
        sweep_cli.main([str(tmp_path)])
    assert exit_.value.code == 1
    failed = pd.read_csv(tmp_path / sweep.FAILED_FILE)
    assert failed["job"].tolist() == [0] and "did not finish" in failed["error"][0]
    assert pd.read_parquet(tmp_path / "summary.parquet")["job"].unique().tolist() == [1]


def test_plan_expands_jobs_in_hydra_order():  # (Hydra writes swept booleans as True/False)
    jobs = sweep.plan(["policy=amager,baseline", "club.cafe=true,false", "run.replications=2"])
    assert jobs == [
        ["policy=amager", "club.cafe=True", "run.replications=2"],
        ["policy=amager", "club.cafe=False", "run.replications=2"],
        ["policy=baseline", "club.cafe=True", "run.replications=2"],
        ["policy=baseline", "club.cafe=False", "run.replications=2"],
    ]


@pytest.mark.parametrize("overrides", [
    ["policy=amager,baseline", "run.seed=range(0,3)", "policy=vanlose,amager", "club.cafe=true"],
    ["a=1", "b=[1,2]", "c=choice(x,y)", "+d=1,2", "~f", "g@pkg=1,2"],
    ["x=sort(3,1,2)", "y='a b','c'", "z=null"],
])
def test_expand_matches_hydras_basic_sweeper(overrides):
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper  # the reference, in tests only
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    reference = BasicSweeper.split_arguments(parser.parse_overrides(overrides), None)[0]
    assert sweep.expand(overrides, parser)[0] == reference


def test_plan_checks_added_keys_through_hydra_and_refuses_interval_sweeps():
    with pytest.raises(sim.UserError, match="unknown config key 'run.nope'"):
        sweep.plan(["+run.nope=1,2"])
    with pytest.raises(sim.UserError, match="not intervals"):
        sweep.plan(["handover.intercept=interval(-5,-4)"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["instructor.turnover=0.1,0.2"], "unknown config key 'instructor.turnover'"),
        (["instructor.turnover_annual=0.2,1.5"], "instructor.turnover_annual=1.5 is out of range"),
        (["policy=amager,amagr"], "policy=amagr: unknown policy"),
        (["team.capacity=10,abc"], "team.capacity"),
        (["hydra/launcher=nope"], "hydra/launcher=nope: unknown hydra/launcher"),
        (["run.replications=2", "hydra.sweep.dir=afile/sweep"], "cannot write to afile/sweep"),
    ],
)
def test_sweep_user_errors_exit_2_before_any_job(tmp_path, args, needle):
    (tmp_path / "afile").write_text("in the way")
    proc = _cli("-m", *args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1 and needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists()


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the first job did not finish"
        time.sleep(0.05)


def _gated(tmp_path: Path) -> dict[str, str]:
    """The environment of a sweep whose jobs of more than 2 replications wait at a gate that stays
    closed (sweep_gate/sitecustomize.py): the test's signal always finds job 1 going."""
    gate = tmp_path / "gate"
    gate.touch()
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(GATE), str(ROOT)]), "SWEEP_GATE": str(gate),
            "SWEEP_GATE_ABOVE": "2"}


def test_interrupted_sweep_says_one_line_and_aggregates_finished_jobs(tmp_path):
    # job 0 (2 replications) runs; jobs 1 and 2 wait at the gate: the signal arrives while job 1 is going
    args = ["-m", *TINY, "run.replications=2,3,4", "hydra/launcher=basic", f"hydra.sweep.dir={tmp_path / 's'}"]
    proc = subprocess.Popen([sys.executable, "-m", "sim.run", *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_gated(tmp_path))
    _wait_for(tmp_path / "s" / "0" / sweep.KEY_FILE, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.startswith("interrupted: 1 of 3 jobs complete; run the same command again to resume")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert pd.read_parquet(tmp_path / "s" / "summary.parquet")["job"].unique().tolist() == [0]
    assert pd.read_csv(tmp_path / "s" / sweep.FAILED_FILE)["job"].tolist() == [1, 2]
    assert not (tmp_path / "s" / "1" / sweep.KEY_FILE).exists()  # cut short: runs again on resume


@pytest.mark.slow
def test_ctrl_c_stops_a_joblib_sweep_with_one_line(tmp_path):
    # Ctrl-C in a terminal signals the whole process group: the workers leave it to the main process
    args = ["-m", *TINY, "run.replications=2,3,4", f"hydra.sweep.dir={tmp_path / 's'}"]
    proc = subprocess.Popen([sys.executable, "-m", "sim.run", *args], cwd=tmp_path, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env=_gated(tmp_path))
    _wait_for(tmp_path / "s" / "0" / sweep.KEY_FILE, proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGINT
    assert err.startswith("interrupted: 1 of 3 jobs complete") and err.count("\n") == 1, err


def test_sweep_jobs_skip_the_citizens_table_and_a_reused_folder_warns(tmp_path, monkeypatch, capsys):
    _in_process(monkeypatch, "policy=amager,baseline", f"hydra.sweep.dir={tmp_path}")
    assert not (tmp_path / "0" / "citizens.parquet").exists() and "warning" not in capsys.readouterr().err
    jobs = yaml.safe_load((tmp_path / sweep.JOBS_FILE).read_text())["jobs"]
    assert sweep.foreign_jobs(tmp_path, jobs) == 0  # the same sweep again (a resume): no warning
    _in_process(monkeypatch, "club.cafe=true", "run.citizens_table=true", f"hydra.sweep.dir={tmp_path}")
    assert "holds 2 job(s) of a different sweep" in capsys.readouterr().err
    assert (tmp_path / "0" / "citizens.parquet").exists()  # asked for on the command line
