"""Global sensitivity analysis (SALib): which assumed parameters move the model's answers.

- `spec`: which config keys vary over which ranges, which outputs are analysed (`conf/sensitivity/`).
- `design`: SALib samples (Morris trajectories, Sobol' sequences) and their evaluation by a model
  function, in parallel, written in chunks as they come so a run can resume.
- `indices`: Morris mu*/sigma or Sobol' S1/ST per output and parameter, one long table.
Its report (figures, `report.md`) is sim.present.sensitivity; its command line `python -m sim.sensitivity`.
"""

from sim.workflows.sensitivity.design import SimulationModel, base_config, evaluate, sample
from sim.workflows.sensitivity.indices import indices
from sim.workflows.sensitivity.spec import Spec, load

__all__ = ["base_config", "Spec", "SimulationModel", "evaluate", "indices", "load", "sample"]
