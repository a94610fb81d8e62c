"""Simulate the handover of citizens from prevention centres to clubs and patient associations.

Public API: `compose` a config, `simulate` it, read its `Results`.
"""

from sim._conf import load_own_conf

load_own_conf()  # before anything imports `conf` (sim/_conf.py says why)

from sim.errors import UserError  # noqa: E402
from sim.model.config import SimConfig  # noqa: E402
from sim.model.results import Results  # noqa: E402
from sim.workflows.compose import compose  # noqa: E402
from sim.workflows.simulate import simulate  # noqa: E402

__all__ = ["compose", "simulate", "Results", "SimConfig", "UserError"]
