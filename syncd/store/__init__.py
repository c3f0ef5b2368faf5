"""The OKR store: SQLAlchemy 2 tables, Alembic migrations, engine factory and queries."""
