"""Matplotlib figures of results, for `sim.compare` and notebooks.

Each function returns a `matplotlib.figure.Figure` built without pyplot (so it works under any
backend, in parallel, and displays in Jupyter) or draws on the `ax` it is given. Inputs are the
tables of `sim.workflows.analysis`: retention curves (`retention_curve`) and comparison tables (`comparison`).
Scenarios keep one colour across figures (their order in the input).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator

from sim.model.costs import ITEMS
from sim.present import labels
from sim.present.format import amount, number

FONT_SIZE = 11
DKK = FuncFormatter(lambda value, _: amount(value))
TITLE_CHARS_PER_INCH = 11  # at FONT_SIZE + 1: a suptitle wider than its figure is wrapped
NAME_CHARS = 30  # a scenario's name longer than this is wrapped in tick labels and legends


class PercentTicks(Formatter):
    """Percent tick labels of shares (0.225 -> "22.5%") with as many decimals as the tick step
    needs, the same for every tick (matplotlib's PercentFormatter with fixed decimals rounds 2.5%
    steps to 18/20/23/25)."""

    ticks: np.ndarray = np.zeros(0)

    def set_locs(self, locs: Sequence[float]) -> None:  # the axis hands over this draw's ticks
        self.ticks = np.asarray(locs, dtype=float)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return f"{100 * x:.{self._decimals()}f}%"

    def _decimals(self) -> int:
        locs = 100 * self.ticks
        for decimals in range(4):
            if np.allclose(np.round(locs, decimals), locs, atol=1e-9):
                return decimals
        return 4


def names_of(names: Mapping[str, str] | None, keys: Sequence[str]) -> list[str]:
    """Readable names (scenario titles, centre labels) for ids, the id where none is given; a long
    name wrapped over lines, so it does not squeeze the plot beside it."""
    return [textwrap.fill((names or {}).get(k, k), NAME_CHARS) for k in keys]


def _legend_below(ax: Axes, entries: int) -> None:
    """The legend under the plot, where long names take no width from it."""
    ax.legend(frameon=False, fontsize=FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncols=min(entries, 2))


def _figure(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _style(ax: Axes, percent: bool, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentTicks() if percent else DKK)
    ax.grid(alpha=0.3, axis=axis)
    ax.tick_params(labelsize=FONT_SIZE)
    ax.spines[["top", "right"]].set_visible(False)


def _suptitle(fig: Figure, text: str) -> None:
    """A figure title wrapped to the figure's width, so it is never clipped."""
    width = max(20, int(fig.get_figwidth() * TITLE_CHARS_PER_INCH))
    fig.suptitle(textwrap.fill(text, width), fontsize=FONT_SIZE + 1)


def retention_figure(curves: Mapping[str, pd.DataFrame], ax: Axes | None = None,
                     titles: Mapping[str, str] | None = None) -> Figure:
    """Retention over the weeks since each citizen's programme end: one line per scenario with its
    95% band over replications, edged so that narrow bands stay visible (`curves`: scenario ->
    `sim.workflows.analysis.retention_curve` table; `titles`: scenario -> readable name)."""
    fig, ax = _figure(ax, (7.5, 5))
    for i, (curve, label) in enumerate(zip(curves.values(), names_of(titles, list(curves)), strict=True)):
        ax.plot(curve["week"], curve["mean"], color=f"C{i}", lw=2, label=label)
        ax.fill_between(curve["week"], curve["ci_low"], curve["ci_high"], color=f"C{i}", alpha=0.3, lw=0)
        for edge in ("ci_low", "ci_high"):
            ax.plot(curve["week"], curve[edge], color=f"C{i}", lw=0.8, ls=":")
    ax.set_xlabel("weeks since the citizen's programme end (weeks)", fontsize=FONT_SIZE)
    ax.set_ylabel(labels.axis_label("retention"), fontsize=FONT_SIZE)
    ax.set_title("Club membership after the programme (mean, 95% band)", fontsize=FONT_SIZE + 1)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    _style(ax, percent=True)
    _legend_below(ax, len(curves))
    return fig


def interval_figure(table: pd.DataFrame, metrics: Sequence[str], title: str, bars: bool = False,
                    titles: Mapping[str, str] | None = None) -> Figure:
    """Each metric's mean and 95% interval per scenario, one panel per metric (`table`:
    `sim.workflows.analysis.comparison`). `bars` draws bars from zero (for amounts such as costs), each
    labelled with its value (a zero bar too). `titles`: scenario -> readable name."""
    metrics = [m for m in metrics if m in set(table["metric"])]
    scenarios = list(dict.fromkeys(table["scenario"]))
    fig = Figure(figsize=(4.5 * max(len(metrics), 1) + 2.5, 0.55 * len(scenarios) + 2.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(metrics), 1), sharey=True, squeeze=False)[0])
    y = np.arange(len(scenarios))
    colors = [f"C{i}" for i in range(len(scenarios))]
    for ax, metric in zip(axes, metrics, strict=False):
        rows = table[table["metric"] == metric].set_index("scenario").reindex(scenarios)
        err = np.vstack([rows["mean"] - rows["ci_low"], rows["ci_high"] - rows["mean"]])
        if bars:
            ax.barh(y, rows["mean"], xerr=np.nan_to_num(err), color=colors, alpha=0.8, capsize=4)
            for yi, mean in zip(y, rows["mean"], strict=True):
                ax.annotate(number(metric, mean), (0 if pd.isna(mean) else max(mean, 0), yi), xytext=(4, 6),
                            textcoords="offset points", fontsize=FONT_SIZE - 1, va="bottom")
            ax.set_xlim(left=0)
        else:
            for yi, (mean, e, color) in enumerate(zip(rows["mean"], err.T, colors, strict=True)):
                ax.errorbar(mean, yi, xerr=e.reshape(2, 1), fmt="o", color=color, capsize=4, ms=7)
        ax.set_xlabel(textwrap.fill(labels.axis_label(metric), 40), fontsize=FONT_SIZE)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))  # tick labels of a narrow panel must not touch
        _style(ax, percent=labels.is_rate(metric), axis="x")
    axes[0].set_yticks(y, names_of(titles, scenarios), fontsize=FONT_SIZE)
    axes[0].invert_yaxis()  # first scenario on top, as in the table
    _suptitle(fig, f"{title} (mean, 95% interval over replications)")
    return fig


def handover_retention_figure(table: pd.DataFrame, titles: Mapping[str, str] | None = None) -> Figure:
    """Handover rate and 52-week retention per scenario, with 95% intervals."""
    return interval_figure(table, ["handover_rate", "retention_52w"], "Handover and retention", titles=titles)


def cost_figure(table: pd.DataFrame, titles: Mapping[str, str] | None = None) -> Figure:
    """Municipal cost per citizen retained at 52 weeks per scenario, with 95% intervals."""
    return interval_figure(table, ["cost_per_retained_52w"], "Municipal cost per retained citizen", bars=True,
                           titles=titles)


def cost_items_figure(table: pd.DataFrame, titles: Mapping[str, str] | None = None) -> Figure:
    """Municipal cost by item per scenario: stacked bars of the mean over replications, the total
    written at each bar's end (`table`: comparison rows of `cost_<item>` and `cost_municipality`)."""
    items = [f"cost_{i}" for i in ITEMS if f"cost_{i}" in set(table["metric"])]
    means = table[table["metric"].isin(items)].pivot(index="scenario", columns="metric", values="mean")
    scenarios = list(dict.fromkeys(table["scenario"]))
    means = means.reindex(index=scenarios, columns=items).fillna(0.0)
    means = means.loc[:, means.abs().sum() > 0]  # items that cost nothing anywhere are left out
    fig = Figure(figsize=(11, 0.6 * len(scenarios) + 3), layout="constrained")
    ax = fig.add_subplot()
    y, left = np.arange(len(scenarios)), np.zeros(len(scenarios))
    for i, item in enumerate(means.columns):
        ax.barh(y, means[item], left=left, color=f"C{i}", label=labels.label(item))
        left += means[item].to_numpy()
    for yi, total in zip(y, left, strict=True):
        ax.annotate(amount(total), (total, yi), xytext=(4, 0), textcoords="offset points", va="center",
                    fontsize=FONT_SIZE - 1)
    ax.set_yticks(y, names_of(titles, scenarios), fontsize=FONT_SIZE)
    ax.invert_yaxis()
    ax.set_xlabel(f"{labels.label('cost_municipality')} over the run (DKK; mean over replications)", fontsize=FONT_SIZE)
    ax.set_xlim(0, max(left.max(), 1) * 1.15)
    _style(ax, percent=False, axis="x")
    ax.legend(frameon=False, fontsize=FONT_SIZE - 1, loc="upper left", bbox_to_anchor=(1.01, 1))
    _suptitle(fig, "Municipal cost by item")
    return fig


def incremental_figure(table: pd.DataFrame, titles: Mapping[str, str] | None = None,
                       reference: str = "the reference") -> Figure:
    """Extra citizens retained at 52 weeks against extra municipal cost, each scenario against the
    reference, with 95% intervals of both paired differences (`table`: sim.workflows.analysis.incremental)."""
    fig, ax = _figure(None, (7.5, 5.5))
    order = list(titles or {})  # a scenario keeps its colour of the other figures (its place in `titles`)
    for i, row in enumerate(table.itertuples()):
        colour = f"C{order.index(row.scenario)}" if row.scenario in order else f"C{i + 1}"
        xerr = [[row.extra_retained_52w - row.extra_retained_52w_low], [row.extra_retained_52w_high
                                                                         - row.extra_retained_52w]]
        yerr = [[row.extra_cost - row.extra_cost_low], [row.extra_cost_high - row.extra_cost]]
        ax.errorbar(row.extra_retained_52w, row.extra_cost, xerr=xerr, yerr=yerr, fmt="o", ms=8, capsize=4,
                    color=colour, label=names_of(titles, [row.scenario])[0])
    ax.axhline(0, color="0.4", lw=1)
    ax.axvline(0, color="0.4", lw=1)
    ref = (titles or {}).get(reference, reference)
    ax.set_xlabel(textwrap.fill(f"{labels.label('extra_retained_52w')} vs {ref} (citizens)", 60), fontsize=FONT_SIZE)
    ax.set_ylabel(textwrap.fill(f"{labels.label('extra_cost')} vs {ref} (DKK)", 40), fontsize=FONT_SIZE)
    _style(ax, percent=False)
    _legend_below(ax, len(table))
    ax.set_title(textwrap.fill("Extra cost against extra citizens retained (mean, 95% intervals); "
                               "slope from the origin = DKK per additional citizen", 60), fontsize=FONT_SIZE + 1)
    return fig


def group_rates_figure(tables: Mapping[str, pd.DataFrame], title: str,
                       names: Mapping[str, str] | None = None) -> Figure:
    """Handover and 52-week retention per group of citizens, one bar per run, with 95% intervals
    (`tables`: run name -> `sim.workflows.analysis.rates_by` table; `names`: readable names of runs and
    groups, e.g. centre labels)."""
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
                   color=f"C{i}", alpha=0.85, label=names_of(names, [name])[0])
        ax.set_xticks(x, names_of(names, [str(g) for g in groups]), fontsize=FONT_SIZE)
        ax.set_title(textwrap.fill(labels.axis_label(metric), 45), fontsize=FONT_SIZE)
        _style(ax, percent=True)
    axes[0].set_ylabel("share of completers (%)", fontsize=FONT_SIZE)
    # Below the panels, not over them: a legend inside an axis covered the tallest bars.
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=max(len(tables), 1),
               frameon=False, fontsize=FONT_SIZE)
    _suptitle(fig, f"{title} (mean, 95% interval over replications)")
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
            ax.text(j, i, number(value, v), ha="center", va="center", fontsize=FONT_SIZE - 2,
                    color="white" if v < (vmin + vmax) / 2 else "black")
        if key is not None:
            ax.set_title(f"{panels} = {key}", fontsize=FONT_SIZE)
    axes[0].set_ylabel(y, fontsize=FONT_SIZE)
    bar = fig.colorbar(image, ax=list(axes), label=textwrap.fill(labels.axis_label(value), 30))
    bar.formatter = PercentTicks() if labels.is_rate(value) else DKK
    bar.update_ticks()
    _suptitle(fig, f"{labels.axis_label(value)}: mean over replications")
    return fig


def acceptability_figure(curve: pd.DataFrame, titles: Mapping[str, str] | None = None, prices: Sequence[float] = (),
                         cases: str = "plausible cases") -> Figure:
    """The acceptability curve: per plan, the share of draws in which it has the highest net benefit,
    against the price of one extra citizen active at 52 weeks (`curve`: sim.workflows.decision.ceac);
    the plan to choose at each price (the frontier) drawn thick; `prices` marked."""
    plans = [c for c in curve.columns if c not in ("frontier", "frontier_probability")]
    fig, ax = _figure(None, (7.5, 4.8))
    x = curve.index.to_numpy(float)
    for i, (plan, name) in enumerate(zip(plans, names_of(titles, plans), strict=True)):
        ax.plot(x, curve[plan], color=f"C{i}", lw=1.5, label=name)
        chosen = np.where(curve["frontier"] == plan, curve[plan], np.nan)
        ax.plot(x, chosen, color=f"C{i}", lw=5, alpha=0.45, solid_capstyle="butt")
    for price in prices:
        ax.axvline(price, color="0.5", lw=0.8, ls="--")
        ax.annotate(amount(price), (price, 0.0), xytext=(3, 4), textcoords="offset points", fontsize=FONT_SIZE - 1)
    ax.set_xlabel("DKK per extra citizen active at 52 weeks (willingness to pay)", fontsize=FONT_SIZE)
    ax.set_ylabel(f"chance of being the best choice (% of {cases})", fontsize=FONT_SIZE)
    ax.set_title("Which plan is best, by the price of one more citizen kept active\n(thick: the plan with the "
                 "highest expected net benefit)", fontsize=FONT_SIZE + 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(x.min(), x.max())
    _style(ax, percent=True)
    ax.xaxis.set_major_formatter(DKK)
    _legend_below(ax, len(plans))
    return fig


def evppi_figure(evppi: pd.DataFrame, at_prices: pd.DataFrame) -> Figure:
    """The value of learning each group of parameters exactly (EVPPI, DKK for this decision), with ±2
    standard errors, one panel per price; the value of removing all uncertainty (EVPI) as a line
    (`evppi`, `at_prices`: sim.workflows.choice.Decision)."""
    prices = list(at_prices["wtp"])
    groups = list(dict.fromkeys(evppi["group"]))
    fig = Figure(figsize=(4.2 * len(prices) + 1.5, 0.5 * len(groups) + 2.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(prices), sharey=True, squeeze=False)[0])
    y = np.arange(len(groups))
    for ax, price in zip(axes, prices, strict=True):
        rows = evppi[evppi["wtp"] == price].set_index("group").reindex(groups)
        ax.barh(y, rows["evppi"], xerr=2 * rows["se"].fillna(0), color="C0", alpha=0.8, capsize=4)
        evpi = float(at_prices.set_index("wtp").loc[price, "evpi"])
        ax.axvline(evpi, color="C3", lw=1.2, ls="--", label=f"all uncertainty: {amount(evpi)}")
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_title(f"at {amount(price)} DKK per extra citizen active", fontsize=FONT_SIZE)
        ax.set_xlabel("DKK for this decision", fontsize=FONT_SIZE)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        _style(ax, percent=False, axis="x")
        ax.legend(frameon=False, fontsize=FONT_SIZE - 1, loc="lower right")
    axes[0].set_yticks(y, groups, fontsize=FONT_SIZE)
    axes[0].invert_yaxis()
    _suptitle(fig, "What learning each group of parameters exactly would be worth (EVPPI, ±2 standard errors)")
    return fig
