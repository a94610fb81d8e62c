"""Decisions under uncertainty for any table of draws: `from sim import decision` (INTERFACES.md).

The functions live in sim.workflows.decision (docs/decision.md); this module only names them, so the
import stays as cheap as numpy and pandas (pygam loads on first use).
"""

from sim.workflows.decision import (
    PARAMETER_GROUPS,
    Estimate,
    ceac,
    evpi,
    evppi,
    evppi_groups,
    net_benefit,
    p_better,
    parameter_groups,
    population,
    predictive_range,
)

__all__ = ["PARAMETER_GROUPS", "Estimate", "ceac", "evpi", "evppi", "evppi_groups", "net_benefit", "p_better",
           "parameter_groups", "population", "predictive_range"]
