"""Command line: `python -m sim.run [OVERRIDES...]` runs one configuration and saves its tables;
`python -m sim.run -m [SWEEP OVERRIDES...]` runs a sweep (Hydra multirun, see sim/sweep.py).
`scenario=NAME|PATH` runs a scenario file (scenarios/, or e.g. a calibration's best.yaml) with the
other overrides on top.

Overrides use Hydra's syntax (`policy=amager run.replications=200 club.cafe=true`; a sweep gives
several values: `policy=amager,vesterbro`). User errors (unknown key or policy, wrong type, value out
of range, an output folder that cannot be written) exit with status 2 and one line on stderr, before
anything is written; every job of a sweep is checked before the first one runs. Internal errors exit
1. A failed run leaves no folder behind; a sweep with failed jobs keeps the others, lists the failed
ones and exits 1. Ctrl-C or SIGTERM stops a run or sweep with one line (exit 128 + the signal); a
sweep first aggregates the jobs that finished, and the same command resumes it.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import signal
import sys
import threading
from importlib.resources import files
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from sim.cli import fail
from sim.errors import UserError
from sim.present.report import summary_table
from sim.workflows import sweep
from sim.workflows.compose import compose, from_dict
from sim.workflows.files import check_writable
from sim.workflows.scenarios import load as load_scenario
from sim.workflows.uncertainty import explain, outcome_range

# Hydra flags that print something instead of running; Hydra refuses the first three with -m.
_PRINT_FLAGS = {"--cfg", "-c", "--info", "-i", "--shell-completion", "-sc"}
_HELP_FLAGS = {"--help", "-h", "--hydra-help"}
# Hydra flags that take a value: their value is not an override.
_VALUE_FLAGS = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--cfg", "-c",
                "--package", "-p", "--info", "-i", "--experimental-rerun"}


def _overrides(argv: list[str]) -> tuple[list[str], list[str], bool]:
    """(model overrides, Hydra's own overrides (`hydra.*`, `hydra/...`), whether it is a multirun)."""
    model, own, skip, multirun = [], [], False, False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-m", "--multirun"):
            multirun = True
        elif arg in _VALUE_FLAGS:
            skip = True
        elif arg.lstrip("+~").startswith("hydra"):
            own.append(arg)
        elif not arg.startswith("-"):
            model.append(arg)
    return model, own, multirun


def _output_root(hydra_overrides: list[str], multirun: bool) -> Path:
    """The fixed part of the run or sweep folder (before any `${...}`), from the command line or conf/."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    given = [a.split("=", 1)[1] for a in hydra_overrides if a.lstrip("+").startswith(f"{key}=")]
    if given:
        pattern = given[-1]
    else:
        config = OmegaConf.create(files("conf").joinpath("config.yaml").read_text(encoding="utf-8"))
        pattern = OmegaConf.to_container(config.hydra, resolve=False)["sweep" if multirun else "run"]["dir"]
    return Path(pattern.split("${")[0] or ".")


@hydra.main(version_base="1.3", config_path="pkg://conf", config_name="config")
def _job(dc: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every model step at INFO
    hc = HydraConfig.get()
    out_dir = Path(hc.runtime.output_dir)
    if hc.mode == RunMode.MULTIRUN:
        if multiprocessing.parent_process() is not None:  # a launcher's worker process
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process, which stops us
            tqdm.set_lock(threading.RLock())  # not tqdm's process-shared lock, which a stopped worker leaks
        overrides = list(hc.overrides.task)
        sweep.run_job(dc, out_dir, f"job {hc.job.num} ({' '.join(overrides)})", sweep.asks_citizens_table(overrides))
        return
    try:
        cfg = from_dict(dc)
        results = sweep.execute(cfg, out_dir)
    except UserError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        fail(exc)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)  # nothing half-written stays behind
        raise
    print(summary_table(results.summary, outcome_range(cfg)))
    print(explain(cfg))
    print(f"tables and config written to {out_dir}")


def _interrupted(multirun: bool, signum: int) -> None:
    """After Ctrl-C or SIGTERM: aggregate a sweep's finished jobs, say so in one line, exit 128 + signum."""
    # a second Ctrl-C must not cut the aggregation short
    previous = {other: signal.signal(other, signal.SIG_IGN) for other in (signal.SIGINT, signal.SIGTERM)}
    folder = sweep.started_dir() if multirun else None
    if not multirun:
        message = "interrupted: the run was stopped before it finished; nothing was written"
    elif folder is None:
        message = "interrupted before the first job started; nothing was written"
    else:
        try:
            outcome = sweep.aggregate(folder)
            done = outcome.jobs - len(outcome.failed)
            message = (f"interrupted: {done} of {outcome.jobs} jobs complete; run the same command again to resume"
                       + (f" (finished jobs in {folder}/summary.parquet)" if done else ""))
        except UserError:  # stopped before the job list was written
            message = "interrupted: 0 jobs complete; run the same command again to resume"
    print(message, file=sys.stderr)
    for other, handler in previous.items():
        signal.signal(other, handler)
    sys.exit(128 + signum)


def _with_scenario(argv: list[str]) -> list[str]:
    """`scenario=NAME|PATH` replaced by the scenario's overrides, ahead of the others (which win)."""
    chosen = [a for a in argv if a.startswith("scenario=")]
    if not chosen:
        return argv
    if len(chosen) > 1 or "," in chosen[0]:
        raise UserError("scenario=: give one scenario (compare several with python -m sim.compare)")
    scenario = load_scenario(chosen[0].split("=", 1)[1])
    return [*scenario.overrides, *(a for a in argv if a != chosen[0])]


def main() -> None:
    try:
        sys.argv[1:] = _with_scenario(sys.argv[1:])
    except UserError as exc:
        fail(exc)
    overrides, hydra_overrides, multirun = _overrides(sys.argv[1:])
    flags = set(sys.argv[1:])
    if multirun and flags & _PRINT_FLAGS:
        fail(f"-m (a sweep) cannot be combined with {sorted(flags & _PRINT_FLAGS)[0]}")
    try:
        if multirun:
            sweep.plan(overrides, hydra_overrides)  # every job, before Hydra makes a folder
        else:
            compose(overrides)  # the same validation as the API, before Hydra makes a folder
        if not flags & (_PRINT_FLAGS | _HELP_FLAGS):
            check_writable(_output_root(hydra_overrides, multirun))
    except UserError as exc:
        fail(exc)
    stopped: list[int] = []

    def stop(signum: int, frame: object) -> None:
        stopped.append(signum)
        raise KeyboardInterrupt

    # `kill` stops a run as Ctrl-C does: one line, finished jobs kept (the handlers are restored after)
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        _job()
    except KeyboardInterrupt:
        stopped.append(signal.SIGINT)  # (when raised other than by `stop`)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopped:
        _interrupted(multirun, stopped[0])
    if not multirun or flags & _HELP_FLAGS:
        return
    outcome = sweep.last_outcome()
    if outcome is None:
        print("error: the sweep was not aggregated (see the warning above); "
              "retry with: python -m sim.sweep SWEEP_DIR", file=sys.stderr)
        sys.exit(1)
    if len(outcome.failed):
        print(f"error: {len(outcome.failed)} of {outcome.jobs} jobs failed; the others' results are kept",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
