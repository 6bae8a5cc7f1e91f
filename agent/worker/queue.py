"""A small durable job queue on the Engage store.

Jobs are rows, so nothing is lost when a process stops: queued and interrupted jobs run again at
the next start. Transient failures retry with exponential backoff and jitter (honouring a
`retry_after`); what still fails, or fails for good, becomes a dead letter with its reason.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agent.db.engine import Database
from agent.db.tables import Job
from agent.domain.ports import Clock
from agent.errors import EngageError, TransientError
from agent.ids import new_id
from agent.observability import events, metrics
from agent.observability.logging import job_context

log = logging.getLogger("engage.jobs")

Handler = Callable[[Mapping[str, Any]], None]
DeadHandler = Callable[[str, Mapping[str, Any], str], None]


def backoff_delay(
    attempt: int, *, base: float = 0.5, cap: float = 30.0, retry_after: float | None = None
) -> float:
    """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
    delay = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))  # noqa: S311
    return max(delay, retry_after or 0.0)


class JobQueue:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, Handler],
        on_dead: DeadHandler | None = None,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._db = db
        self._clock = clock
        self._handlers = dict(handlers)
        self._on_dead = on_dead
        self._max_attempts = max_attempts
        self._sleep = sleep

    def enqueue(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str:
        """Record a job; a second job with the same dedupe key is the first one."""
        if kind not in self._handlers:
            raise ValueError(f"no handler for job kind {kind!r}")
        now = self._clock.now()
        try:
            with self._db.session() as session:
                job = Job(
                    id=new_id("job"),
                    kind=kind,
                    payload=dict(payload),
                    dedupe_key=dedupe_key,
                    status="queued",
                    attempts=0,
                    last_error=None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(job)
            metrics.job_event(kind, "queued")
            return job.id
        except IntegrityError:
            with self._db.session() as session:
                existing = session.scalar(select(Job.id).where(Job.dedupe_key == dedupe_key))
            if existing is None:
                raise
            return existing

    def queued(self) -> list[str]:
        with self._db.session() as session:
            return list(
                session.scalars(
                    select(Job.id)
                    .where(Job.status.in_(("queued", "running")))
                    .order_by(Job.created_at)
                )
            )

    def attempt(self, job_id: str) -> tuple[str, float]:
        """One try of a job: its status afterwards (`done`, `dead`, `retry`, or `missing`) and,
        for `retry`, how long to wait first. A job already done or dead is not run again."""
        with self._db.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.status in ("done", "dead"):
                return ("missing" if job is None else job.status), 0.0
            kind, payload = job.kind, dict(job.payload)
        with job_context(job_id, payload.get("meeting_id")):
            return self._attempt(job_id, kind, payload)

    def _attempt(self, job_id: str, kind: str, payload: dict[str, Any]) -> tuple[str, float]:
        attempt = self._mark(job_id, "running", None, bump=True)
        metrics.job_event(kind, "started")
        try:
            self._handlers[kind](payload)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            final = isinstance(exc, EngageError) and not isinstance(exc, TransientError)
            if final or attempt >= self._max_attempts:
                self._mark(job_id, "dead", reason)
                metrics.job_event(kind, "dead")
                log.warning("job %s (%s) dead: %s", job_id, kind, reason)
                if self._on_dead is not None:
                    self._on_dead(kind, payload, reason)
                return "dead", 0.0
            self._mark(job_id, "queued", reason)
            metrics.job_event(kind, "retried")
            retry_after = exc.retry_after if isinstance(exc, TransientError) else None
            return "retry", backoff_delay(attempt, retry_after=retry_after)
        finally:
            self._flush_events()
        self._mark(job_id, "done", None)
        metrics.job_event(kind, "done")
        return "done", 0.0

    def _flush_events(self) -> None:
        """Connector facts the job produced go to the store now, stamped with the job's time."""
        try:
            events.flush(self._db, self._clock)
        except Exception:
            log.exception("could not keep the connector's health events")

    def run(self, job_id: str) -> str:
        """Run one job to completion or death; returns its final status."""
        while True:
            status, delay = self.attempt(job_id)
            if status != "retry":
                return status
            self._sleep(delay)

    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest dead jobs with their reasons, for the dashboard."""
        with self._db.session() as session:
            rows = session.scalars(
                select(Job).where(Job.status == "dead").order_by(Job.updated_at.desc()).limit(limit)
            )
            return [
                {"id": j.id, "kind": j.kind, "reason": j.last_error, "at": j.updated_at}
                for j in rows
            ]

    def status(self, job_id: str) -> str | None:
        with self._db.session() as session:
            job = session.get(Job, job_id)
            return None if job is None else job.status

    def retry(self, job_id: str) -> None:
        """An admin's second chance for a dead letter."""
        with self._db.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise ValueError(f"no job {job_id}")
            job.status, job.attempts, job.updated_at = "queued", 0, self._clock.now()

    def _mark(self, job_id: str, status: str, error: str | None, *, bump: bool = False) -> int:
        with self._db.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.status = status
            job.updated_at = self._clock.now()
            if error is not None:
                job.last_error = error
            if bump:
                job.attempts += 1
            return job.attempts


class InlineRunner:
    """Runs each job as soon as it is enqueued: the CLI and the tests."""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str:
        job_id = self.jobs.enqueue(kind, payload, dedupe_key=dedupe_key)
        self.jobs.run(job_id)
        return job_id

    def wake(self, job_id: str) -> None:
        """Run a job that is queued again (an admin's retry of a dead letter)."""
        self.jobs.run(job_id)

    def stop(self) -> None:
        return None


class ThreadRunner:
    """One background thread in `engage serve`, so requests return before heavy work."""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs
        self._wake: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="engage-worker", daemon=True)
        for job_id in jobs.queued():
            self._wake.put(job_id)
        self._thread.start()

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str:
        job_id = self.jobs.enqueue(kind, payload, dedupe_key=dedupe_key)
        self._wake.put(job_id)
        return job_id

    def wake(self, job_id: str) -> None:
        self._wake.put(job_id)

    def _loop(self) -> None:
        while (job_id := self._wake.get()) is not None:
            try:
                self.jobs.run(job_id)
            except Exception:
                log.exception("job %s crashed the runner's loop", job_id)

    def stop(self) -> None:
        self._wake.put(None)
        self._thread.join(timeout=10)
