"""The sans-I/O core: pure functions over frozen dataclasses (no clock, no socket, no database)."""
