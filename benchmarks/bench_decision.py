"""The decision analysis (docs/decision.md) timed on synthetic draws: 4 plans × 1,000 posterior draws, the
acceptability curve over 41 prices (0 to 100,000 DKK per extra citizen active at 52 weeks), EVPI at
each price, and EVPPI with standard errors for the 6 parameter groups (sim.workflows.decision.PARAMETER_GROUPS)
at one price. The whole analysis including the simulation has 60 s on this 2-core machine;
this part's budget is BUDGET_SECONDS, leaving the rest to simulating the plans.

    .venv/bin/python benchmarks/bench_decision.py            # prints the wall time and the EVPPI table
    .venv/bin/python benchmarks/bench_decision.py --end-to-end   # sim.compare's computation, 4 plans x 1,000
    .venv/bin/python -m pytest benchmarks/bench_decision.py --benchmark-only -s

The draws mimic a run over the posterior: per plan, citizens active at 52 weeks and municipal cost,
driven by 34 parameters in the six groups (19 in handover: 3 coefficients and 16 team
attractivenesses, as the calibration ships; 6 club retention, 2 team supply, 1 patient channel,
5 costs, 1 intake) plus replication noise, from a model whose EVPPIs are known (`known`): the
report gives each estimate's distance from its known value in standard errors.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from sim import decision

PLANS = ("as_reported", "amager_everywhere", "vesterbro_everywhere", "vanlose_everywhere")
DRAWS = 1000
SCENARIOS = ("as_reported", "amager_everywhere", "vesterbro_everywhere", "monthly_trials")  # shipped (end to end)
WTP = np.linspace(0, 100_000, 41)
PRICE = 30_000.0  # DKK per extra citizen active at 52 weeks, where EVPPI is taken
BUDGET_SECONDS = 15
KEYS = {  # synthetic column names that fall in each group
    "handover": ["handover.intercept", "handover.familiarity", "handover.knows_instructor",
                 *(f"city.teams.team_{i}.attractiveness" for i in range(16))],
    "club retention": ["club.lapse_base", "club.bond", "club.habit", "club.resourcefulness", "club.vacancy",
                       "club.change"],
    "team supply": ["team.open_threshold", "instructor.turnover_annual"],
    "patient channel": ["patient.intercept"],
    "costs": ["costs.centre_session_staff", "costs.centre_session_hall", "costs.club_session_staff",
              "costs.coleading_fee", "costs.trial_session"],
    "intake": ["citizen.resourcefulness_shift"],
}


# The synthetic model: per plan k, citizens active at 52 weeks and municipal cost (DKK) are
#   effect_k = 300 + LIFT_k + H·(1 + LEANS_k) + T·LEANS_k + R + I + P·PATIENT_k + 10·ε_k
#   cost_k   = 5e6 + EXTRA_k + K·COST_SHARE_k + 5e4·η_k
# with H = (10, 6, 3)·(3 handover coefficients) + 2·Σ(16 attractivenesses), T = 8·tanh(open threshold),
# R = 2·Σ(6 club keys), I = 4·intake, P = 3·patient intercept, K = 1e5·Σ(5 unit costs), all inputs
# standard normal, ε and η independent noise. Club retention and intake move every plan alike: their
# EVPPI is 0; each other group moves the plans through one scalar, so its EVPPI is known (`known`).
LIFT = np.array([0.0, 20.0, 12.0, 8.0])
LEANS = np.array([0.0, 1.0, 0.5, 0.2])  # how much each plan leans on the handover and on team supply
PATIENT = np.array([1.0, 0.0, 0.0, 1.0])
EXTRA = np.array([0.0, 500_000.0, 300_000.0, 150_000.0])
COST_SHARE = np.array([1.0, 1.5, 1.2, 1.1])


def synthetic(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(effects, costs: draws × plans; inputs: draws × 34 dotted keys) from the synthetic model."""
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame(rng.standard_normal((DRAWS, 34)), columns=[k for keys in KEYS.values() for k in keys])
    x = {group: inputs[keys].to_numpy() for group, keys in KEYS.items()}
    handover = x["handover"][:, :3] @ [10.0, 6.0, 3.0] + 2 * x["handover"][:, 3:].sum(axis=1)
    effects = (300 + LIFT + np.outer(handover, 1 + LEANS) + np.outer(8 * np.tanh(x["team supply"][:, 0]), LEANS)
               + (2 * x["club retention"].sum(axis=1) + 4 * x["intake"][:, 0])[:, None]
               + np.outer(3 * x["patient channel"][:, 0], PATIENT) + 10 * rng.standard_normal((DRAWS, 4)))
    costs = 5e6 + EXTRA + np.outer(1e5 * x["costs"].sum(axis=1), COST_SHARE) + 5e4 * rng.standard_normal((DRAWS, 4))
    return pd.DataFrame(effects, columns=PLANS), pd.DataFrame(costs, columns=PLANS), inputs


def known(group: str, wtp: float = PRICE, n: int = 2_000_000) -> float:
    """The group's true EVPPI in the synthetic model: E[max_k (a_k + b_k·S)] − max_k a_k for its scalar S."""
    z = np.random.default_rng(1).standard_normal(n)
    slope, driver = {
        "handover": (wtp * (1 + LEANS), np.sqrt(10**2 + 6**2 + 3**2 + 16 * 2**2) * z),
        "team supply": (wtp * LEANS, 8 * np.tanh(z)),
        "patient channel": (wtp * PATIENT, 3 * z),
        "costs": (-1e5 * COST_SHARE, np.sqrt(5) * z),
    }.get(group, (np.zeros(len(PLANS)), z))
    fitted = wtp * LIFT - EXTRA + np.outer(driver, slope)
    return float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())


def analyse(effects: pd.DataFrame, costs: pd.DataFrame, inputs: pd.DataFrame) -> dict[str, object]:
    """The decision analysis as sim.compare will run it."""
    curve = decision.ceac(effects, costs, WTP)
    evpi = pd.Series([decision.evpi(decision.net_benefit(effects, costs, lam)) for lam in WTP], index=WTP)
    groups = decision.evppi_groups(decision.net_benefit(effects, costs, PRICE), inputs)
    return {"ceac": curve, "evpi": evpi, "evppi": groups}


def timed(seed: int = 0) -> tuple[float, dict[str, object]]:
    draws = synthetic(seed)
    start = time.perf_counter()
    out = analyse(*draws)
    return time.perf_counter() - start, out


def accuracy(groups: pd.DataFrame) -> pd.DataFrame:
    """The EVPPI table with each group's known value and the estimate's distance from it in standard errors."""
    truth = groups["group"].map(known)
    return groups.assign(known=truth, z=(groups["evppi"] - truth) / groups["se"]).round({"evppi": 0, "se": 0,
                                                                                       "known": 0, "z": 2})


def report(seconds: float, out: dict[str, object]) -> str:
    at = out["ceac"].loc[PRICE]
    return (f"decision analysis, {len(PLANS)} plans x {DRAWS} draws, {len(WTP)} prices, "
            f"{len(out['evppi'])} EVPPI groups: {seconds:.1f} s (budget {BUDGET_SECONDS} s)\n"
            f"at {PRICE:,.0f} DKK: best {at['frontier']} ({at['frontier_probability']:.0%}), "
            f"EVPI {out['evpi'][PRICE]:,.0f} DKK\n{accuracy(out['evppi']).to_string(index=False)}")


def test_decision_analysis(benchmark):
    seconds, out = benchmark.pedantic(timed, rounds=1, iterations=1)
    benchmark.extra_info.update(plans=len(PLANS), draws=DRAWS, prices=len(WTP), seconds=seconds)
    print("\n" + report(seconds, out))
    table = accuracy(out["evppi"])
    assert len(table) == len(KEYS) and (table["z"].abs() < 3).all()
    assert seconds <= BUDGET_SECONDS


def end_to_end(replications: int = DRAWS) -> str:
    """`python -m sim.compare`'s computation (sim.workflows.compare.run: simulate the 4 plans over the
    shipped ensemble, every table, the decision analysis at two prices) and its Markdown, timed, with
    the decision analysis (sim.workflows.choice.analyse) timed again on its own."""
    from sim.present.comparison import markdown
    from sim.workflows import choice
    from sim.workflows.compare import prepare, run

    start = time.perf_counter()
    result = run(prepare(list(SCENARIOS), [f"run.replications={replications}", "run.progress=false"]))
    text = markdown(result)
    total = time.perf_counter() - start
    start = time.perf_counter()
    choice.analyse(result.summaries, result.reference, result.configs)
    alone = time.perf_counter() - start
    said = text.split("## Decision")[1].split("##")[0].strip()
    return (f"end to end, {len(SCENARIOS)} plans x {replications} replications over the shipped ensemble: "
            f"{total:.1f} s (the decision analysis alone: {alone:.1f} s)\n{said}")


if __name__ == "__main__":
    if "--end-to-end" in sys.argv:
        print(end_to_end())
    else:
        print(report(*timed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)))
