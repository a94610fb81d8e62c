"""`python -m sim.sweep SWEEP_DIR`: aggregate a sweep folder again, e.g. after a killed sweep.

Sweeps themselves run through `python -m sim.run -m ...`; the library is sim.workflows.sweep."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.cli import fail
from sim.errors import UserError
from sim.workflows.sweep import aggregate, report


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m sim.sweep SWEEP_DIR`: aggregate a sweep folder again (exit 1 if jobs are missing)."""
    parser = argparse.ArgumentParser(prog="python -m sim.sweep", description=main.__doc__)
    parser.add_argument("sweep_dir", help="a sweep folder (results/sweeps/<time>)")
    args = parser.parse_args(argv)
    try:
        outcome = aggregate(args.sweep_dir)
    except UserError as exc:
        fail(exc)
    report(outcome)
    sys.exit(1 if len(outcome.failed) else 0)


if __name__ == "__main__":
    main()
