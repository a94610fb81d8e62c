"""Simulate the handover of citizens from prevention centres to clubs and patient associations.

Public API: `compose` a config, `simulate` it, read its `Results`.
"""

from sim.errors import UserError
from sim.model.config import SimConfig
from sim.model.results import Results
from sim.workflows.compose import compose
from sim.workflows.simulate import simulate

__all__ = ["compose", "simulate", "Results", "SimConfig", "UserError"]
