"""The docs cannot drift from the code: docs/model.md follows the ODD protocol and states every schema
key with its default and source; the README stays short and keeps its two Quick start commands; every
repository path, link and `sim.*` name the docs mention exists; every image shown is in docs/img/ and
docs/make_images.py makes it."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import Path
from typing import get_args, get_origin, get_type_hints

import pytest

from sim.model.config import SimConfig

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "model.md"
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

# ODD (Grimm et al. 2020, JASSS 23(2) 7): the seven elements, in order, as docs/model.md's sections.
ODD = ("Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
       "Design concepts", "Initialisation", "Input data", "Submodels")
# Where a default comes from (docs/model.md, "Parameters" and "Per-entity values").
SOURCES = ("seed", "lit", "assumed", "calibrated", "sweep knob", "planning input", "added here", "run setting",
           "city data", "label")
QUICK_START = (
    'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/python -m sim.run',
    ".venv/bin/python -m pytest",
)
README_MAX_LINES = 200


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- docs/model.md: ODD ------------------------------------------------------------------------------

def _sections(text: str, level: str = "## ") -> dict[str, str]:
    parts = re.split(rf"^{level}(.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_model_doc_has_every_odd_element_in_order_and_none_is_empty():
    sections = _sections(_read(DOC))
    headings = list(sections)
    for element in ODD:
        assert element in sections, f"docs/model.md has no section '## {element}'"
        prose = re.sub(r"^#+ .*$", "", sections[element], flags=re.M)
        assert len(prose.split()) >= 30, f"docs/model.md, '{element}' is (nearly) empty"
    assert [h for h in headings if h in ODD] == list(ODD), "the ODD sections are out of order"


def test_no_heading_carries_a_ticket_number():
    for page in PAGES:
        for heading in re.findall(r"^#+ .*$", _read(page), re.M):
            assert not re.search(r"\b(issue|ticket)\b|#\d", heading, re.I), f"{page.name}: {heading}"


# --- docs/model.md: every schema key with its default and source ---------------------------------------

def _rows(text: str) -> dict[str, tuple[str, str]]:
    """Table rows `| `key` | default | source |...` -> (default, source)."""
    rows = re.findall(r"^\| `([\w.<>]+)` \| ([^|]+) \| ([^|]+) \|", text, re.M)
    return {key: (default.strip(), source.strip()) for key, default, source in rows}


def _text(value) -> str:
    if value is None or (isinstance(value, dict) and all(v is None for v in value.values())):
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Enum):
        return str(value.value)
    if value == "":
        return '""'
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _mapping(cell: str) -> dict[str, float]:
    """`at_risk 0.40, diabetes −0.2, ...` -> {name: value}."""
    pairs = re.findall(r"(\w+) ([−-]?[\d.]+)", cell)
    return {name: float(value.replace("−", "-")) for name, value in pairs}


def _schema(cls: type = SimConfig, prefix: str = "") -> dict[str, object]:
    """Every key of the schema's dataclass tree with its default; the city's entities as `<name>`."""
    out: dict[str, object] = {}
    instance, hints = cls(), get_type_hints(cls)
    for f in fields(cls):
        key, hint = f"{prefix}{f.name}", hints[f.name]
        args = get_args(hint)
        if is_dataclass(hint):
            out |= _schema(hint, f"{key}.")
        elif get_origin(hint) is dict and is_dataclass(args[1]):
            out |= _schema(args[1], f"{key}.<name>.")
        else:
            out[key] = getattr(instance, f.name)
    return out


def _knobs() -> dict[str, object]:
    return {k: v for k, v in _schema().items() if not k.startswith("city.")}


def _entity_keys() -> dict[str, object]:
    return {k: v for k, v in _schema().items() if k.startswith("city.")}


def _source_ok(source: str) -> bool:
    return any(re.search(rf"\b{word}\b", source) for word in SOURCES)


def test_every_global_knob_is_documented_with_its_default_and_source():
    documented = _rows(_read(DOC))
    for key, value in _knobs().items():
        assert key in documented, f"{key} missing from docs/model.md (Parameters)"
        default, source = documented[key]
        if isinstance(value, dict):  # citizen.diagnosis_mix: `at_risk 0.40, diabetes 0.25, ...`
            assert _mapping(default) == pytest.approx(value), f"{key}: docs say {default}, schema says {value}"
        else:
            assert default == _text(value), f"{key}: docs say {default}, schema says {value}"
        assert _source_ok(source), f"{key}: source {source!r} names none of {SOURCES}"


def test_every_per_entity_key_is_documented_with_its_default_and_source():
    documented = _rows(_read(DOC))
    for key, value in _entity_keys().items():
        assert key in documented, f"{key} missing from docs/model.md (Per-entity values)"
        default, source = documented[key]
        assert default == _text(value), f"{key}: docs say {default}, schema says {value!r}"
        assert _source_ok(source), f"{key}: source {source!r} names none of {SOURCES}"


def test_model_doc_lists_no_key_the_schema_lacks():
    known = set(_schema())
    section = _sections(_read(DOC), "### ")
    for name in ("Parameters", "Per-entity values"):
        for key in _rows(section[name]):
            assert key in known, f"docs/model.md, {name}: {key} is not a schema key"


# --- README -------------------------------------------------------------------------------------------

def test_readme_is_at_most_200_lines():
    lines = _read(README).splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move reference text to docs/"


def test_readme_quick_start_is_exactly_the_two_commands():
    quick = _sections(_read(README))["Quick start"]
    blocks = re.findall(r"^```\w*\n(.*?)^```", quick, re.M | re.S)
    assert blocks, "README's Quick start has no code block"
    assert tuple(line for line in blocks[0].splitlines() if line.strip()) == QUICK_START


# --- paths and names the docs mention -----------------------------------------------------------------

PATH = re.compile(r"(?<![\w./-])((?:sim|tests|docs|conf|scenarios|benchmarks|notebooks|examples)/[\w./<>*#-]*)")
# Files the docs name as what a command writes, not as part of the repository.
WRITTEN = {"conf/city/mycity.yaml"}


def _exists(path: str) -> bool:
    path = path.split("::")[0].rstrip(".,:;*")
    if path in WRITTEN:
        return True
    pattern = re.sub(r"<[^>]*>|\bNAME\b", "*", path)  # conf/city/<name>.yaml, conf/city/NAME.yaml
    if "*" in pattern:
        return any(ROOT.glob(pattern.rstrip("/")))
    target = ROOT / path
    return target.exists() or any(target.parent.glob(target.name + ".*"))  # notebooks/04_sensitivity


@pytest.mark.parametrize("doc", PAGES, ids=lambda p: p.name)
def test_every_repository_path_mentioned_exists(doc):
    missing = sorted({p for p in PATH.findall(_read(doc)) if not _exists(p)})
    assert not missing, f"{doc.relative_to(ROOT)} mentions paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc):
    links = re.findall(r"\]\(([^)#\s]+)", _read(doc))
    missing = [link for link in links if "://" not in link and not (doc.parent / link).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} links to missing files: {missing}"


DOTTED = re.compile(r"(?<![\w./-])(sim(?:\.[A-Za-z_]\w*)+)")


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


@pytest.mark.parametrize("doc", PAGES, ids=lambda p: p.name)
def test_every_sim_name_mentioned_exists(doc):
    missing = sorted({n for n in DOTTED.findall(_read(doc)) if not _resolves(n)})
    assert not missing, f"{doc.relative_to(ROOT)} names modules or attributes that do not exist: {missing}"


# --- docs/make_images.py ------------------------------------------------------------------------------

def _make_images():
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_image_the_docs_show_is_in_docs_img_and_made_by_the_script():
    shown = {Path(link).name for doc in PAGES for link in re.findall(r"!\[[^]]*\]\(([^)]+)\)", _read(doc))}
    made = set(re.findall(r"\b(\w+\.png)\b", _read(ROOT / "docs" / "make_images.py"))) - {
        "fit.png", "learned.png", "pairs.png", "sbc.png"}
    assert shown == {p.name for p in (ROOT / "docs" / "img").glob("*.png")}, "docs/img/ holds other images"
    assert shown <= made, f"docs/make_images.py does not make {sorted(shown - made)}"


def test_make_images_skips_the_calibration_figures_without_a_calibration(tmp_path, capsys):
    _make_images().main(["calibration", "--out", str(tmp_path), "--calibration", str(tmp_path / "none")])
    assert "skipped" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.slow
@pytest.mark.browser
def test_make_images_photographs_the_comparison_page(tmp_path):
    if shutil.which("chromium") is None:
        pytest.skip("needs chromium: apt-get update && apt-get install -y chromium")
    # as the docs run it, in a process of its own: Playwright's sync API refuses to start inside the
    # event loop that the browser tests' (session-wide) Playwright leaves running in this one
    subprocess.run([sys.executable, str(ROOT / "docs" / "make_images.py"), "comparison", "--out", str(tmp_path),
                    "--replications", "4"], check=True, capture_output=True, timeout=600)
    assert (tmp_path / "comparison_page.png").stat().st_size > 10_000


def _minus(text: str) -> str:
    return text.replace("−", "-")


def test_the_calibration_page_quotes_the_shipped_calibrations_figures():
    """Every figure docs/calibration.md states about the shipped calibration is the one in
    docs/results/ (copied there from the calibration by docs/make_images.py calibration)."""
    import json

    import pandas as pd

    page = _minus(_read(ROOT / "docs" / "calibration.md"))
    results = ROOT / "docs" / "results"
    d = json.loads((results / "calibration_diagnostics.json").read_text())
    fit = pd.read_csv(results / "calibration_fit.csv")
    learned = pd.read_csv(results / "calibration_learned.csv").set_index("parameter")
    assert f"**{d['steps']} tempering steps and {d['batches']} likelihood batches in\n{d['minutes']:.1f} min**" in page
    assert f"| effective sample size of the final weights | {d['ess']:.0f} |" in page
    assert f"| Pareto k̂ of the final weights | {d['pareto_k']:.2f} |" in page
    assert f"| largest final weight | {100 * d['max_weight']:.2f}% |" in page
    assert f"| distinct equally weighted draws | {d['distinct']} |" in page and f"the {d['distinct']} distinct" in page
    rows = fit[(fit.kind == "target") & (fit.name != "new_teams")]
    assert rows.inside.all() and f"**All {len(rows)} rows inside their 95%" in page
    teams = fit.set_index("name").loc["new_teams"]
    stated = f"predictive mean **{teams['mean']:.1f}**, 95% interval [{teams.low:.0f}, {teams.high:.0f}]"
    assert teams.inside and stated in page
    assert f"{100 * teams['tail']:.1f}% of the predictive reports are 26 or more" in page
    targets = fit[fit.kind == "target"]
    assert f"**Leave one out: {int(targets.loo_inside.sum())} of {len(targets)}**" in page
    assert f"k̂ of {int((targets.pareto_k > 0.7).sum())} of the {len(targets)} rows is above 0.7" in page
    check = fit.set_index("name").loc["completion"]
    assert check.inside and (f"{100 * check['mean']:.1f}% predicted (95% interval\n  {100 * check.low:.1f}–"
                             f"{100 * check.high:.1f}%)") in page
    table = re.findall(r"^\| `([\w.]+)` \| (\S+) \| \[(\S+), (\S+)\] \| (\S+) \| ([\w ]+) \|$", page, re.M)
    assert len(table) >= 9
    for key, median, low, high, ratio, verdict in table:
        row = learned.loc[key]
        for text, value in ((median, row.posterior_median), (low, row.low), (high, row.high), (ratio, row.sd_ratio)):
            decimals = len(text.split(".")[-1]) if "." in text else 0
            assert float(text) == pytest.approx(value, abs=0.6 * 10**-decimals), (key, text, value)
        assert row.verdict.startswith(verdict), (key, verdict, row.verdict)


def test_the_calibration_page_quotes_the_leave_one_out_refits():
    """The refits' count, the rows outside and the budget (docs/results/calibration_loo_refits.csv):
    every row whose PSIS k̂ is above 0.7 was refitted."""
    import pandas as pd

    page = _read(ROOT / "docs" / "calibration.md")
    refits = pd.read_csv(ROOT / "docs" / "results" / "calibration_loo_refits.csv")
    fit = pd.read_csv(ROOT / "docs" / "results" / "calibration_fit.csv")
    targets = fit[fit.kind == "target"]
    assert set(refits.name) == set(targets.name[targets.pareto_k > 0.7])
    assert f"**Leave one out by refitting: {int(refits.refit_inside.sum())} of {len(refits)} inside**" in page
    assert f"each of the {len(refits)} was refitted" in page
    for r in refits[~refits.refit_inside].itertuples():
        assert f"against [{r.refit_low:.0f}, {r.refit_high:.0f}])" in page, r.name
    budget = refits[["particles", "replications"]].drop_duplicates()
    particles, replications = budget.iloc[0]
    assert len(budget) == 1 and f"{particles} particles × {replications} replications" in page
    assert f"{refits.minutes.sum():.0f} min in all" in page


def test_the_calibration_page_quotes_the_simulation_based_calibration():
    """The tables, the parameters within binomial error, each one that is not (named), the overall
    coverage and the budget are those of docs/results/sbc_coverage.csv and sbc_budget.txt."""
    import pandas as pd

    from sim.workflows.calibration.prior import names

    page = _read(ROOT / "docs" / "calibration.md")
    coverage = pd.read_csv(ROOT / "docs" / "results" / "sbc_coverage.csv")
    tables = int(coverage.tables.iloc[0])
    assert f"**{tables} synthetic tables" in page
    assert f"**Within binomial error for {int(coverage.within.sum())} of the {len(coverage)} parameters**" in page
    failing = coverage[~coverage.within]
    assert f"**{len(failing)} are not**" in page
    for name in names(failing.parameter):
        assert f"`{name}`" in page, name
    assert (f"the 90% intervals covered the truth {100 * coverage.cover_90.mean():.0f}% of the time and the 50%\n"
            f"  intervals {100 * coverage.cover_50.mean():.0f}%") in page
    budget = (ROOT / "docs" / "results" / "sbc_budget.txt").read_text()
    stated = budget.split(";")[0]
    assert stated.startswith("200 particles × 10 replications") and stated in page


def test_the_calibration_page_quotes_the_sbc_checks():
    """The figures of the SBC's 'why' come from docs/results/sbc_checks/ (the seed, moves and data
    model checks of benchmarks/sbc_seed_check.py and sbc_data_model_check.py)."""
    import numpy as np
    import pandas as pd

    page = " ".join(_minus(_read(ROOT / "docs" / "calibration.md")).split())
    checks = ROOT / "docs" / "results" / "sbc_checks"
    seeds = pd.read_csv(checks / "seeds.csv")
    by = seeds.groupby(["table", "parameter"])
    ratio = by["mean"].std() / by["sd"].mean()
    assert f"median {ratio.median():.2f} of their sd (at most {ratio.max():.2f}, familiarity)" in page
    assert ratio.idxmax()[1] == "handover.familiarity"
    fam = seeds[(seeds.table == 2) & (seeds.parameter == "handover.familiarity")]
    moves = pd.read_csv(checks / "moves.csv").set_index("parameter").loc["handover.familiarity"]
    assert (f"familiarity (truth {moves.truth:.2f}) has posterior mean {moves['mean']:.2f} and sd {moves.sd:.2f}, "
            f"against {fam['mean'].min():.2f}–{fam['mean'].max():.2f} and sd {fam.sd.min():.2f}–{fam.sd.max():.2f}"
            ) in page
    model = pd.read_csv(checks / "data_model.csv")
    sd = (model.reports_sd / model.assumed_sd).groupby(model.table).median().round(2)
    off = model.z_mean.abs().groupby(model.table).mean().round(2)
    assert f"median sd ratio {sd[2]:.2f} and {sd[0]:.2f}," in page
    assert f"offsets {off[2]:.2f} and {off[0]:.2f} of an sd" in page
    sampler = pd.read_csv(checks / "sbc_diagnostics.csv")
    assert len(sampler) == 20 and f"{sampler.distinct.min()}–{sampler.distinct.max()} of the 200 draws" in page
    corr = pd.read_csv(checks / "correlation.csv", index_col=0)
    off_diagonal = corr.where(~np.eye(len(corr), dtype=bool)).stack()
    assert (f"mean r {off_diagonal.mean():.2f}, from {off_diagonal.min():.2f} to {off_diagonal.max():.2f}, the "
            "largest Det Grønne Æble with the new teams") in page
    assert set(off_diagonal.idxmax()) == {"groenne_aeble_basic", "new_teams"}


def test_the_calibration_page_quotes_the_emulator_check():
    """The sampler's own share of the SBC's misses: the table, the emulator's fit, the sds at 200
    against 1,000 particles and the parameters missed at 1,000 are those of
    benchmarks/sbc_emulator_check.py's output in docs/results/sbc_checks/."""
    import pandas as pd

    from sim.workflows.calibration import sbc
    from sim.workflows.calibration.prior import names

    page = " ".join(_minus(_read(ROOT / "docs" / "calibration.md")).split())
    checks = ROOT / "docs" / "results" / "sbc_checks"
    summary = pd.read_csv(checks / "emulator_summary.csv").set_index("budget")
    fit = pd.read_csv(checks / "emulator_fit.csv")
    assert f"hold-out R² of the log mean {fit.r2_log_mean.min():.2f}–{fit.r2_log_mean.max():.2f}" in page
    assert (summary.tables == 200).all() and "on 200 such tables" in page
    labels = {"200_2_5_R0": "| 200 | 2–5 (this check's) |", "200_10_20_R0": "| 200 | 10–20 |",
              "1000_2_5_R0": "| 1,000 | 2–5 (the shipped calibration's) |",
              "1000_5_10_R0": "| 1,000 | 5–10 |", "1000_10_20_R0": "| 1,000 | 10–20 |"}
    for budget, label in labels.items():
        row = summary.loc[budget]
        assert (f"{label} {100 * row.cover_90:.0f}% / {100 * row.cover_50:.0f}% | {int(row.within)} of "
                f"{int(row.parameters)} | {row.batches:.0f} |") in page, budget
    few = pd.read_csv(checks / "emulator_coverage_200_2_5_R0.csv")
    many = pd.read_csv(checks / "emulator_coverage_1000_2_5_R0.csv")
    assert list(few.parameter) == list(many.parameter)
    ratio = few.posterior_sd / many.posterior_sd
    assert (f"posterior sds {100 * (1 - ratio.mean()):.0f}% smaller on average than 1,000 "
            f"({100 * ratio.min():.0f}–{100 * ratio.max():.0f}% of them, every parameter)") in page
    assert (ratio < 1).all()
    shipped = pd.read_csv(ROOT / "docs" / "results" / "sbc_coverage.csv")
    both = set(few[~few.within].parameter) & set(shipped[~shipped.within].parameter)
    assert {"handover.familiarity", "handover.knows_instructor", "intake.fill_share"} <= both
    missed = many[~many.within].set_index("parameter")
    assert (f"is within binomial error for {many.within.sum()} of {len(many)} parameters; `{names(missed.index)[0]}`, "
            f"`{names(missed.index)[1]}` (90% intervals covering {100 * missed.cover_90.iloc[0]:.0f}% and "
            f"{100 * missed.cover_90.iloc[1]:.0f}%) and `{names(missed.index)[2]}` (its 50% interval covering "
            f"{100 * missed.cover_50.iloc[2]:.0f}%) are not, and longer moves bring it to "
            f"{int(summary.loc['1000_10_20_R0', 'within'])} of 23") in page
    best = summary.loc["1000_2_5_R0"]
    model = shipped.cover_90.mean()
    assert (f"covers within about a point of nominal ({100 * best.cover_90:.0f}% and {100 * best.cover_50:.0f}%)"
            in page and abs(best.cover_90 - 0.9) < 0.015 and abs(best.cover_50 - 0.5) < 0.015)
    gap = round(100 * summary.loc["200_2_5_R0", "cover_90"]) - round(100 * model)
    assert (f"costs another {gap} points at 200 particles ({100 * summary.loc['200_2_5_R0', 'cover_90']:.0f}% on the "
            f"emulator, {100 * model:.0f}% on the model)") in page
    p1000 = pd.read_csv(checks / "p1000.csv")
    ranks = pd.read_csv(ROOT / "docs" / "results" / "sbc_ranks.csv")
    both = p1000.merge(ranks, on=["table", "parameter"], suffixes=("", "_200"))
    assert len(both) == len(p1000) == 23 * p1000.table.nunique()
    grow = both.sd / both.posterior_sd
    inside = sbc.covered(both["rank"], both["draws"], 0.9)
    tables = " and ".join(str(t) for t in p1000.table.unique())
    assert (f"tables {tables} calibrated again with the shipped calibration's particle count" in page)
    assert (f"posterior sds are {100 * (grow.mean() - 1):.0f}% larger on average than at 200 particles, and the 90% "
            f"intervals cover {inside.sum()} of the {len(both)} truths against {both.in_90.sum()} at 200 particles "
            f"(about {0.9 * len(both):.0f} if the method is right)") in page
    minutes = pd.read_csv(checks / "p1000_minutes.csv").set_index("table").minutes
    assert list(minutes.index) == list(p1000.table.unique())
    assert ("Sampling took " + " and ".join(f"{m:.0f}" for m in minutes) + " min per table on 2 processes") in page
    low, high = minutes.min(), minutes.max()
    hours = f"{20 * low / 60:.0f}–{20 * high / 60:.0f}"
    assert f"(1,000 particles for 20 tables at {low:.0f}–{high:.0f} min each: {hours} hours on this machine)" in page
    fam = both[both.parameter == "handover.familiarity"]
    assert "Familiarity's sd grows from " + " and from ".join(
        f"{r.posterior_sd:.2f} to {r.sd:.2f}" for r in fam.itertuples()) in page
    noisy = summary.loc["200_2_5_R10"]
    assert noisy.replications == 10 and (summary.drop(index="200_2_5_R10").replications == 0).all()
    assert (f"instead of the exact moments changes nothing measurable ({100 * noisy.cover_90:.0f}% / "
            f"{100 * noisy.cover_50:.0f}%, {int(noisy.within)} of 23 within)") in page
    assert abs(noisy.cover_90 - summary.loc["200_2_5_R0", "cover_90"]) < 0.01
    moves = summary.loc["200_10_20_R0"]
    assert (f"On the emulator ({100 * summary.loc['200_2_5_R0', 'cover_90']:.0f}% → {100 * moves.cover_90:.0f}% at "
            f"90% with 10–20 moves, {int(moves.within)} of 23 within), at three times the likelihood batches") in page
    assert round(moves.batches / summary.loc["200_2_5_R0", "batches"]) == 3


def test_the_calibration_page_quotes_where_the_sbc_fails():
    """The SBC's 'why' figures are those of docs/results/sbc_checks/: the truths' ranks in their own
    posteriors (benchmarks/sbc_truth_check.py, three scorings), the tails of the counts
    (sbc_tail_check.py, with and without closures), the knock-out SBC and the random-walk tables."""
    import numpy as np
    import pandas as pd

    page = " ".join(_minus(_read(ROOT / "docs" / "calibration.md")).split())
    checks = ROOT / "docs" / "results" / "sbc_checks"
    own, seed7, hundred = (pd.read_csv(checks / f"truth_rank{end}.csv") for end in ("", "_seed7", "_seed7_100"))
    gap = own.draws_loglik_median - own.truth_loglik
    assert (f"below 10% of its 200 draws by log-posterior in {(own.logpost_rank < 0.1).sum()} of the {len(own)} "
            f"tables (about 2 if the method is right; mean rank {own.logpost_rank.mean():.2f}, not 0.5), and the "
            f"draws' median log-likelihood is {gap.mean():.2f} nats above the truth's") in page
    assert (f"still ranks below 10% in {(seed7.logpost_rank < 0.1).sum()} tables (mean rank "
            f"{seed7.logpost_rank.mean():.2f})") in page
    lead = (hundred.draws_loglik_median - hundred.truth_loglik).mean()
    assert (f"in {(hundred.logpost_rank < 0.1).sum()} (mean rank {hundred.logpost_rank.mean():.2f}), the draws' lead "
            f"shrinking to {lead:.2f} nats") in page
    assert (f"the truth ranks below 10% of its draws in {(own.prior_rank < 0.1).sum()} of the {len(own)} tables "
            f"(mean rank {own.prior_rank.mean():.2f})") in page
    table10 = own.set_index("table").loc[10]
    assert table10.worst_row == "vif_ball" and f"costs the truth {-table10.worst_row_deficit:.2f} nats" in page
    tails, off = pd.read_csv(checks / "tails.csv"), pd.read_csv(checks / "tails_no_closure.csv")
    outer, outer_off = tails.low_tail + tails.high_tail, off.low_tail + off.high_tail
    from_closed = tails.outer_closed.sum() / (tails.outer_closed.sum() + tails.outer_open.sum())
    assert (f"{100 * tails.closed_share.mean():.1f}% of a team row's replications had closed by week 69, at a median "
            f"count of {tails.closed_count_median.median():.0f}") in page
    assert (f"outer 1% {100 * outer.mean():.1f}% of the time ({(outer > 0.05).sum()} of {len(tails)} rows above 5%), "
            f"{100 * from_closed:.0f}% of them from closed teams") in page
    assert f"(`tails_no_closure.csv`) {100 * outer_off.mean():.1f}% ({(outer_off > 0.05).sum()} rows)" in page
    assert f"is {np.mean(1 / tails.variance_ratio):.2f} times the model's on average" in page
    knock = pd.read_csv(checks / "no_closure_coverage.csv")
    shipped = pd.read_csv(ROOT / "docs" / "results" / "sbc_coverage.csv")
    more = sorted(set(knock[~knock.within].parameter) - set(shipped[~shipped.within].parameter))
    assert set(shipped[~shipped.within].parameter) <= set(knock[~knock.within].parameter)
    assert (f"{knock.within.sum()} of {len(knock)} parameters within binomial error (the same "
            f"{(~shipped.within).sum()} fail, and " + ", ".join(f"`{k}`" for k in more) + "), and 90% and 50% "
            f"coverage of {100 * knock.cover_90.mean():.0f}% and {100 * knock.cover_50.mean():.0f}%") in page
    walk = pd.read_csv(checks / "walk_ranks.csv")
    ranks = pd.read_csv(ROOT / "docs" / "results" / "sbc_ranks.csv")
    same = ranks[ranks.table.isin(walk.table.unique())]
    assert f"the first {walk.table.nunique()} tables" in page and walk.table.max() == walk.table.nunique() - 1
    assert (f"sds grow by {100 * (walk.posterior_sd.mean() / same.posterior_sd.mean() - 1):.0f}% and the 90% "
            f"intervals cover the truth {100 * walk.in_90.mean():.0f}% of the time, as with the shipped moves "
            f"({100 * same.in_90.mean():.0f}% on those tables)") in page


def test_the_calibration_page_quotes_the_shipped_posteriors_trade_offs():
    """The correlations the page names are those of the shipped draws (conf/params/ensemble/copenhagen.csv),
    and they are the strongest two."""
    import numpy as np
    import pandas as pd

    page = _minus(_read(ROOT / "docs" / "calibration.md"))
    draws = pd.read_csv(ROOT / "conf" / "params" / "ensemble" / "copenhagen.csv").drop(columns=["set", "weight"])
    corr = draws.corr()
    fill = corr.loc["handover.intercept", "intake.fill_share"]
    iid = corr.loc["city.teams.iid_norrebro.attractiveness", "city.teams.iid_vanlose.attractiveness"]
    assert f"correlated {fill:.2f} in the posterior" in page and f"(r = {fill:.2f})" in page
    assert f"(r = {iid:.2f}: the report gives one row for both)" in page
    pairs = corr.abs().where(~np.eye(len(corr), dtype=bool)).stack().sort_values(ascending=False)
    assert set(pairs.iloc[:4].round(6)) == {round(abs(fill), 6), round(abs(iid), 6)}  # each pair twice
