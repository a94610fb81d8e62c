"""Where the vector engine's time goes: each step of the week (sim.vector.model.HandoverModel.step)
timed over a lean run of 1,000 replications of the default scenario (blocks of the default 500,
one process, the calibrated point), as a share of the run (docs/performance.md, "Why the vector
engine is not 2× faster").

    .venv/bin/python benchmarks/profile_week.py [ROUNDS]

Each step method is wrapped in a timer for the run; ROUNDS runs (default 3, after a warm-up run),
each with a seed of its own. Prints each step's share of the run's time (the median over rounds,
with the range), the share of all steps and the load average.
"""

from __future__ import annotations

import copy
import os
import statistics
import sys
import time
from collections import defaultdict

import sim
from sim.vector.model import HandoverModel
from sim.vector.teams import Offerings, Teams

STEPS = {  # label -> (class, method): every call HandoverModel.step makes
    "opening decision windows": (HandoverModel, "_open_windows"),
    "who is in the programme": (HandoverModel, "_in_programme"),
    "instructors (teams)": (Teams, "staff"),
    "instructors (patient offerings)": (Offerings, "staff"),
    "the week's draws": (HandoverModel, "_draw_week"),
    "intake": (HandoverModel, "admit_intake"),
    "programme week": (HandoverModel, "run_programme_week"),
    "gift-card free weeks": (HandoverModel, "expose_free_weeks"),
    "completing the programme": (HandoverModel, "complete_programmes"),
    "handover decision": (HandoverModel, "decide_handover"),
    "patient-association decision": (HandoverModel, "decide_patient_association"),
    "sister teams": (Teams, "open_sisters"),
    "club week (members' habit, bond, lapse)": (HandoverModel, "run_club_week"),
    "patient-association meetings": (HandoverModel, "run_patient_meetings"),
    "team accounts and closures": (HandoverModel, "settle_team_accounts"),
    "weekly table": (HandoverModel, "record"),
}
LEAN = ["run.citizens_table=false", "run.weekly_table=false", "run.progress=false", "run.n_jobs=1",
        "run.replications=1000", "run.uncertainty=none"]


def timed(spent: dict[str, float], label: str, method):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - start

    return wrapper


def main(rounds: int = 3) -> dict[str, float]:
    """Print and return each step's median share of the run (and "all steps")."""
    cfg = sim.compose(LEAN)
    sim.simulate(cfg)  # warm-up
    originals = {label: getattr(owner, name) for label, (owner, name) in STEPS.items()}
    shares: dict[str, list[float]] = defaultdict(list)
    try:
        for seed in range(1, rounds + 1):
            spent: dict[str, float] = defaultdict(float)
            for label, (owner, name) in STEPS.items():
                setattr(owner, name, timed(spent, label, originals[label]))
            run = copy.deepcopy(cfg)
            run.run.seed = seed
            start = time.perf_counter()
            sim.simulate(run)
            total = time.perf_counter() - start
            for label in STEPS:
                shares[label].append(spent[label] / total)
            shares["all steps"].append(sum(spent.values()) / total)
            shares["run (s)"].append(total)
    finally:
        for label, (owner, name) in STEPS.items():
            setattr(owner, name, originals[label])
    print(f"{rounds} runs of 1,000 replications (lean, calibrated point); load average {os.getloadavg()[0]:.2f}")
    print(f"run: {statistics.median(shares['run (s)']):.2f} s median")
    order = sorted(STEPS, key=lambda label: -statistics.median(shares[label]))
    for label in [*order, "all steps"]:
        values = [100 * v for v in shares[label]]
        print(f"  {label:<42} {statistics.median(values):5.1f}%  ({min(values):.1f}–{max(values):.1f}%)")
    return {label: statistics.median(values) for label, values in shares.items()}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
