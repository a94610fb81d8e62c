"""Sweeps (`python -m sim.run -m ...`, Hydra multirun): checked before launch, resumable, aggregated.

- `plan` expands a sweep as Hydra's basic sweeper does and validates every job's config (keys, types,
  ranges, the launcher) before any job runs, so a bad value is a user error, not a failed job.
- `run_job` runs one job into its folder. A folder is complete when it holds `run_key.json`, written
  after the tables: a hash of the resolved config and of the code version. A job whose folder is
  complete for the same key is skipped, so re-running an interrupted sweep into the same
  `hydra.sweep.dir` computes only the missing jobs. A job that raises is recorded in its folder
  (`error.txt`) and returns normally: Hydra would otherwise stop the sweep with the batch's first
  failure and never aggregate.
- `AggregateSweep`, a Hydra callback (`hydra.callbacks` in conf/config.yaml), lists the jobs at the
  start (`jobs.yaml`) and at the end writes at the sweep root `summary.parquet` and `summary.csv`
  (the summary rows of every complete job, with the job number and the swept values as columns) and
  `failed_jobs.csv`. `python -m sim.sweep SWEEP_DIR` (sim/sweep.py) aggregates again, e.g. after a killed sweep.
  A sweep folder that holds jobs of a different sweep gets a warning (their folders are reused).
- Interrupted sweeps (Ctrl-C, SIGTERM): `sim.run` aggregates the jobs that finished (`started_dir`)
  and says how many; a job cut short has no `run_key.json` and runs again on the next attempt.
- Sweep jobs write no per-citizen table unless the command line sets `run.citizens_table`.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import sys
import traceback
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra import compose as hydra_compose
from hydra import initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write
from omegaconf.errors import OmegaConfBaseException

import conf
from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.results import Results
from sim.workflows.compose import CONFIG_MODULE, CONFIG_NAME, from_dict, one_line
from sim.workflows.files import write_atomic
from sim.workflows.simulate import simulate

KEY_FILE = "run_key.json"
ERROR_FILE = "error.txt"
JOBS_FILE = "jobs.yaml"
FAILED_FILE = "failed_jobs.csv"
NO_RESULTS = "no results: the job did not finish"
# run.* settings the results do not depend on (MODEL.md §6): changing them does not invalidate a job.
UNKEYED = ("n_jobs", "progress", "chunk_size")
SIM_FOLDER = Path(__file__).resolve().parents[1]  # the package's sources, hashed into the code version


# --- before launch: expand and validate ---------------------------------------------------------


def expand(overrides: Sequence[str], parser: OverridesParser) -> tuple[list[list[str]], list[str]]:
    """(each job's overrides, the swept keys), in the order Hydra's basic sweeper numbers the jobs:
    the cartesian product of each key's values, keys in the order first given (a key given twice
    keeps its first place and its last values), the last key varying fastest."""
    parsed = parser.parse_overrides(list(overrides))
    values: dict[str, list[str]] = {}
    for o in parsed:
        key = o.get_key_element()
        if not o.is_sweep_override():
            values[key] = [f"{key}={o.get_value_element_as_str()}"]
        elif o.is_discrete_sweep():
            values[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
        else:
            raise UserError(f"{o.input_line}: Hydra's basic sweeper takes lists of values (a,b,c) or range(...), "
                            "not intervals")
    jobs = [list(job) for job in itertools.product(*values.values())]
    return jobs, [o.key_or_group for o in parsed if o.is_sweep_override()]


def plan(overrides: Sequence[str], hydra_overrides: Sequence[str] = ()) -> list[list[str]]:
    """Expand a sweep into its jobs and validate every job's config; raise `UserError` on the first bad one.

    Hydra composes the config once per distinct choice of config groups (e.g. `policy=...`), which also
    checks the launcher; each job's plain `key=value` overrides are then merged into a copy with
    OmegaConf, as Hydra merges them, so hundreds of jobs take seconds. A job that adds or deletes keys
    (`+key=...`, `~key`) is composed by Hydra in full.
    """
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=CONFIG_MODULE, version_base="1.3"):
            loader = GlobalHydra.instance().config_loader()
            parser = OverridesParser.create(config_loader=loader)
            jobs, _ = expand(overrides, parser)
            is_group = functools.cache(lambda key: bool(loader.get_group_options(key)))
            bases: dict[tuple[str, ...], DictConfig] = {}
            for job in jobs:
                parsed = parser.parse_overrides(job)
                choice = tuple(o.input_line for o in parsed if is_group(o.key_or_group))
                if choice not in bases:
                    bases[choice] = hydra_compose(
                        CONFIG_NAME, overrides=[*hydra_overrides, *choice], return_hydra_config=True
                    )
                plain = [o for o in parsed if not is_group(o.key_or_group)]
                if any(o.is_add() or o.is_force_add() or o.is_delete() or o.package is not None for o in plain):
                    from_dict(hydra_compose(CONFIG_NAME, overrides=[*hydra_overrides, *job]))
                    continue
                cfg = deepcopy(bases[choice])
                with read_write(cfg), open_dict(cfg):
                    del cfg["hydra"]  # composed only to check the launcher; the job sees no hydra node
                for o in plain:
                    OmegaConf.update(cfg, o.key_or_group, o.value(), merge=True)
                from_dict(cfg)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise UserError(_launcher_error(exc) or one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    return jobs


def _launcher_error(exc: BaseException) -> str | None:
    """A missing option of one of Hydra's own nested groups (hydra/launcher=...), named in one line."""
    missing = re.search(r"Could not find '(hydra/[^']+)/([^/']+)'", str(exc))
    if not missing:
        return None
    group, option = missing.groups()
    hint = "; the submitit launchers need the cluster extra: pip install -e '.[cluster]'"
    hint = hint if "submitit" in option else ""
    options = re.findall(r"^\t(\S+)$", str(exc), re.M)
    return f"{group}={option}: unknown {group}" + (f"; allowed: {', '.join(options)}" if options else "") + hint


# --- one job: the key, skipping, recording failures ---------------------------------------------


@functools.cache
def code_version() -> str:
    """The package version and a hash of the package's sources and configs (sim/, conf/)."""
    digest = hashlib.sha256()
    for name, root in (("sim", SIM_FOLDER), ("conf", Path(conf.__file__).parent)):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
                digest.update(f"{name}/{path.relative_to(root).as_posix()}\n".encode())
                digest.update(path.read_bytes())
    try:
        version = metadata.version("handover-sim")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"{version}+{digest.hexdigest()[:12]}"


def run_key(cfg: SimConfig) -> str:
    """Hash of the resolved config (minus settings results do not depend on) and the code version."""
    tree = OmegaConf.to_container(OmegaConf.structured(cfg), enum_to_str=True)
    for name in UNKEYED:
        tree["run"].pop(name, None)
    text = json.dumps(tree, sort_keys=True) + code_version()
    return hashlib.sha256(text.encode()).hexdigest()


def is_complete(folder: Path, key: str) -> bool:
    """Does `folder` hold complete results for this key?"""
    try:
        return json.loads((folder / KEY_FILE).read_text(encoding="utf-8"))["key"] == key
    except (OSError, ValueError, KeyError, TypeError):
        return False


def execute(cfg: SimConfig, folder: Path) -> Results:
    """Simulate `cfg` into `folder`: the tables first (atomically), the key file last."""
    for name in (KEY_FILE, ERROR_FILE):
        (folder / name).unlink(missing_ok=True)
    results = simulate(cfg)
    results.save(folder)
    write_atomic(folder / KEY_FILE, json.dumps({"key": run_key(cfg), "code_version": code_version()}, indent=1))
    return results


def asks_citizens_table(overrides: Sequence[str]) -> bool:
    """Does a job's command line set `run.citizens_table` (sweeps leave the large table out otherwise)?"""
    return any(o.lstrip("+~").startswith("run.citizens_table=") for o in overrides)


def run_job(dc: DictConfig, folder: Path, label: str, citizens_table: bool = False) -> bool:
    """One sweep job: skip it if already complete, else run it; a failure is recorded, not raised.
    `citizens_table`: the command line set `run.citizens_table` (else the job writes no such table)."""
    try:
        cfg = from_dict(dc)
        cfg.run.progress = False  # parallel jobs print one line each, not interleaved progress bars
        if not citizens_table:
            cfg.run.citizens_table = False  # one row per citizen and replication, in every job: ask for it
        if is_complete(folder, run_key(cfg)):
            print(f"{label}: skipped, {folder} already holds its results")
            return True
        execute(cfg, folder)
        print(f"{label}: done")
        return True
    except Exception as exc:  # one job's failure must not stop the sweep
        write_atomic(folder / ERROR_FILE, f"{_one_line(exc)}\n\n{traceback.format_exc()}")
        print(f"{label}: failed: {_one_line(exc)}", file=sys.stderr)
        return False


def _one_line(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [""])[0]
    return first if isinstance(exc, UserError) else f"{type(exc).__name__}: {first}"


# --- after the sweep: aggregate -------------------------------------------------------------------


@dataclass
class SweepOutcome:
    """What `aggregate` found and wrote."""

    folder: Path
    jobs: int
    rows: int
    failed: pd.DataFrame  # job, overrides, folder, error


def write_jobs(sweep_dir: Path, overrides: Sequence[str], parser: OverridesParser) -> None:
    """List the sweep's jobs (their overrides, in Hydra's numbering) and swept keys in `jobs.yaml`;
    warn if the folder holds jobs of a different sweep."""
    jobs, swept = expand(overrides, parser)
    if sweep_dir.is_dir() and (foreign := foreign_jobs(sweep_dir, jobs)):
        print(f"warning: {sweep_dir} holds {foreign} job(s) of a different sweep: its job folders are reused "
              "(results overwritten) and left out of this sweep's table; use a new hydra.sweep.dir to keep both",
              file=sys.stderr)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(sweep_dir / JOBS_FILE, yaml.safe_dump({"swept": swept, "jobs": jobs}, sort_keys=False))


def _job_folders(sweep_dir: Path) -> dict[tuple[str, ...], list[Path]]:
    """Job folders under the sweep, by their overrides (Hydra saves them in `.hydra/overrides.yaml`)."""
    found: dict[tuple[str, ...], list[Path]] = {}
    for path in sorted(sweep_dir.rglob(".hydra/overrides.yaml")):
        found.setdefault(tuple(OmegaConf.load(path)), []).append(path.parent.parent)
    return found


def _swept_values(job: list[str], swept: list[str], parser: OverridesParser) -> dict[str, Any]:
    values = {o.key_or_group: o.value() for o in parser.parse_overrides(job) if o.key_or_group in swept}
    return {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v) for k, v in values.items()}


def _write_table(table: pd.DataFrame, sweep_dir: Path, name: str) -> None:
    for suffix, write in ((".parquet", table.to_parquet), (".csv", table.to_csv)):
        tmp = sweep_dir / f".{name}{suffix}.tmp"
        write(tmp, index=False)
        tmp.replace(sweep_dir / f"{name}{suffix}")


def aggregate(sweep_dir: str | Path) -> SweepOutcome:
    """Collect every complete job's summary into one table at the sweep root; list the others."""
    sweep_dir = Path(sweep_dir)
    try:
        spec = yaml.safe_load((sweep_dir / JOBS_FILE).read_text(encoding="utf-8"))
    except OSError:
        raise UserError(f"{sweep_dir} is not a sweep folder: it has no {JOBS_FILE}") from None
    parser = OverridesParser.create()
    folders = _job_folders(sweep_dir)
    tables, failed = [], []
    for num, job in enumerate(spec["jobs"]):
        candidates = folders.get(tuple(job), [])
        done = next((f for f in candidates if (f / KEY_FILE).exists()), None)
        if done is not None:
            table = pd.read_parquet(done / "summary.parquet")
            for i, (key, value) in enumerate({"job": num, **_swept_values(job, spec["swept"], parser)}.items()):
                table.insert(i, key, value)
            tables.append(table)
            continue
        error = next((f / ERROR_FILE for f in candidates if (f / ERROR_FILE).exists()), None)
        failed.append({
            "job": num,
            "overrides": " ".join(job),
            "folder": str(candidates[0]) if candidates else "",
            "error": error.read_text(encoding="utf-8").splitlines()[0] if error else NO_RESULTS,
        })
    if tables:
        _write_table(pd.concat(tables, ignore_index=True), sweep_dir, "summary")
    failed_table = pd.DataFrame(failed, columns=["job", "overrides", "folder", "error"])
    tmp = sweep_dir / f".{FAILED_FILE}.tmp"
    failed_table.to_csv(tmp, index=False)
    tmp.replace(sweep_dir / FAILED_FILE)
    return SweepOutcome(sweep_dir, len(spec["jobs"]), sum(len(t) for t in tables), failed_table)


def report(outcome: SweepOutcome) -> None:
    """Print where the aggregated table is and which jobs failed."""
    done = outcome.jobs - len(outcome.failed)
    where = f"{outcome.folder}/summary.parquet and summary.csv ({outcome.rows} rows)" if done else "no table"
    print(f"sweep {outcome.folder}: {done} of {outcome.jobs} jobs complete -> {where}")
    if len(outcome.failed):
        print(f"{len(outcome.failed)} jobs failed (listed in {outcome.folder / FAILED_FILE}):", file=sys.stderr)
        for row in outcome.failed.itertuples():
            print(f"  #{row.job} {row.overrides}: {row.error}", file=sys.stderr)


_last: list[SweepOutcome] = []  # the outcome of the sweep this process ran, for sim.run's exit status
_started: list[Path] = []  # the folder of the sweep this process started, to aggregate if interrupted


def last_outcome() -> SweepOutcome | None:
    return _last[-1] if _last else None


def started_dir() -> Path | None:
    """The folder of the sweep this process started (None before Hydra started it)."""
    return _started[-1] if _started else None


def foreign_jobs(sweep_dir: Path, jobs: Sequence[Sequence[str]]) -> int:
    """How many jobs of another sweep `sweep_dir` holds (listed in its `jobs.yaml` or in job folders)."""
    try:
        listed = yaml.safe_load((sweep_dir / JOBS_FILE).read_text(encoding="utf-8"))["jobs"]
    except (OSError, TypeError, KeyError, yaml.YAMLError):
        listed = []
    ours = {tuple(job) for job in jobs}
    return len(({tuple(job) for job in listed} | set(_job_folders(sweep_dir))) - ours)


class AggregateSweep(Callback):
    """Hydra callback: lists a sweep's jobs at its start, aggregates their summaries at its end."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _last.clear()
        _started.append(Path(config.hydra.sweep.dir))
        params = config.hydra.sweeper.get("params") or {}
        overrides = [f"{k}={v}" for k, v in params.items()] + list(config.hydra.overrides.task)
        parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
        write_jobs(Path(config.hydra.sweep.dir), overrides, parser)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        outcome = aggregate(config.hydra.sweep.dir)
        _last.append(outcome)
        report(outcome)
