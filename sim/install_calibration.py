"""`python -m sim.install_calibration RESULT_DIR [CITY]`: make a calibration the default configuration.

Writes the calibrated values and the ensemble of a folder written by `python -m sim.calibrate` into
conf/params/ (sim.workflows.calibration.install, docs/calibration.md). Run it deliberately, then
regenerate the golden baselines.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from sim.cli import fail
from sim.errors import UserError
from sim.workflows.calibration.install import install


def main(argv: Sequence[str] | None = None) -> None:
    """Install a calibration's values and ensemble as the city's defaults (conf/params/)."""
    parser = argparse.ArgumentParser(prog="python -m sim.install_calibration", description=main.__doc__)
    parser.add_argument("result_dir", type=Path, help="a folder written by python -m sim.calibrate")
    parser.add_argument("city", nargs="?", default="copenhagen", help="the city it calibrates (default copenhagen)")
    args = parser.parse_args(argv)
    try:
        written = install(args.result_dir, args.city)
    except UserError as exc:
        fail(exc)
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
