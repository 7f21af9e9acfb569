"""Temporal workflows: deterministic decisions and waiting, no I/O."""
