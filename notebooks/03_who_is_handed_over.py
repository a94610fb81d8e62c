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
# # Who is handed over?
#
# **Question.** Which citizens does a handover model reach, and which does it miss? The report
# notes that the most vulnerable citizens do not take part, that citizens with COPD are less
# resourceful, and that resourcefulness differs by district and diagnosis. This notebook breaks
# handover and 52-week retention down by resourcefulness quintile, by diagnosis and by district,
# under the Amager model everywhere and under the 2012–13 mix.

# %% tags=["parameters"]
REPLICATIONS = 60  # more replications narrow the intervals
SEED = 0
ENGINE = "vector"

# %%
# %matplotlib inline
from IPython.display import display

import sim
from sim.present import plots
from sim.workflows import analysis

runs = {
    policy: sim.simulate(sim.compose([
        f"policy={policy}", f"run.replications={REPLICATIONS}", f"run.seed={SEED}",
        f"run.engine={ENGINE}", "run.progress=false",
    ]))
    for policy in ("mixed", "amager")
}

# %% [markdown]
# ## By resourcefulness quintile
#
# Quintiles of resourcefulness among programme completers (1 = least resourceful). Handover
# (`handover_rate`) is a share of completers whose decision window has closed; retention
# (`completer_retention_52w`) is still a member 52 weeks after programme end, as a share of completers
# the horizon reaches (the headline `retention_52w` is a share of starters, so it is lower).

# %%
by_quintile = {p: analysis.rates_by(r, "resourcefulness_quintile") for p, r in runs.items()}
display(plots.group_rates_figure(by_quintile, title="By resourcefulness quintile (1 = least)"))
by_quintile["amager"].round(3)

# %% [markdown]
# ## By diagnosis and by district

# %%
tables = {by: {p: analysis.rates_by(r, by) for p, r in runs.items()} for by in ("diagnosis", "centre")}
for by, title in (("diagnosis", "By diagnosis"), ("centre", "By district")):
    display(plots.group_rates_figure(tables[by], title=title))

# %% [markdown]
# ## Reading
#
# Resourcefulness enters both the decision (`handover.resourcefulness`) and the lapse hazard
# (`club.resourcefulness`); COPD carries a resourcefulness offset of −0.8 on the logit scale and
# Nørrebro the lowest mean resourcefulness (assumptions following the report); Vanløse's partner club
# has poor facilities and a high instructor turnover (from the report). What that gives is read off
# the tables above: every sentence below is computed from them.

# %%
from IPython.display import Markdown

NAMES = {"mixed": "the 2012–13 mix", "amager": "Amager everywhere"}
HANDOVER, KEPT = "handover_rate", "completer_retention_52w"


def mean(table, group, metric):
    return table[(table["group"] == group) & (table["metric"] == metric)]["mean"].item()


def extremes(table, metric):
    rows = table[table["metric"] == metric].sort_values("mean")
    return rows.iloc[0], rows.iloc[-1]


centres = runs["mixed"].config.city.centres
label = {**{name: c.label or name for name, c in centres.items()}, "copd": "COPD", "at_risk": "at risk"}


lines = []
for policy, name in NAMES.items():
    q = by_quintile[policy]
    low, high = mean(q, 1, HANDOVER), mean(q, 5, HANDOVER)
    low_kept, high_kept = mean(q, 1, KEPT), mean(q, 5, KEPT)
    trend = "widens" if high_kept / low_kept > high / low else "narrows"
    lines.append(f"- Under {name} the least resourceful fifth of completers is handed over {low:.0%} of the time, "
                 f"the most resourceful {high:.0%}; a year on {low_kept:.0%} against {high_kept:.0%} are still "
                 f"in a club, so the ratio {trend} from {high / low:.1f} to {high_kept / low_kept:.1f}.")
for by, what in (("diagnosis", "diagnosis"), ("centre", "district")):
    for policy, name in NAMES.items():
        (least, most), (fewest, kept) = extremes(tables[by][policy], HANDOVER), extremes(tables[by][policy], KEPT)
        least_, most_, fewest_, kept_ = (label.get(r.group, r.group) for r in (least, most, fewest, kept))
        lines.append(f"- By {what}, under {name}: {least_} is handed over least ({least['mean']:.0%}) and "
                     f"{most_} most ({most['mean']:.0%}); a year on {fewest_} keeps the fewest "
                     f"({fewest['mean']:.0%} of completers) and {kept_} the most ({kept['mean']:.0%}).")
raised = sum(mean(by_quintile["amager"], g, HANDOVER) > mean(by_quintile["mixed"], g, HANDOVER) for g in range(1, 6))
gaps = {p: mean(by_quintile[p], 5, HANDOVER) - mean(by_quintile[p], 1, HANDOVER) for p in NAMES}
closes = "narrows" if gaps["amager"] < gaps["mixed"] else "does not narrow"
lines.append(f"- Scaling up Amager raises handover in {raised} of 5 quintiles; the gap between the most and the "
             f"least resourceful fifth {closes} ({100 * gaps['mixed']:.0f} pp under the mix, "
             f"{100 * gaps['amager']:.0f} pp under Amager everywhere).")
Markdown("\n".join(lines))
