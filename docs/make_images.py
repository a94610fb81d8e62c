"""Regenerate the documentation's images, all of them in docs/img/.

    .venv/bin/python docs/make_images.py                    # every image it can make
    .venv/bin/python docs/make_images.py dashboard          # some: dashboard, comparison, calibration
    .venv/bin/python docs/make_images.py comparison --out /tmp/img --replications 20   # a quick try elsewhere

What each group makes, and from what:

- `dashboard`: dashboard_plan.png, dashboard_results.png, dashboard_watch.png (docs/dashboard.md).
  Starts `python -m sim.dashboard` on a free port, runs a plan (Østerbro on the Amager model, cafés
  in two partner clubs, against as_reported) and photographs the Plan, Results and Watch pages.
- `comparison`: comparison_page.png (docs/compare.md). Runs `python -m sim.compare` on as_reported,
  amager_everywhere, monthly_trials and a plan of its own (PLAN below), and photographs the top of
  the comparison.html it writes (1,400 px wide: the plans, the summary, the figures).
- `calibration`: calibration_fit.png, calibration_learned.png, calibration_pairs.png and
  calibration_sbc.png (docs/calibration.md): the figures a calibration writes (fit.png, learned.png,
  pairs.png; `--calibration`, default results/calibration/copenhagen) and the simulation-based
  calibration's (sbc.png from benchmarks/sbc_calibration.py; `--sbc`, default results/sbc), copied
  from their folders. They exist only after those runs (docs/calibration.md, "Reproduce the shipped
  calibration"); without them the script says so and leaves the committed images as they are. The
  tables the page quotes (report, fit, learned, diagnostics, SBC coverage, and the leave-one-out refits
  of benchmarks/loo_refits.py, `--loo`, default results/loo, where run) go to docs/results/.

The screenshots need the dev extra (Playwright) and Chromium: Playwright cannot download its
browsers on these machines, so the script drives Debian's (`apt-get install -y chromium`).
Commit the images it writes together with the change that made them differ.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
GROUPS = ("dashboard", "comparison", "calibration")
RESULTS = Path(__file__).resolve().parent / "results"  # the shipped calibration's tables (docs/calibration.md)

# The planner's own scenario file shown on the comparison page, next to three shipped scenarios.
PLAN = """\
# Title: Amager model at Amager and Vesterbro, monthly trials elsewhere
# What if Amager and Vesterbro ran the Amager model and the other centres added monthly trial sessions?
policy: mixed
trial_cohorts: 24  # every cohort (intake.waves x intake.cohorts_per_wave): a permanent model
city:
  centres:
    amager: {policy: amager}
    vesterbro: {policy: amager}
    osterbro: {policy: baseline, modifiers: [monthly_trial]}
    norrebro: {policy: baseline, modifiers: [monthly_trial]}
    vanlose: {policy: baseline, modifiers: [monthly_trial]}
"""
COMPARED = ("as_reported", "amager_everywhere", "monthly_trials")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _browser(playwright):
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium not found: apt-get update && apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])


def dashboard(out: Path) -> None:
    """The Plan, Results and Watch pages after one run of a changed plan."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "sim.dashboard", "--port", str(port)], env=_env(),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert "http://" in server.stdout.readline()
        with sync_playwright() as p:
            browser = _browser(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(f"http://127.0.0.1:{port}")
            page.locator("#row-city-centres-osterbro-policy").get_by_label("amager").check()
            for key in ("det_gronne_aeble", "kom_i_gang"):
                page.locator(f"#row-city-associations-{key}-has_cafe").get_by_label("yes").check()
            time.sleep(1)
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_function("() => document.querySelector('#status').innerText.includes('done in')")
            page.mouse.wheel(0, -5000)
            time.sleep(0.5)
            page.screenshot(path=out / "dashboard_plan.png")
            page.get_by_role("link", name="Results", exact=True).click()
            page.wait_for_selector("#results-curves .main-svg")
            time.sleep(1)
            page.screenshot(path=out / "dashboard_results.png", full_page=True)
            page.get_by_role("link", name="Watch", exact=True).click()
            page.get_by_role("button", name="Start", exact=True).click()
            page.wait_for_function("() => document.querySelector('#watch-week-label').innerText.startsWith('Week 0')")
            page.locator("#watch-week").click(position={"x": 500, "y": 8})  # jump to about week 60
            page.wait_for_function("() => !document.querySelector('#watch-week-label').innerText.startsWith('Week 0')")
            page.mouse.move(0, 0)
            time.sleep(1)
            page.screenshot(path=out / "dashboard_watch.png", full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


def comparison(out: Path, replications: int) -> None:
    """The top of comparison.html for three shipped scenarios and PLAN."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "my_plan.yaml"
        plan.write_text(PLAN, encoding="utf-8")
        folder = Path(tmp) / "compare"
        subprocess.run([sys.executable, "-m", "sim.compare", *COMPARED, str(plan),
                        f"run.replications={replications}", "--out", str(folder)],
                       env=_env(), check=True, stdout=subprocess.DEVNULL)
        with sync_playwright() as p:
            browser = _browser(p)
            # the first screen of a 1,400 px window and a little more: the plans, the summary, the figures
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto((folder / "comparison.html").as_uri())
            page.screenshot(path=out / "comparison_page.png")
            browser.close()


def calibration(out: Path, folder: Path, sbc: Path, loo: Path) -> None:
    """Copy a calibration's and its simulation-based calibration's figures; say so when there is
    nothing to copy them from."""
    figures = {folder / "fit.png": "calibration_fit.png", folder / "learned.png": "calibration_learned.png",
               folder / "pairs.png": "calibration_pairs.png", sbc / "sbc.png": "calibration_sbc.png"}
    missing = [str(path) for path in figures if not path.exists()]
    if missing:
        print(f"calibration: skipped, no {', '.join(missing)}; run the calibration and "
              f"benchmarks/sbc_calibration.py first (docs/calibration.md) or pass --calibration DIR --sbc DIR")
        return
    for path, target in figures.items():
        shutil.copyfile(path, out / target)
    # ... and the tables the page quotes (tests/test_docs.py checks its figures against them)
    tables = {folder / "report.md": "calibration_report.md", folder / "fit.csv": "calibration_fit.csv",
              folder / "learned.csv": "calibration_learned.csv",
              folder / "diagnostics.json": "calibration_diagnostics.json", sbc / "coverage.csv": "sbc_coverage.csv",
              sbc / "sbc.csv": "sbc_ranks.csv", sbc / "budget.txt": "sbc_budget.txt",
              loo / "loo_refits.csv": "calibration_loo_refits.csv"}
    RESULTS.mkdir(exist_ok=True)
    for path, target in tables.items():
        if path.exists():
            shutil.copyfile(path, RESULTS / target)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python docs/make_images.py", description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"which images: {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--out", type=Path, default=IMG, help="folder to write into (default docs/img)")
    parser.add_argument("--replications", type=int, default=200,
                        help="replications per scenario on the comparison page (default 200)")
    parser.add_argument("--calibration", type=Path, default=ROOT / "results" / "calibration" / "copenhagen",
                        help="a calibration's output folder (default results/calibration/copenhagen)")
    parser.add_argument("--loo", type=Path, default=ROOT / "results" / "loo",
                        help="benchmarks/loo_refits.py's output folder (default results/loo)")
    parser.add_argument("--sbc", type=Path, default=ROOT / "results" / "sbc",
                        help="benchmarks/sbc_calibration.py's output folder (default results/sbc)")
    args = parser.parse_args(argv)
    for group in args.groups:
        if group not in GROUPS:
            parser.error(f"unknown group {group!r}; choose from {', '.join(GROUPS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for group in args.groups or GROUPS:
        print(f"{group} ...", flush=True)
        if group == "dashboard":
            dashboard(args.out)
        elif group == "comparison":
            comparison(args.out, args.replications)
        else:
            calibration(args.out, args.calibration, args.sbc, args.loo)
    print(f"images written to {args.out}")


if __name__ == "__main__":
    main()
