"""`engage worker`, `engage jobs list`, `engage jobs retry ID`, `engage calendars watch …`.

Registered on the main `engage` command by `agent.cli` (which imports this module last, so the
circular import finds `cli` complete); they use its runtime and error mapping.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy import select

from agent import cli
from agent.db.tables import Job
from agent.errors import ConfigError, NotFound


class Provider(StrEnum):
    google = "google"
    graph = "graph"


def register(app: typer.Typer) -> None:
    jobs_app = typer.Typer(no_args_is_help=True, help="Background jobs and dead letters.")
    calendars_app = typer.Typer(no_args_is_help=True, help="Calendar push channels.")
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(calendars_app, name="calendars")

    @app.command()
    def worker(
        concurrency: Annotated[int, typer.Option(min=1, help="Jobs at once.")] = 1,
        heartbeat: Annotated[float, typer.Option(help="Seconds between heartbeats.")] = 10.0,
        stalled_after: Annotated[
            float, typer.Option(help="Seconds without heartbeat before a job is taken back.")
        ] = 30.0,
    ) -> None:
        """Run jobs from the PostgreSQL queue; start as many processes as needed."""
        with cli.runtime() as rt:
            if not rt.db.url.startswith("postgresql"):
                raise ConfigError(
                    "engage worker needs PostgreSQL (DATABASE_URL); "
                    "on SQLite, engage serve runs the jobs in-process"
                )
            from agent.observability.logging import configure_logging
            from agent.worker.procrastinate_queue import run_worker

            configure_logging(rt.settings.engage_log_level)
            print(f"engage worker: serving jobs (concurrency {concurrency})", flush=True)
            run_worker(
                rt, concurrency=concurrency, heartbeat_s=heartbeat, stalled_after_s=stalled_after
            )

    @jobs_app.command("list")
    def jobs_list(
        status: Annotated[str | None, typer.Option(help="queued, running, done or dead")] = None,
        as_json: cli.JsonFlag = False,
    ) -> None:
        """Jobs, newest first; `--status dead` is the dead-letter list with reasons."""
        with cli.runtime() as rt, rt.db.session() as session:
            query = select(Job).order_by(Job.created_at.desc()).limit(500)
            if status:
                query = query.where(Job.status == status)
            rows: list[dict[str, str | int | None]] = [
                {
                    "id": j.id,
                    "kind": j.kind,
                    "status": j.status,
                    "attempts": j.attempts,
                    "last_error": j.last_error,
                    "updated_at": j.updated_at.isoformat(),
                }
                for j in session.scalars(query)
            ]
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        cli._table(
            "Jobs",
            ["id", "kind", "status", "attempts", "last error"],
            [
                [
                    str(r[k] if r[k] is not None else "")
                    for k in ("id", "kind", "status", "attempts")
                ]
                + [str(r["last_error"] or "")]
                for r in rows
            ],
        )

    @jobs_app.command("retry")
    def jobs_retry(job_id: str) -> None:
        """Give a dead letter another run (on SQLite now; on PostgreSQL by the workers)."""
        with cli.runtime() as rt:
            jobs = rt.job_queue()
            if jobs.status(job_id) is None:
                raise NotFound(f"no job {job_id}")
            jobs.retry(job_id)
            if rt.db.url.startswith("postgresql"):
                from agent.worker.procrastinate_queue import start_runner

                start_runner(rt).deliver(job_id)
                print(f"job {job_id}: queued for the workers")
                return
            print(f"job {job_id}: {jobs.run(job_id)}")

    @calendars_app.command("watch")
    def calendars_watch(
        provider: Provider,
        rep: Annotated[str, typer.Option(help="The rep whose calendar it is.")],
        calendar: Annotated[
            str, typer.Option(help="Google calendar id, or the Graph user id / UPN.")
        ],
    ) -> None:
        """Open a push channel (Google) or subscription (Graph) on a rep's calendar."""
        from agent.worker.calendar_jobs import CalendarJobs

        with cli.runtime() as rt:
            jobs = CalendarJobs(rt)
            if provider is Provider.google:
                opened = jobs.open_google(rep_email=rep, calendar_id=calendar)
            else:
                opened = jobs.open_graph(rep_email=rep, user_id=calendar)
        print(opened)
