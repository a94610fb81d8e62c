"""No test leaves a process behind (issue 21): a pytest plugin, on for the whole suite (conftest.py at
the repository's root loads it, so the notebooks are guarded too).

After every test, module and session, any child process of pytest that was not there before and is
still running fails it (after a grace period for processes on their way out), and is killed so that
it does not disturb the tests after it. pytest becomes a *child subreaper* (Linux): a process whose
parent dies is re-parented to pytest instead of to PID 1, so an orphan — a dashboard worker whose
server was killed, say — is seen here as pytest's child, not lost.

Allowed to stay: the helpers pytest's own process keeps on purpose and that end with it —
multiprocessing's and joblib's resource trackers, and the workers of joblib's reusable executor
(shut down at the session's end, where only the trackers may remain).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
# How long a finishing process may take to go (an orphan checks on its parent every 0.2 s); the guard's
# own test shortens it.
GRACE_SECONDS = float(os.environ.get("PROCESS_GUARD_GRACE_SECONDS", "10"))
TRACKERS = ("multiprocessing.resource_tracker", "joblib.externals.loky.backend.resource_tracker")


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process (Linux only; elsewhere, direct children only)."""
    if not sys.platform.startswith("linux"):
        return False
    return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _trackers() -> set[int]:
    pids = set()
    for name in TRACKERS:
        tracker = getattr(sys.modules.get(name), "_resource_tracker", None)
        if getattr(tracker, "_pid", None):
            pids.add(tracker._pid)
    return pids


def _reusable_executor():
    return getattr(sys.modules.get("joblib.externals.loky.reusable_executor"), "_executor", None)


def pooled() -> set[int]:
    """Children kept on purpose by pytest's own process (see the module docstring)."""
    executor = _reusable_executor()
    workers = set(getattr(executor, "_processes", None) or {}) if executor is not None else set()
    return _trackers() | workers


def running_children() -> dict[int, str]:
    """pid -> command line of this process's children that are running (zombies have exited)."""
    out = {}
    for child in psutil.Process().children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                out[child.pid] = " ".join(child.cmdline())[:160]
        except psutil.NoSuchProcess:
            pass
    return out


def left_behind(before: set[int], allowed: set[int] | None = None) -> dict[int, str]:
    """Children not in `before` (nor `allowed`, default `pooled()`) still running after the grace period."""
    deadline = time.monotonic() + GRACE_SECONDS
    while True:
        keep = pooled() if allowed is None else allowed
        left = {pid: cmd for pid, cmd in running_children().items() if pid not in before | keep}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _kill(pids: Iterator[int]) -> None:
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            psutil.Process(pid).kill()


def _check(what: str, before: set[int], allowed: set[int] | None = None) -> None:
    left = left_behind(before, allowed)
    if left:
        _kill(iter(left))
        pytest.fail(f"{what} left {len(left)} process(es) running: "
                    + "; ".join(f"pid {pid}: {cmd}" for pid, cmd in left.items()), pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_by_the_session() -> Iterator[None]:
    become_subreaper()
    before = set(running_children())
    yield
    executor = _reusable_executor()
    if executor is not None:
        executor.shutdown(wait=True)
    _check("the test session", before, allowed=_trackers())


@pytest.fixture(scope="module", autouse=True)
def _no_process_left_by_the_module() -> Iterator[None]:
    before = set(running_children())
    yield
    _check("this module's fixtures", before)


@pytest.fixture(autouse=True)
def _no_process_left_by_the_test() -> Iterator[None]:
    before = set(running_children())
    yield
    _check("this test", before)
