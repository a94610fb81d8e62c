"""What an interval covers, said once for every table, figure and page that prints one.

Today every interval is over replications with fixed parameters: Monte Carlo noise only. When a run
also spreads its replications over a calibrated parameter ensemble (issue: calibration), the
interval covers that parameter uncertainty too, and this is the one place that says so.
"""

from __future__ import annotations

from sim.config import SimConfig

MONTE_CARLO = "Monte Carlo only"
WITH_CALIBRATION = "Monte Carlo + calibration"


def covers(cfg: SimConfig) -> str:
    """A short label of what a 95% interval of a run of `cfg` covers."""
    return WITH_CALIBRATION if getattr(cfg.run, "uncertainty", "none") == "ensemble" else MONTE_CARLO


def explain(cfg: SimConfig) -> str:
    """One sentence for reports: what the run's intervals do and do not cover."""
    if covers(cfg) == WITH_CALIBRATION:
        return ("95% intervals cover Monte Carlo noise and the calibrated parameters' uncertainty (replications "
                "spread over the calibration ensemble); not structural uncertainty of the model itself.")
    return ("95% intervals cover Monte Carlo noise only (replications with the same parameters); they do not "
            "cover uncertainty in the model's assumed or calibrated parameters, nor in the model's structure.")
