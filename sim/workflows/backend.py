"""Where a run's blocks run: this machine's processes (`run.backend=local`, `run.n_jobs` of them)
or a Dask cluster (`run.backend=dask`).

Every block draws from its own replications' streams, so the tables are the same, bit for bit,
on either backend and for any number of workers. On Dask the blocks go through joblib's Dask
backend: `run.scheduler` is the address of a running scheduler (e.g. one on a SLURM cluster,
docs/cluster.md), or empty for a cluster started here: a `distributed.LocalCluster`, or a
dask-jobqueue SLURM/PBS cluster described by `run.cluster` (conf/cluster/). A cluster started
here is kept for the process's later runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tqdm import tqdm  # plain bars: tqdm.auto warns in a notebook kernel without ipywidgets, even with bars off

from sim.model.config import SimConfig

T = TypeVar("T")
_CLIENTS: dict[tuple, Any] = {}  # clients of clusters started here, by their description


def _bar(cfg: SimConfig, total: int) -> dict[str, Any]:
    return dict(total=total, desc=f"{cfg.run.engine.value} engine", unit="block", disable=not cfg.run.progress,
                leave=False)


def run(cfg: SimConfig, function: Callable[[T], Any], jobs: Sequence[T]) -> list:
    """`function(job)` for every job, in order, on the config's backend."""
    if cfg.run.backend.value == "dask":
        return _on_dask(cfg, function, jobs)
    if cfg.run.n_jobs == 1 or len(jobs) <= 1:
        return [function(job) for job in tqdm(jobs, **_bar(cfg, len(jobs)))]
    from joblib import Parallel, delayed

    results: Iterable = Parallel(n_jobs=cfg.run.n_jobs, return_as="generator")(delayed(function)(j) for j in jobs)
    return list(tqdm(results, **_bar(cfg, len(jobs))))


def client(cfg: SimConfig) -> Any:
    """A Dask client for the config: of the scheduler at `run.scheduler`, else of a cluster
    started here (and kept for later runs of this process)."""
    from distributed import Client

    if cfg.run.scheduler:
        key: tuple = ("address", cfg.run.scheduler)
        make = lambda: Client(cfg.run.scheduler)  # noqa: E731
    else:
        key = ("cluster", repr(cfg.run.cluster))
        make = lambda: Client(start_cluster(cfg))  # noqa: E731
    if key not in _CLIENTS or _CLIENTS[key].status in ("closed", "closing"):
        _CLIENTS[key] = make()
    return _CLIENTS[key]


def start_cluster(cfg: SimConfig) -> Any:
    """A Dask cluster as `run.cluster` describes it: local worker processes, or SLURM/PBS jobs."""
    spec = cfg.run.cluster
    if spec.kind.value == "local":
        from distributed import LocalCluster

        return LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    import dask_jobqueue

    cluster_class = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}[spec.kind.value]
    cluster = cluster_class(
        cores=spec.cores, processes=spec.processes, memory=spec.memory, walltime=spec.walltime,
        queue=spec.queue or None, account=spec.account or None, job_extra_directives=list(spec.job_extra_directives),
        job_script_prologue=list(spec.job_script_prologue), local_directory=spec.local_directory or None,
    )
    cluster.scale(jobs=spec.workers)
    return cluster


def _on_dask(cfg: SimConfig, function: Callable[[T], Any], jobs: Sequence[T]) -> list:
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="dask", client=client(cfg), wait_for_workers_timeout=cfg.run.cluster.wait_seconds):
        results = Parallel(return_as="generator")(delayed(function)(job) for job in jobs)
        return list(tqdm(results, **_bar(cfg, len(jobs))))
