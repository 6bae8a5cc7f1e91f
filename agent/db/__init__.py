"""Persistence: SQLAlchemy tables, Alembic migrations, repositories. SQLite and PostgreSQL alike."""
