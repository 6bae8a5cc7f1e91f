"""Periodic jobs: briefs ahead of meetings, reconcile (the batch half of webhook + batch), renewals.

Every process that runs jobs also runs a `Scheduler`, which submits each periodic job once per
time slot under the dedupe key `{kind}:{slot}`: however many worker processes tick, one slot
gives one job, and a process that was down catches up at its next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from agent.db.tables import CalendarChannel
from agent.domain.ingestion import recording_to_json
from agent.errors import ConfigError
from agent.services import prepared_briefs
from agent.services.brief import ReadOnlyCrm
from agent.worker.calendar_jobs import teams_meetings_to_fetch
from agent.worker.delivery_jobs import brief_prepared
from agent.worker.ingest_jobs import zoom_dedupe_key
from agent.worker.trust_jobs import trust_handlers, trust_schedule

if TYPE_CHECKING:
    from agent.runtime import Runtime

log = logging.getLogger("engage.periodic")

RECONCILE_LOOKBACK = timedelta(days=2)
BRIEF_EVERY = timedelta(minutes=5)
RENEW_EVERY = timedelta(hours=1)
HEALTH_EVERY = timedelta(minutes=5)


def schedule(rt: Runtime) -> dict[str, timedelta]:
    """The periodic jobs; the email digest only when a mail server is configured."""
    every = {
        "prepare_briefs": BRIEF_EVERY,
        "reconcile": timedelta(minutes=rt.settings.engage_reconcile_minutes),
        "renew_channels": RENEW_EVERY,
        "health_checks": HEALTH_EVERY,
    }
    if rt.delivery.mailer is not None:
        every["email_digest"] = timedelta(minutes=rt.settings.engage_digest_minutes)
    every.update(trust_schedule(rt))
    return every


def tick(rt: Runtime) -> list[str]:
    """Submit every periodic job whose current slot has not run yet; returns their job ids."""
    now = rt.clock.now().timestamp()
    submitted = []
    for kind, every in schedule(rt).items():
        slot = int(now // every.total_seconds())
        submitted.append(rt.submit(kind, {"slot": slot}, dedupe_key=f"{kind}:{slot}"))
    return submitted


class Scheduler:
    """A daemon thread that ticks every `interval_s` until stopped."""

    def __init__(self, rt: Runtime, *, interval_s: float = 30.0) -> None:
        self._rt = rt
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="engage-periodic", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                tick(self._rt)
            except Exception:
                log.exception("periodic tick failed")
            self._stop.wait(self._interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class PeriodicJobs:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def handlers(self) -> dict[str, Any]:
        return {
            "prepare_briefs": self.prepare_briefs,
            "reconcile": self.reconcile,
            "health_checks": self.health_checks,
            **trust_handlers(self.rt),
        }

    def health_checks(self, payload: Mapping[str, Any]) -> None:
        """Connector facts, quota samples and alerts (`agent.observability.alerts`)."""
        from agent.observability.alerts import run_health_checks

        run_health_checks(self.rt)

    def prepare_briefs(self, payload: Mapping[str, Any]) -> None:
        rt = self.rt
        lead = timedelta(minutes=rt.settings.engage_brief_lead_minutes)
        with rt.db.session() as session:
            meeting_ids = prepared_briefs.due(session, now=rt.clock.now(), lead=lead)
        for meeting_id in meeting_ids:
            with rt.db.session() as session:
                made = prepared_briefs.prepare(
                    session, crm=ReadOnlyCrm(rt.crm), meeting_id=meeting_id, now=rt.clock.now()
                )
            if made:
                brief_prepared(rt, meeting_id)

    def reconcile(self, payload: Mapping[str, Any]) -> None:
        """Catch what a missed webhook would have brought: recordings, calendar changes, Teams."""
        rt = self.rt
        slot = payload.get("slot", 0)
        self._zoom_recordings()
        with rt.db.session() as session:
            channels = session.scalars(
                select(CalendarChannel.id).where(
                    CalendarChannel.status == "active",
                    CalendarChannel.provider == "google_calendar",
                )
            ).all()
        for channel_id in channels:
            rt.submit(
                "calendar_sync", {"channel_id": channel_id}, dedupe_key=f"gcal:{channel_id}:{slot}"
            )
        for meeting_id, organizer, join_url in teams_meetings_to_fetch(rt):
            rt.submit(
                "teams_transcript",
                {"meeting_id": meeting_id, "organizer": organizer, "join_url": join_url},
                dedupe_key=f"teams:{meeting_id}:{slot}",
            )

    def _zoom_recordings(self) -> None:
        rt = self.rt
        source = rt.ingest.recordings
        if source is None:
            return
        today = rt.clock.now().date()
        try:
            found = source.recent_recordings(since=today - RECONCILE_LOOKBACK, until=today)
        except ConfigError:
            return
        for event in found:
            if event.files:
                rt.submit(
                    "zoom_event",
                    {"event": recording_to_json(event)},
                    dedupe_key=zoom_dedupe_key(event),
                )


class BackgroundRunner:
    """`engage serve` on SQLite: the job thread plus the periodic scheduler, stopped together."""

    def __init__(self, rt: Runtime, jobs: Any) -> None:
        from agent.worker.queue import ThreadRunner

        self._jobs = ThreadRunner(jobs)
        self._scheduler = Scheduler(rt)
        self._scheduler.start()

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str:
        return self._jobs.submit(kind, payload, dedupe_key=dedupe_key)

    def wake(self, job_id: str) -> None:
        self._jobs.wake(job_id)

    def stop(self) -> None:
        self._scheduler.stop()
        self._jobs.stop()
