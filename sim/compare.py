"""Command line for planners: compare scenarios side by side.

    python -m sim.compare SCENARIO [SCENARIO ...] [OVERRIDES...] [--reference NAME] [--out DIR]

A scenario is a name from `scenarios/` (`amager_everywhere`) or a path to a YAML file of the same
form; overrides (`run.replications=200`) apply to every scenario. All scenarios run with the same
seeds replication by replication (common random numbers), so each difference to the reference
scenario (default: the first) is taken per replication and its interval is sharp. Writes to `--out`
(default `results/compare/<time>/`):

    comparison.md, comparison.csv   each headline metric per scenario (mean, 95% interval) and the
                                    paired difference to the reference (mean, 95% interval)
    retention.png                   retention over the weeks since programme end, 95% bands
    handover_retention.png          handover rate and 52-week retention, 95% intervals
    cost_per_retained.png           municipal cost per citizen retained at 52 weeks
    summary.parquet, retention.csv  per-replication summaries and the retention curves
    config/<scenario>.yaml          each scenario's resolved config

and prints the table. User errors (unknown scenario, unknown key or bad value in a scenario file or
override, an output folder that cannot be written) exit with status 2 and one line, before any run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim import ensemble, plots  # issue 10: ensemble
from sim.analysis import comparison, retention_curve
from sim.cli import check_writable, fail, timestamp
from sim.compose import compose
from sim.config import SimConfig, to_yaml
from sim.errors import UserError
from sim.report import PERCENT
from sim.scenarios import Scenario, available, compose_scenario, load
from sim.simulate import simulate
from sim.uncertainty import explain  # issue 10

DEFAULT_OUT = Path("results") / "compare"
# Comparisons do not use the weekly table; the per-citizen table feeds the retention curves.
DEFAULTS = ("run.weekly_table=false",)
# issue 10: spread replications over the calibration ensemble when one is shipped (run.uncertainty=none
# on the command line turns it off).
DEFAULTS += ("run.uncertainty=ensemble",) if ensemble.path("copenhagen").is_file() else ()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage + message, as our one line
        fail(message)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m sim.compare", description="Compare scenarios (see sim/compare.py).")
    parser.add_argument("items", nargs="+", metavar="SCENARIO|KEY=VALUE",
                        help="scenario names or YAML files, and overrides for all; scenarios: "
                        + ", ".join(available()))
    parser.add_argument("--reference", help="the scenario differences are taken to (default: the first)")
    parser.add_argument("--out", help="output folder (default: results/compare/<time>)")
    args = parser.parse_intermixed_args(argv)
    args.scenarios = [i for i in args.items if "=" not in i]
    args.overrides = [i for i in args.items if "=" in i]
    if not args.scenarios:
        fail(f"no scenario given; available: {', '.join(available())}")
    return args


def _key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def prepare(names: Sequence[str], overrides: Sequence[str]) -> list[tuple[Scenario, SimConfig]]:
    """Load and validate every scenario before anything runs; check they can share random numbers."""
    compose([*DEFAULTS, *overrides])  # a bad override is the command line's fault, not a scenario's
    scenarios = [load(n) for n in names]
    seen: set[str] = set()
    for s in scenarios:
        if s.name in seen:
            raise UserError(f"scenario {s.name!r} is given twice")
        seen.add(s.name)
    configs = [compose_scenario(s, DEFAULTS, overrides) for s in scenarios]
    for s in scenarios:
        for key in sorted({_key(o) for o in s.overrides} & {_key(o) for o in overrides}):
            print(f"note: {key} on the command line replaces scenario {s.name}'s own value", file=sys.stderr)
    first_s, first = scenarios[0], configs[0]
    for s, cfg in zip(scenarios[1:], configs[1:], strict=True):
        for key in ("seed", "replications"):
            mine, theirs = getattr(cfg.run, key), getattr(first.run, key)
            if mine != theirs:
                raise UserError(f"scenario {s.name} runs with run.{key}={mine} but {first_s.name} with {theirs}: "
                                f"compared scenarios share seeds and replications; set run.{key} on the command line")
    return list(zip(scenarios, configs, strict=True))


def run(prepared: list[tuple[Scenario, SimConfig]]) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """Run each scenario; keep its summary and retention curve (not its large tables)."""
    summaries, curves = {}, {}
    for i, (scenario, cfg) in enumerate(prepared, 1):
        print(f"[{i}/{len(prepared)}] {scenario.name}: {cfg.run.replications} replications, "
              f"{cfg.run.engine.value} engine", file=sys.stderr)
        results = simulate(cfg)
        summaries[scenario.name] = results.summary
        if results.citizens is not None:
            curves[scenario.name] = retention_curve(results)
    return summaries, curves


def _cell(metric: str, value: float, signed: bool = False) -> str:
    if pd.isna(value):
        return "n/a"
    if metric in PERCENT:
        return f"{100 * value:+.1f} pp" if signed else f"{100 * value:.1f}%"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def markdown(table: pd.DataFrame, prepared: list[tuple[Scenario, SimConfig]], reference: str) -> str:
    """The comparison as Markdown: the scenarios and their questions, then one row per metric and scenario."""
    cfg = prepared[0][1]
    lines = [
        "# Scenario comparison", "",
        f"{cfg.run.replications} replications per scenario, seed {cfg.run.seed}, {cfg.run.engine.value} engine; "
        "every scenario sees the same citizens and random numbers replication by replication.", "",
    ]
    lines += [f"- **{s.name}**{' (reference)' if s.name == reference else ''}: {s.question or '(no question given)'}"
              for s, _ in prepared]
    lines += [
        "", f"| metric | scenario | mean | 95% interval | difference to {reference} | 95% interval |",
        "|---|---|--:|---|--:|---|",
    ]
    previous = None
    for r in table.itertuples():
        m = r.metric
        ci = f"[{_cell(m, r.ci_low)}, {_cell(m, r.ci_high)}]" if pd.notna(r.ci_low) else ""
        if r.scenario == reference:
            diff, diff_ci = "(reference)", ""
        else:
            diff = _cell(m, r.diff_mean, signed=True)
            diff_ci = f"[{_cell(m, r.diff_low, True)}, {_cell(m, r.diff_high, True)}]" if pd.notna(r.diff_low) else ""
        label = m if m != previous else ""
        lines.append(f"| {label} | {r.scenario} | {_cell(m, r.mean)} | {ci} | {diff} | {diff_ci} |")
        previous = m
    lines += ["", "Intervals: 95% confidence intervals of the mean over replications; differences are paired "
              "by replication. pp = percentage points. Metrics not simulated are left out.",
              "", explain(cfg)]  # issue 10
    return "\n".join(lines)


def write(out: Path, table: pd.DataFrame, text: str, summaries: dict[str, pd.DataFrame],
          curves: dict[str, pd.DataFrame], prepared: list[tuple[Scenario, SimConfig]]) -> None:
    """Write everything into a temporary folder inside `out`, then move it in: nothing half-written."""
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        table.to_csv(tmp / "comparison.csv", index=False)
        (tmp / "comparison.md").write_text(text + "\n", encoding="utf-8")
        pd.concat(summaries, names=["scenario", None]).reset_index(0).to_parquet(tmp / "summary.parquet", index=False)
        (tmp / "config").mkdir()
        for scenario, cfg in prepared:
            (tmp / "config" / f"{scenario.name}.yaml").write_text(to_yaml(cfg), encoding="utf-8")
        figures = {"handover_retention": plots.handover_retention_figure(table), "cost_per_retained":
                   plots.cost_figure(table)}
        if curves:
            pd.concat(curves, names=["scenario", None]).reset_index(0).to_csv(tmp / "retention.csv", index=False)
            figures["retention"] = plots.retention_figure(curves)
        for name, figure in figures.items():
            figure.savefig(tmp / f"{name}.png", dpi=150)
        for item in tmp.iterdir():
            if (out / item.name).is_dir():
                shutil.rmtree(out / item.name)
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    out = Path(args.out) if args.out else DEFAULT_OUT / timestamp()
    try:
        prepared = prepare(args.scenarios, args.overrides)
        names = [s.name for s, _ in prepared]
        reference = args.reference or names[0]
        if reference not in names:
            raise UserError(f"--reference {reference} is not one of the compared scenarios: {', '.join(names)}")
        existed = out.exists()
        check_writable(out)
    except UserError as exc:
        fail(exc)
    try:
        summaries, curves = run(prepared)
        table = comparison(summaries, reference)
        text = markdown(table, prepared, reference)
        write(out, table, text, summaries, curves, prepared)
    except BaseException:
        if not existed and not any(out.iterdir()):
            out.rmdir()  # leave nothing behind
        raise
    print(text)
    print(f"\ntables and figures written to {out}")


if __name__ == "__main__":
    main()
