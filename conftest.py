"""Suite-wide plugins, for tests/ and notebooks/ alike (tests/conftest.py holds the tests' fixtures)."""

pytest_plugins = ["tests.processes", "pytester"]  # pytester: tests/test_processes.py runs the guard on a leaky file
