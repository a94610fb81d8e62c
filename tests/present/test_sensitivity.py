"""The sensitivity figure: every parameter named on its axis, the most influential on top, no name
drawn over another or cut off by the figure's edge."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from sim.present.sensitivity import figure

PARAMETERS = ["handover.intercept", "handover.familiarity", "handover.knows_instructor", "handover.resourcefulness",
              "club.lapse_base", "city.associations.gymnastikforeningen_odk.facility_quality", "team.capacity"]


def _table(method: str) -> pd.DataFrame:
    # the first parameter far ahead, the next three close together: the case that overlapped and clipped
    size = [0.12, 0.021, 0.0205, 0.02, 0.008, 0.004, 0.0]
    if method == "morris":
        return pd.DataFrame({"parameter": PARAMETERS, "mu_star": size, "mu_star_conf": [s / 5 for s in size],
                             "mu": size, "sigma": [s / 2 for s in size]})
    return pd.DataFrame({"parameter": PARAMETERS, "S1": [s * 2 for s in size], "S1_conf": size,
                         "ST": [s * 2.5 for s in size], "ST_conf": size})


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_every_parameter_is_named_once_inside_the_figure(method):
    fig = figure(method, "handover_rate", _table(method))
    FigureCanvasAgg(fig).draw()  # lays the figure out as saving it does
    ax = fig.axes[0]
    names = [t for t in ax.get_yticklabels() if t.get_text()]
    assert [t.get_text() for t in names] == PARAMETERS  # ranked: the most influential on top
    assert len(ax.texts) == 0  # no names over the points
    frame = fig.bbox
    boxes = [t.get_window_extent() for t in names]
    assert all(b.x0 >= frame.x0 - 1 and b.x1 <= frame.x1 + 1 for b in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    title = ax.title.get_window_extent()
    assert title.x0 >= frame.x0 - 1 and title.x1 <= frame.x1 + 1
