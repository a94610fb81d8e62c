"""End-to-end tests of the dashboard in a real headless Chromium (Playwright, pytest-playwright).

The app runs as the README starts it (`python -m sim.dashboard`, through gated_dashboard.py, which
lets a test hold a Run until it releases it), on a free local port, from a folder of its own (a plan
saved there does not land in the repository). Every request the page makes is recorded, and each
test ends by checking that none went to any host but the app's own. The tests read the screen as a
planner does: the text shown, the page's width in a 1,400 px window. Playwright cannot download its
browsers here: the tests drive Debian's `chromium` and skip, saying how to install it, where there
is none.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sim.dashboard.controls import DASHBOARD_DEFAULTS
from sim.errors import UserError
from sim.present.labels import label
from sim.workflows.compose import compose
from sim.workflows.scenarios import compose_scenario, load
from tests.conftest import skip_unless_ci

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 60_000  # generous: the machine may be shared; the click-to-results time is printed, not asserted
WINDOW = {"width": 1400, "height": 1000}
RAW_KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # a config key or column name: retained_26w, ratio_low
E_NOTATION = re.compile(r"\d[eE][+-]?\d")  # -2.822e+04


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if CHROMIUM is None:
        skip_unless_ci("no chromium found: install it with `apt-get update && apt-get install -y chromium` (Debian)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ["--no-sandbox"]}


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """While this file exists, the server holds every Run before it starts (gated_dashboard.py)."""
    return tmp_path_factory.mktemp("gate") / "hold"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, gate: Path) -> Iterator[str]:
    """The README's command, `python -m sim.dashboard` (gated), on a free local port; its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("dashboard")
    log = folder / "server.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "tests.interfaces.gated_dashboard", "--port", str(port)],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=folder,
                                   env={**os.environ, "PYTHONPATH": str(ROOT), "DASHBOARD_GATE": str(gate)})
    try:
        deadline = time.monotonic() + 60
        while f"http://127.0.0.1:{port}/" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def app_page(page, server: str):
    """The page, with every request it makes recorded and checked at the end to stay on the app's host."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("websocket", lambda socket: requests.append(socket.url))
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size(WINDOW)
    yield page
    own = urlsplit(server).netloc
    foreign = [u for u in requests if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own]
    assert requests, "no request recorded"
    assert not foreign, f"requests left the machine: {foreign}"
    print(f"\n{len(requests)} requests and websockets, all to {own}")


def headline(page) -> dict[str, str]:
    cards = page.locator("#plan-cards .card-value")
    return {cards.nth(i).get_attribute("data-metric"): cards.nth(i).inner_text() for i in range(cards.count())}


def run_and_wait(page) -> float:
    """Press Run; seconds from the click until the headline cards of this run show."""
    before = page.locator("#status").inner_text()
    start = time.perf_counter()
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function(
        "before => { const s = document.querySelector('#status').innerText;"
        " return s !== before && s.includes('done in') && document.querySelector('#plan-cards .card-value'); }",
        arg=before)
    return time.perf_counter() - start


def open_details(page, within: str) -> str:
    """Open every folded section under `within`; the text it shows then."""
    page.evaluate("within => document.querySelectorAll(within + ' details').forEach(d => d.open = true)", within)
    return page.locator(within).inner_text()


def choose(page, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown}").click()
    page.get_by_role("option", name=option, exact=True).click()


def test_run_default_plan_then_change_a_centre(app_page, server: str, gate: Path, tmp_path: Path) -> None:
    page = app_page
    page.goto(server)
    page.wait_for_selector("#row-city-centres-osterbro-policy input[value=baseline]:checked")
    seconds = run_and_wait(page)
    default = headline(page)
    print(f"\nclick to results, default plan (200 replications, plan = reference as_reported): {seconds:.2f} s "
          f"({page.locator('#status').inner_text()})")
    assert set(default) == {"handed_over", "active_count_52w", "cost_per_retained_52w"}
    assert 0 < int(default["handed_over"].replace(",", "")) < 1440

    page.locator("#row-city-centres-osterbro-policy").get_by_label("amager").check()
    page.wait_for_function("() => document.querySelector('#question').innerText === 'What if As reported (2012-13) "
                           "had this change: Model at Østerbro: amager?'")  # no longer the scenario's question
    replications = page.locator("#row-run-replications input")
    replications.fill("100")
    replications.press("Enter")
    run = page.get_by_role("button", name="Run", exact=True)
    gate.touch()  # the run is held until the second click has been refused
    try:
        run.click()
        page.wait_for_function("() => document.querySelector('#run-message').innerText.startsWith('Started run 2')")
        run.click()  # while the first runs: refused, and the page keeps answering
        page.wait_for_function("() => document.querySelector('#run-message').innerText.includes('already going')")
    finally:
        gate.unlink()
    # done, not merely started: under load the status shows the run's progress for a while first
    page.wait_for_function("() => { const s = document.querySelector('#status').innerText;"
                           " return s.startsWith('Run 2:') && s.includes('done in'); }")
    changed = headline(page)
    # named by its changes in the Plan page's words; the refusal leaves with the run it was about
    title = "As reported (2012-13), changed: Model at Østerbro: amager"
    assert page.locator("#status").inner_text().startswith(f"Run 2: {title}, 100 replications: done in")
    assert page.locator("#run-message").inner_text() == ""
    assert "vs As reported (2012-13)" in page.locator("#plan-cards").inner_text()
    assert changed["handed_over"] != default["handed_over"]

    page.get_by_role("link", name="Results", exact=True).click()
    page.wait_for_selector("#results-curves .main-svg")
    # the page opens on the latest run; under load the first render may still be the previous one's
    page.wait_for_function("() => document.querySelector('#results-content').innerText.includes('Run 2:')")
    results = open_details(page, "#results-content")
    assert "Monte Carlo + calibration" in results and label("extra_retained_52w") in results
    assert "What if As reported (2012-13) had this change: Model at Østerbro: amager?" in results
    assert not RAW_KEY.findall(results) and not E_NOTATION.findall(results), "raw keys or numbers on Results"
    assert "python -m" not in results
    # opening the sections adds a scrollbar; the figures take a moment to fit the narrower window
    page.wait_for_function(f"() => document.documentElement.scrollWidth <= {WINDOW['width']}", timeout=10_000)
    print(f"Results page, every section open: {page.evaluate('document.documentElement.scrollWidth')} px wide "
          f"in a {WINDOW['width']} px window")

    page.get_by_role("link", name="Compare", exact=True).click()
    runs = page.locator("#compare-table li")
    assert runs.nth(0).inner_text().startswith("Run 1: As reported (2012-13), 200 replications: What happened in")
    assert runs.nth(1).inner_text().startswith(f"Run 2: {title}, 100 replications: What if As reported (2012-13) "
                                               "had this change: Model at Østerbro: amager?")
    assert not RAW_KEY.findall(page.locator("#compare-table").inner_text())
    with page.expect_download() as download:
        page.get_by_role("button", name="Plan as scenario YAML").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    scenario = load(str(path))
    assert (scenario.title, scenario.question) == (title, "What if As reported (2012-13) had this change: Model "
                                                          "at Østerbro: amager?")  # as sim.compare will name it
    plan = compose_scenario(scenario, DASHBOARD_DEFAULTS)
    assert plan.city.centres["osterbro"].policy.value == "amager"

    page.locator("#save-name").fill("Østerbro + cafés!")
    page.get_by_role("button", name="Save into scenarios/").click()
    page.wait_for_function("() => document.querySelector('#save-message').innerText.startsWith('saved as')")
    assert "osterbro_cafes.yaml" in page.locator("#save-message").inner_text()
    page.get_by_role("link", name="Plan", exact=True).click()
    choose(page, "scenario", title)  # at once, without a restart
    page.wait_for_function("q => document.querySelector('#question').innerText === q", arg=scenario.question)
    page.wait_for_selector("#row-city-centres-osterbro-policy input[value=amager]:checked")


def test_a_bad_value_clears_the_old_results_and_the_scenario_resets_the_plan(app_page, server: str) -> None:
    page = app_page
    page.goto(server)
    # the scenario's values arrive after the page loads and would overwrite a value typed before them
    page.wait_for_selector("#row-city-centres-osterbro-policy input[value=baseline]:checked")
    replications = page.locator("#row-run-replications input")
    replications.fill("20")
    replications.press("Enter")
    run_and_wait(page)
    assert page.locator("#plan-cards .card").count() == 3

    box = page.locator("#row-instructor-turnover_annual input")
    box.fill("1.5")
    box.press("Enter")
    with pytest.raises(UserError) as cli:
        compose([*DASHBOARD_DEFAULTS, "instructor.turnover_annual=1.5"])
    page.wait_for_function("() => document.querySelector('#check').innerText.length > 0")
    assert page.locator("#check").inner_text() == f"error: {cli.value}"
    page.wait_for_function("() => !document.querySelector('#plan-cards .card')")  # the previous plan's, gone
    assert page.locator("#status").inner_text() == ""
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("() => document.querySelector('#run-message').innerText.startsWith('error:')")
    assert page.locator("#run-message").inner_text() == f"error: {cli.value}"

    # the list says the plan is changed; choosing its scenario again puts every control back
    assert "As reported (2012-13), changed" in page.locator("#scenario").inner_text()
    choose(page, "scenario", "As reported (2012-13)")
    page.wait_for_function("() => document.querySelector('#row-instructor-turnover_annual input').value === '0.25'")
    page.wait_for_function("() => document.querySelector('#check').innerText === ''")
    assert page.locator("#row-run-replications input").input_value() == "200"

    # one model for the whole city: every centre shows it, greyed
    page.locator("#row-policy").get_by_label("amager").check()
    for centre in ("osterbro", "vanlose"):
        page.wait_for_selector(f"#row-city-centres-{centre}-policy.unused input[value=amager]:checked")
    page.locator("#row-policy").get_by_label("mixed").check()  # each its own again: the scenario's
    page.wait_for_selector("#row-city-centres-vanlose-policy:not(.unused) input[value=vanlose]:checked")


def test_watch_page_advances_a_week(app_page, server: str) -> None:
    page = app_page
    page.goto(server + "/watch")
    page.get_by_role("button", name="Start", exact=True).click()
    page.wait_for_function("() => document.querySelector('#watch-week-label').innerText.startsWith('Week 0 ')")
    page.get_by_role("button", name="Next week", exact=True).click()
    page.wait_for_function("() => document.querySelector('#watch-week-label').innerText.startsWith('Week 1 ')")
    page.get_by_role("button", name="Play", exact=True).click()
    page.wait_for_function("() => /^Week ([3-9]|\\d\\d+) /.test(document.querySelector('#watch-week-label').innerText)")
    page.get_by_role("button", name="Pause", exact=True).click()
    assert "teams open" in page.locator("#watch-facts").inner_text()
    assert page.locator("#watch-teams .main-svg").count() > 0
    teams = page.locator("#watch-teams .ytick text").all_text_contents()
    assert "Det Grønne Æble, basic training (Østerbro)" in teams and not RAW_KEY.findall(" ".join(teams))
