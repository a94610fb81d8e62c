"""Hydra config group."""
