"""`python -m sim.sensitivity`: which assumptions move the answers (Morris screening or Sobol' indices).

    python -m sim.sensitivity [SPEC] [OVERRIDES...] [--method morris|sobol] [--n N]
                              [--replications R] [--seed S] [--n-jobs J] [--out DIR]

Everything is checked before the first design point runs (spec, keys, ranges, outputs, options,
the output folder, and that a folder being resumed holds the same run); a problem exits with
status 2 and one line. Re-running the same command with the same `--out` resumes: only points
missing from `<out>/chunks/` are computed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.cli import fail, timestamp
from sim.errors import UserError
from sim.model.config import SimConfig
from sim.present import sensitivity as report
from sim.workflows.files import check_writable, write_atomic
from sim.workflows.sensitivity import design as designs
from sim.workflows.sensitivity.design import base_config
from sim.workflows.sensitivity.indices import indices
from sim.workflows.sensitivity.spec import DEFAULT_SPEC, Spec, available, check, load
from sim.workflows.sweep import code_version, run_key

DEFAULT_OUT = Path("results") / "sensitivity"
DEFAULT_N = {"morris": 20, "sobol": 256}
MANIFEST = "sensitivity.json"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage + message, as our one line
        fail(message)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m sim.sensitivity", description=(
        "Global sensitivity analysis (SALib): how much each parameter of the spec moves each output. Writes "
        "indices.csv, design.parquet, one figure per output and report.md into --out. Re-running the same "
        "command with the same --out resumes, also after kill -9. See docs/sensitivity.md."))
    parser.add_argument("items", nargs="*", metavar="SPEC|KEY=VALUE",
                        help=f"a spec: a name in conf/sensitivity/ ({', '.join(available())}) or a path to a YAML "
                        f"file (without one: the spec {DEFAULT_SPEC!r}); and overrides applied to every design point")
    parser.add_argument("--method", choices=designs.METHODS, default="morris",
                        help="Morris screening (mu*, sigma) or Sobol' indices (S1, ST); default morris")
    parser.add_argument("--n", type=int, help="Morris trajectories (default 20) or Sobol' base samples, "
                        "a power of two (default 256)")
    parser.add_argument("--replications", type=int, default=100, help="replications per design point (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the design and the bootstrap; the "
                        "simulation's random numbers come from run.seed, the same at every point (default 0)")
    parser.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1,
                        help=f"parallel processes (default: all cores, {os.cpu_count() or 1} here)")
    parser.add_argument("--out", help="output folder (default: results/sensitivity/<time>)")
    args = parser.parse_intermixed_args(argv)
    specs = [i for i in args.items if "=" not in i]
    args.overrides = [i for i in args.items if "=" in i]
    if len(specs) > 1:
        fail(f"one spec at a time (got {', '.join(specs)})")
    args.spec = specs[0] if specs else DEFAULT_SPEC
    args.n = DEFAULT_N[args.method] if args.n is None else args.n
    return args


# Below these sizes a run still computes, but its indices are too rough to rank parameters by.
SMALL_RUN = {"morris": 10, "sobol": 64}
SMALL_REPLICATIONS = 10


def small_run(method: str, n: int, replications: int) -> str:
    """A warning for a run too small to be read as a result (empty when it is not)."""
    reasons = []
    if n < SMALL_RUN[method]:
        what = "Morris trajectories" if method == "morris" else "Sobol' base samples"
        reasons.append(f"{n} {what} (at least {SMALL_RUN[method]} are needed for stable rankings)")
    if replications < SMALL_REPLICATIONS:
        reasons.append(f"{replications} replications per point (Monte Carlo noise may dominate the indices; "
                       f"use at least {SMALL_REPLICATIONS})")
    return ("a small run: " + " and ".join(reasons) + "; read its indices as a smoke test, not a ranking"
            if reasons else "")


def manifest(spec: Spec, args: argparse.Namespace, cfg: SimConfig) -> dict[str, object]:
    """What the results in a folder depend on; a resumed run must match it."""
    return {"spec": spec.as_dict(), "method": args.method, "n": args.n, "replications": args.replications,
            "seed": args.seed, "config": run_key(cfg), "overrides": list(args.overrides),
            "code_version": code_version()}


def check_resume(out: Path, wanted: dict[str, object]) -> None:
    """A folder with results of another spec, method, size, seed, config or code is refused."""
    path = out / MANIFEST
    if not path.exists():
        if any((out / designs.CHUNKS).glob("*.parquet")):
            raise UserError(f"{out} holds design points but no {MANIFEST}; use another --out")
        return
    found = json.loads(path.read_text(encoding="utf-8"))
    for key in ("spec", "method", "n", "replications", "seed", "config"):
        if found.get(key) != wanted[key]:
            what = "config (overrides or code version)" if key == "config" else key
            raise UserError(f"{out} holds a sensitivity run with another {what}; re-run it with the same "
                            f"command or use another --out")


def command(spec: Spec, args: argparse.Namespace) -> str:
    parts = ["python -m sim.sensitivity", spec.name, *args.overrides, "--method", args.method, "--n", str(args.n),
             "--replications", str(args.replications), "--seed", str(args.seed)]
    return " ".join(shlex.quote(p) if i else p for i, p in enumerate(parts))


def write(out: Path, method: str, spec: Spec, evaluated: pd.DataFrame, table: pd.DataFrame, text: str) -> None:
    """design.parquet, indices.csv, one figure per output and report.md, each written atomically."""
    for name, writer in (("design.parquet", lambda p: evaluated.reset_index().to_parquet(p, index=False)),
                         ("indices.csv", lambda p: table.to_csv(p, index=False))):
        tmp = out / f".{name}.tmp"
        writer(tmp)
        os.replace(tmp, out / name)
    for output in spec.outputs:
        tmp = out / f".{output}.png.tmp"
        report.figure(method, output, table[table["output"] == output]).savefig(tmp, dpi=150, format="png")
        os.replace(tmp, out / f"{output}.png")
    write_atomic(out / "report.md", text)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out) if args.out else DEFAULT_OUT / timestamp()
    try:
        spec = load(args.spec)
        designs.check_size(args.method, args.n)
        if args.n_jobs < 1:
            raise UserError(f"--n-jobs {args.n_jobs}: must be at least 1")
        cfg = base_config(args.overrides, args.replications)
        check(spec, cfg)
        wanted = manifest(spec, args, cfg)
        check_resume(out, wanted)
        check_writable(out)
    except UserError as exc:
        fail(exc)
    write_atomic(out / MANIFEST, json.dumps(wanted, indent=1))
    design = designs.sample(spec, args.method, args.n, args.seed)
    print(f"{args.method}: {len(design)} design points x {args.replications} replications, "
          f"{args.n_jobs} process{'es' if args.n_jobs > 1 else ''} -> {out}", file=sys.stderr)
    warning = small_run(args.method, args.n, args.replications)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    cfg.run.n_jobs = args.n_jobs  # each batch of points is one run, over this many processes
    model = designs.SimulationModel(cfg, spec.outputs)
    try:
        evaluated = designs.evaluate(model, design, out, n_jobs=args.n_jobs)
    except UserError as exc:
        fail(exc)
    table = indices(args.method, spec, evaluated, args.seed)
    settings = {
        "command": f"`{command(spec, args)}`",
        "design": f"{len(design)} points ({args.n} {'trajectories' if args.method == 'morris' else 'base samples'}"
                  f" over {len(spec.parameters)} parameters), seed {args.seed}",
        "each point": f"{args.replications} replications of the vector engine, run.seed {cfg.run.seed} "
                      "(common random numbers), policy " + cfg.policy.name.value,
    }
    if warning:
        settings["warning"] = warning
    text = report.markdown(args.method, spec, table, settings)
    write(out, args.method, spec, evaluated, table, text)
    for output in spec.outputs:
        print(f"- {output}: {report.reading(args.method, output, table[table['output'] == output], spec)}")
    print(f"\nindices, design, figures and report.md written to {out}")


if __name__ == "__main__":
    main()
