"""Two `engage worker` processes on PostgreSQL share 200 jobs; killing one mid-job loses nothing.

The second half of the meetings is locked by this test while the workers run, so once both
workers have shared the first half, each is provably in the middle of a job (its extraction waits
on the lock) when one of them is killed with SIGKILL.
The killed worker's transaction dies with it; the survivor takes the job back after the missed
heartbeats and finishes it. No job completes twice: one proposal per meeting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from agent.db.tables import Base, Job, Meeting, Proposal
from agent.demo import seed_demo_book
from agent.domain.transcripts import parse_transcript
from agent.runtime import Runtime, build_runtime
from agent.services import meetings as meeting_service
from agent.services.users import find_user
from agent.settings import Settings
from agent.worker.procrastinate_queue import SCHEMA, start_runner
from tests.api.webhook_support import CALDER_VTT, REP

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

JOBS = 200
ENGAGE = str(Path(sys.executable).with_name("engage"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_runtime(postgres_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(
        ENGAGE_HOME=tmp_path / "home", DATABASE_URL=postgres_url, ENGAGE_ENGINE="rules"
    )
    rt = build_runtime(settings)
    with rt.db.engine.begin() as connection:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} CASCADE"))
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    yield rt
    rt.close()


def meetings_with_transcripts(rt: Runtime, count: int) -> list[str]:
    deal_id = (
        seed_demo_book(rt).meeting_ids
        and rt.crm.match_identities(emails=[], domains=["calderrobotics.com"]).open_deals[0].id
    )
    transcript = parse_transcript(CALDER_VTT, fmt="vtt")
    ids = []
    with rt.db.session() as session:
        rep = find_user(session, email=REP)
        for n in range(count):
            meeting = meeting_service.create_meeting(
                session,
                title=f"Calder call {n}",
                rep=rep,
                crm_system=rt.crm.system,
                deal_id=str(deal_id),
                start=rt.clock.now(),
                end=rt.clock.now(),
                source="load",
                external_id=f"load-{n}",
                now=rt.clock.now(),
            )
            meeting_service.store_transcript(
                session, meeting_id=meeting.id, transcript=transcript, now=rt.clock.now()
            )
            ids.append(meeting.id)
    return ids


def start_worker(rt: Runtime, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": rt.db.url,
        "ENGAGE_HOME": str(rt.settings.engage_home),
        "ENGAGE_ENGINE": "rules",
        "PYTHONPATH": str(ROOT),
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [ENGAGE, "worker", "--concurrency", "1", "--heartbeat", "0.5", "--stalled-after", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s")


def doing(rt: Runtime) -> int:
    with rt.db.engine.connect() as connection:
        return int(
            connection.execute(
                text(f"SELECT count(*) FROM {SCHEMA}.procrastinate_jobs WHERE status = 'doing'")
            ).scalar_one()
        )


def finished_by(rt: Runtime) -> list[int]:
    """How many jobs each worker has finished, per worker."""
    with rt.db.engine.connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT worker_id, count(*) FROM {SCHEMA}.procrastinate_jobs "
                "WHERE status = 'succeeded' AND worker_id IS NOT NULL GROUP BY worker_id"
            )
        ).all()
    return [int(r[1]) for r in rows]


def test_two_workers_share_the_jobs_and_a_killed_one_loses_nothing(
    pg_runtime: Runtime, tmp_path: Path
) -> None:
    rt = pg_runtime
    meeting_ids = meetings_with_transcripts(rt, JOBS)
    runner = start_runner(rt)
    for meeting_id in meeting_ids:
        runner.submit("process_meeting", {"meeting_id": meeting_id}, dedupe_key=f"x:{meeting_id}")
    runner.stop()
    blocker = rt.db.engine.connect()
    blocker.begin()
    held = meeting_ids[JOBS // 2 :]
    blocker.execute(select(Meeting.id).where(Meeting.id.in_(held)).with_for_update())
    workers = [start_worker(rt, tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        wait_for(lambda: doing(rt) == 2 and finished_by(rt) and sum(finished_by(rt)) >= 99, 90)
        assert len(finished_by(rt)) == 2, "both workers took a share of the jobs"
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        blocker.rollback()
        blocker.close()

        def all_done() -> bool:
            with rt.db.session() as session:
                return (
                    session.scalar(
                        select(func.count())
                        .select_from(Job)
                        .where(Job.kind == "process_meeting", Job.status == "done")
                    )
                    == JOBS + 2
                )

        wait_for(all_done, timeout=240)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=20)
    with rt.db.session() as session:
        per_meeting = Counter(
            session.scalars(select(Proposal.meeting_id).where(Proposal.meeting_id.in_(meeting_ids)))
        )
        attempts = Counter(
            session.scalars(select(Job.attempts).where(Job.dedupe_key.like("x:%"))).all()
        )
    assert len(per_meeting) == JOBS
    assert set(per_meeting.values()) == {1}
    assert attempts == Counter({1: JOBS - 1, 2: 1})
