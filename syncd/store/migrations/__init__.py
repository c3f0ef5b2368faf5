"""Alembic migrations of the store; `syncd.store.migrate` runs them (no alembic.ini needed)."""
