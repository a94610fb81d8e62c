"""What an interval covers, said once for every table, figure and page that prints one.

By default every interval is over replications with fixed parameters: Monte Carlo noise only. With
`run.uncertainty=ensemble` the replications are spread over the calibration ensemble's parameter
sets (sim.workflows.ensemble), so the spread over replications also carries the calibrated parameters'
uncertainty, and this is the one place that says so.
"""

from __future__ import annotations

from sim.model.config import SimConfig

MONTE_CARLO = "Monte Carlo only"
WITH_CALIBRATION = "Monte Carlo + calibration"


def covers(cfg: SimConfig) -> str:
    """A short label of what a 95% interval of a run of `cfg` covers."""
    return WITH_CALIBRATION if getattr(cfg.run, "uncertainty", "none") == "ensemble" else MONTE_CARLO


def outcome_range(cfg: SimConfig) -> str:
    """What a predictive range (sim.workflows.decision.predictive_range, the headline interval) covers:
    "90% range of outcomes, parameters + Monte Carlo" (or "Monte Carlo only" at the configured point)."""
    return "90% range of outcomes, " + ("parameters + Monte Carlo" if covers(cfg) == WITH_CALIBRATION
                                        else "Monte Carlo only")


PRECISION = "95% confidence interval: precision of the mean, shrinks with more replications"


def _held(cfg: SimConfig) -> list[str]:
    from sim.workflows import ensemble

    return ensemble.held(cfg, ensemble.load(cfg)) if ensemble.exists(cfg) else []


def explain(cfg: SimConfig) -> str:
    """One sentence for reports: what the run's intervals do and do not cover."""
    if covers(cfg) == WITH_CALIBRATION:
        held = _held(cfg)
        note = f" Held at this run's own values, not spread: {', '.join(held)}." if held else ""
        return ("Intervals: Monte Carlo + calibration. Replications are spread over the calibration's posterior "
                "draws (by weight), so ranges over replications carry the calibrated parameters' uncertainty; "
                "a 95% confidence interval of a mean is the precision of that mean, not the spread of outcomes. "
                "Parameters the calibration does not fit keep their assumed values, and structural "
                "uncertainty of the model is not covered." + note)
    return ("Intervals: Monte Carlo only (replications with the same parameters); they do not cover "
            "uncertainty in the model's assumed or calibrated parameters, nor in the model's structure.")
