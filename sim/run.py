"""Command line: `python -m sim.run [OVERRIDES...]` runs one configuration and saves its tables.

Overrides use Hydra's syntax (`policy=amager run.replications=200 club.cafe=true`). User errors
(unknown key or policy, wrong type, value out of range) exit with status 2 and one line on stderr;
internal errors exit 1. A failed run leaves no folder behind.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.compose import compose, from_dict
from sim.errors import UserError
from sim.report import summary_table
from sim.simulate import simulate

# Hydra flags that take a value: their value is not an override.
_VALUE_FLAGS = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd", "--cfg", "-c",
                "--package", "-p", "--info", "-i", "--experimental-rerun"}


def _overrides(argv: list[str]) -> tuple[list[str], bool]:
    """(model overrides on the command line, whether it is a multirun)."""
    out, skip, multirun = [], False, False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-m", "--multirun"):
            multirun = True
        elif arg in _VALUE_FLAGS:
            skip = True
        elif not arg.startswith("-") and not arg.lstrip("+~").startswith("hydra"):
            out.append(arg)
    return out, multirun


@hydra.main(version_base="1.3", config_path="pkg://conf", config_name="config")
def _job(dc: DictConfig) -> None:
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        cfg = from_dict(dc)
        results = simulate(cfg)
        results.save(out_dir)
    except UserError as exc:
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)  # nothing half-written stays behind
        raise
    print(summary_table(results.summary))
    print(f"tables and config written to {out_dir}")


def main() -> None:
    overrides, multirun = _overrides(sys.argv[1:])
    if not multirun:
        try:
            compose(overrides)  # the same validation as the API, before Hydra makes a folder
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
    _job()


if __name__ == "__main__":
    main()
