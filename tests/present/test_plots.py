"""Each figure of sim.present.plots rendered: titles inside the figure, axis labels with units, readable
names, percent ticks with the decimals their step needs, zero bars labelled, visible bands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.ticker import MultipleLocator

from sim.present import plots

TITLES = {"as_reported": "As reported (2012-13)", "amager_everywhere": "Amager model everywhere"}
NAMES = list(TITLES)


def _table(metric: str, means: list[float], width: float) -> pd.DataFrame:
    return pd.DataFrame({"metric": metric, "scenario": NAMES, "mean": means,
                         "ci_low": [m - width for m in means], "ci_high": [m + width for m in means]})


def _draw(fig) -> None:
    fig.canvas.draw()  # ticks, layout and text positions are settled by drawing


def _ticks(ax, axis: str = "x") -> list[str]:
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels if t.get_text()]


def _inside(fig, text) -> bool:
    box, frame = text.get_window_extent(), fig.bbox
    return box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1 and box.y1 <= frame.y1 + 1


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_percent_ticks_keep_the_decimals_of_a_two_and_a_half_percent_step():
    table = pd.concat([_table("handover_rate", [0.19, 0.355], 0.012), _table("retention_52w", [0.077, 0.139], 0.005)])
    fig = plots.handover_retention_figure(table, TITLES)
    _draw(fig)
    assert all(t.endswith("%") for t in _ticks(fig.axes[1])) and len(set(_ticks(fig.axes[1]))) > 2
    fig.axes[0].xaxis.set_major_locator(MultipleLocator(0.025))  # the steps the issue saw
    _draw(fig)
    ticks = _ticks(fig.axes[0])
    assert ticks[:4] == ["15.0%", "17.5%", "20.0%", "22.5%"], ticks  # not 15/18/20/23
    assert _ticks(fig.axes[0], "y") == list(TITLES.values())  # readable names, not ids
    labels = [ax.get_xlabel().replace("\n", " ") for ax in fig.axes]
    assert "(% of completers)" in labels[0] and "(% of starters reached)" in labels[1]
    assert _inside(fig, fig._suptitle)


def test_whole_percent_steps_stay_whole():
    fig = plots.handover_retention_figure(_table("handover_rate", [0.1, 0.4], 0.05))
    _draw(fig)
    assert all("." not in t for t in _ticks(fig.axes[0]))


def test_cost_bars_are_labelled_even_at_zero_and_the_title_fits():
    fig = plots.cost_figure(_table("cost_per_retained_52w", [0.0, 23478.0], 0.0), TITLES)
    _draw(fig)
    assert _texts(fig) == ["0", "23,478"]  # the zero bar has its label
    assert "DKK" in fig.axes[0].get_xlabel()
    assert _inside(fig, fig._suptitle)
    assert "Municipal cost per retained citizen" in fig._suptitle.get_text().replace("\n", " ")


def test_retention_bands_are_visible_and_the_legend_uses_titles():
    weeks = np.arange(53)
    curve = pd.DataFrame({"week": weeks, "mean": 0.1 + 0 * weeks, "ci_low": 0.098 + 0 * weeks,
                          "ci_high": 0.102 + 0 * weeks})
    fig = plots.retention_figure({n: curve for n in NAMES}, titles=TITLES)
    _draw(fig)
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2 and all(b.get_alpha() >= 0.3 for b in bands)
    assert len(ax.lines) == 2 * 3  # each mean line with its two edge lines
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(TITLES.values())
    assert "weeks" in ax.get_xlabel() and "%" in ax.get_ylabel()
    assert all(t.endswith("%") for t in _ticks(ax, "y")) and _inside(fig, ax.title)


def test_cost_items_and_incremental_figures():
    costs = pd.concat([_table("cost_centre_sessions", [4.2e6, 2.2e6], 0), _table("cost_coleading", [0, 4.3e5], 0),
                       _table("cost_gift_cards", [0, 0], 0)])
    fig = plots.cost_items_figure(costs, TITLES)
    _draw(fig)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["centre staff and hall, sessions at the centre", "club co-leading fees (Amager)"]
    assert _texts(fig) == ["4,200,000", "2,630,000"] and "DKK" in fig.axes[0].get_xlabel()
    assert _ticks(fig.axes[0], "y") == list(TITLES.values()) and _inside(fig, fig._suptitle)
    incremental = pd.DataFrame({
        "scenario": ["amager_everywhere"], "extra_retained_52w": [89.0], "extra_retained_52w_low": [81.0],
        "extra_retained_52w_high": [97.0], "extra_cost": [-5.5e5], "extra_cost_low": [-5.6e5],
        "extra_cost_high": [-5.4e5]})
    fig = plots.incremental_figure(incremental, TITLES, "as_reported")
    _draw(fig)
    ax = fig.axes[0]
    assert "(citizens)" in ax.get_xlabel() and "(DKK)" in ax.get_ylabel() and "As reported" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Amager model everywhere"]
    assert _inside(fig, ax.title)


@pytest.mark.parametrize("value", ["handover_rate", "cost_municipality"])
def test_group_rates_and_heatmap_name_their_axes(value):
    rates = pd.DataFrame({"group": ["osterbro", "amager"] * 2, "metric": ["handover_rate"] * 2 + ["retention_52w"] * 2,
                          "mean": [0.2, 0.3, 0.1, 0.15], "ci_low": [0.18, 0.28, 0.08, 0.13],
                          "ci_high": [0.22, 0.32, 0.12, 0.17]})
    fig = plots.group_rates_figure({"amager_everywhere": rates}, "By centre",
                                   names={"osterbro": "Østerbro", "amager": "Amager", **TITLES})
    _draw(fig)
    assert _ticks(fig.axes[0]) == ["Østerbro", "Amager"] and "%" in fig.axes[0].get_ylabel()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Amager model everywhere"]  # under the panels
    sweep = pd.DataFrame({"a": [0.1, 0.1, 0.2, 0.2], "b": [1, 2, 1, 2], value: [0.1, 0.2, 0.3, 0.4]})
    fig = plots.heatmap_figure(sweep, x="a", y="b", value=value)
    _draw(fig)
    assert fig.axes[0].get_xlabel() == "a" and fig.axes[0].get_ylabel() == "b" and _inside(fig, fig._suptitle)
