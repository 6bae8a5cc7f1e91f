"""Figures that need Engage's real processes: webhook acknowledgement under load from a second
process (and the peak memory of that `engage serve`), and the peak memory of an `engage worker`
that processes meetings from the PostgreSQL queue.

Peak memory is the kernel's high-water mark of the process's resident set (`VmHWM`).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from benchmarks import webhooks
from benchmarks.figures import Figure

ZOOM_DEADLINE_MS = 3000.0


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def webhook_figures(requests: int = 1000, concurrency: int = 8) -> list[Figure]:
    port = webhooks.free_port()
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as home:
        server = webhooks.start_server(port, Path(home), None)
        try:
            webhooks.load(port, min(50, requests), concurrency)
            latencies, wall, failures = webhooks.load(port, requests, concurrency)
            peak = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    deadline = "Zoom's webhook deadline"
    return [
        Figure(
            name="webhook ack p50 (SQLite, 8 senders)",
            value=statistics.median(latencies) * 1000,
            unit="ms",
            limit=ZOOM_DEADLINE_MS,
            limit_note=deadline,
        ),
        Figure(
            name="webhook ack p99 (SQLite, 8 senders)",
            value=p99 * 1000,
            unit="ms",
            limit=ZOOM_DEADLINE_MS,
            limit_note=deadline,
        ),
        Figure(
            name="webhook throughput (acks/s)",
            value=len(latencies) / wall,
            unit="/s",
            lower_is_better=False,
        ),
        Figure(
            name="webhook non-200 answers",
            value=float(failures),
            unit="",
            limit=0.0,
            limit_note="every delivery acknowledged",
        ),
        Figure(name="peak memory, engage serve (after the load)", value=peak, unit="MB"),
    ]


def worker_memory(meetings: int = 20, timeout_s: float = 180.0) -> Figure:
    """An `engage worker` on a scratch PostgreSQL database processes the demo and more calls."""
    name = "peak memory, engage worker (PostgreSQL queue)"
    try:
        from tests.support import scratch_postgres

        with scratch_postgres() as url:
            return Figure(name=name, value=_run_worker(url, meetings, timeout_s), unit="MB")
    except OSError as exc:
        return Figure(name=name, value=None, unit="MB", missing=f"no PostgreSQL ({exc})")


def _run_worker(url: str, meetings: int, timeout_s: float) -> float:
    from agent.db.tables import Job
    from agent.demo import seed_demo_book
    from agent.runtime import build_runtime
    from agent.settings import Settings
    from agent.worker.procrastinate_queue import start_runner
    from benchmarks.pipeline import _meetings

    with tempfile.TemporaryDirectory(prefix="engage-bench-") as home:
        settings = Settings(ENGAGE_HOME=Path(home), DATABASE_URL=url, ENGAGE_ENGINE="rules")
        rt = build_runtime(settings)
        rt.runner = start_runner(rt)
        env = {
            **os.environ,
            "ENGAGE_HOME": home,
            "DATABASE_URL": url,
            "ENGAGE_LOG_LEVEL": "ERROR",
            "PYTHONPATH": str(webhooks.ROOT),
        }
        engage = str(Path(sys.executable).with_name("engage"))
        worker = subprocess.Popen(  # noqa: S603 (our own engage command)
            [engage, "worker", "--concurrency", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            seed_demo_book(rt)
            for meeting_id in _meetings(rt, meetings):
                rt.submit("process_meeting", {"meeting_id": meeting_id})
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                with rt.db.session() as session:
                    waiting = session.scalar(
                        select(func.count())
                        .select_from(Job)
                        .where(Job.kind == "process_meeting", Job.status.in_(("queued", "running")))
                    )
                if not waiting:
                    break
                time.sleep(0.5)
            else:
                with rt.db.session() as session:
                    states = session.execute(select(Job.kind, Job.status, Job.last_error)).all()
                raise RuntimeError(f"the worker did not finish its jobs in time: {states}")
            return peak_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            rt.close()
