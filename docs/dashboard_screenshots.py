"""Take the README's screenshots of the dashboard (docs/dashboard_*.png) in headless Chromium.

    python docs/dashboard_screenshots.py        # needs chromium (apt-get install -y chromium)

Starts `python -m sim.dashboard` on a free port, runs a plan (Østerbro on the Amager model, cafés in
two partner clubs, against as_reported), and photographs the Plan, Results and Watch pages.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parent


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(DOCS.parent)}
    server = subprocess.Popen([sys.executable, "-m", "sim.dashboard", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert "http://" in server.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator("#row-city-centres-osterbro-policy").get_by_label("amager").check()
            for key in ("det_gronne_aeble", "kom_i_gang"):
                page.locator(f"#row-city-associations-{key}-has_cafe").get_by_label("yes").check()
            time.sleep(1)
            page.get_by_role("button", name="Run", exact=True).click()
            page.wait_for_function("() => document.querySelector('#status').innerText.includes('done in')")
            page.mouse.wheel(0, -5000)
            time.sleep(0.5)
            page.screenshot(path=DOCS / "dashboard_plan.png")
            page.get_by_role("link", name="Results", exact=True).click()
            page.wait_for_selector("#results-curves .main-svg")
            time.sleep(1)
            page.screenshot(path=DOCS / "dashboard_results.png", full_page=True)
            page.get_by_role("link", name="Watch", exact=True).click()
            page.get_by_role("button", name="Start", exact=True).click()
            page.wait_for_function("() => document.querySelector('#watch-week-label').innerText.startsWith('Week 0')")
            page.locator("#watch-week").click(position={"x": 500, "y": 8})  # jump to about week 60
            page.wait_for_function("() => !document.querySelector('#watch-week-label').innerText.startsWith('Week 0')")
            page.mouse.move(0, 0)
            time.sleep(1)
            page.screenshot(path=DOCS / "dashboard_watch.png", full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
