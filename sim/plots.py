"""Matplotlib figures of results, for `sim.compare` and notebooks.

Each function returns a `matplotlib.figure.Figure` built without pyplot (so it works under any
backend, in parallel, and displays in Jupyter) or draws on the `ax` it is given. Inputs are the
tables of `sim.analysis`: retention curves (`retention_curve`) and comparison tables (`comparison`).
Scenarios keep one colour across figures (their order in the input).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.report import PERCENT

LABELS = {
    "completion_rate": "completed the programme (% of starters)",
    "handover_rate": "handed over to a club team (% of completers)",
    "retention_26w": "club member 26 weeks after programme end (% of starters)",
    "retention_52w": "club member 52 weeks after programme end (% of starters)",
    "patient_uptake": "joined a patient association (% of eligible completers)",
    "patient_retention_52w": "in a patient association 52 weeks after (% of eligible completers)",
    "active_52w": "active in an association 52 weeks after (% of starters)",
    "cost_per_retained_52w": "municipal cost per citizen retained at 52 weeks (DKK)",
    "cost_municipality": "municipal cost over the horizon (DKK)",
    "completer_retention_52w": "club member 52 weeks after programme end (% of completers)",
}
FONT_SIZE = 11
DKK = FuncFormatter(lambda value, _: f"{value:,.0f}")


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _style(ax: Axes, percent: bool, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(1.0, decimals=0) if percent else DKK)
    ax.grid(alpha=0.3, axis=axis)
    ax.tick_params(labelsize=FONT_SIZE)
    ax.spines[["top", "right"]].set_visible(False)


def retention_figure(curves: Mapping[str, pd.DataFrame], ax: Axes | None = None) -> Figure:
    """Retention over the weeks since each citizen's programme end: one line per scenario with its
    95% band over replications (`curves`: scenario -> `sim.analysis.retention_curve` table)."""
    fig, ax = _figure(ax, (10, 5))
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(curve["week"], curve["mean"], color=f"C{i}", lw=2, label=name)
        ax.fill_between(curve["week"], curve["ci_low"], curve["ci_high"], color=f"C{i}", alpha=0.2, lw=0)
    ax.set_xlabel("weeks since the citizen's programme end", fontsize=FONT_SIZE)
    ax.set_ylabel("in a club team (% of starters)", fontsize=FONT_SIZE)
    ax.set_title("Club membership after the programme (mean, 95% band)", fontsize=FONT_SIZE + 1)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    _style(ax, percent=True)
    ax.legend(frameon=False, fontsize=FONT_SIZE, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def interval_figure(table: pd.DataFrame, metrics: Sequence[str], title: str, bars: bool = False) -> Figure:
    """Each metric's mean and 95% interval per scenario, one panel per metric (`table`:
    `sim.analysis.comparison`). `bars` draws bars from zero (for amounts such as costs)."""
    metrics = [m for m in metrics if m in set(table["metric"])]
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig = Figure(figsize=(4.5 * max(len(metrics), 1) + 1.5, 0.55 * len(scenarios) + 2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(metrics), 1), sharey=True, squeeze=False)[0])
    y = np.arange(len(scenarios))
    colors = [f"C{i}" for i in range(len(scenarios))]
    for ax, metric in zip(axes, metrics, strict=False):
        rows = table[table["metric"] == metric].set_index("scenario").reindex(scenarios)
        err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
        if bars:
            ax.barh(y, rows["mean"], xerr=err, color=colors, alpha=0.8, capsize=4)
        else:
            for yi, (mean, e, color) in enumerate(zip(rows["mean"], err.T, colors, strict=True)):
                ax.errorbar(mean, yi, xerr=e.reshape(2, 1), fmt="o", color=color, capsize=4, ms=7)
        ax.set_xlabel(textwrap.fill(LABELS.get(metric, metric), 40), fontsize=FONT_SIZE)
        _style(ax, percent=metric in PERCENT, axis="x")
    axes[0].set_yticks(y, scenarios, fontsize=FONT_SIZE)
    axes[0].invert_yaxis()  # first scenario on top, as in the table
    fig.suptitle(f"{title} (mean, 95% interval over replications)", fontsize=FONT_SIZE + 1)
    return fig


def handover_retention_figure(table: pd.DataFrame) -> Figure:
    """Handover rate and 52-week retention per scenario, with 95% intervals."""
    return interval_figure(table, ["handover_rate", "retention_52w"], "Handover and retention")


def cost_figure(table: pd.DataFrame) -> Figure:
    """Municipal cost per citizen retained at 52 weeks per scenario, with 95% intervals."""
    return interval_figure(table, ["cost_per_retained_52w"], "Municipal cost per retained citizen", bars=True)


def group_rates_figure(tables: Mapping[str, pd.DataFrame], title: str) -> Figure:
    """Handover and 52-week retention per group of citizens, one bar per run, with 95% intervals
    (`tables`: run name -> `sim.analysis.rates_by` table)."""
    metrics = ("handover_rate", "completer_retention_52w")
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    groups = list(dict.fromkeys(g for t in tables.values() for g in t["group"]))
    x, width = np.arange(len(groups)), 0.8 / max(len(tables), 1)
    for ax, metric in zip(axes, metrics, strict=True):
        for i, (name, table) in enumerate(tables.items()):
            rows = table[table["metric"] == metric].set_index("group").reindex(groups)
            err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
            ax.bar(x + (i - (len(tables) - 1) / 2) * width, rows["mean"], width, yerr=err, capsize=3,
                   color=f"C{i}", alpha=0.85, label=name)
        ax.set_xticks(x, [str(g) for g in groups], fontsize=FONT_SIZE)
        ax.set_title(textwrap.fill(LABELS[metric], 45), fontsize=FONT_SIZE)
        _style(ax, percent=True)
    axes[0].legend(frameon=False, fontsize=FONT_SIZE)
    fig.suptitle(f"{title} (mean, 95% interval over replications)", fontsize=FONT_SIZE + 1)
    return fig


def heatmap_figure(table: pd.DataFrame, x: str, y: str, value: str, panels: str | None = None) -> Figure:
    """Small multiples of heatmaps of a sweep table (one row per job × replication, the swept keys
    as columns): the mean of `value` per (`x`, `y`) cell, one panel per value of `panels`."""
    keys = [None] if panels is None else sorted(table[panels].unique())
    fig = Figure(figsize=(4.2 * len(keys) + 1.2, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(keys), sharey=True, squeeze=False)[0])
    means = table.groupby([*([panels] if panels else []), y, x])[value].mean()
    vmin, vmax = means.min(), means.max()
    for ax, key in zip(axes, keys, strict=True):
        grid = (means if key is None else means.loc[key]).unstack(x)
        image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", vmin=vmin, vmax=vmax, cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index])
        ax.set_xlabel(x, fontsize=FONT_SIZE)
        for (i, j), v in np.ndenumerate(grid.to_numpy()):
            text = f"{100 * v:.1f}%" if value in PERCENT else f"{v:,.0f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=FONT_SIZE - 2,
                    color="white" if v < (vmin + vmax) / 2 else "black")
        if key is not None:
            ax.set_title(f"{panels} = {key}", fontsize=FONT_SIZE)
    axes[0].set_ylabel(y, fontsize=FONT_SIZE)
    bar = fig.colorbar(image, ax=list(axes), label=textwrap.fill(LABELS.get(value, value), 30))
    bar.formatter = PercentFormatter(1.0, decimals=0) if value in PERCENT else DKK
    bar.update_ticks()
    fig.suptitle(f"{LABELS.get(value, value)}: mean over replications", fontsize=FONT_SIZE + 1)
    return fig
