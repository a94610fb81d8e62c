"""The suite's process guard (tests/processes.py) fails a test that leaves a process behind, an orphan
included, and passes one that cleans up."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LEAKY = '''
import subprocess, sys

def test_leaves_a_child():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])

def test_leaves_an_orphan():
    # a child that starts a grandchild and exits at once: the grandchild is re-parented
    subprocess.run([sys.executable, "-c", "import subprocess, sys; "
                    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])"], check=True)

def test_cleans_up():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    child.kill()
    child.wait()
'''


def test_the_guard_fails_tests_that_leave_processes(pytester, monkeypatch) -> None:
    pytester.makepyfile(test_leaky=LEAKY)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("PROCESS_GUARD_GRACE_SECONDS", "1")  # the leaky tests' processes never go
    result = pytester.runpytest_subprocess("-p", "tests.processes", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaves_a_child*",
                                 "*this test left 1 process(es) running: pid *time.sleep(120)*",
                                 "*ERROR at teardown of test_leaves_an_orphan*"])
