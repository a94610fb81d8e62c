"""kill -9 loses nothing: a sweep, a calibration and a sensitivity run killed with SIGKILL at a random moment (after
some work is on disk, before the end) and re-run with the same command finish with the same results
as an uninterrupted run, and repeat no finished work (files finished before the kill are untouched).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

TINY = ["intake.waves=1", "run.horizon_weeks=30", "run.replications=2", "run.progress=false"]
DEADLINE = 300  # seconds for any one command: a hang fails the test instead of holding up CI


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _finish(args: list[str], cwd: Path, codes: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=DEADLINE)
    assert done.returncode in codes, done.stderr


def _kill_while_running(proc: subprocess.Popen, finished: list[Path], seed: int) -> None:
    """Wait until the first piece of work is on disk, then SIGKILL the whole process group at a random
    moment while it still runs."""
    deadline = time.monotonic() + DEADLINE
    while not any(p.exists() for p in finished):
        assert proc.poll() is None, f"ended before any work was written: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "no work written before the deadline"
        time.sleep(0.02)
    time.sleep(random.Random(seed).uniform(0.0, 0.5))
    assert proc.poll() is None, "the run finished before the kill: give it more work"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _stamps(files: list[Path]) -> dict[Path, tuple[int, int]]:
    return {f: (f.stat().st_mtime_ns, f.stat().st_ino) for f in files}


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_sweep_killed_with_sigkill_resumes_to_the_same_results(tmp_path, seed):
    values = "instructor.turnover_annual=0.1,0.3,0.5,0.7"
    def command(folder: str) -> list[str]:
        return ["sim.run", "-m", *TINY, "run.replications=40", values, "hydra/launcher=basic",
                f"hydra.sweep.dir={tmp_path / folder}"]

    proc = _start(command("killed"), tmp_path)
    _kill_while_running(proc, [tmp_path / "killed" / "0" / "run_key.json"], seed)
    finished = sorted((tmp_path / "killed").glob("*/run_key.json"))
    assert 1 <= len(finished) < 4
    before = _stamps(finished)
    _finish(command("killed"), tmp_path)
    assert _stamps(finished) == before  # finished jobs were not run again
    _finish(command("whole"), tmp_path)
    killed = pd.read_parquet(tmp_path / "killed" / "summary.parquet")
    whole = pd.read_parquet(tmp_path / "whole" / "summary.parquet")
    pd.testing.assert_frame_equal(killed, whole)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_sensitivity_killed_with_sigkill_resumes_to_the_same_results(tmp_path, seed):
    spec = tmp_path / "spec.yaml"
    spec.write_text("parameters:\n  handover.intercept: {low: -5.6, high: -3.6}\n"
                    "  club.lapse_base: {low: 0.04, high: 0.1}\noutputs: [handover_rate, retention_52w]\n")
    def command(folder: str) -> list[str]:
        return ["sim.sensitivity", str(spec), "intake.waves=2", "run.horizon_weeks=80", "--n", "8",
                "--replications", "20", "--n-jobs", "1", "run.chunk_size=20", "--out", str(tmp_path / folder)]

    proc = _start(command("killed"), tmp_path)
    chunks = tmp_path / "killed" / "chunks"
    first = [chunks / f"{i:07d}.parquet" for i in range(24)]
    _kill_while_running(proc, first, seed)
    finished = sorted(chunks.glob("*.parquet"))
    assert finished and not (tmp_path / "killed" / "indices.csv").exists()
    before = _stamps(finished)
    _finish(command("killed"), tmp_path)
    assert _stamps(finished) == before  # finished design points were not run again
    _finish(command("whole"), tmp_path)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "killed" / "indices.csv"),
                                  pd.read_csv(tmp_path / "whole" / "indices.csv"))
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "killed" / "design.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "design.parquet"))


CALIBRATION_SPEC = """parameters:
  handover.intercept: {low: -6.0, high: -2.0, prior_sd: 1.0}
  city.teams.b1908_football.attractiveness: {low: -2.0, high: 3.0, prior_sd: 1.0}
targets:
  - {name: b1908, metric: team.b1908_football.joined_total, observed: 20, likelihood: negative_binomial, rounded: 5,
     at_week: 40}
  - {name: total, metric: summary.handed_over, observed: 120, likelihood: negative_binomial, at_week: 40}
"""


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_calibration_killed_with_sigkill_resumes_to_the_same_posterior(tmp_path, seed):
    spec = tmp_path / "spec.yaml"
    spec.write_text(CALIBRATION_SPEC)

    def command(folder: str) -> list[str]:
        return ["sim.calibrate", str(spec), "intake.waves=3", "run.horizon_weeks=50", "policy=amager",
                "--particles", "60", "--replications", "4", "--predictive", "2", "--n-jobs", "1",
                "--out", str(tmp_path / folder)]

    proc = _start(command("killed"), tmp_path)
    chunks = tmp_path / "killed" / "chunks"
    _kill_while_running(proc, [chunks / f"{b:04d}_000.npz" for b in range(3, 8)], seed)
    finished = sorted(chunks.glob("*_*.npz"))
    assert finished and not (tmp_path / "killed" / "posterior.parquet").exists()
    before = _stamps([f for f in finished if ".tmp" not in f.name])
    weak = (0, 1)  # 60 particles are too few for the thresholds: exit 1, everything written
    _finish(command("killed"), tmp_path, weak)
    assert _stamps(list(before)) == before  # finished batches were not run again
    _finish(command("whole"), tmp_path, weak)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "killed" / "posterior.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "posterior.parquet"))
