"""The one number formatter of reports, the page, the dashboard and figures.

Rates are percentages ("12.3%"), their differences percentage points ("+1.2 pp"); counts and DKK
amounts are whole numbers with thousands separators ("1,234", "+56"), DKK amounts with their unit
where the text around them does not say it (`unit=True`: "1,234 DKK"). A missing value is "n/a".
"""

from __future__ import annotations

import pandas as pd

from sim.present.labels import DKK, PER_100, RATE, kind


def amount(value: float, signed: bool = False) -> str:
    """A whole number with thousands separators ("1,234"; `signed`: "+1,234"); "n/a" if missing."""
    if pd.isna(value):
        return "n/a"
    value = round(value) + 0.0  # no "-0": a value that rounds to zero is zero
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def plain(value: float) -> str:
    """A number of no known metric (a calibration target, a cell of any table): three decimals below
    1, else one decimal with thousands separators ("0.125", "1,234.5"); "n/a" if missing."""
    if pd.isna(value):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 1 and value != 0 else f"{value:,.1f}"


def _format(metric: str, value: float, signed: bool, points: bool, unit: bool) -> str:
    if pd.isna(value):
        return "n/a"
    if kind(metric) == PER_100:  # one decimal: "12.3" citizens per 100 starters
        return f"{round(value, 1) + 0.0:{'+' if signed else ''},.1f}"
    if kind(metric) == RATE:
        percent = round(100 * value, 1) + 0.0  # no "-0.0": a value that rounds to zero is zero
        return f"{percent:{'+' if signed else ''}.1f}" + (" pp" if points else "%")
    text = amount(value, signed)
    return f"{text} DKK" if unit and kind(metric) == DKK else text


def number(metric: str, value: float, unit: bool = False) -> str:
    """A value of `metric`: "12.3%", "1,234", "1,234 DKK" (`unit`)."""
    return _format(metric, value, signed=False, points=False, unit=unit)


def difference(metric: str, value: float, signed: bool = True, unit: bool = False) -> str:
    """A change in `metric`: "+1.2 pp" for a rate, "+1,234" otherwise (`signed=False`: its size, "1.2 pp")."""
    return _format(metric, value, signed=signed, points=True, unit=unit)


def interval(metric: str, low: float, high: float, of_difference: bool = False) -> str:
    """"[low, high]" of a value (or of a difference), empty where there is no interval."""
    if pd.isna(low):
        return ""
    show = difference if of_difference else number
    return f"[{show(metric, low)}, {show(metric, high)}]"


def span(metric: str, low: float, high: float, of_difference: bool = False) -> str:
    """A range in words: "290 to 440", "+1.2 pp to +3.4 pp" for a difference; empty where there is none."""
    if pd.isna(low):
        return ""
    show = difference if of_difference else number
    return f"{show(metric, low)} to {show(metric, high)}"


def chance(p: float) -> str:
    """A probability as a whole percentage ("82%"), "n/a" if missing."""
    return "n/a" if pd.isna(p) else f"{round(100 * p):.0f}%"


def estimate(metric: str, mean: float, low: float, high: float, of_difference: bool = False) -> str:
    """A mean and its interval: "12.3% [11.0%, 13.6%]", or "+56 [+12, +100]" for a difference."""
    show = difference if of_difference else number
    return f"{show(metric, mean)} {interval(metric, low, high, of_difference)}".strip()
