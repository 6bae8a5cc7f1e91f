"""The job queue: retries what is transient, dead-letters what is not, never runs twice."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from agent.db.engine import Database
from agent.db.tables import Job
from agent.errors import CrmError, TransientError
from agent.worker.queue import JobQueue, backoff_delay
from tests.support import FrozenClock


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    database.migrate()
    return database


def queue(db: Database, handler: Any, slept: list[float], dead: list[str]) -> JobQueue:
    def on_dead(kind: str, payload: Mapping[str, Any], reason: str) -> None:
        dead.append(reason)

    return JobQueue(
        db=db,
        clock=FrozenClock(),
        handlers={"work": handler},
        on_dead=on_dead,
        max_attempts=3,
        sleep=slept.append,
    )


def job_row(db: Database, job_id: str) -> tuple[str, int, str | None]:
    with db.session() as session:
        job = session.scalars(select(Job).where(Job.id == job_id)).one()
        return job.status, job.attempts, job.last_error


def test_transient_failures_are_retried_then_succeed(db: Database) -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky(payload: Mapping[str, Any]) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("CRM said 503", retry_after=2.0)

    jobs = queue(db, flaky, slept, [])
    job_id = jobs.enqueue("work", {"n": 1})
    assert jobs.run(job_id) == "done"
    assert len(calls) == 3
    assert len(slept) == 2
    assert all(s >= 2.0 for s in slept)
    assert job_row(db, job_id)[:2] == ("done", 3)
    assert jobs.run(job_id) == "done"
    assert len(calls) == 3


def test_exhausted_retries_become_a_dead_letter_with_the_reason(db: Database) -> None:
    dead: list[str] = []

    def down(payload: Mapping[str, Any]) -> None:
        raise TransientError("CRM unreachable")

    jobs = queue(db, down, [], dead)
    job_id = jobs.enqueue("work", {})
    assert jobs.run(job_id) == "dead"
    assert job_row(db, job_id) == ("dead", 3, "TransientError: CRM unreachable")
    assert dead == ["TransientError: CRM unreachable"]


def test_a_permanent_error_is_not_retried(db: Database) -> None:
    calls: list[int] = []

    def refused(payload: Mapping[str, Any]) -> None:
        calls.append(1)
        raise CrmError("validation rule failed", system="sandbox", status=400)

    jobs = queue(db, refused, [], [])
    job_id = jobs.enqueue("work", {})
    assert jobs.run(job_id) == "dead"
    assert len(calls) == 1


def test_a_dedupe_key_makes_one_job_and_retry_revives_a_dead_one(db: Database) -> None:
    outcomes = iter([CrmError("down", system="sandbox"), None])

    def once(payload: Mapping[str, Any]) -> None:
        error = next(outcomes)
        if error is not None:
            raise error

    jobs = queue(db, once, [], [])
    first = jobs.enqueue("work", {}, dedupe_key="meeting:1")
    assert jobs.enqueue("work", {}, dedupe_key="meeting:1") == first
    assert jobs.run(first) == "dead"
    jobs.retry(first)
    assert jobs.run(first) == "done"


def test_unknown_job_kinds_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="no handler"):
        queue(db, lambda p: None, [], []).enqueue("nope", {})


def test_backoff_grows_and_honours_retry_after() -> None:
    assert 0 <= backoff_delay(1) <= 0.5
    assert 0 <= backoff_delay(4) <= 4.0
    assert backoff_delay(10) <= 30.0
    assert backoff_delay(1, retry_after=7.0) == 7.0
