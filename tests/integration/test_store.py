"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from agent.db.engine import Database
from agent.db.tables import Base


def test_migrations_match_the_tables_and_rerun_cleanly(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    db.migrate()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    db.dispose()
    assert diff == []
    assert {
        "users",
        "meetings",
        "transcripts",
        "proposals",
        "proposed_changes",
        "audit_entries",
        "jobs",
        "alembic_version",
    } <= tables
