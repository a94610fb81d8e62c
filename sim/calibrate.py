"""Command line: calibrate the model to observed figures, as a posterior (docs/calibration.md).

    python -m sim.calibrate [SPEC] [OVERRIDES...] [--particles N] [--replications R] [--seed S]
                            [--n-jobs J] [--predictive P] [--out DIR]

SPEC is a name in `conf/calibration/` (default `copenhagen`) or a path; overrides apply to every
particle (e.g. `run.backend=dask`). The posterior comes from sequential Monte Carlo with adaptive
tempering; each particle runs the vector engine `--replications` times on the config's `run.seed`
(common random numbers). The state is saved in `--out` after every batch: the same command with the
same `--out` resumes, repeating no finished batch, and gives the same draws.

Writes into `--out` (default results/calibration/<time>/):
  posterior.parquet   the equally weighted draws, one column per dotted config key
  best.yaml           a scenario file at the posterior median (sim.compare, scenario=...)
  diagnostics.json    the thresholds' figures (sim.install_calibration refuses a posterior that fails one)
  report.md           method, diagnostics with thresholds, posterior predictive check, what the data taught
  fit.csv, fit.png    each target's 95% posterior predictive and leave-one-out intervals
  learned.csv, learned.png, pairs.png   posterior sd / prior sd per parameter; the pairs that trade off
  state.npz, chunks/  the sampler's saved state (for resuming)
Exit status 0 when the diagnostics meet their thresholds, 1 when the posterior is too weak to
install (everything is still written), 2 for a bad spec, key, range or option (one line, before any
work).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm  # plain bars: tqdm.auto warns in a notebook kernel without ipywidgets, even with bars off

from sim.cli import fail, timestamp
from sim.errors import UserError
from sim.model.config import SimConfig
from sim.present import calibration as outputs
from sim.workflows.calibration import smc
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.calibration.prior import Prior
from sim.workflows.compose import compose
from sim.workflows.files import check_writable, write_atomic
from sim.workflows.sweep import code_version

DEFAULT_SPEC = "copenhagen"
# Particles start from the priors (MODEL.md §8), not from an earlier calibration.
PRIORS = "params=prior"
DEFAULT_OUT = Path("results") / "calibration"
FORCED = ("run.engine=vector", "run.progress=false", "run.weekly_table=false", "run.citizens_table=true",
          "run.uncertainty=none")
PREDICTIVE_SEED = 20_131_231  # fresh random numbers for the predictive check (not the particles' run.seed)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        fail(message)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = _Parser(prog="python -m sim.calibrate", description=__doc__,
                epilog="Outputs, resuming and exit status: see docs/calibration.md.",
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("items", nargs="*", metavar="SPEC|KEY=VALUE", help="a spec (default copenhagen) and overrides")
    p.add_argument("--particles", type=int, default=1000, help="SMC particles = posterior draws (default 1000)")
    p.add_argument("--replications", type=int, default=10,
                   help="replications per particle, for the synthetic likelihood (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler's draws (default 0)")
    p.add_argument("--n-jobs", type=int, default=2, help="processes running each batch (default 2; run.n_jobs)")
    p.add_argument("--predictive", type=int, default=10,
                   help="fresh replications per draw for the posterior predictive check (default 10)")
    p.add_argument("--out", help="output folder (default results/calibration/<time>); reuse it to resume")
    args = p.parse_intermixed_args(argv)
    names = [i for i in args.items if "=" not in i]
    if len(names) > 1:
        fail(f"one spec at a time, got {', '.join(names)}")
    args.spec = names[0] if names else DEFAULT_SPEC
    args.overrides = [i for i in args.items if "=" in i]
    for name in ("particles", "replications", "n_jobs", "predictive"):
        if getattr(args, name) < 1:
            fail(f"--{name.replace('_', '-')} must be at least 1")
    if args.particles < 20:
        fail("--particles must be at least 20 (the sampler estimates a covariance from them)")
    if args.replications < 2:
        fail("--replications must be at least 2 (the likelihood needs a variance)")
    return args


def prepare(args: argparse.Namespace) -> tuple[SimConfig, specs.Spec]:
    """The base config (composed once) and the checked spec."""
    base = compose([PRIORS, *args.overrides, *FORCED, f"run.n_jobs={args.n_jobs}"])
    return base, specs.load(args.spec, base, st.summary_columns(base))


def write(out: Path, args: argparse.Namespace, base: SimConfig, spec: specs.Spec, prior: Prior,
          state: smc.State, minutes: float) -> tuple[str, bool]:
    """Every output of a finished sampler; (the report, whether the diagnostics pass)."""
    draws = st.posterior(prior, state)
    diagnostics = smc.final_diagnostics(state)
    predicted = st.predictive(base, spec, draws, args.predictive, PREDICTIVE_SEED)
    loo = st.loo(spec, state)
    weights = {t.name: st.loo_weights(state, k) for k, t in enumerate(spec.targets)}
    fit = outputs.fit_table(spec, predicted, loo, weights)
    table = outputs.learned(prior, draws)
    info = dict(particles=args.particles, replications=args.replications, seed=args.seed, run_seed=base.run.seed,
                overrides=args.overrides, minutes=minutes, workers=args.n_jobs, code=code_version())
    median = st.median_values(prior, draws)
    note = (f"Posterior median of {len(draws)} draws (SMC, seed {args.seed}, spec {spec.name} {spec.digest}, "
            f"code {info['code']}).")
    draws.to_parquet(out / "posterior.parquet", index=False)
    write_atomic(out / "diagnostics.json", json.dumps(
        {**diagnostics, "passed": outputs.passed(diagnostics), "spec": spec.name, "digest": spec.digest,
         "code": info["code"], "seed": args.seed, "particles": args.particles, "replications": args.replications,
         "minutes": round(minutes, 2)}, indent=1) + "\n")
    write_atomic(out / "best.yaml", outputs.best_yaml(spec, median, args.overrides, note))
    fit.to_csv(out / "fit.csv", index=False)
    table.to_csv(out / "learned.csv", index=False)
    outputs.write_figure(outputs.fit_figure(fit), out / "fit.png")
    outputs.write_figure(outputs.learned_figure(table), out / "learned.png")
    outputs.write_figure(outputs.pairs_figure(draws, outputs.trade_offs(draws)), out / "pairs.png")
    text = outputs.report(spec, fit, table, diagnostics, info)
    write_atomic(out / "report.md", text + "\n")
    return text, outputs.passed(diagnostics)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out) if args.out else DEFAULT_OUT / timestamp()
    settings = smc.Settings(particles=args.particles, seed=args.seed)
    try:
        base, spec = prepare(args)
        check_writable(out)
        state = st.open_folder(out, st.fingerprint(spec, args.overrides, args.replications, settings))
    except UserError as exc:
        fail(exc)
    prior = Prior.of(spec)
    started = time.perf_counter()
    with tqdm(desc=f"calibrating {spec.name}", unit="particle") as bar:
        def tick(s: smc.State) -> None:
            bar.set_postfix_str(f"temperature {s.phi:.3f}, batch {s.batches}")

        problem = st.Problem(st.calibration_base(base, spec, args.replications), spec, prior, out, on_chunk=bar.update)
        state = st.calibrate(problem, settings, state, tick)
    elapsed = out / "minutes.txt"  # the sampler's time over every run that resumed it
    minutes = (float(elapsed.read_text()) if elapsed.is_file() else 0.0) + (time.perf_counter() - started) / 60
    write_atomic(elapsed, f"{minutes:.2f}\n")
    text, ok = write(out, args, base, spec, prior, state, minutes)
    print(text)
    print(f"\ncalibration written to {out}", file=sys.stderr)
    if not ok:
        print("the posterior fails a diagnostic threshold (report.md): not fit to install", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
