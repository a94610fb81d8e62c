"""Make a calibration the default configuration (the command: `python -m sim.install_calibration`).

Writes, from a calibration's `best.yaml` and `ensemble.parquet` (sim.calibrate):
- `conf/params/calibrated.yaml`: the fitted global keys (`params=calibrated`, the default);
- `conf/params/city/calibrated_<city>.yaml`: the fitted per-entity keys of that city (`city.*`);
- `conf/params/ensemble/<city>.csv`: the weighted parameter sets (`run.uncertainty=ensemble`),
each with a provenance header (the result folder, its report's first lines, the date). Run it
deliberately, then regenerate the golden baselines (`python -m tests.engines.update_baseline`).
"""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from sim.errors import UserError
from sim.model.keys import nest_keys
from sim.workflows.ensemble import PARAMS_FOLDER
from sim.workflows.files import write_atomic

COMMAND = "python -m sim.install_calibration"


def install(result: Path, city: str = "copenhagen") -> list[Path]:
    """Write the calibrated values and ensemble of the calibration in `result` as `city`'s defaults;
    the paths written. `UserError` if `result` is not a folder written by sim.calibrate."""
    if not (result / "best.yaml").is_file():
        raise UserError(f"{result}: not a folder written by sim.calibrate (it has no best.yaml)")
    best = yaml.safe_load((result / "best.yaml").read_text(encoding="utf-8"))
    report = (result / "report.md").read_text(encoding="utf-8").splitlines()
    fitted = {k: v for k, v in best.items() if k in pd.read_parquet(result / "ensemble.parquet").columns}
    text = (f"Calibrated values (docs/calibration.md): sim.calibrate, result {result.name}, installed "
            f"{date.today().isoformat()} by {COMMAND}. {report[2]} "
            "params=prior gives the priors (MODEL.md §8) instead.")
    header = [f"# {line}" for line in textwrap.wrap(text, 98)]
    files = {
        PARAMS_FOLDER / "calibrated.yaml": {k: v for k, v in fitted.items() if not k.startswith("city.")},
        PARAMS_FOLDER / "city" / f"calibrated_{city}.yaml": {k: v for k, v in fitted.items() if k.startswith("city.")},
    }
    for path, values in files.items():
        body = yaml.safe_dump(nest_keys(values), sort_keys=False, allow_unicode=True) if values else ""
        write_atomic(path, "# @package _global_\n" + "\n".join(header) + "\n" + body)
    table = pd.read_parquet(result / "ensemble.parquet")
    ensemble = PARAMS_FOLDER / "ensemble" / f"{city}.csv"
    ensemble.parent.mkdir(exist_ok=True)
    table.to_csv(ensemble, index=False, float_format="%.6g")
    return [*files, ensemble]

