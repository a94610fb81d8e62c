"""Command line: calibrate the model to observed figures (docs/calibration.md).

    python -m sim.calibrate [SPEC] [OVERRIDES...] [--trials N] [--replications R] [--seed S]
                            [--n-jobs J] [--ensemble K] [--out DIR]

SPEC is a name in `conf/calibration/` (default `copenhagen`) or a path; overrides apply to every
trial. Every trial runs the vector engine with the config's `run.seed` (common random numbers).
`--seed` seeds the sampler and the ensemble's proposals. The study is kept in `DIR/study.journal`:
the same command with the same `--out` resumes it, and several processes (`--n-jobs`, or the same
command started on several machines sharing `DIR`) run trials of one study. With one process the
result is reproducible for a given seed; with several, which trials run depends on timing.
Writes into `--out` (default results/calibration/<time>/): best.yaml, ensemble.parquet,
trials.parquet, fit.csv, fit.md, fit.png, identifiability.csv, identifiability.png, report.md.
A bad spec, key, range or option exits 2 with one line, before any trial.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import multiprocessing
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import optuna
from tqdm import tqdm  # plain bars: tqdm.auto warns in a notebook kernel without ipywidgets, even with bars off

from sim.cli import fail, timestamp
from sim.errors import UserError
from sim.model.config import SimConfig, Uncertainty
from sim.present import calibration as outputs
from sim.workflows.calibration import spec as specs
from sim.workflows.calibration import study as st
from sim.workflows.compose import compose
from sim.workflows.files import check_writable, write_atomic
from sim.workflows.params import apply
from sim.workflows.simulate import simulate

DEFAULT_SPEC = "copenhagen"
# Trials start from the priors (MODEL.md §8), not from an earlier calibration; `params=calibrated`
# among the overrides would start from the shipped values instead.
PRIORS = "params=prior"
DEFAULT_OUT = Path("results") / "calibration"
FORCED = ("run.engine=vector", "run.progress=false", "run.weekly_table=false", "run.citizens_table=true",
          "run.n_jobs=1", "run.uncertainty=none")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        fail(message)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = _Parser(prog="python -m sim.calibrate", description="Calibrate the model (see sim/calibrate.py).")
    p.add_argument("items", nargs="*", metavar="SPEC|KEY=VALUE", help="a spec (default copenhagen) and overrides")
    p.add_argument("--trials", type=int, default=200, help="search trials (default 200)")
    p.add_argument("--ensemble", type=int, default=100, help="importance-weighted ensemble proposals (default 100)")
    p.add_argument("--replications", type=int, default=100, help="replications per trial (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler and the proposals (default 0)")
    p.add_argument("--n-jobs", type=int, default=1, help="processes running trials (default 1)")
    p.add_argument("--out", help="output folder (default results/calibration/<time>); reuse it to resume")
    args = p.parse_intermixed_args(argv)
    names = [i for i in args.items if "=" not in i]
    if len(names) > 1:
        fail(f"one spec at a time, got {', '.join(names)}")
    args.spec = names[0] if names else DEFAULT_SPEC
    args.overrides = [i for i in args.items if "=" in i]
    for name in ("trials", "replications", "n_jobs"):
        if getattr(args, name) < 1:
            fail(f"--{name.replace('_', '-')} must be at least 1")
    if args.ensemble < 0:
        fail("--ensemble must be 0 or more")
    return args


def summary_columns(base: SimConfig) -> list[str]:
    """The summary table's columns, from a one-replication, two-week run of the base config."""
    return list(simulate(apply(base, {"run.replications": 1, "run.horizon_weeks": 2})).summary.columns)


def prepare(args: argparse.Namespace) -> tuple[SimConfig, specs.Spec, str]:
    """The base config (composed once), the checked spec and the study's fingerprint."""
    base = compose([PRIORS, *args.overrides, *FORCED, f"run.replications={args.replications}"])
    spec = specs.load(args.spec, base, summary_columns(base))
    text = json.dumps([spec.digest, args.overrides, args.replications])
    return base, spec, hashlib.sha256(text.encode()).hexdigest()[:16]


def _work(out: Path, base: SimConfig, spec: specs.Spec, seed: int, worker: int, trials: int, phase: str,
          fingerprint: str) -> None:
    """One process's share of a phase (also run in the worker processes of --n-jobs)."""
    study = st.open_study(out, spec, base, seed, worker, fingerprint)
    if phase == st.SEARCH:
        st.search(study, base, spec, trials)
    else:
        st.run_queued(study, base, spec)


def _phase(args, out, base, spec, fingerprint, phase, study, bar) -> None:
    def tick() -> None:
        bar.n = sum(len(st.finished(study, p)) for p in (st.SEARCH, st.CURVATURE, st.ENSEMBLE))
        bar.refresh()

    extra = args.n_jobs - 1
    pool = ProcessPoolExecutor(extra, mp_context=multiprocessing.get_context("spawn")) if extra else None
    try:
        futures = [pool.submit(_work, out, base, spec, args.seed, w, args.trials, phase, fingerprint)
                   for w in range(1, extra + 1)] if pool else []
        if phase == st.SEARCH:
            st.search(study, base, spec, args.trials, tick)
        else:
            st.run_queued(study, base, spec, tick)
        for f in futures:
            f.result()
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    tick()


def write(out: Path, args: argparse.Namespace, base: SimConfig, spec: specs.Spec, study: optuna.Study) -> str:
    """Evaluate the best set and the ensemble (holdouts included) and write every output."""
    values = st.best(spec, study)
    best_eval = st.evaluate(base, spec, values, holdout=True)
    table, ess = st.ensemble_table(spec, study)
    ens_eval = None
    if len(table):
        ens_eval = st.evaluate(_with_ensemble(base), spec, {}, holdout=True, ensemble_table=table)
    fit = outputs.fit_table(spec, best_eval, ens_eval)
    local = st.conditional_sd(spec, study) if "curvature" in study.user_attrs else None
    ident = outputs.identifiability(spec, table, values, ess, local)
    info = dict(trials=len(st.finished(study, st.SEARCH)), ensemble=len(st.finished(study, st.ENSEMBLE)),
                probes=len(st.finished(study, st.CURVATURE)),
                replications=args.replications, seed=args.seed, run_seed=base.run.seed, overrides=args.overrides,
                best_objective=min(t.value for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))),
                ensemble_sets=len(table), ess=ess)
    write_atomic(out / "best.yaml", outputs.best_yaml(spec, values, args.overrides, info["best_objective"]))
    table.to_parquet(out / "ensemble.parquet", index=False)
    st.trials_table(spec, study).to_parquet(out / "trials.parquet", index=False)
    fit.to_csv(out / "fit.csv", index=False)
    write_atomic(out / "fit.md", outputs.fit_markdown(fit) + "\n")
    ident.to_csv(out / "identifiability.csv", index=False)
    outputs.write_figure(outputs.fit_figure(fit), out / "fit.png")
    outputs.write_figure(outputs.identifiability_figure(ident), out / "identifiability.png")
    text = outputs.report(spec, fit, ident, info)
    write_atomic(out / "report.md", text + "\n")
    return text


def _with_ensemble(base: SimConfig) -> SimConfig:
    cfg = copy.deepcopy(base)
    cfg.run.uncertainty = Uncertainty.ensemble
    return cfg


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out) if args.out else DEFAULT_OUT / timestamp()
    try:
        base, spec, fingerprint = prepare(args)
        check_writable(out)
        study = st.open_study(out, spec, base, args.seed, 0, fingerprint)
    except UserError as exc:
        fail(exc)
    probes = 2 * len(spec.parameters) if args.ensemble else 0
    with tqdm(total=args.trials + probes + args.ensemble, desc=f"calibrating {spec.name}", unit="trial") as bar:
        _phase(args, out, base, spec, fingerprint, st.SEARCH, study, bar)
        if args.ensemble:
            st.enqueue_curvature(study, spec)
            _phase(args, out, base, spec, fingerprint, st.CURVATURE, study, bar)
            st.enqueue_ensemble(study, spec, args.ensemble, args.seed)
            _phase(args, out, base, spec, fingerprint, st.ENSEMBLE, study, bar)
    text = write(out, args, base, spec, study)
    print(text)
    print(f"\ncalibration written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
