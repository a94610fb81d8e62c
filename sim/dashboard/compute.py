"""Where the dashboard's numbers come from: one adapter onto `sim.compare`, and one background run.

`run_plan` is the only function that computes results for the page: it calls
`sim.workflows.compare.evaluate`, as `python -m sim.compare` does, so the page and the command line
cannot disagree. It keeps the last few simulated configs with the tables the comparison takes from
each (summary, retention curve, per-centre summaries): the same config and seed give the same
results, so an unchanged reference is simulated and summarised once, not at every Run.

`Runner` runs one job at a time in a background thread, so the page stays responsive and polls it;
a second start while one runs is refused. `Worker` runs `run_plan` in a separate process that is
kept between Runs (with its cache and imports): a simulation holds Python's global interpreter lock
for long stretches, which would starve the page's progress polls in the server's own process. It
never outlives the dashboard: it leaves Ctrl-C to the dashboard (which then stops it), dies on
SIGTERM, and exits by itself within a fraction of a second once the dashboard is gone, however that
went (even `kill -9`, which no handler sees); `Worker.close` stops it at once, a run going or not.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sim.model.config import SimConfig
from sim.workflows import compare
from sim.workflows.compare import Comparison, Simulated, simulated

Progress = Callable[[int, int], None]
Outcome = Comparison  # what the pages read

_CACHE: OrderedDict[str, Simulated] = OrderedDict()
_CACHED = 8


def _simulated(cfg: SimConfig) -> Simulated:
    """`sim.workflows.compare.simulated(cfg)` (the run and the tables the comparison takes from it),
    kept for the last few configs, keyed by the config's dataclass repr (every field, seed and
    replications included, deterministic, and cheap to make)."""
    key = repr(cfg)
    if key not in _CACHE:
        _CACHE[key] = simulated(cfg)
        while len(_CACHE) > _CACHED:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return _CACHE[key]


def run_plan(configs: Mapping[str, SimConfig], reference: str, progress: Progress | None = None, *,
             titles: Mapping[str, str] | None = None, questions: Mapping[str, str] | None = None) -> Comparison:
    """Run every named config (all with the same seed and replications) and compare them to `reference`."""
    return compare.evaluate(configs, reference, progress, titles=titles, questions=questions,
                            simulate_one=_simulated)


_PROGRESS: Any = None  # in the worker process: the queue its progress goes to
ORPHAN_CHECK_SECONDS = 0.2  # how often the worker checks that the dashboard is still there


def _exit_when_orphaned(parent: int) -> None:
    """Exit the worker once its parent is gone: then the worker is re-parented and getppid() changes.
    (A dying parent signals nobody, and the worker would otherwise wait for work forever.)"""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(1)


def _worker_init(progress: Any, parent: int) -> None:
    global _PROGRESS
    _PROGRESS = progress
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), name="orphan-check", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the dashboard's to handle


def _worker_run(configs: Mapping[str, SimConfig], reference: str) -> Comparison:
    return run_plan(configs, reference, lambda done, total: _PROGRESS.put((done, total)))


class Worker:
    """One worker process that runs `run_plan`, reporting progress back through a queue."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._progress = context.Queue()
        self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=_worker_init,
                                         initargs=(self._progress, os.getpid()))
        self._pool.submit(int)  # start it now, so the first Run does not wait for its imports

    def run_plan(self, configs: Mapping[str, SimConfig], reference: str,
                 progress: Progress | None = None) -> Comparison:
        """`run_plan` in the worker; blocks the calling (background) thread, not the server."""
        future = self._pool.submit(_worker_run, dict(configs), reference)
        while True:
            try:
                done, total = self._progress.get(timeout=0.05)
            except queue.Empty:
                if future.done():
                    return future.result()
                continue
            if progress:
                progress(done, total)

    def pids(self) -> list[int]:
        """The worker process (none before it started or after `close`)."""
        return list(getattr(self._pool, "_processes", None) or {})

    def close(self) -> None:
        """Stop the worker now: a run going is abandoned (its page is going away too)."""
        for pid in self.pids():  # `shutdown` alone would wait for a run going to finish
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class Job:
    """One background computation: its progress, and its result or error once done."""

    id: int
    label: str
    done: int = 0
    total: int = 1
    started: float = field(default_factory=time.perf_counter)
    seconds: float | None = None
    result: Any = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.seconds is not None


class Runner:
    """Runs one job at a time in a daemon thread; `start` returns None while another job runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self.current: Job | None = None

    def busy(self) -> bool:
        return self.current is not None and not self.current.finished

    def start(self, label: str, work: Callable[[Progress], Any], total: int = 1) -> Job | None:
        with self._lock:
            if self.busy():
                return None
            self._count += 1
            job = self.current = Job(self._count, label, total=total)

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total

        def target() -> None:
            try:
                job.result = work(progress)
            except Exception as exc:  # shown on the page as one line; the traceback goes to the server log
                traceback.print_exc()
                job.error = f"internal error: {type(exc).__name__}: {exc}"
            job.seconds = time.perf_counter() - job.started

        threading.Thread(target=target, name=f"dashboard-job-{job.id}", daemon=True).start()
        return job
