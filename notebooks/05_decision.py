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
# # Which plan to choose, and what is worth learning first?
#
# **Question.** Given the calibrated model and what it does not know, which handover plan should the
# municipality choose, how sure can it be, and which uncertainty would be worth reducing before
# deciding?
#
# **Method.** Each plan runs over the same replications: replication r of every plan has the same
# parameter draw from the shipped calibration ensemble (`run.uncertainty=ensemble`, the default) and
# the same random numbers, so differences are paired. This is the computation of
# `python -m sim.compare` (`sim.workflows.compare`), and its words come from the same functions as
# `comparison.html` (`sim.present.comparison`); docs/decision.md gives the formulas. The same at
# full size from the command line:
#
# ```
# python -m sim.compare as_reported amager_everywhere monthly_trials run.replications=200
# ```
#
# Every result below is printed from the numbers of this run; change the parameters in the next cell
# to scale it up (EVPPI needs at least 30 replications).

# %%
REPLICATIONS = 60
SEED = 0
PLANS = ["as_reported", "amager_everywhere", "monthly_trials"]
PRICES = (20_000, 50_000)  # DKK per extra citizen active at 52 weeks

# %%
from IPython.display import Markdown, display

from sim.present.comparison import (
    HEADLINE_HEAD,
    VALUE_HEAD,
    decision_figures,
    decision_sentences,
    headline_rows,
    plain_summary,
    value_rows,
)
from sim.workflows.compare import prepare, run
from sim.workflows.uncertainty import outcome_range

result = run(prepare(PLANS, [f"run.replications={REPLICATIONS}", f"run.seed={SEED}", "run.progress=false"]),
             prices=PRICES)


def show(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Rows of text as a Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]
    display(Markdown("\n".join(lines)))


# %% [markdown]
# ## What each plan can produce
#
# Each plan's mean, the range in which 9 of 10 outcomes fall, the paired difference to the first plan
# with its range, and the share of replications in which the plan does better.

# %%
print(outcome_range(result.configs[result.reference]))
table = result.decision.table
show(HEADLINE_HEAD, headline_rows(table[table["metric"].isin(["active_count_52w", "cost_municipality"])], result))

# %%
for line in plain_summary(result).splitlines():
    print("-", line)

# %% [markdown]
# ## The decision
#
# A plan's net benefit in one replication is the price of one extra citizen active at 52 weeks times
# the citizens active, minus the municipal cost. The acceptability curve gives, per price, the share of
# replications in which each plan has the highest net benefit; the thick line is the plan with the
# highest expected net benefit, the one to choose on current knowledge.

# %%
for line in decision_sentences(result):
    print("-", line)
figures = decision_figures(result)
figures["ceac"]

# %% [markdown]
# ## What is worth learning first
#
# The expected value of perfect information (EVPI) is what removing all uncertainty before deciding
# would be worth; the EVPPI of a group of parameters is what knowing that group exactly would be worth.
# Both are in DKK for the citizens this run covers, and over the decision's lifetime.

# %%
show(VALUE_HEAD, value_rows(result))
figures.get("evppi")
