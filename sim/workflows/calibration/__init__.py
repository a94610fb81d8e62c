"""Calibration to observed figures: the spec, the likelihoods, the study, the outputs.

`python -m sim.calibrate` is the command line (sim/calibrate.py); the pieces live here:
`spec` (reading and checking a calibration spec), `targets` (the simulated figure a target names),
`likelihood` (negative log-likelihoods and priors), `study` (Optuna: search, then an importance-
weighted ensemble) and `outputs` (fit table, figures, report).
"""
