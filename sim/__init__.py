"""Simulate the handover of citizens from prevention centres to clubs and patient associations.

Public API (INTERFACES.md): `compose`, `simulate`, `Results`.
"""

from sim.compose import compose
from sim.config import SimConfig
from sim.errors import UserError
from sim.results import Results
from sim.simulate import simulate

__all__ = ["compose", "simulate", "Results", "SimConfig", "UserError"]
