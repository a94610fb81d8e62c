# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Which assumptions move the answers? A Morris screening
#
# **Question.** Most coefficients in `conf/` are `[assumed]`: the report gives their direction, not
# their size. Before trusting a comparison of scenarios, or spending effort on measuring a
# parameter, we want to know which of them the answers (handover, 52-week retention, cost per
# retained citizen, patient-association uptake) actually depend on.
#
# **Method.** Morris' elementary effects (SALib): each *trajectory* starts at a random grid point
# of the parameter ranges in `conf/sensitivity/default.yaml` and moves one parameter at a time by
# two thirds of its range; every point is a simulation (means over replications, the same random
# numbers at every point). For each parameter and output:
#
# - **μ\*** — the mean absolute change of the output when the parameter moves across its whole range
#   (SALib scales each step to the range). Rank by it.
# - **μ** — the signed mean: the direction of the effect.
# - **σ** — the spread of the effects: large against μ\* means the effect depends on where the other
#   parameters are (interactions or curvature).
#
# The same analysis from the command line, at full size (20 trajectories, 100 replications per
# point; see README, "Sensitivity analysis"):
#
# ```
# python -m sim.sensitivity --out results/sensitivity/default_morris
# ```
#
# This notebook runs a small screening in-process (a few trajectories, few replications, two intake
# waves) so it executes in seconds; set `RESULTS_DIR` to a command-line run's folder to read its
# `indices.csv` instead.

# %% tags=["parameters"]
TRAJECTORIES = 4  # 20+ for a real screening
REPLICATIONS = 10  # per design point; 100 for a real screening
SEED = 0  # the design's seed (the simulation uses run.seed, the same at every point)
OVERRIDES = ["intake.waves=2", "run.horizon_weeks=80"]  # [] for the full default city and horizon
N_JOBS = 1
RESULTS_DIR = None  # e.g. "results/sensitivity/default_morris": read its indices.csv instead of running

# %%
# %matplotlib inline
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from sim.present import sensitivity as report
from sim.workflows.sensitivity import SimulationModel, base_config, evaluate, indices, load, sample

spec = load("default")
if RESULTS_DIR is None:
    points = sample(spec, "morris", TRAJECTORIES, seed=SEED)
    model = SimulationModel(base_config(OVERRIDES, REPLICATIONS), spec.outputs)
    evaluated = evaluate(model, points, n_jobs=N_JOBS, progress=False)
    table = indices("morris", spec, evaluated, seed=SEED)
else:
    table = pd.read_csv(Path(RESULTS_DIR) / "indices.csv")
print(f"{len(spec.parameters)} parameters, {TRAJECTORIES * (len(spec.parameters) + 1)} design points")
table.head()

# %% [markdown]
# ## The ranking per output
#
# μ\* per parameter, one column per output, parameters ordered by their influence on 52-week
# retention. Shares are in percentage points, the cost in DKK.

# %%
ranking = table.pivot(index="parameter", columns="output", values="mu_star")[list(spec.outputs)]
ranking = ranking.sort_values("retention_52w", ascending=False)
scaled = ranking.mul([100 if o != "cost_per_retained_52w" else 1 for o in ranking.columns], axis=1)
scaled.round(1)

# %% [markdown]
# ## μ\* and σ for 52-week retention
#
# The most influential parameter on top; a long bar = influential; a σ marker far to the right of
# its bar = its effect depends on the other parameters. Parameters with no bar to speak of can be
# fixed anywhere in their range without changing the answer — for this output.

# %%
display(report.figure("morris", "retention_52w", table[table["output"] == "retention_52w"]))

# %% [markdown]
# ## In words
#
# The same plain reading `report.md` gives for each output. A caution on small effects: each point
# is a Monte Carlo mean, so μ\* never reaches exactly 0. The patient-association intercept cannot
# change who joins a club team, so its μ\* on the handover rate is a measure of that noise floor.

# %%
display(Markdown("\n\n".join(f"**{o}.** " + report.reading("morris", o, table[table["output"] == o], spec)
                             for o in spec.outputs)))
noise = table[(table["output"] == "handover_rate") & (table["parameter"] == "patient.intercept")]["mu_star"]
print(f"noise floor on the handover rate: about {100 * noise.iloc[0]:.2f} percentage points")

# %% [markdown]
# ## Next steps
#
# - **Measure first** what ranks high for the output you care about: those `[assumed]` values decide
#   the answer; `docs/sensitivity.md` lists them for the default Morris run.
# - **Fix** what ranks low everywhere at its default: it need not be calibrated.
# - **Quantify** the few leading parameters with Sobol' indices (variance shares, interactions):
#   write a spec with just them and run
#   `python -m sim.sensitivity my_spec.yaml --method sobol --n 256`.
