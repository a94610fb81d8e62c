"""Global sensitivity analysis (SALib): which assumed parameters move the model's answers.

- `spec`: which config keys vary over which ranges, which outputs are analysed (`conf/sensitivity/`).
- `design`: SALib samples (Morris trajectories, Sobol' sequences) and their evaluation by a model
  function, in parallel, written in chunks as they come so a run can resume.
- `indices`: Morris mu*/sigma or Sobol' S1/ST per output and parameter, one long table.
- `report`: one figure per output, `report.md` with ranked tables and a plain reading.
- `cli`: `python -m sim.sensitivity` (see README, "Sensitivity analysis").
"""

from sim.sensitivity.cli import base_config
from sim.sensitivity.design import SimulationModel, evaluate, sample
from sim.sensitivity.indices import indices
from sim.sensitivity.spec import Spec, load

__all__ = ["base_config", "Spec", "SimulationModel", "evaluate", "indices", "load", "sample"]
