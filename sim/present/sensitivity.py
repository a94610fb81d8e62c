"""The sensitivity report: one figure per output and `report.md` (ranked tables, a plain reading)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.present import labels
from sim.present.format import difference
from sim.present.plots import FONT_SIZE
from sim.workflows.sensitivity.indices import RANK_BY
from sim.workflows.sensitivity.spec import Spec

# Morris screening: a parameter below this share of an output's largest mu* barely moves it.
NEGLIGIBLE_SHARE = 0.05
# Sobol': a total index below this explains (almost) none of the output's variance.
NEGLIGIBLE_ST = 0.01


def _name(output: str) -> str:
    """How the plain-language reading names an output: "the handover rate (of completers)"."""
    return f"the {labels.label(output, of=True)}" if output in labels.METRICS else output


def _size(output: str, value: float) -> str:
    """The size of an effect on `output`: percentage points for a rate, DKK for an amount."""
    return difference(output, value, signed=False, unit=True)


def figure(method: str, output: str, table: pd.DataFrame) -> Figure:
    """One row per parameter, the most influential on top, every name on the axis (none drawn over
    the points, where they overlapped and ran off the figure). Morris: μ* as a bar with its 95%
    interval, σ as a marker beside it. Sobol': S1 and ST bars with 95% intervals, sorted by ST."""
    rank = RANK_BY[method]
    ordered = table.sort_values(rank, ascending=False, na_position="last").reset_index(drop=True)
    fig = Figure(figsize=(9, max(3.5, 0.38 * len(ordered) + 1.8)), layout="constrained")
    ax = fig.add_subplot()
    pos = np.arange(len(ordered))
    if method == "morris":
        scale = 100 if labels.is_rate(output) else 1
        unit = {labels.RATE: "percentage points", labels.DKK: "DKK"}.get(labels.kind(output), "citizens")
        ax.barh(pos, ordered["mu_star"] * scale, height=0.6, xerr=ordered["mu_star_conf"] * scale, color="C0",
                capsize=2, label="μ*: mean absolute effect over the parameter's range (95% interval)")
        ax.plot(ordered["sigma"] * scale, pos, "D", color="C1", ms=5,
                label="σ: spread of the effects (large against μ*: interactions or curvature)")
        ax.set_xlabel(f"effect on the output ({unit})", fontsize=FONT_SIZE)
    else:
        ax.barh(pos - 0.2, ordered["ST"], height=0.4, xerr=ordered["ST_conf"], color="C0", label="total (ST)",
                capsize=2)
        ax.barh(pos + 0.2, ordered["S1"], height=0.4, xerr=ordered["S1_conf"], color="C1",
                label="first order (S1)", capsize=2)
        ax.set_xlabel("share of the output's variance (95% bootstrap intervals)", fontsize=FONT_SIZE)
    ax.set_yticks(pos, ordered["parameter"], fontsize=FONT_SIZE - 2)
    ax.invert_yaxis()  # the most influential on top
    ax.set_xlim(left=0)
    handles, names = ax.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: not names[i].startswith(("μ*", "total")))  # the ranking first
    fig.legend([handles[i] for i in order], [names[i] for i in order], fontsize=FONT_SIZE - 2,
               loc="outside lower center", frameon=False)  # below the bars: it covers none
    ax.set_title(labels.axis_label(output), fontsize=FONT_SIZE)
    ax.grid(alpha=0.3, axis="x")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def reading(method: str, output: str, table: pd.DataFrame, spec: Spec) -> str:
    """One paragraph: what matters most for `output`, in which direction, and what hardly matters."""
    if table[RANK_BY[method]].isna().all():
        return (f"{_name(output)} is undefined at some design points (e.g. nobody retained), so no indices "
                "are computed for it.")
    top = table.iloc[0]
    if method == "morris":
        direction = "raising it raises" if top["mu"] > 0 else "raising it lowers"
        lead = (f"What matters most for {_name(output)} is **{top['parameter']}**: moving it across "
                f"{_range(spec, top['parameter'])} moves the output by about {_size(output, top['mu_star'])} "
                f"on average ({direction} it).")
        small = table[table["mu_star"] < NEGLIGIBLE_SHARE * top["mu_star"]]["parameter"].tolist()
        limit = f"less than {NEGLIGIBLE_SHARE:.0%} of that"
    else:
        lead = (f"What matters most for {_name(output)} is **{top['parameter']}**: alone it explains about "
                f"{top['S1']:.0%} of its variance over the ranges, {top['ST']:.0%} with its interactions.")
        small = table[table["ST"] < NEGLIGIBLE_ST]["parameter"].tolist()
        limit = f"less than {NEGLIGIBLE_ST:.0%} of the variance"
    follow = [p for p in table["parameter"].iloc[1:3] if p not in small]
    text = f"{lead} Next come {' and '.join(follow)}." if follow else lead
    if small:
        text += f" {len(small)} of {len(table)} parameters move it by {limit}: {', '.join(small)}."
    return text


def _range(spec: Spec, key: str) -> str:
    low, high = spec.parameters[key]
    return f"[{low:g}, {high:g}]"


def _row(method: str, output: str, rank: int, r: pd.Series, spec: Spec) -> str:
    if method == "morris":
        cells = (_size(output, r["mu_star"]), _size(output, r["mu_star_conf"]), difference(output, r["mu"], unit=True),
                 _size(output, r["sigma"]))
    else:
        cells = tuple(f"{r[c]:.3f}" for c in ("S1", "S1_conf", "ST", "ST_conf"))
    return "| " + " | ".join((str(rank), f"`{r['parameter']}`", _range(spec, r["parameter"]), *cells)) + " |"


HEADERS = {
    "morris": "| rank | parameter | range | μ* | μ* 95% ± | μ | σ |\n|--:|---|---|--:|--:|--:|--:|",
    "sobol": "| rank | parameter | range | S1 | S1 95% ± | ST | ST 95% ± |\n|--:|---|---|--:|--:|--:|--:|",
}
HOW_TO_READ = {
    "morris": (
        "Morris screening (elementary effects, SALib). **μ\\*** is the mean absolute change of the output "
        "when one parameter moves across its whole range, the others held at a grid point (SALib scales "
        "effects to the range); rank by it. **μ** is the signed mean (the direction), **σ** the spread of the "
        "effects: σ large against μ\\* means the effect depends on the other parameters (interactions or "
        "curvature). Shares are in percentage points (pp)."
    ),
    "sobol": (
        "Sobol' variance decomposition (SALib). **S1** is the share of the output's variance over the ranges "
        "explained by a parameter alone, **ST** by the parameter including its interactions; rank by ST. "
        "ST − S1 is the part through interactions; ST near 0 means the parameter can be fixed anywhere in "
        "its range."
    ),
}


def markdown(method: str, spec: Spec, table: pd.DataFrame, settings: dict[str, object]) -> str:
    """`report.md`: the run's settings, how to read the indices, then per output a plain reading and
    the ranked table."""
    title = "Morris" if method == "morris" else "Sobol'"
    lines = [f"# Sensitivity analysis: {spec.name} ({title})", ""]
    lines += [f"- {k}: {v}" for k, v in settings.items()]
    lines += ["", HOW_TO_READ[method], "",
              "Intervals (±) are 95% bootstrap intervals of the indices over the design (SALib). Each design "
              "point's output is a mean over its replications, all points with the same random numbers "
              "(common random numbers), so the Monte Carlo noise left in those means is part of what the "
              "bootstrap sees; the ranges themselves are assumptions (see the spec's comments)."]
    for output in spec.outputs:
        part = table[table["output"] == output].reset_index(drop=True)
        lines += ["", f"## {labels.axis_label(output)} (`{output}`)", "", reading(method, output, part, spec), "",
                  HEADERS[method]]
        lines += [_row(method, output, i + 1, r, spec) for i, r in part.iterrows()]
        lines += ["", f"![{output}]({output}.png)"]
    return "\n".join(lines) + "\n"
