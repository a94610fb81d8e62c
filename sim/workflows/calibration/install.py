"""Make a calibration the default configuration (the command: `python -m sim.install_calibration`).

Writes, from a folder written by `python -m sim.calibrate` (its `posterior.parquet`, `best.yaml`,
`diagnostics.json` and `report.md`):
- `conf/params/calibrated.yaml`: the posterior median of the global keys (`params=calibrated`);
- `conf/params/city/calibrated_<city>.yaml`: the posterior median of that city's keys (`city.*`);
- `conf/params/ensemble/<city>.csv`: the posterior draws, equally weighted (`run.uncertainty=ensemble`);
- `conf/params/ensemble/<city>.provenance.yaml`: where they came from (result folder, spec and its
  digest, code version, seed, diagnostics, date).
A calibration whose diagnostics fail their thresholds is refused. Run it deliberately, then
regenerate the golden baselines (`python -m tests.engines.update_baseline --reason ...`).
"""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from sim.errors import UserError
from sim.model.keys import nest_keys
from sim.workflows.ensemble import PARAMS_FOLDER, provenance_path
from sim.workflows.files import write_atomic

COMMAND = "python -m sim.install_calibration"
NEEDED = ("posterior.parquet", "best.yaml", "diagnostics.json", "report.md")


def install(result: Path, city: str = "copenhagen") -> list[Path]:
    """Install the posterior in `result` as `city`'s defaults; the paths written. `UserError` if
    `result` is not a finished calibration or its diagnostics fail."""
    missing = [name for name in NEEDED if not (result / name).is_file()]
    if missing:
        raise UserError(f"{result}: not a finished calibration of sim.calibrate (it has no {missing[0]})")
    info = json.loads((result / "diagnostics.json").read_text(encoding="utf-8"))
    if not info.get("passed"):
        raise UserError(f"{result}: the posterior fails a diagnostic threshold (report.md); not installed")
    best = yaml.safe_load((result / "best.yaml").read_text(encoding="utf-8"))
    draws = pd.read_parquet(result / "posterior.parquet")
    median = {k: v for k, v in best.items() if k in draws.columns}
    text = (f"Calibrated values (docs/calibration.md): the posterior median of sim.calibrate's result "
            f"{result.name} ({len(draws)} draws; spec {info['spec']} {info['digest']}, code {info['code']}, seed "
            f"{info['seed']}), installed {date.today().isoformat()} by {COMMAND}. params=prior gives the "
            "priors (MODEL.md §8) instead.")
    header = [f"# {line}" for line in textwrap.wrap(text, 98)]
    files = {
        PARAMS_FOLDER / "calibrated.yaml": {k: v for k, v in median.items() if not k.startswith("city.")},
        PARAMS_FOLDER / "city" / f"calibrated_{city}.yaml": {k: v for k, v in median.items() if k.startswith("city.")},
    }
    for path, values in files.items():
        body = yaml.safe_dump(nest_keys(values), sort_keys=False, allow_unicode=True) if values else ""
        write_atomic(path, "# @package _global_\n" + "\n".join(header) + "\n" + body)
    table = draws.copy()
    table.insert(0, "weight", 1.0 / len(table))
    table.insert(0, "set", range(len(table)))
    ensemble = PARAMS_FOLDER / "ensemble" / f"{city}.csv"
    ensemble.parent.mkdir(exist_ok=True)
    write_atomic(ensemble, table.to_csv(index=False, float_format="%.6g"))
    source = provenance_path(city)
    write_atomic(source, yaml.safe_dump({"result": result.name, "installed": date.today().isoformat(),
                                         "command": COMMAND, **info}, sort_keys=False, allow_unicode=True))
    return [*files, ensemble, source]
