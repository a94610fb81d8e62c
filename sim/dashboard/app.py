"""The Dash app: Plan, Results, Compare and Watch pages, served with every asset from this machine.

Dash serves its JavaScript, CSS and Plotly from its own wheel (`serve_locally=True`) and the page's
stylesheet from `assets/`; no external script or stylesheet is configured, debug tools (and their
version check) are off, so the page makes no request to any other host (the browser test records
every request to check it). Callbacks are methods of `Dashboard`, plain Python functions that the
component tests call directly, Dash's own way of testing callbacks without a browser.

Runs are kept in this process (a planner's tool on their own machine): the last four, for Compare.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
from dash import ALL, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from sim.dashboard import views
from sim.dashboard.compute import Job, Outcome, Runner, Worker, run_plan
from sim.dashboard.controls import (
    Control,
    Plan,
    allowed,
    base_config,
    controls,
    get,
    is_centre_policy,
    make_plan,
    save,
    shown,
)
from sim.dashboard.watch import Watch
from sim.errors import UserError
from sim.model.config import PolicyName, SimConfig
from sim.present.labels import team_label
from sim.workflows.scenarios import PROJECT_SCENARIOS, available, folders, load

KEEP = 4  # runs kept side by side on the Compare page
PAGES = ("plan", "results", "compare", "watch")
POLL_MS = 150


@dataclass
class Run:
    """A finished run: the plan, its comparison to the reference, how long it took."""

    id: int
    label: str
    plan: Plan
    outcome: Outcome
    seconds: float


def _ctl_id(key: str) -> dict[str, str]:
    return {"type": "control", "key": key}


def _row_id(key: str) -> str:
    return "row-" + key.replace(".", "-")


class Dashboard:
    """The app's state (runs, the background runner, the watched replication) and its callbacks."""

    def __init__(self, scenario_dir: Path | None = None, default: str = "as_reported") -> None:
        self.scenarios = available()
        if not self.scenarios:
            raise UserError(f"no scenario files found in ./scenarios or {PROJECT_SCENARIOS}; the Plan page starts "
                            "from one")
        self.default = default if default in self.scenarios else self.scenarios[0]
        self.shipped = {p.stem for p in PROJECT_SCENARIOS.glob("*.yaml")}
        self.scenario_dir = scenario_dir or folders()[0]  # ./scenarios: searched first, so a saved plan is found
        self.base: SimConfig = base_config(load(self.default))
        self.controls: list[Control] = controls(self.base)
        self.runner = Runner()
        self.worker: Worker | None = None  # `serve` starts one; without it (tests) runs stay in-process
        self.runs: deque[Run] = deque(maxlen=KEEP)
        self._recording = threading.Lock()
        self.watches: dict[int, Watch] = {}

    # --- the Plan page --------------------------------------------------------------------------------------

    def _values(self, values: list[Any]) -> dict[str, Any]:
        return {c.key: v for c, v in zip(self.controls, values, strict=True)}

    def scenario_options(self) -> list[dict[str, str]]:
        """The scenarios to start from or compare with, by their titles (the names the pages use)."""
        return [{"label": load(name).title, "value": name} for name in self.scenarios]

    def load_scenario(self, name: str | None) -> tuple[Any, ...]:
        """A scenario chosen: its question, every control set to the scenario's value, and the scenario
        as the plan's base. (No scenario chosen: the plan was changed, and nothing is loaded.)"""
        if not name:
            raise PreventUpdate
        scenario = load(name)
        cfg = base_config(scenario)
        values = [shown(cfg, c) for c in self.controls]
        return scenario.question or "(this scenario states no question)", values, name

    def check(self, base: str, values: list[Any], chosen: str | None = None) -> tuple[Any, ...]:
        """The plan on screen changed: (the command line's one-line message for a bad value or nothing;
        the plan cards and status, cleared when a value is bad, for they are the previous plan's; the
        controls' values, where a centre's own model shows the whole city's; the per-centre rows' style;
        the scenario list's choice and what it says when none is chosen; the plan's question, which for a
        changed plan lists its changes).

        A changed plan leaves the scenario list with no choice, saying which scenario the plan started
        from, so choosing that scenario again is a choice and resets the controls."""
        by_key = self._values(values)
        scenario_cfg = base_config(load(base))
        whole_city = by_key["policy"]
        mixed = whole_city == PolicyName.mixed.value
        if mixed and ctx_triggered() == _ctl_id("policy"):  # back to each centre its own: the scenario's own
            by_key.update({c.key: get(scenario_cfg, c.key) for c in self.controls if is_centre_policy(c.key)})
        elif not mixed:
            by_key.update({c.key: whole_city for c in self.controls if is_centre_policy(c.key)})
        new_values = [by_key[c.key] if by_key[c.key] != v else no_update for c, v in zip(self.controls, values,
                                                                                          strict=True)]
        rows = ["control" if mixed else "control unused" for c in self.controls if is_centre_policy(c.key)]
        try:
            plan = make_plan(base, by_key)
            message, cards, status, changed = "", no_update, no_update, bool(plan.overrides)
            question = plan.question or "(this scenario states no question)"
        except UserError as exc:
            message, cards, status, changed, question = f"error: {exc}", [], "", True, no_update
        choice = None if changed else base
        placeholder = f"{load(base).title}, changed: choose a scenario to start again"
        return (message, cards, status, new_values, rows, no_update if choice == chosen else choice, placeholder,
                question)

    def start_run(self, clicks: int | None, name: str, reference: str, values: list[Any]) -> tuple[str, bool]:
        """Start a run of the plan and the reference in the background: (message, poll disabled). The
        message says the run started (the status line then shows its progress), or why it did not."""
        if not clicks:
            return no_update, no_update
        if self.runner.busy():
            job = self.runner.current
            return (f"A run is already going ({job.label}, step {job.done} of {job.total}); "
                    "please wait for it to finish, then press Run again.", False)
        try:
            plan = make_plan(name, self._values(values))
            run = plan.config.run
            scenario = load(reference)
            ref = base_config(scenario)
            shared = tuple(f"run.{key}={getattr(run, key)}" for key in ("replications", "seed")
                           if getattr(ref.run, key) != getattr(run, key))  # paired: same seeds and replications
            ref = base_config(scenario, shared) if shared else ref
        except UserError as exc:
            return f"error: {exc}", True
        configs = {views.PLAN: plan.config, reference: ref}
        # on the Results page the plan is "this plan" (its heading names it); the reference goes by its title
        names = {"titles": {views.PLAN: views.PLAN, reference: scenario.title},
                 "questions": {views.PLAN: plan.question, reference: scenario.question}}
        label = f"{plan.title}, {run.replications} replications"
        compute = self.worker.run_plan if self.worker else run_plan

        def work(progress: Any) -> tuple[Plan, Outcome]:  # the plan and its reference by the names the pages use
            return plan, dataclasses.replace(compute(configs, reference, progress), **names)

        job = self.runner.start(label, work, total=len(configs))
        if job is None:
            return "A run is already going; please wait for it to finish, then press Run again.", False
        return f"Started run {job.id}: {label}.", False

    def poll(self, _: int) -> tuple[Any, ...]:
        """Progress of the background run; when it is done, its results everywhere they show.

        Returns (progress value, progress max, status, poll disabled, latest run id, plan cards, run
        message: cleared when the run is done, so no note about it outlives it)."""
        job = self.runner.current
        if job is None:
            return 0, 1, "", True, no_update, no_update, no_update
        if not job.finished:
            return (job.done, job.total, f"Running {job.label}: step {job.done} of {job.total}…",
                    False, no_update, no_update, no_update)
        if job.error:
            return 0, 1, job.error, True, no_update, no_update, ""
        run = self._record(job)
        return (job.total, job.total, f"{run.label}: done in {run.seconds:.1f} s", True, run.id,
                views.cards(run.outcome, run.plan.config), "")

    def _record(self, job: Job) -> Run:
        """The finished job as a kept run (once, however many polls see it finished)."""
        with self._recording:
            known = next((r for r in self.runs if r.id == job.id), None)
            if known:
                return known
            plan, outcome = job.result
            run = Run(job.id, f"Run {job.id}: {job.label}", plan, outcome, job.seconds)
            self.runs.append(run)
            return run

    # --- Results and Compare --------------------------------------------------------------------------------

    def run_options(self, latest: int | None) -> tuple[list[dict], Any]:
        """The runs to choose from, newest first, and the newest chosen."""
        options = [{"label": r.label, "value": r.id} for r in reversed(self.runs)]
        return options, (options[0]["value"] if options else None)

    def _run(self, run_id: int | None) -> Run | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def results_if_shown(self, run_id: int | None, pathname: str | None, shown: dict | None) -> tuple[Any, Any]:
        """The Results page's content, built only when that page is on screen and shows another run than
        the one it has: (content, which run it now shows). The page is a quarter of a megabyte with
        figures; built at every Run while the planner stays on the Plan page, it would hold up the next
        Run. A run's results never change, so a page that has them keeps them."""
        want = {"run": run_id}
        if page_of(pathname) != "results" or shown == want:
            return no_update, no_update
        return self.show_results(run_id), want

    def show_results(self, run_id: int | None) -> Any:
        run = self._run(run_id)
        if run is None:
            return html.P("No results yet: set a plan on the Plan page and press Run.", className="note")
        return views.results(run.outcome, run.plan.config, run.label, run.plan.question)

    def compare_if_shown(self, latest: int | None, clear: int | None, pathname: str | None,
                         shown: dict | None) -> tuple[Any, Any]:
        """The Compare page's table, built (as `results_if_shown`) only when that page is on screen and
        the runs kept have changed since it was built: (content, the runs it now shows)."""
        clearing = bool(clear) and ctx_triggered() == "compare-clear"
        if not clearing and (page_of(pathname) != "compare" or shown == self._kept()):
            return no_update, no_update
        return self.show_compare(latest, clear), self._kept()

    def _kept(self) -> dict[str, list[int]]:
        return {"runs": [r.id for r in self.runs]}

    def show_compare(self, latest: int | None, clear: int | None) -> Any:
        if clear and ctx_triggered() == "compare-clear":
            self.runs.clear()
        if not self.runs:
            return html.P("No runs yet. Every run you make is kept here, the last four side by side.",
                          className="note")
        table = views.side_by_side([(r.label, r.outcome) for r in self.runs])
        plans = [html.Li([html.Strong(r.label), f": {r.plan.question or '(no question given)'} Against "
                          f"{r.outcome.titles[r.outcome.reference]}."]) for r in self.runs]
        return html.Div([views.frame(table), html.Ul(plans, className="note")])

    def download_plan(self, clicks: int | None, run_id: int | None) -> Any:
        run = self._run(run_id)
        if not clicks or run is None:
            return no_update
        return {"content": run.plan.yaml(), "filename": f"plan_run{run.id}.yaml"}

    def download_csv(self, clicks: int | None, run_id: int | None) -> Any:
        run = self._run(run_id)
        if not clicks or run is None:
            return no_update
        return {"content": rows_csv(run.outcome), "filename": f"results_run{run.id}.csv"}

    def save_plan(self, clicks: int | None, run_id: int | None, name: str | None) -> tuple[Any, ...]:
        """Save the run's plan into the scenario folder: (message, the scenario lists' options, which then
        hold the saved plan)."""
        run = self._run(run_id)
        if not clicks:
            return "", no_update, no_update
        if run is None:
            return "error: no run chosen", no_update, no_update
        try:
            path = save(run.plan, name or "", self.scenario_dir, self.shipped)
        except UserError as exc:
            return f"error: {exc}", no_update, no_update
        self.scenarios = available()
        options = self.scenario_options()
        return (f"saved as {path}: \"{load(path.stem).title}\" is now under Start from scenario "
                f"(python -m sim.compare {path.stem} ...)", options, options)

    # --- Watch ----------------------------------------------------------------------------------------------

    def start_watch(self, clicks: int | None, name: str, values: list[Any], replication: Any) -> tuple[Any, ...]:
        """(watch id, slider max, slider value, message)."""
        if not clicks:
            return no_update, no_update, no_update, ""
        try:
            plan = make_plan(name, self._values(values))
            rep = int(replication)
            if not 0 <= rep < plan.config.run.replications:
                raise UserError(f"replication={replication!r}: a whole number in 0..{plan.config.run.replications - 1}")
        except (TypeError, ValueError):
            return no_update, no_update, no_update, f"error: replication={replication!r}: a whole number"
        except UserError as exc:
            return no_update, no_update, no_update, f"error: {exc}"
        watch_id = max(self.watches, default=0) + 1
        self.watches = {watch_id: Watch(plan.config, rep)}  # one replication at a time
        return watch_id, plan.config.run.horizon_weeks - 1, 0, f"{plan.title}, replication {rep}, agent engine"

    @staticmethod
    def play(clicks: int | None) -> tuple[bool, str]:
        """Play/pause: (timer disabled, button label)."""
        playing = bool(clicks) and clicks % 2 == 1
        return not playing, "Pause" if playing else "Play"

    def advance(self, _ticks: int | None, _steps: int | None, week: int | None, watch_id: int | None) -> Any:
        """One week on (timer or the step button), stopping at the horizon."""
        watch = self.watches.get(watch_id)
        if watch is None:
            return no_update
        return min((week or 0) + 1, watch.weeks - 1)

    def show_week(self, week: int | None, watch_id: int | None) -> tuple[Any, ...]:
        """(week label, team figure, state figure, facts, events)."""
        watch = self.watches.get(watch_id)
        if watch is None:
            return "Press Start to watch one replication of the current plan.", {}, {}, "", ""
        week = week or 0
        snap = watch.at(week)
        bars, lines = views.watch_figures(watch, week)
        facts = (f"{int(snap.open.sum())} teams open, {int(snap.vacant.sum())} without an instructor, "
                 f"{int(snap.members.sum())} citizens in club teams")
        events = [html.Li(f"week {w}: {team_label(watch.cfg, team)} {what}") for w, team, what in watch.events(week)]
        return (f"Week {week} of {watch.weeks - 1}", bars, lines, facts,
                html.Ul(events) if events else "No team has opened or closed yet.")


def ctx_triggered() -> str | None:
    """The id of the input that fired the callback (None outside a request, e.g. in tests)."""
    try:
        return dash.ctx.triggered_id
    except Exception:  # no callback context
        return None


def rows_csv(outcome: Outcome) -> str:
    """The run's per-metric tables as CSV, in `sim.compare`'s comparison.csv columns."""
    return views.rows_of(outcome).reset_index().to_csv(index=False)


# --- layout ----------------------------------------------------------------------------------------------------


def _control(board: Dashboard, c: Control) -> html.Div:
    value = shown(board.base, c)
    if c.kind == "bool":
        widget = dcc.Checklist(id=_ctl_id(c.key), options=[{"label": " yes", "value": "yes"}], value=value,
                               inline=True)
    elif c.kind == "choice":
        widget = dcc.RadioItems(id=_ctl_id(c.key), options=list(c.choices), value=value, inline=True,
                                className="choices")
    else:
        widget = dcc.Input(id=_ctl_id(c.key), type="text", value=value, debounce=True, className="number",
                           inputMode="decimal")
    hint = f"{c.unit}; " if c.unit else ""
    hint += allowed(board.base, c) + (f" ({c.note})" if c.note else "")
    return html.Div([html.Label(c.label, className="label"), widget, html.Div(hint, className="hint")],
                    id=_row_id(c.key), className="control")


def plan_page(board: Dashboard) -> html.Div:
    sections: list[Any] = []
    current = None
    for c in board.controls:  # controls stay in table order: callbacks rely on it
        if c.section != current:
            sections.append(html.H3(c.section))
            current = c.section
        sections.append(_control(board, c))
    names = board.scenario_options()
    return html.Div([
        html.Div([
            html.Label("Start from scenario", className="label"),
            dcc.Dropdown(id="scenario", options=names, value=board.default, clearable=False),
            dcc.Store(id="base", data=board.default),
            html.P(id="question", className="question"),
            *sections,
            html.H3("Compare with"),
            html.Div([html.Label("Reference scenario", className="label"),
                      dcc.Dropdown(id="reference", options=names, value=board.default, clearable=False),
                      html.Div("differences are paired replication by replication (same seeds)", className="hint")],
                     className="control"),
        ], className="controls"),
        html.Div([
            html.Button("Run", id="run", className="run"),
            html.Progress(id="progress", value=0, max=1),
            html.Div(id="status", className="status"),
            html.Div(id="check", className="error", role="alert"),
            html.Div(id="run-message", className="message", role="status"),
            html.Div(id="plan-cards"),
            dcc.Link("Full results →", href="/results"),
        ], className="side"),
    ], className="plan")


def results_page() -> html.Div:
    return html.Div([
        dcc.Dropdown(id="results-run", options=[], placeholder="choose a run", clearable=False),
        html.Div(id="results-content"),
        dcc.Store(id="results-shown"),  # the run the content shows (it is built when the page is on screen)
    ])


def compare_page() -> html.Div:
    return html.Div([
        html.H2("Runs side by side"),
        html.Div(id="compare-table"),
        dcc.Store(id="compare-shown"),  # the runs the table shows (it is built when the page is on screen)
        html.Button("Clear the runs", id="compare-clear"),
        html.H3("Download or save a run"),
        dcc.Dropdown(id="compare-run", options=[], placeholder="choose a run", clearable=False),
        html.Div([
            html.Button("Plan as scenario YAML", id="download-plan"),
            html.Button("Results as CSV", id="download-csv"),
            dcc.Download(id="download"),
            dcc.Download(id="download-results"),
        ], className="buttons"),
        html.Div([
            dcc.Input(id="save-name", type="text", placeholder="name, e.g. cafes_and_trials"),
            html.Button("Save into scenarios/", id="save"),
            html.Div(id="save-message", className="message"),
        ], className="buttons"),
    ])


def watch_page() -> html.Div:
    return html.Div([
        html.H2("Watch one replication, week by week (agent engine, the current plan)"),
        html.Div([
            html.Label("Replication", className="label"),
            html.Div(dcc.Input(id="watch-replication", type="number", value=0, min=0), className="small"),
            html.Button("Start", id="watch-start"),
            html.Button("Play", id="watch-play"),
            html.Button("Next week", id="watch-step"),
            html.Span(id="watch-message", className="message"),
        ], className="buttons"),
        html.Div(id="watch-week-label", className="week"),
        dcc.Slider(id="watch-week", min=0, max=135, step=1, value=0, marks=None),
        html.Div(id="watch-facts", className="status"),
        html.Div([
            html.Div([html.H3("Members per team (red: no instructor)"), dcc.Graph(id="watch-teams")],
                     className="half"),
            html.Div([html.H3("Citizens by state"), dcc.Graph(id="watch-states"),
                      html.H3("Teams opening and closing"), html.Div(id="watch-events", className="events")],
                     className="half"),
        ], className="row"),
        dcc.Interval(id="watch-timer", interval=400, disabled=True),
        dcc.Store(id="watch-id"),
    ])


def layout(board: Dashboard) -> html.Div:
    nav = [dcc.Link(p.capitalize(), href="/" if p == "plan" else f"/{p}", id=f"nav-{p}") for p in PAGES]
    return html.Div([
        dcc.Location(id="url"),
        html.Header([html.H1("Handover planner"), html.Nav(nav)]),
        html.Main([html.Div(page, id=f"page-{name}") for name, page in (
            ("plan", plan_page(board)), ("results", results_page()), ("compare", compare_page()),
            ("watch", watch_page()))]),
        dcc.Interval(id="poll", interval=POLL_MS, disabled=True),
        dcc.Store(id="latest-run"),
    ])


def page_of(pathname: str | None) -> str:
    """The page an address names (the Plan page for any other)."""
    page = (pathname or "/").strip("/") or "plan"
    return page if page in PAGES else "plan"


def route(pathname: str | None) -> list[dict]:
    """Show the page the address names (all pages stay in the document, so runs survive page changes)."""
    page = page_of(pathname)
    return [{"display": "block" if p == page else "none"} for p in PAGES]


def create_app(board: Dashboard | None = None) -> dash.Dash:
    """The Dash app, wired to `board` (a fresh `Dashboard` by default)."""
    board = board or Dashboard()
    app = dash.Dash(__name__, title="Handover planner", serve_locally=True, external_scripts=[],
                    external_stylesheets=[], update_title=None, enable_mcp=False,
                    assets_folder=str(Path(__file__).with_name("assets")))
    app.layout = layout(board)
    controls_in = [Input(_ctl_id(ALL), "value")]
    controls_state = [State(_ctl_id(ALL), "value")]
    app.callback([Output(f"page-{p}", "style") for p in PAGES], Input("url", "pathname"))(route)
    app.callback(Output("question", "children"), Output(_ctl_id(ALL), "value"), Output("base", "data"),
                 Input("scenario", "value"))(board.load_scenario)
    centre_rows = [Output(_row_id(c.key), "className") for c in board.controls if is_centre_policy(c.key)]
    app.callback(output=[Output("check", "children"), Output("plan-cards", "children", allow_duplicate=True),
                         Output("status", "children", allow_duplicate=True),
                         Output(_ctl_id(ALL), "value", allow_duplicate=True), centre_rows,
                         Output("scenario", "value"), Output("scenario", "placeholder"),
                         Output("question", "children", allow_duplicate=True)],
                 inputs=[Input("base", "data"), *controls_in], state=[State("scenario", "value")],
                 prevent_initial_call=True)(board.check)
    app.callback(Output("run-message", "children"), Output("poll", "disabled"), Input("run", "n_clicks"),
                 State("base", "data"), State("reference", "value"), *controls_state,
                 prevent_initial_call=True)(board.start_run)
    app.callback(Output("progress", "value"), Output("progress", "max"), Output("status", "children"),
                 Output("poll", "disabled", allow_duplicate=True), Output("latest-run", "data"),
                 Output("plan-cards", "children"), Output("run-message", "children", allow_duplicate=True),
                 Input("poll", "n_intervals"), prevent_initial_call=True)(board.poll)
    for target in ("results-run", "compare-run"):
        app.callback(Output(target, "options"), Output(target, "value"), Input("latest-run", "data"))(
            board.run_options)
    app.callback(Output("results-content", "children"), Output("results-shown", "data"), Input("results-run", "value"),
                 Input("url", "pathname"), State("results-shown", "data"))(board.results_if_shown)
    app.callback(Output("compare-table", "children"), Output("compare-shown", "data"), Input("latest-run", "data"),
                 Input("compare-clear", "n_clicks"), Input("url", "pathname"), State("compare-shown", "data"))(
        board.compare_if_shown)
    app.callback(Output("download", "data"), Input("download-plan", "n_clicks"), State("compare-run", "value"),
                 prevent_initial_call=True)(board.download_plan)
    app.callback(Output("download-results", "data"), Input("download-csv", "n_clicks"), State("compare-run", "value"),
                 prevent_initial_call=True)(board.download_csv)
    app.callback(Output("save-message", "children"), Output("scenario", "options"), Output("reference", "options"),
                 Input("save", "n_clicks"), State("compare-run", "value"), State("save-name", "value"),
                 prevent_initial_call=True)(board.save_plan)
    app.callback(Output("watch-id", "data"), Output("watch-week", "max"), Output("watch-week", "value"),
                 Output("watch-message", "children"), Input("watch-start", "n_clicks"), State("base", "data"),
                 *controls_state, State("watch-replication", "value"), prevent_initial_call=True)(board.start_watch)
    app.callback(Output("watch-timer", "disabled"), Output("watch-play", "children"), Input("watch-play", "n_clicks"))(
        board.play)
    app.callback(Output("watch-week", "value", allow_duplicate=True), Input("watch-timer", "n_intervals"),
                 Input("watch-step", "n_clicks"), State("watch-week", "value"), State("watch-id", "data"),
                 prevent_initial_call=True)(board.advance)
    app.callback(Output("watch-week-label", "children"), Output("watch-teams", "figure"),
                 Output("watch-states", "figure"), Output("watch-facts", "children"),
                 Output("watch-events", "children"),
                 Input("watch-week", "value"), Input("watch-id", "data"))(board.show_week)
    return app
