"""Jobs on PostgreSQL through procrastinate: any number of `engage worker` processes share them.

Engage's own `jobs` rows stay the record of each job (status, attempts, last error, dead letters,
`engage jobs retry`); procrastinate only delivers "run job X" to exactly one worker at a time. Each
delivery is one attempt (`JobQueue.attempt`); a retry is a new delivery scheduled after the
backoff. Deliveries carry `lock=X` (never two at once) and `queueing_lock=X` (never two waiting).

A worker that dies mid-job stops sending heartbeats; the survivors' sweeper hands its job back to
the queue, and because an attempt skips jobs already done and every handler is idempotent, the
job finishes once. Procrastinate's tables live in their own PostgreSQL schema, apart from the
Alembic-managed ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from psycopg.conninfo import make_conninfo
from sqlalchemy import select, text

from agent.db.engine import Database
from agent.db.tables import Job
from agent.worker.queue import JobQueue

if TYPE_CHECKING:
    from agent.runtime import Runtime

log = logging.getLogger("engage.worker")

TASK = "engage.run_job"
SCHEMA = "procrastinate"


def make_app(url: str) -> procrastinate.App:
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    conninfo = make_conninfo(plain, options=f"-c search_path={SCHEMA}")
    return procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))


def ensure_schema(db: Database, app: procrastinate.App) -> None:
    """Install procrastinate's schema once; concurrent starters wait on an advisory lock."""
    with db.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(hashtext('engage:queue-schema'))"))
        connection.commit()
        try:
            present = connection.execute(
                text("SELECT to_regclass(:name)"), {"name": f"{SCHEMA}.procrastinate_jobs"}
            ).scalar()
            if present is None:
                connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
                connection.commit()
                with app.open():
                    app.schema_manager.apply_schema()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(hashtext('engage:queue-schema'))"))
            connection.commit()


class ProcrastinateRunner:
    """`Runtime.submit` on PostgreSQL: record the job, then hand its delivery to procrastinate."""

    def __init__(self, jobs: JobQueue, app: procrastinate.App, *, owns_app: bool = False) -> None:
        self.jobs = jobs
        self.app = app
        self._owns_app = owns_app

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str:
        job_id = self.jobs.enqueue(kind, payload, dedupe_key=dedupe_key)
        if self.jobs.status(job_id) == "queued":
            self.deliver(job_id)
        return job_id

    def deliver(self, job_id: str, *, delay_s: float = 0.0) -> None:
        options: dict[str, Any] = {"lock": job_id, "queueing_lock": job_id}
        if delay_s > 0:
            options["schedule_in"] = {"seconds": round(delay_s, 3)}
        try:
            self.app.configure_task(TASK, **options).defer(job_id=job_id)
        except AlreadyEnqueued:
            log.debug("job %s already waiting for a worker", job_id)

    def wake(self, job_id: str) -> None:
        self.deliver(job_id)

    def stop(self) -> None:
        if self._owns_app:
            self.app.close()


def register_task(app: procrastinate.App, runner: ProcrastinateRunner) -> None:
    @app.task(name=TASK)
    def run_job(job_id: str) -> None:
        status, delay = runner.jobs.attempt(job_id)
        if status == "retry":
            runner.deliver(job_id, delay_s=delay)


def redeliver_orphans(rt: Runtime, runner: ProcrastinateRunner) -> int:
    """Queued rows whose delivery was never made (a crash between the row and the defer)."""
    with rt.db.session() as session:
        queued = session.scalars(select(Job.id).where(Job.status == "queued")).all()
    for job_id in queued:
        runner.deliver(job_id)
    return len(queued)


async def _sweep(app: procrastinate.App, *, stalled_after_s: float) -> None:
    while True:
        await asyncio.sleep(max(stalled_after_s / 2, 0.5))
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=stalled_after_s
            )
            for job in stalled:
                log.warning("job %s of a dead worker goes back to the queue", job.id)
                await app.job_manager.retry_job(job)
        except Exception:
            log.exception("stalled-job sweep failed")


def run_worker(
    rt: Runtime, *, concurrency: int, heartbeat_s: float, stalled_after_s: float
) -> None:
    """Serve jobs until SIGINT/SIGTERM: deliveries, the stalled sweep, and periodic ticks."""
    from agent.worker.periodic import Scheduler

    app = make_app(rt.db.url)
    ensure_schema(rt.db, app)
    runner = ProcrastinateRunner(rt.job_queue(), app)
    register_task(app, runner)
    rt.runner = runner
    scheduler = Scheduler(rt)

    async def main() -> None:
        async with app.open_async():
            await asyncio.to_thread(redeliver_orphans, rt, runner)
            scheduler.start()
            sweeper = asyncio.create_task(_sweep(app, stalled_after_s=stalled_after_s))
            try:
                await app.run_worker_async(
                    concurrency=concurrency,
                    update_heartbeat_interval=heartbeat_s,
                    stalled_worker_timeout=stalled_after_s,
                )
            finally:
                sweeper.cancel()
                scheduler.stop()

    asyncio.run(main())


def start_runner(rt: Runtime) -> ProcrastinateRunner:
    """The runner of a process that only submits (`engage serve` on PostgreSQL)."""
    app = make_app(rt.db.url)
    ensure_schema(rt.db, app)
    app.open()
    runner = ProcrastinateRunner(rt.job_queue(), app, owns_app=True)
    register_task(app, runner)
    return runner
