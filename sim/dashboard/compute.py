"""Where the dashboard's numbers come from: one adapter onto `sim.compare`, and one background run.

`run_plan` is the only function that computes results for the page. It runs each config through
`sim.compare.run` (a config already run is not run again) and tables them with
`sim.analysis.comparison`, exactly as `python -m sim.compare` does, so the page and the command line
cannot disagree. Views the comparison does not compute yet
(costs by item, by centre, incremental cost per extra citizen retained) stay None and the page says so.
MERGE NOTE: when `sim.compare.evaluate` lands (issue 12), this function becomes a call to it.

`Runner` runs one job at a time in a background thread, so the page stays responsive and polls it;
a second start while one runs is refused.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim import compare
from sim.analysis import comparison
from sim.config import SimConfig, to_yaml
from sim.scenarios import Scenario

# Counts behind the headline cards (columns of every run's summary).
COUNTS = ("started", "completed", "handed_over", "retained_52w")

Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """What a comparison gives the page: the fields of the planned `sim.compare.Comparison` (issue 12)
    that exist today, same names and table shapes, so the page reads either."""

    reference: str
    headline: pd.DataFrame  # metric, scenario, mean, ci_low, ci_high, diff_mean, diff_low, diff_high
    counts: pd.DataFrame  # same columns, for COUNTS
    curves: dict[str, pd.DataFrame]  # scenario -> week, mean, ci_low, ci_high
    summary_text: str  # the Markdown table `python -m sim.compare` prints
    rates: pd.DataFrame | None = None  # issue 12: rates apart from the headline
    costs: pd.DataFrame | None = None  # issue 12: municipal cost by item, same columns as headline
    by_centre: pd.DataFrame | None = None  # issue 12: as headline, plus a centre column
    incremental: pd.DataFrame | None = None  # issue 12: incremental cost per extra citizen retained


_CACHE: OrderedDict[str, tuple[pd.DataFrame, pd.DataFrame]] = OrderedDict()
_CACHED = 8


def _simulated(name: str, cfg: SimConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, retention curve) of one config, through `sim.compare.run`. Kept for the last few
    configs, keyed by the resolved config's YAML: the same config and seed give the same results, so
    an unchanged reference (or a plan identical to it) is simulated once, not at every Run."""
    key = to_yaml(cfg)
    if key not in _CACHE:
        summaries, curves = compare.run([(Scenario(name, ()), cfg)])
        _CACHE[key] = summaries[name], curves[name]
        while len(_CACHE) > _CACHED:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    return _CACHE[key]


def run_plan(configs: dict[str, SimConfig], reference: str, progress: Progress | None = None) -> Outcome:
    """Run every named config (all with the same seed and replications) and compare them to `reference`."""
    prepared = [(Scenario(name, ()), cfg) for name, cfg in configs.items()]
    summaries: dict[str, pd.DataFrame] = {}
    curves: dict[str, pd.DataFrame] = {}
    for done, (scenario, cfg) in enumerate(prepared, 1):
        summaries[scenario.name], curves[scenario.name] = _simulated(scenario.name, cfg)
        if progress:
            progress(done, len(prepared))
    headline = comparison(summaries, reference)
    return Outcome(reference, headline, comparison(summaries, reference, COUNTS), curves,
                   summary_text=compare.markdown(headline, prepared, reference))


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
