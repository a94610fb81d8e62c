"""Command line for planners: compare scenarios side by side.

    python -m sim.compare SCENARIO [SCENARIO ...] [OVERRIDES...] [--reference NAME] [--out DIR]
                          [--prices 20000,50000] [--years 5]

A scenario is a name from `scenarios/` (`amager_everywhere`) or a path to a YAML file of the same
form; overrides (`run.replications=200`) apply to every scenario. All scenarios run with the same
seeds replication by replication (common random numbers), so each difference to the reference
scenario (default: the first) is taken per replication and its interval is sharp. Writes to `--out`
(default `results/compare/<time>/`):

    comparison.html                 one self-contained page for planners: the scenarios' questions,
                                    a plain-language summary, the decision in words, the headline
                                    ranges of outcomes, the tables, the figures (embedded),
                                    definitions, what the intervals cover, the cost assumptions
    decision.csv                    per plan and headline metric: mean and range of outcomes (90%),
                                    the paired difference to the reference, its range, the chance
                                    the plan does better (p_better) or worse (p_worse)
    acceptability.csv, ceac.png     the chance each plan is the best choice per price (DKK per extra
                                    citizen active at 52 weeks, 0-100,000), and the plan to choose
    value_of_information.csv        EVPI and EVPPI per parameter group at each of --prices (DKK for
    evppi.png                       this decision and over --years of intake), standard errors
    per_starters.csv                counts per 100 starters, where the plans' intake differs
    comparison.md, comparison.csv   the same tables as Markdown; the headline metrics per scenario
                                    (mean, 95% interval) and the paired difference to the reference
    counts.csv, rates.csv           citizens (started ... active at 52 weeks) and rates
    costs.csv                       municipal cost by item, total, per retained citizen; club side
    incremental.csv                 extra citizens retained at 52 weeks, extra cost and
                                    cost_per_extra_retained_52w against the reference
    by_centre.csv                   counts, rates and cost items per centre
    retention.png                   retention over the weeks since programme end, 95% bands
    handover_retention.png          handover rate and 52-week retention, 95% intervals
    cost_per_retained.png           municipal cost per citizen retained at 52 weeks
    cost_items.png, incremental.png municipal cost by item; extra cost against extra citizens retained
    summary.parquet, retention.csv  per-replication summaries and the retention curves
    config/<scenario>.yaml          each scenario's resolved config

The computation is `sim.workflows.compare.evaluate` (also used by the dashboard); this module parses
the command line, calls it, writes the files and prints the Markdown. User errors (unknown scenario,
unknown key or bad value in a scenario file or
override, an output folder that cannot be written) exit with status 2 and one line, before any run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.cli import fail, timestamp
from sim.errors import UserError
from sim.model.config import to_yaml
from sim.present import page
from sim.present.comparison import figures, markdown
from sim.workflows.choice import PRICES, YEARS
from sim.workflows.compare import Comparison, prepare, run
from sim.workflows.files import check_writable
from sim.workflows.scenarios import available

DEFAULT_OUT = Path("results") / "compare"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's usage + message, as our one line
        fail(message)


def _prices(text: str) -> tuple[float, ...]:
    try:
        prices = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: DKK amounts separated by commas, e.g. 20000,50000") from None
    if not prices or min(prices) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: one or more amounts of at least 0 DKK, e.g. 20000,50000")
    return prices


def _years(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of years, at least 1")
    return int(text)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="python -m sim.compare", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("items", nargs="+", metavar="SCENARIO|KEY=VALUE",
                        help="scenario names or YAML files, and overrides for all; scenarios: "
                        + ", ".join(available()))
    parser.add_argument("--reference", help="the scenario differences are taken to (default: the first)")
    parser.add_argument("--out", help="output folder (default: results/compare/<time>)")
    parser.add_argument("--prices", type=_prices, default=PRICES, metavar="DKK,DKK",
                        help="willingness to pay per extra citizen active at 52 weeks, the decision is said at "
                        f"(default: {','.join(f'{p:.0f}' for p in PRICES)})")
    parser.add_argument("--years", type=_years, default=YEARS,
                        help=f"years of intake the decision affects, for the population value (default: {YEARS})")
    args = parser.parse_intermixed_args(argv)
    args.scenarios = [i for i in args.items if "=" not in i]
    args.overrides = [i for i in args.items if "=" in i]
    if not args.scenarios:
        fail(f"no scenario given; available: {', '.join(available())}")
    return args


def write(out: Path, result: Comparison, text: str) -> None:
    """Write everything into a temporary folder inside `out`, then move it in: nothing half-written."""
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        result.headline.to_csv(tmp / "comparison.csv", index=False)
        for name in ("counts", "rates", "costs", "incremental", "by_centre"):
            getattr(result, name).to_csv(tmp / f"{name}.csv", index=False)
        decision = result.decision
        decision.table.to_csv(tmp / "decision.csv", index=False)
        decision.acceptability.reset_index().to_csv(tmp / "acceptability.csv", index=False)
        value = decision.at_prices.assign(group="all (EVPI)").rename(columns={"evpi": "evppi",
                                                                              "evpi_population": "evppi_population"})
        pd.concat([value[["wtp", "group", "evppi", "evppi_population"]], decision.evppi], ignore_index=True)[
            decision.evppi.columns].to_csv(tmp / "value_of_information.csv", index=False)
        if not result.per_starters.empty:
            result.per_starters.to_csv(tmp / "per_starters.csv", index=False)
        (tmp / "comparison.md").write_text(text + "\n", encoding="utf-8")
        pd.concat(result.summaries, names=["scenario", None]).reset_index(0).to_parquet(tmp / "summary.parquet",
                                                                                        index=False)
        (tmp / "config").mkdir()
        for name, cfg in result.configs.items():
            (tmp / "config" / f"{name}.yaml").write_text(to_yaml(cfg), encoding="utf-8")
        if result.curves:
            pd.concat(result.curves, names=["scenario", None]).reset_index(0).to_csv(tmp / "retention.csv",
                                                                                     index=False)
        drawn = figures(result)
        for name, figure in drawn.items():
            figure.savefig(tmp / f"{name}.png", dpi=150)
        (tmp / "comparison.html").write_text(page.html_page(result, drawn), encoding="utf-8")
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
        result = run(prepared, reference, args.prices, args.years)
        text = markdown(result)
        write(out, result, text)
    except BaseException:
        if not existed and not any(out.iterdir()):
            out.rmdir()  # leave nothing behind
        raise
    print(text)
    print(f"\ntables, figures and comparison.html written to {out}")


if __name__ == "__main__":
    main()
