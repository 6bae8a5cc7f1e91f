"""Per-record locks across processes: a second holder of the same record waits in PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from agent.db.engine import Database
from agent.services.apply import RecordLocks
from agent.worker.locks import PgRecordLocks, record_locks

WAITING = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")


@pytest.mark.postgres
def test_same_record_waits_other_records_do_not(postgres_url: str) -> None:
    first, second = Database(postgres_url), Database(postgres_url)
    try:
        mine, theirs = PgRecordLocks(first), PgRecordLocks(second)
        order: list[str] = []
        with mine.lock("sandbox", "deal", "d1"):
            with theirs.lock("sandbox", "deal", "d2"):
                order.append("other record at once")

            def contend() -> None:
                with theirs.lock("sandbox", "deal", "d1"):
                    order.append("second holder")

            waiter = threading.Thread(target=contend)
            waiter.start()
            with first.engine.connect() as probe:
                while probe.execute(WAITING).scalar_one() == 0:
                    time.sleep(0.05)
                    probe.rollback()
            order.append("first holder done")
        waiter.join(timeout=30)
        assert order == ["other record at once", "first holder done", "second holder"]
    finally:
        first.dispose()
        second.dispose()


def test_sqlite_keeps_the_in_process_locks() -> None:
    db = Database("sqlite:///:memory:")
    try:
        assert type(record_locks(db)) is RecordLocks
    finally:
        db.dispose()
