"""Component tests of the dashboard without a browser: Dash callbacks are plain functions (methods of
`Dashboard`), called here as Dash's documentation tests callbacks. The browser tests are in
test_dashboard_browser.py."""

from __future__ import annotations

import re
import socket
import threading
import time

import pandas as pd
import pytest
from dash import no_update

from sim import compare
from sim.dashboard import compute
from sim.dashboard.__main__ import parse
from sim.dashboard.app import Dashboard, _control, route
from sim.dashboard.compute import Runner
from sim.dashboard.controls import allowed, base_config, make_plan, save
from sim.dashboard.views import PLAN
from sim.dashboard.watch import Watch
from sim.errors import UserError
from sim.model.config import RANGES
from sim.model.states import State
from sim.present import labels
from sim.present.comparison import decision_figures, decision_sentences, intake_note
from sim.workflows.scenarios import load
from sim.workflows.uncertainty import covers, outcome_range

SMALL = {"run.replications": "4", "intake.waves": "2"}
DEADLINE = 120.0  # seconds a background job may take here (loaded machine): a deadlock fails, not hangs


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Dashboard:
    return Dashboard(scenario_dir=tmp_path_factory.mktemp("scenarios"))


def values(board: Dashboard, **changes: str) -> list:
    """The inputs as the page holds them for the default scenario, with `changes` (dotted keys)."""
    _, inputs, _ = board.load_scenario(board.default)
    changes = {k.replace("__", "."): v for k, v in changes.items()}
    return [changes.get(c.key, v) for c, v in zip(board.controls, inputs, strict=True)]


def small(board: Dashboard, **changes: str) -> list:
    return values(board, **{k.replace(".", "__"): v for k, v in SMALL.items()}, **changes)


def finish(done) -> None:
    """Wait until `done()` holds, at most DEADLINE seconds."""
    end = time.monotonic() + DEADLINE
    while not done():
        assert time.monotonic() < end, "the background job did not finish"
        time.sleep(0.02)


def wait(board: Dashboard) -> tuple:
    finish(lambda: not board.runner.busy())
    return board.poll(1)


def test_every_control_shows_its_unit_and_the_schemas_range(board: Dashboard) -> None:
    texts = {text for text, _ in RANGES.values()}
    for c in board.controls:
        hint = _control(board, c).children[-1].children
        assert hint.startswith(f"{c.unit}; " if c.unit else allowed(board.base, c))
        assert allowed(board.base, c) in hint
        if c.kind == "number":
            assert allowed(board.base, c) in texts
    assert any(c.key == "city.centres.osterbro.policy" for c in board.controls)


def test_a_scenario_sets_the_controls_and_shows_its_question(board: Dashboard) -> None:
    question, inputs, base = board.load_scenario("instructor_shortage")
    assert question.startswith("What if volunteer instructors became scarce") and base == "instructor_shortage"
    by_key = {c.key: v for c, v in zip(board.controls, inputs, strict=True)}
    assert by_key["instructor.turnover_annual"] == "0.6"
    assert by_key["instructor.pool"] == "6"
    assert by_key["run.replications"] == "200"


def test_a_bad_value_gets_the_command_lines_message(board: Dashboard, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        compare.main(["as_reported", "instructor.turnover_annual=1.5"])
    assert exit_.value.code == 2
    cli = capsys.readouterr().err.strip()
    page, cards, status, *_, choice, placeholder, _ = board.check(
        board.default, values(board, instructor__turnover_annual="1.5"), board.default)
    assert page == cli == "error: instructor.turnover_annual=1.5 is out of range: expected a probability in [0, 1]"
    assert (cards, status) == ([], "")  # the previous plan's results leave with the bad value
    assert choice is None and placeholder.startswith("As reported (2012-13), changed")
    bad = values(board, instructor__turnover_annual="1.5")
    assert board.start_run(1, board.default, board.default, bad) == (cli, True)
    with pytest.raises(UserError, match="no control"):
        make_plan(board.default, {"run.horizon_weeks": "40"})
    assert board.check(board.default, values(board, instructor__turnover_annual="abc"))[0].startswith(
        "error: instructor.turnover_annual=abc: expected a number")
    assert board.check(board.default, values(board), board.default)[0] == ""
    question = board.check(board.default, values(board, modifiers__monthly_trial=["yes"]), board.default)[-1]
    assert question == "What if As reported (2012-13) had this change: Monthly trial sessions in the partner club?"


def test_a_second_run_while_one_is_going_is_refused(board: Dashboard) -> None:
    gate = threading.Event()
    job = board.runner.start("a slow run", lambda progress: gate.wait(), total=2)
    try:
        assert board.runner.start("another", lambda progress: None) is None
        message, _ = board.start_run(1, board.default, board.default, small(board))
        assert message.startswith("A run is already going (a slow run, step 0 of 2)")
        assert board.poll(1)[2] == "Running a slow run: step 0 of 2…"
    finally:
        gate.set()
    finish(lambda: job.finished)


def test_runner_reports_an_internal_error_in_one_line() -> None:
    runner = Runner()
    job = runner.start("broken", lambda progress: 1 / 0)
    finish(lambda: job.finished)
    assert job.error == "internal error: ZeroDivisionError: division by zero"


def test_the_page_shows_what_sim_compare_computes(board: Dashboard, tmp_path, capsys) -> None:
    """Run a plan on the page, save it as a scenario file, compare it on the command line: same numbers."""
    inputs = small(board, city__centres__osterbro__policy="amager", modifiers__monthly_trial=["yes"])
    message, disabled = board.start_run(1, board.default, "baseline_everywhere", inputs)
    assert message.startswith("Started run ") and disabled is False
    progress, total, status, disabled, run_id, cards, message = wait(board)
    assert (progress, total, disabled, message) == (3, 3, True, "")  # two scenarios, then sim.compare's tables
    assert re.fullmatch(r"Run \d+: As reported \(2012-13\), changed: Model at Østerbro: amager; Monthly trial "
                        r"sessions in the partner club and 1 more, 4 replications: done in [\d.]+ s", status)
    run = board._run(run_id)
    assert run.plan.overrides == ("city.centres.osterbro.policy=amager", "modifiers.monthly_trial=true",
                                  "intake.waves=2", "run.replications=4")
    assert run.plan.question == ("What if As reported (2012-13) had these 3 changes: Model at Østerbro: amager; "
                                 "Monthly trial sessions in the partner club; Intake waves (new cohorts at every "
                                 "centre): 2 waves?")

    path = save(run.plan, "Østerbro + trials!", tmp_path, board.shipped)
    assert path.name == "osterbro_trials.yaml"
    compare.main([str(path), "baseline_everywhere", "run.replications=4", "--reference", "baseline_everywhere",
                  "--out", str(tmp_path / "out")])
    cli = pd.read_csv(tmp_path / "out" / "comparison.csv").replace({"scenario": {path.stem: PLAN}})
    page = run.outcome.headline
    pd.testing.assert_frame_equal(page.reset_index(drop=True), cli, check_dtype=False, rtol=1e-12)

    text = str(cards)
    handed = run.outcome.counts.set_index(["metric", "scenario"]).loc[("handed_over", PLAN), "mean"]
    assert f"'{handed:,.0f}'" in text and outcome_range(run.plan.config) in text and "vs Trial sessions only" in text
    assert covers(run.plan.config) == "Monte Carlo + calibration"  # the shipped ensemble, as sim.compare runs it
    assert "parameters + Monte Carlo" in text and "better in" in text and "95%" not in text  # CIs: in the details
    assert board.download_plan(1, run_id)["content"] == path.read_text(encoding="utf-8")
    csv = board.download_csv(1, run_id)["content"]
    assert csv.splitlines()[0] == "metric,scenario,mean,ci_low,ci_high,diff_mean,diff_low,diff_high"
    results = str(board.show_results(run_id))
    assert "results-curves" in results
    # built when the Results page is on screen, once per run: not behind the Plan page, not again
    assert board.results_if_shown(run_id, "/", None) == (no_update, no_update)
    content, shown = board.results_if_shown(run_id, "/results", None)
    assert "results-curves" in str(content) and shown == {"run": run_id}
    assert board.results_if_shown(run_id, "/results", shown) == (no_update, no_update)
    assert "No results yet" in str(board.results_if_shown(None, "/results", shown)[0])  # another run: built
    # The further tables of sim.compare.evaluate are on the page: cost items, by centre, incremental.
    assert f"'{labels.label('cost_municipality')}'" in results and "Østerbro" in results
    verdict = run.outcome.incremental.set_index("scenario").loc[PLAN, "verdict"]
    assert verdict in results
    assert run.label in str(board.show_compare(run_id, None))
    assert board.compare_if_shown(run_id, None, "/results", None) == (no_update, no_update)  # not on screen
    table, kept = board.compare_if_shown(run_id, None, "/compare", None)
    assert run.label in str(table) and kept == {"runs": [run_id]}
    assert board.compare_if_shown(run_id, None, "/compare", kept) == (no_update, no_update)  # the same runs
    # The Decision view says what comparison.html says, from the same functions and numbers.
    for line in decision_sentences(run.outcome):
        assert line in results
    assert "results-decision" in results and "decision-ceac" in results
    assert results.count("data:image/png;base64,") == len(decision_figures(run.outcome))
    # the plan's two waves take in fewer citizens: counts per 100 starters too
    assert intake_note(run.outcome) and intake_note(run.outcome) in results


def test_saving_never_overwrites_a_scenario(board: Dashboard, tmp_path) -> None:
    plan = make_plan(board.default, {})
    with pytest.raises(UserError, match="shipped scenario"):
        save(plan, "As Reported", tmp_path, board.shipped)
    save(plan, "mine", tmp_path, board.shipped)
    with pytest.raises(UserError, match="already exists"):
        save(plan, "MINE", tmp_path, board.shipped)
    with pytest.raises(UserError, match="letters, digits"):
        save(plan, "../..", tmp_path, board.shipped)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.yaml"]


def test_watch_steps_the_agent_engine_week_by_week(board: Dashboard) -> None:
    plan = make_plan(board.default, {"intake.waves": "2"})
    watch = Watch(plan.config, replication=1)
    snap = watch.at(3)
    assert len(watch.history) == 4 and watch.model.week == 4 and snap.week == 3
    watch.at(1)
    assert watch.model.week == 4, "going back reads the history, does not re-run"
    citizens = len(watch.model.citizens)
    assert all(s.states.sum() == citizens for s in watch.history)
    last = watch.at(39)
    states = watch.states(39)
    assert list(states.columns) == [s.name for s in State] + ["week"] and len(states) == 40
    open_now = {t for t in watch.teams[: watch.city.n_listed]}
    for week, team, what in watch.events(39):
        assert 0 <= week <= 39
        (open_now.add if what == "opened" else open_now.remove)(team)
    assert open_now == {t for t, is_open in zip(watch.teams, last.open, strict=True) if is_open}


def test_watch_callbacks_play_and_step(board: Dashboard) -> None:
    watch_id, top, week, message = board.start_watch(1, board.default, small(board), 0)
    assert (top, week) == (135, 0) and "replication 0" in message
    assert board.advance(1, None, 0, watch_id) == 1
    assert board.advance(1, None, 135, watch_id) == 135, "stops at the horizon"
    label, teams, states, facts, _ = board.show_week(1, watch_id)
    assert label == "Week 1 of 135" and "teams open" in facts
    assert board.play(1) == (False, "Pause") and board.play(2) == (True, "Play")
    assert board.start_watch(1, board.default, small(board), 9)[3] == "error: replication=9: a whole number in 0..3"


def test_route_shows_one_page() -> None:
    assert [s["display"] for s in route("/watch")] == ["none", "none", "none", "block"]
    assert [s["display"] for s in route("/nowhere")] == ["block", "none", "none", "none"]


def test_command_line_refuses_a_bad_port(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(["--port", "70000"])
    assert exit_.value.code == 2 and capsys.readouterr().err == "error: --port 70000: a port number in 1..65535\n"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit):
            parse(["--port", str(port)])
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}:") and err.count("\n") == 1
    with socket.socket() as probe:  # a free port: the default 8765 may be taken on the machine
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert parse(["--port", str(free)]).host == "127.0.0.1"


def test_an_unchanged_reference_is_run_and_summarised_once(monkeypatch) -> None:
    """Runs are kept by config (seed and replications included): a changed plan runs only itself, and
    the comparison from kept runs is the one from fresh runs."""
    calls: list[str] = []

    def counted(cfg):
        calls.append(repr(cfg))
        return compute.compare.simulated(cfg)

    monkeypatch.setattr(compute, "simulated", counted)
    monkeypatch.setattr(compute, "_CACHE", type(compute._CACHE)())
    scenario = load("as_reported")
    ref = base_config(scenario, ("run.replications=3",))
    plan = base_config(scenario, ("run.replications=3", "instructor.turnover_annual=0.6"))
    first = compute.run_plan({PLAN: plan, "as_reported": ref}, "as_reported")
    again = compute.run_plan({PLAN: plan, "as_reported": ref}, "as_reported")
    assert calls == [repr(plan), repr(ref)]
    pd.testing.assert_frame_equal(first.by_centre, again.by_centre)
    pd.testing.assert_frame_equal(first.decision.table, again.decision.table)
    changed = base_config(scenario, ("run.replications=3", "instructor.turnover_annual=0.7"))
    compute.run_plan({PLAN: changed, "as_reported": ref}, "as_reported")
    assert calls[2:] == [repr(changed)]
    reseeded = [base_config(scenario, ("run.replications=3", "run.seed=7", *extra))
                for extra in ((), ("instructor.turnover_annual=0.7",))]
    compute.run_plan({PLAN: reseeded[1], "as_reported": reseeded[0]}, "as_reported")
    assert calls[3:] == [repr(reseeded[1]), repr(reseeded[0])]
