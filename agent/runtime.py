"""The composition root: the one place that picks concrete adapters.

The CLI, the API and the worker each build a `Runtime` from settings; tests build one with their
own clock, engine or CRM.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.clock import SystemClock
from agent.db.engine import Database
from agent.db.tables import Meeting
from agent.domain.delivery import DeliveryKit
from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.ingestion import IngestKit
from agent.domain.ports import Clock, CrmPort, ExtractionEngine
from agent.services import access, review
from agent.services import meetings as meeting_service
from agent.services.apply import RecordLocks, apply_proposal
from agent.services.extract import ExtractionOptions
from agent.services.proposals import extract_for_meeting, load_proposal
from agent.services.review import Decision
from agent.services.rollback import request_revert, run_reverts
from agent.services.users import Actor
from agent.settings import Settings
from agent.worker.queue import InlineRunner, JobQueue

log = logging.getLogger("engage")


class Runner(Protocol):
    def submit(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str: ...

    def wake(self, job_id: str) -> None:
        """Run (or hand to the workers) a job that was queued again, e.g. a retried dead letter."""
        ...

    def stop(self) -> None: ...


@dataclass(kw_only=True)
class Runtime:
    settings: Settings
    db: Database
    crm: CrmPort
    engine: ExtractionEngine
    clock: Clock
    policy: FieldPolicy = DEFAULT_POLICY
    locks: RecordLocks = field(default_factory=RecordLocks)
    runner: Runner | None = None
    ingest: IngestKit = field(default_factory=IngestKit)
    delivery: DeliveryKit = field(default_factory=DeliveryKit)

    @property
    def prompt_version(self) -> str:
        return self.settings.engage_prompt_version

    @property
    def extraction_options(self) -> ExtractionOptions:
        """Team domains, date order and (for a model) its context size, from settings."""
        bounded = self.engine.name != "rules"
        return ExtractionOptions(
            internal_domains=self.settings.team_domains,
            day_first=self.settings.day_first,
            context_tokens=self.settings.engage_llm_context_tokens if bounded else None,
        )

    def process_meeting(self, payload: Mapping[str, Any]) -> None:
        """Extract one meeting behind its gate: one proposal per call, recording consent, the
        shadow stamp; the rep hears of the result once it is committed."""
        from agent.worker.delivery_jobs import ExtractionGate

        gate = ExtractionGate(rt=self)
        with self.db.session() as session:
            meeting_id = gate.admit(session, str(payload["meeting_id"]))
            if meeting_id is not None:
                proposal_id = extract_for_meeting(
                    session,
                    meeting_id=meeting_id,
                    crm=self.crm,
                    engine=self.engine,
                    policy=self.policy,
                    prompt_version=self.prompt_version,
                    now=self.clock.now(),
                    options=self.extraction_options,
                )
                gate.made(session, proposal_id)
        gate.deliver()

    def apply(self, payload: Mapping[str, Any]) -> None:
        apply_proposal(
            db=self.db,
            crm=self.crm,
            proposal_id=str(payload["proposal_id"]),
            clock=self.clock,
            locks=self.locks,
            policy=self.policy,
        )

    def revert(self, payload: Mapping[str, Any]) -> None:
        run_reverts(
            db=self.db,
            crm=self.crm,
            proposal_id=str(payload["proposal_id"]),
            clock=self.clock,
            locks=self.locks,
        )

    def on_dead(self, kind: str, payload: Mapping[str, Any], reason: str) -> None:
        """A dead job leaves its meeting visibly failed, with the reason."""
        meeting_id = payload.get("meeting_id")
        if kind == "process_meeting" and meeting_id:
            with self.db.session() as session:
                meeting_service.set_status(
                    session, str(meeting_id), "failed", now=self.clock.now(), reason=reason
                )

    def job_queue(self, **options: Any) -> JobQueue:
        from agent.worker.delivery_jobs import DeliveryJobs
        from agent.worker.ingest_jobs import IngestJobs

        handlers = {"process_meeting": self.process_meeting, "apply_proposal": self.apply}
        handlers["revert_changes"] = self.revert
        handlers.update(IngestJobs(self).handlers())
        handlers.update(DeliveryJobs(self).handlers())
        return JobQueue(
            db=self.db, clock=self.clock, handlers=handlers, on_dead=self.on_dead, **options
        )

    def start_jobs(self, *, background: bool) -> Runner:
        """Inline for the CLI; for `engage serve`, a job thread and the periodic scheduler on
        SQLite, or hand-off to the `engage worker` processes (procrastinate) on PostgreSQL."""
        if background and self.db.url.startswith("postgresql"):
            from agent.worker.procrastinate_queue import start_runner

            self.runner = start_runner(self)
            return self.runner
        jobs = self.job_queue()
        if background:
            from agent.worker.periodic import BackgroundRunner

            self.runner = BackgroundRunner(self, jobs)
        else:
            self.runner = InlineRunner(jobs)
        return self.runner

    def submit(
        self, kind: str, payload: Mapping[str, Any], *, dedupe_key: str | None = None
    ) -> str:
        runner = self.runner or self.start_jobs(background=False)
        return runner.submit(kind, payload, dedupe_key=dedupe_key)

    def close(self) -> None:
        from agent.observability import events

        if self.runner is not None:
            self.runner.stop()
        try:
            events.flush(self.db, self.clock)
        except Exception:
            log.exception("could not keep the connector's last health events")
        self.db.dispose()
        release = getattr(self.crm, "close", None)
        if callable(release):
            release()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: ExtractionEngine | None = None,
    crm: CrmPort | None = None,
) -> Runtime:
    from agent.crypto import cipher_for
    from agent.db.sealing import seal_transcripts
    from agent.llm.factory import build_engine
    from agent.policy import load_field_policy
    from agent.worker.locks import record_locks
    from connectors import build_crm
    from connectors.delivery import build_delivery_kit
    from connectors.ingestion import build_ingest_kit

    settings.engage_home.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    db.migrate()
    seal_transcripts(db, cipher_for(settings))
    the_clock = clock or SystemClock()
    return Runtime(
        settings=settings,
        db=db,
        clock=the_clock,
        crm=crm or build_crm(settings, clock=the_clock),
        engine=engine or build_engine(settings.engine, settings),
        policy=load_field_policy(settings),
        ingest=build_ingest_kit(settings),
        delivery=build_delivery_kit(settings),
        locks=record_locks(db),
    )


class Workflow:
    """The use cases the API, the UI and the CLI share, each in its own unit of work."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    def approve(
        self, *, proposal_id: str, actor: Actor, approve_all: bool, decisions: list[Decision]
    ) -> None:

        rt = self.rt
        with rt.db.session() as session:
            proposal = load_proposal(session, proposal_id, actor)
            meeting = session.get(Meeting, proposal.meeting_id)
            assert meeting is not None
            deal_id, day = meeting.deal_id, (meeting.end_at or meeting.start_at).date()
        stages = rt.crm.read_context(deal_id).stages
        with rt.db.session() as session:
            ready = review.approve(
                session,
                proposal_id=proposal_id,
                actor=actor,
                approve_all=approve_all,
                decisions=decisions,
                policy=rt.policy,
                stages=stages,
                meeting_date=day,
                now=rt.clock.now(),
            )
        access.decided(actor=actor, decision="approved", proposal_id=proposal_id, change_ids=ready)
        if ready:
            rt.submit("apply_proposal", {"proposal_id": proposal_id})

    def reject(self, *, proposal_id: str, actor: Actor, change_ids: list[str]) -> None:
        rt = self.rt
        with rt.db.session() as session:
            review.reject(
                session,
                proposal_id=proposal_id,
                actor=actor,
                change_ids=change_ids,
                now=rt.clock.now(),
            )
        access.decided(
            actor=actor, decision="rejected", proposal_id=proposal_id, change_ids=change_ids
        )
        rt.submit("apply_proposal", {"proposal_id": proposal_id})

    def revert(self, *, proposal_id: str, actor: Actor, change_ids: list[str]) -> None:
        """Revert the named applied changes (none named: all of the proposal's), as a job."""
        rt = self.rt
        with rt.db.session() as session:
            queued = request_revert(
                session,
                proposal_id=proposal_id,
                actor=actor,
                change_ids=change_ids,
                now=rt.clock.now(),
            )
        access.decided(actor=actor, decision="reverted", proposal_id=proposal_id, change_ids=queued)
        rt.submit("revert_changes", {"proposal_id": proposal_id})
