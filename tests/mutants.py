"""The mutation check (issue 22): small deliberate changes to the model, the engines, the costs, the
calibration targets and the metrics, each of which the suite must catch.

    python -m tests.mutants                      # every mutant, each on its listed tests
    python -m tests.mutants --only vector-habit-grows-without-meeting --only targets-ignore-at-week
    python -m tests.mutants --full               # each mutant on the whole suite CI runs (hours)
    python -m tests.mutants --list               # the mutants and the test expected to catch each
    python -m tests.mutants --only vector-habit-grows-without-meeting \
        --tests tests/engines/test_equivalence_retention.py::test_engines_agree_on_retention   # does this test see it?

Each mutant replaces one exact snippet of one file in a scratch copy of the repository (a temporary
folder; the working tree is never touched) and runs pytest there as CI does (CI=true, browser tests
aside) with `-x`, so the run stops at the first failing test: that test caught the mutant. To keep
this affordable each mutant runs its listed test paths (the expected catcher first) unless `--full`.
The exact golden comparison (tests/engines/test_baseline.py::test_summary_matches_golden_baseline)
is deselected unless `--with-golden`: every mutant must be caught by a test that says what is wrong.

Before the mutants, the union of their test paths runs once on the unchanged copy: a suite that
fails without a mutant would "catch" them all. A snippet that is not found exactly once in its file
stops the check with an error naming the mutant (the code moved on: update the list), as does
tests/test_mutants.py in the normal suite.

Exit status 0 when every mutant was caught, 1 when one survived, 2 on a stale list or a broken suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = "tests/engines/test_baseline.py::test_summary_matches_golden_baseline"
SELF_TEST = "tests/test_mutants.py"
# Fast tests of the layers the mutants touch: run after a mutant's own tests, before giving up on it.
CORE = ("tests/model", "tests/engines/test_meeting_weeks.py", "tests/workflows/test_targets.py")


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    original: str  # an exact snippet, found exactly once in the file
    replacement: str
    catcher: str  # the test (node id) expected to catch it
    why: str
    paths: tuple[str, ...] = field(default=())  # test paths to run (after `catcher`, before CORE)

    def test_paths(self) -> list[str]:
        return list(dict.fromkeys([self.catcher, *self.paths, *CORE]))


def equivalence(name: str) -> str:
    return f"tests/engines/test_equivalence.py::test_engines_agree[{name}]"


BY_HAND = "tests/model/test_costs_by_hand.py"
MUTANTS = (
    # --- the four of issue 22 -------------------------------------------------------------------
    Mutant("costs-wage-ignores-meeting-week", "sim/model/costs.py",
           '"wage_weeks": rules.wage_is_due(paid, meets, has_instructor)',
           '"wage_weeks": rules.wage_is_due(paid, True, has_instructor)',
           f"{BY_HAND}::test_the_clubs_pay_the_wage",
           "a paid team meeting every other week is paid every week (19.8 k -> 39.6 k DKK)"),
    Mutant("club-payments-without-wages", "sim/model/costs.py",
           '"subsidies",\n                                     "wages"))',
           '"subsidies"))',
           f"{BY_HAND}::test_the_municipality_pays_the_wage",
           "wages the municipality pays are left out of club_municipal_payments"),
    Mutant("vector-habit-grows-without-meeting", "sim/vector/model.py",
           "habit_rate = np.where(meets, np.asarray(grid.club.habit_growth, np.float32), zero)",
           "habit_rate = np.where(teams.instructor, np.asarray(grid.club.habit_growth, np.float32), zero)",
           "tests/engines/test_meeting_weeks.py::test_vector_engine_grows_habit_and_bond_only_in_meeting_weeks",
           "the vector engine grows club habit in weeks the team does not meet (retention +3%)",
           ("tests/engines/test_equivalence_retention.py::test_engines_agree_on_retention",)),
    Mutant("targets-ignore-at-week", "sim/workflows/calibration/targets.py",
           'by = cz["hw"] <= at_week',
           'by = cz["hw"] <= np.inf',
           "tests/workflows/test_targets.py::test_a_team_at_a_week_counts_its_sisters",
           "a target counted at a week counts every handover up to the horizon",
           ("tests/workflows/test_calibrate.py::test_parameter_recovery",)),
    # --- costs (shared by both engines) ---------------------------------------------------------
    Mutant("club-net-ignores-wages", "sim/model/costs.py",
           '"net": fees + received - wages_paid',
           '"net": fees + received',
           f"{BY_HAND}::test_the_clubs_pay_the_wage",
           "the clubs' net leaves out the wages they pay"),
    Mutant("fees-without-regulars", "sim/model/costs.py",
           'fees = wide(counts["member_weeks"] + counts["regular_weeks"]) * econ.fee_week',
           'fees = wide(counts["member_weeks"]) * econ.fee_week',
           f"{BY_HAND}::test_the_clubs_pay_the_wage",
           "regular members pay no fees"),
    Mutant("coleading-priced-as-staff", "sim/model/costs.py",
           '"coleading": wide(plan["club_sessions"]) * k.coleading_fee,',
           '"coleading": wide(plan["club_sessions"]) * k.club_session_staff,',
           f"{BY_HAND}::test_the_clubs_pay_the_wage",
           "the Amager co-leading fee takes the centre staff's unit cost"),
    Mutant("amager-half-the-club-sessions", "sim/model/costs.py",
           "in_club = np.where(policy == policies.AMAGER, held, 0)",
           "in_club = np.where(policy == policies.AMAGER, held // 2, 0)",
           "tests/model/test_costs.py::test_plan_counts_per_cohort",
           "Amager moves one session every other week into the club, not every week"),
    Mutant("coordination-without-the-window", "sim/model/costs.py",
           "last = np.minimum(start + weeks + delay + cfg.handover.window_weeks, horizon)",
           "last = np.minimum(start + weeks + delay, horizon)",
           "tests/model/test_costs.py::test_plan_counts_per_cohort",
           "coordination stops at programme end, before the decision window"),
    Mutant("sister-instructor-trained-twice", "sim/model/costs.py",
           'trained = teams["instructor_changes"] - sister_firsts + ~city.team_is_sister',
           'trained = teams["instructor_changes"] + ~city.team_is_sister',
           f"{BY_HAND}::test_a_sister_team_opens_with_a_pool_instructor",
           "a sister team's first instructor (from the pool, trained up front) is trained again"),
    Mutant("accounts-without-subsidy", "sim/model/rules.py",
           "return size * econ.fee_week + econ.subsidy_week - wage",
           "return size * econ.fee_week - wage",
           f"{BY_HAND}::test_the_clubs_pay_the_wage",
           "the subsidy never reaches a team's balance"),
    Mutant("vector-counts-closed-team-weeks", "sim/vector/teams.py",
           "np.add(counted, value, out=counted, where=open_)",
           "np.add(counted, value, out=counted)",
           f"{BY_HAND}::test_a_deficit_closes_the_paid_team_in_the_week_counted_by_hand",
           "the vector engine counts subsidies and wages of closed and dormant teams"),
    # --- calibration targets --------------------------------------------------------------------
    Mutant("targets-without-sisters", "sim/workflows/calibration/targets.py",
           'listed = np.array([str(n).split("#")[0] for n in names] + [""], dtype=object)',
           'listed = np.array([str(n) for n in names] + [""], dtype=object)',
           "tests/workflows/test_targets.py::test_a_team_at_a_week_counts_its_sisters",
           "a team's target at a week leaves out its sister teams"),
    Mutant("targets-teams-opened-without-listed", "sim/workflows/calibration/targets.py",
           "return len(self.results.config.city.teams) + opened.astype(float)",
           "return opened.astype(float)",
           "tests/workflows/test_targets.py::test_summary_counts_at_a_week",
           "teams_opened at a week counts the sister teams only"),
    # --- metrics --------------------------------------------------------------------------------
    Mutant("member-in-the-week-of-lapse", "sim/model/metrics.py",
           "return (handover_week <= week) & ~(lapse_week <= week)",
           "return (handover_week <= week) & ~(lapse_week < week)",
           "tests/model/test_metrics.py::test_member_at_uses_join_and_lapse_weeks",
           "a citizen who lapsed in week m still counts as a member at m"),
    Mutant("handover-rate-over-programme-starters", "sim/model/metrics.py",
           '"handover_rate": share(handed.sum(axis=1), window_over.sum(axis=1)),',
           '"handover_rate": share(handed.sum(axis=1), programme_over.sum(axis=1)),',
           "tests/model/test_metrics.py::test_summary_shares_and_horizon",
           "the handover rate is a share of everyone whose programme ended, not of completers"),
    Mutant("retention-a-week-early", "sim/model/metrics.py",
           "at = start_week + programme_weeks + after",
           "at = start_week + programme_weeks + after - 1",
           "tests/model/test_metrics.py::test_retention_is_counted_exactly_k_weeks_after_programme_end",
           "retention is counted a week before its point"),
    # --- the shared rules -----------------------------------------------------------------------
    Mutant("window-closes-a-week-late", "sim/model/rules.py",
           "return waited >= cfg.handover.window_weeks - 1",
           "return waited >= cfg.handover.window_weeks",
           "tests/model/test_rules.py::test_window_closes",
           "the decision window has one week more than handover.window_weeks"),
    Mutant("changed-a-week-short", "sim/model/rules.py",
           "return week + cfg.instructor.continuity_weeks",
           "return week + cfg.instructor.continuity_weeks - 1",
           "tests/model/test_rules.py::test_meeting_weeks_and_changed_flag",
           "a new instructor marks the team changed for a week less"),
    # --- the engines (each its own stepping) ----------------------------------------------------
    Mutant("agent-habit-grows-without-meeting", "sim/agent/model.py",
           "meets = team.meets(self.week) and not vacant",
           "meets = not vacant",
           "tests/engines/test_meeting_weeks.py::test_agent_engine_grows_habit_and_bond_only_in_meeting_weeks",
           "the agent engine grows habit and bond in weeks the team does not meet"),
    Mutant("vector-bond-grows-without-meeting", "sim/vector/model.py",
           "bond_rate = np.where(meets, self.bond_rate, zero)",
           "bond_rate = np.where(teams.instructor, self.bond_rate, zero)",
           "tests/engines/test_meeting_weeks.py::test_vector_engine_grows_habit_and_bond_only_in_meeting_weeks",
           "the vector engine grows bonds in weeks the team does not meet"),
    Mutant("agent-cafe-ignored", "sim/agent/agents.py",
           "self.s = rules.grow(self.s, rules.bond_rate(cfg, team.has_cafe))",
           "self.s = rules.grow(self.s, rules.bond_rate(cfg, False))",
           "tests/engines/test_meeting_weeks.py::test_agent_engine_grows_habit_and_bond_only_in_meeting_weeks",
           "the agent engine forgets the café's stronger bonds",
           (equivalence("cafe_on"),)),
    Mutant("vector-lapse-ignores-vacancy", "sim/vector/model.py",
           "team_term = rules.lapse_team_term(grid, ~teams.instructor,",
           "team_term = rules.lapse_team_term(grid, teams.instructor & False,",
           "tests/engines/test_equivalence_retention.py::test_engines_agree_on_retention",
           "members of a team without an instructor lapse no faster in the vector engine",
           (equivalence("high_turnover"),)),
    Mutant("vector-bond-carried-to-any-team", "sim/vector/model.py",
           's = rules.bond_on_joining(self.values.at(idx // self.n), self.flat("s")[idx], '
           'city.team_partner_club[team])',
           's = self.flat("s")[idx]',
           equivalence("amager"),
           "the vector engine carries the whole programme bond to any team joined",
           ("tests/engines/test_equivalence_retention.py::test_engines_agree_on_retention",)),
    Mutant("vector-presentation-while-vacant", "sim/vector/model.py",
           "attending & rules.sees_presentation(cfg, k[shown - cols.start], staffed)",
           "attending & rules.sees_presentation(cfg, k[shown - cols.start], True)",
           equivalence("patient_turnover"),
           "a patient association presents itself in the vector engine while its key person's post is vacant"),
    Mutant("agent-patient-lapse-every-week", "sim/agent/agents.py",
           "        if offering.meets(week):\n            p = rules.patient_lapse_prob",
           "        if True:\n            p = rules.patient_lapse_prob",
           equivalence("amager"),
           "members of monthly heart cafés may lapse every week in the agent engine"),
)


class StaleList(Exception):
    """A mutant's snippet is not in its file exactly once: the code moved on."""


def mutate(text: str, mutant: Mutant) -> str:
    count = text.count(mutant.original)
    if count != 1:
        raise StaleList(f"mutant {mutant.name}: its original snippet occurs {count} times in {mutant.file} "
                        f"(expected once): {mutant.original!r}; update tests/mutants.py")
    if mutant.replacement == mutant.original:
        raise StaleList(f"mutant {mutant.name}: the replacement equals the original")
    return text.replace(mutant.original, mutant.replacement)


def check_list(root: Path = ROOT) -> None:
    """Every mutant applies to the code as it is (StaleList otherwise)."""
    names = [m.name for m in MUTANTS]
    if len(set(names)) != len(names):
        raise StaleList("two mutants share a name")
    for mutant in MUTANTS:
        mutate((root / mutant.file).read_text(encoding="utf-8"), mutant)


def scratch_copy(root: Path) -> Path:
    """The repository's files (tracked and untracked, not ignored) in a new temporary folder, with
    `shared/` linked beside it as CI has it. Returns the copy's root."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                           check=True, capture_output=True).stdout.decode().split("\0")
    base = Path(tempfile.mkdtemp(prefix="mutants-"))
    copy = base / "repo"
    for name in filter(None, files):
        source = root / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    shared = root.parent / "shared"
    if shared.is_dir():
        (base / "shared").symlink_to(shared)
    return copy


def environment(copy: Path) -> dict[str, str]:
    """Run from the copy: its `sim` and `conf` first on the path for pytest and every process it starts."""
    env = {**os.environ, "PYTHONPATH": str(copy), "CI": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    found = subprocess.run([sys.executable, "-c", "import sim, conf; print(sim.__file__, conf.__file__)"],
                           cwd=copy, env=env, capture_output=True, text=True, check=True).stdout.split()
    if not all(Path(f).is_relative_to(copy) for f in found):
        raise RuntimeError(f"the scratch copy's packages are not the ones imported: {found}")
    return env


def pytest_command(paths: Sequence[str], golden: bool, workers: int) -> list[str]:
    # tests/test_mutants.py checks that each snippet is in the code: with a mutant applied it fails by design
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-rf", "-p", "no:cacheprovider", "-m", "not browser",
               "--benchmark-skip", f"--ignore={SELF_TEST}"]
    if workers > 0:
        command += ["-n", str(workers), "--dist", "loadfile"]
    if not golden:
        command += ["--deselect", GOLDEN]
    return [*command, *paths]


FAILED = re.compile(r"^FAILED (\S+)", re.M)
ERROR = re.compile(r"^ERROR (\S+)", re.M)


@dataclass
class Outcome:
    mutant: str
    caught: bool
    by: str  # the first failing test, or "" (survived)
    expected: str
    seconds: float


def run_pytest(copy: Path, env: dict[str, str], paths: Sequence[str], golden: bool, workers: int,
               log) -> tuple[int, str]:
    done = subprocess.run(pytest_command(paths, golden, workers), cwd=copy, env=env, capture_output=True, text=True)
    log.write(done.stdout + done.stderr + "\n")
    log.flush()
    return done.returncode, done.stdout


def first_failure(output: str) -> str:
    found = FAILED.search(output) or ERROR.search(output)
    return found.group(1) if found else "(no test named: see the log)"


def run(mutants: Sequence[Mutant], full: bool, golden: bool, workers: int, log_path: Path,
        tests: Sequence[str] = ()) -> list[Outcome]:
    copy = scratch_copy(ROOT)
    env = environment(copy)
    outcomes = []
    with open(log_path, "w", encoding="utf-8") as log:
        try:
            union = [] if full else list(tests) or list(dict.fromkeys(p for m in mutants for p in m.test_paths()))
            print(f"unchanged copy: {'the whole suite' if full else f'{len(union)} test paths'} ...", flush=True)
            code, output = run_pytest(copy, env, union, golden, workers, log)
            if code != 0:
                raise RuntimeError(f"the suite fails without any mutant ({first_failure(output)}); see {log_path}")
            for mutant in mutants:
                path = copy / mutant.file
                original = path.read_text(encoding="utf-8")
                path.write_text(mutate(original, mutant), encoding="utf-8")
                start = time.monotonic()
                try:
                    log.write(f"\n===== {mutant.name} =====\n")
                    # the expected catcher alone first (pytest orders a run's paths its own way), then the rest
                    stages = [[]] if full else [list(tests)] if tests else [[mutant.catcher], mutant.test_paths()[1:]]
                    for paths in stages:
                        code, output = run_pytest(copy, env, paths, golden, workers, log)
                        if code != 0:
                            break
                finally:
                    path.write_text(original, encoding="utf-8")
                outcome = Outcome(mutant.name, code != 0, first_failure(output) if code else "", mutant.catcher,
                                  time.monotonic() - start)
                outcomes.append(outcome)
                state = f"caught by {outcome.by}" if outcome.caught else "SURVIVED"
                print(f"{mutant.name}: {state} ({outcome.seconds:.0f} s)", flush=True)
        finally:
            shutil.rmtree(copy.parent, ignore_errors=True)
    return outcomes


def table(outcomes: Sequence[Outcome]) -> str:
    lines = ["| mutant | result | first failing test | expected catcher |", "|---|---|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.mutant} | {'caught' if o.caught else '**survived**'} | {o.by or '-'} | {o.expected} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__.split("\n\n")[0])
    p.add_argument("--only", action="append", default=[], metavar="NAME", help="run this mutant (repeatable)")
    p.add_argument("--full", action="store_true", help="each mutant on the whole suite CI runs, browser tests aside")
    p.add_argument("--with-golden", action="store_true", help="keep the exact golden comparison in the suite")
    p.add_argument("--workers", type=int, default=0, help="pytest-xdist workers per run (default 0: one process)")
    p.add_argument("--tests", action="append", default=[], metavar="PATH",
                   help="run these test paths (repeatable) instead of each mutant's own")
    p.add_argument("--list", action="store_true", help="list the mutants and their expected catchers")
    p.add_argument("--log", default="mutants.log", help="pytest's output of every run (default mutants.log)")
    p.add_argument("--report", help="also write the outcomes as JSON to this file")
    args = p.parse_args(argv)
    try:
        check_list()
    except StaleList as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for m in MUTANTS:
            print(f"{m.name}\n  {m.file}: {m.why}\n  caught by {m.catcher}")
        return 0
    unknown = sorted(set(args.only) - {m.name for m in MUTANTS})
    if unknown:
        print(f"error: unknown mutant(s) {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    chosen = [m for m in MUTANTS if not args.only or m.name in args.only]
    try:
        outcomes = run(chosen, args.full, args.with_golden, args.workers, Path(args.log), args.tests)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n" + table(outcomes))
    if args.report:
        Path(args.report).write_text(json.dumps([asdict(o) for o in outcomes], indent=1), encoding="utf-8")
    survived = [o.mutant for o in outcomes if not o.caught]
    print(f"\n{len(outcomes) - len(survived)} of {len(outcomes)} caught"
          + (f"; survived: {', '.join(survived)}" if survived else ""))
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
