"""A web dashboard for planners: `python -m sim.dashboard` (see docs/dashboard.md).

Plan a scenario, run it on the vector engine, read the results with their intervals, compare runs
and watch one replication of the agent engine week by week. Every asset is served from this
machine; every number comes from `sim.compare` (through `compute.run_plan`).
"""
