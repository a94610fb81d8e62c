"""The dashboard's worker process never outlives the dashboard (issue 21, item 6): it goes when the
dashboard goes, whatever the signal (SIGKILL included), dies on SIGTERM, and Ctrl-C stops both with one
line. `python -m sim.dashboard` runs as the README starts it, in its own session, so that a signal can
reach its whole process group as a terminal's Ctrl-C does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from sim.dashboard.compute import Worker

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60.0  # seconds: generous for a loaded machine; nothing here is timed, only bounded


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"gave up waiting: {what}"
        time.sleep(0.05)


def ignores(pid: int, signum: int) -> bool:
    """Whether the process ignores `signum` (its SigIgn mask in /proc): the worker's sign of being ready
    (its initializer ignores SIGINT last)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class Dashboard:
    """`python -m sim.dashboard` on a free port, with its worker process started and ready."""

    def __init__(self, tmp_path: Path) -> None:
        self.log, out = tmp_path / "stderr.log", tmp_path / "stdout.log"
        port = free_port()
        with open(self.log, "w") as err, open(out, "w") as printed:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sim.dashboard", "--port", str(port)], stdout=printed,
                stderr=err, text=True, start_new_session=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wait_until(lambda: f":{port}/" in out.read_text() or self.process.poll() is not None, "the address line")
        assert self.process.poll() is None, self.log.read_text()
        worker = []

        def ready() -> bool:
            assert self.process.poll() is None, self.log.read_text()
            worker[:] = [c.pid for c in psutil.Process(self.process.pid).children()
                         if "spawn_main" in " ".join(c.cmdline())]
            return bool(worker) and ignores(worker[0], signal.SIGINT)  # its initializer has run

        wait_until(ready, "the worker process starts")
        self.worker = worker[0]
        self.children = [c.pid for c in psutil.Process(self.process.pid).children()]  # the worker, the tracker

    def all_gone(self) -> bool:
        return all(gone(pid) for pid in self.children)


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Dashboard]:
    board = Dashboard(tmp_path)
    try:
        yield board
    finally:
        for pid in [board.process.pid, *board.children]:
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)
        board.process.wait(DEADLINE)


def test_ctrl_c_stops_dashboard_and_worker_with_one_line(dashboard: Dashboard) -> None:
    started = dashboard.log.read_text()
    os.killpg(dashboard.process.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    assert dashboard.process.wait(DEADLINE) == 128 + signal.SIGINT
    said = dashboard.log.read_text()
    assert said.startswith(started) and said[len(started):] == "stopped\n", said
    wait_until(dashboard.all_gone, "the worker and its resource tracker exit")


def test_sigterm_stops_dashboard_and_worker(dashboard: Dashboard) -> None:
    dashboard.process.terminate()
    assert dashboard.process.wait(DEADLINE) == 128 + signal.SIGTERM
    assert "Traceback" not in dashboard.log.read_text()
    wait_until(dashboard.all_gone, "the worker and its resource tracker exit")


def test_worker_exits_when_the_dashboard_is_killed(dashboard: Dashboard) -> None:
    dashboard.process.kill()  # no handler runs: the worker must notice by itself
    dashboard.process.wait(DEADLINE)
    wait_until(dashboard.all_gone, "the orphaned worker and its resource tracker exit")


def test_worker_dies_on_sigterm(dashboard: Dashboard) -> None:
    os.kill(dashboard.worker, signal.SIGTERM)
    wait_until(lambda: gone(dashboard.worker), "the worker exits on SIGTERM")
    assert dashboard.process.poll() is None  # the page stays up (its next Run reports the broken worker)


def test_close_stops_a_worker_in_the_middle_of_a_run() -> None:
    worker = Worker()
    wait_until(lambda: worker.pids() and ignores(worker.pids()[0], signal.SIGINT), "the worker starts")
    (pid,) = worker.pids()
    worker._pool.submit(time.sleep, 3600)  # a run that would outlast any test
    closing = threading.Thread(target=worker.close)
    closing.start()
    closing.join(DEADLINE)
    assert not closing.is_alive(), "close() waited for the run instead of stopping the worker"
    wait_until(lambda: gone(pid), "the worker exits")
