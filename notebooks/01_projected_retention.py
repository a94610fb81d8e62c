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
# # Projected retention by handover policy
#
# **Question.** If every prevention centre in Copenhagen ran the same handover model, how many
# citizens would join a sports club after their 12-week programme, and how many would still be
# there a year later?
#
# The 2012–13 trials ran one model per district: Amager moved half the sessions into a club,
# Vesterbro offered free parallel club training, Vanløse gave a two-week gift card, the other
# centres offered trial sessions (baseline). This notebook runs the default Copenhagen population
# under each model everywhere (the scale-up case) with the same citizens in every run (common random
# numbers) and plots retention over the weeks since each citizen's programme end.

# %% tags=["parameters"]
REPLICATIONS = 100  # scale up for publication figures (e.g. 1000); 100 runs in seconds
SEED = 0
ENGINE = "vector"

# %%
# %matplotlib inline
from IPython.display import display

import sim
from sim.present import plots
from sim.workflows import analysis

POLICIES = ["baseline", "amager", "vesterbro", "vanlose"]
# Readable names in legends and axes (sim.present.plots takes them; percent ticks keep their decimals).
NAMES = {"baseline": "Trial sessions everywhere", "amager": "Amager model everywhere",
         "vesterbro": "Vesterbro model everywhere", "vanlose": "Vanløse model everywhere"}
runs = {
    policy: sim.simulate(sim.compose([
        f"policy={policy}", f"run.replications={REPLICATIONS}", f"run.seed={SEED}",
        f"run.engine={ENGINE}", "run.progress=false",
    ]))
    for policy in POLICIES
}

# %% [markdown]
# ## Retention over the weeks since programme end
#
# The share of programme *starters* who are members of a club team k weeks after their own
# programme end (95% interval of the mean over replications). Under Vanløse the decision window
# opens only after the two free gift-card weeks.

# %%
curves = {policy: analysis.retention_curve(res) for policy, res in runs.items()}
plots.retention_figure(curves, titles=NAMES)

# %% [markdown]
# ## Handover and 52-week retention side by side

# %%
table = analysis.comparison({p: r.summary for p, r in runs.items()}, reference="baseline")
display(plots.handover_retention_figure(table, NAMES))
table[table.metric.isin(["handover_rate", "retention_52w", "cost_per_retained_52w"])].round(3)

# %% [markdown]
# ## What the report found, and where the model agrees
#
# - *Amager and Vesterbro handed citizens over better than Vanløse and the baseline.* The model
#   reproduces the ranking by construction of its mechanisms (exposure to the partner club during
#   the programme raises familiarity and lets citizens meet the instructor); the size of the gaps
#   rests on assumed coefficients (docs/model.md), not on measured rates.
# - *The earlier the club is built into the programme, the better.* Amager exposes citizens in
#   every programme week, so its familiarity is highest at the decision.
# - *A gift card creates curiosity but is not enough.* Vanløse's card gives at most two exposures,
#   after the programme, and delays the decision; its handover stays near the baseline.
# - Retention a year on is roughly half of those handed over under every policy: the policy decides
#   who joins, the club (café, instructor continuity, facilities) decides who stays.
# - The report's data is thin (≈ 300 handed over, 115 interviewed); these are projections under
#   prior parameters, to be calibrated.
