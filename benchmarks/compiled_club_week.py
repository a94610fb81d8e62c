"""How much a compiled loop would gain on the vector engine's club week (docs/performance.md, "Why
the vector engine is not 2× faster"): one week's member update (habit and bond growth, lapse
hazard, lapse clocks, who lapses) as the engine runs it in numpy, against the same arithmetic as one
fused numba loop, on the members of a 500-replication block of the default scenario at week 100.

numba is not a dependency of this project; run this in an environment that has both:

    python -m venv /tmp/nb && /tmp/nb/bin/pip install -e . numba
    /tmp/nb/bin/python benchmarks/compiled_club_week.py [ROUNDS]

The two versions alternate ROUNDS times (default 30) on fresh copies of the same arrays; the script
says whether they give the same lapses, habits, bonds and clocks, bit for bit, and prints the median
times and the load average; also the float32 exponential alone, as numpy and as a numba loop.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

import sim
from sim.vector.layout import build_layout
from sim.vector.model import HandoverModel, club_members
from sim.workflows import simulate

WEEK, REPLICATIONS = 100, 500


def state() -> tuple[dict[str, np.ndarray], object]:
    """The club week's inputs at WEEK: members' columns and each team's rates and lapse term."""
    cfg = simulate.to_schema(sim.compose(["run.progress=false", f"run.replications={REPLICATIONS}",
                                          "run.uncertainty=none"]))
    block = simulate.blocks(cfg, {}, np.arange(REPLICATIONS), np.arange(REPLICATIONS))[0]
    model = HandoverModel(block.cfg, block.city, build_layout(block.cfg, block.city), block.streams)
    for t in range(WEEK):
        model.step(t)
    arrays = {name: np.array(model.sport[name]) for name in ("team", "h", "s", "clock", "hazard")}
    arrays.update(zip(("habit_rate", "bond_rate", "team_term"), model.club_terms(WEEK), strict=True))
    return arrays, model.cfg


def with_numpy(a: dict[str, np.ndarray], cfg) -> np.ndarray:
    """The engine's own member update (sim.vector.model.club_members)."""
    return club_members(cfg, *(a[k] for k in ("team", "h", "s", "clock", "hazard", "habit_rate", "bond_rate",
                                              "team_term")))


def compiled(numba):
    @numba.njit
    def loop(team, h, s, clock, hazard, habit_rate, bond_rate, team_term, base, bond, habit):
        out, k, one = np.empty(len(team), np.int64), 0, np.float32(1.0)
        for i in range(len(team)):
            j = team[i]
            h[i] = h[i] + habit_rate[j] * (one - h[i])
            s[i] = s[i] + bond_rate[j] * (one - s[i])
            x = hazard[i] + team_term[j] - bond * s[i] - habit * h[i]
            clock[i] -= base * np.exp(x)
            if clock[i] <= 0.0:
                out[k] = i
                k += 1
        return out[:k]

    @numba.njit
    def exp_loop(x):
        out = np.empty_like(x)
        for i in range(len(x)):
            out[i] = np.exp(x[i])
        return out

    def run(a: dict[str, np.ndarray], cfg) -> np.ndarray:
        c = cfg.club
        return loop(a["team"], a["h"], a["s"], a["clock"], a["hazard"], a["habit_rate"], a["bond_rate"],
                    a["team_term"], np.float32(c.lapse_base), np.float32(c.bond), np.float32(c.habit))

    return run, exp_loop


def main(rounds: int = 30) -> None:
    try:
        import numba
    except ImportError:
        print("compiled_club_week: needs numba, which is not a dependency (see this script's docstring)",
              file=sys.stderr)
        raise SystemExit(2) from None
    arrays, cfg = state()
    with_numba, exp_loop = compiled(numba)
    fresh = lambda: {k: v.copy() for k, v in arrays.items()}  # noqa: E731
    a, b = fresh(), fresh()
    same_lapses = np.array_equal(with_numpy(a, cfg), with_numba(b, cfg))  # (also compiles the loop)
    same = {k: np.array_equal(a[k], b[k], equal_nan=True) for k in ("h", "s", "clock")}
    exponent = arrays["hazard"] - np.float32(cfg.club.habit) * arrays["h"]  # float32, one per member
    exp_loop(exponent)  # compiles it
    times: dict[str, list[float]] = {"numpy": [], "numba": [], "numpy exp": [], "numba exp loop": []}
    for _ in range(rounds):
        for name, run in (("numpy", with_numpy), ("numba", with_numba)):
            x = fresh()
            start = time.perf_counter()
            run(x, cfg)
            times[name].append(time.perf_counter() - start)
        for name, exp in (("numpy exp", np.exp), ("numba exp loop", exp_loop)):  # the exponential alone
            start = time.perf_counter()
            exp(exponent)
            times[name].append(time.perf_counter() - start)
    print(f"{len(arrays['team'])} members of {REPLICATIONS} replications at week {WEEK}; {rounds} rounds; "
          f"load average {os.getloadavg()[0]:.2f}")
    gap = np.nanmax(np.abs(a["clock"] - b["clock"]) / np.maximum(np.abs(a["clock"]), 1e-300), initial=0.0)
    print(f"same lapses: {same_lapses}; same h, s, clock bit for bit: {same}; clocks' largest relative "
          f"difference {gap:.1e} (numpy's and numba's float32 exp may differ in the last bits)")
    for name, values in times.items():
        print(f"{name}: median {1e3 * statistics.median(values):.3f} ms")
    print(f"numpy / numba: {statistics.median(times['numpy']) / statistics.median(times['numba']):.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
