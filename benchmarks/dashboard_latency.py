"""The dashboard's Run → results time as a planner sees it (issue 18 item 4): the default plan (200
replications, parameter uncertainty from the shipped posterior), Run clicked 10 times in a headless
Chromium, each time from the click until the status says the run is done and the headline cards
show; then the time to open the Results page of the last run (built when it is opened). Prints
every time, the median and the load average; asserts nothing (timings belong here, not in tests).
Target: median ≤ 1 s on this 2-core machine.

    .venv/bin/python benchmarks/dashboard_latency.py [CLICKS]

Starts `python -m sim.dashboard` on a free local port from a temporary folder, as the README does;
drives Debian's `chromium` (Playwright cannot download browsers on these machines).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DONE = ("before => { const s = document.querySelector('#status').innerText;"
        " return s !== before && s.includes('done in') && document.querySelector('#plan-cards .card-value'); }")
RESULTS = ("run => document.querySelector('#results-content').innerText.includes(run)"
           " && document.querySelector('#results-curves .main-svg') && document.querySelector('#decision-ceac')")


def main(clicks: int = 10) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("needs chromium: apt-get update && apt-get install -y chromium")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        with open(log, "w") as out:
            server = subprocess.Popen([sys.executable, "-m", "sim.dashboard", "--port", str(port)], cwd=folder,
                                      stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 60
            while f"http://127.0.0.1:{port}/" not in log.read_text():
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit(log.read_text())
                time.sleep(0.1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(120_000)
                page.goto(f"http://127.0.0.1:{port}")
                page.wait_for_selector("#row-city-centres-osterbro-policy input[value=baseline]:checked")
                times = []
                for _ in range(clicks):
                    before = page.locator("#status").inner_text()
                    start = time.perf_counter()
                    page.get_by_role("button", name="Run", exact=True).click()
                    page.wait_for_function(DONE, arg=before)
                    times.append(time.perf_counter() - start)
                    print(f"{times[-1]:.2f} s: {page.locator('#status').inner_text()}", flush=True)
                latest = page.locator("#status").inner_text().split(":")[0]  # "Run 10"
                start = time.perf_counter()  # the Results page is built when it is opened: that wait too
                page.get_by_role("link", name="Results", exact=True).click()
                page.wait_for_function(RESULTS, arg=latest + ":")
                opened = time.perf_counter() - start
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print("click to results (s): " + ", ".join(f"{t:.2f}" for t in times))
    print(f"median {statistics.median(times):.2f} s over {clicks} clicks (target <= 1 s); "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"then Results opened in {opened:.2f} s (the latest run's page, its figures drawn)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
