"""The vectorised numpy Monte Carlo engine: blocks of replications stepped together week by week.

`engine.run_block` is the entry point (called by sim.workflows.simulate); `layout` holds what every
replication shares, `teams` the team arrays, `draws` the per-replication random streams.
"""
