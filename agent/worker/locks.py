"""Per-record write serialization across processes: a PostgreSQL advisory lock per CRM record.

The apply path takes `locks.lock(system, object_type, object_id)` around its re-read, conflict
check and write. In one process a thread lock does it; with several `engage worker` processes the
same key also takes a session-level advisory lock on a connection of its own, so two workers never
interleave their reads and writes of one record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import text

from agent.db.engine import Database
from agent.services.apply import RecordLocks

_LOCK = text("SELECT pg_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")


class PgRecordLocks(RecordLocks):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    def lock(self, system: str, object_type: str, object_id: str) -> AbstractContextManager[object]:
        local = super().lock(system, object_type, object_id)
        return self._held(f"engage:record:{system}:{object_type}:{object_id}", local)

    @contextmanager
    def _held(self, key: str, local: AbstractContextManager[object]) -> Iterator[None]:
        with local, self._db.engine.connect() as connection:
            connection.execute(_LOCK, {"key": key})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(_UNLOCK, {"key": key})
                connection.commit()


def record_locks(db: Database) -> RecordLocks:
    return PgRecordLocks(db) if db.url.startswith("postgresql") else RecordLocks()
