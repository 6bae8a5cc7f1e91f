"""Shared scenes of the health tests: the demo seeded and processed, an admin, a CRM outage."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from agent.db.tables import Job, Meeting, Proposal
from agent.demo import seed_demo_book
from agent.domain.models import CurrentValue, FieldRef, RecordWrite, WriteResult
from agent.runtime import Runtime, Workflow
from agent.services.users import Actor, add_user, find_user
from agent.worker.queue import InlineRunner
from connectors.common.errors import CrmTransientError
from connectors.common.usage import ApiUsage, CrmHealth

OUTAGE = "503 Service Unavailable (the CRM is down)"


class OutageCrm:
    """The sandbox CRM whose write path can be taken down: the re-read and the write answer 503,
    as a hosted CRM does during an outage; briefs and context reads still work."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.down = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _check(self) -> None:
        if self.down:
            raise CrmTransientError(OUTAGE, system=self.inner.system, status=503)

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        self._check()
        values: list[CurrentValue] = self.inner.read_values(refs)
        return values

    def write_record(self, write: RecordWrite) -> WriteResult:
        self._check()
        result: WriteResult = self.inner.write_record(write)
        return result


@dataclass(frozen=True, kw_only=True)
class Scene:
    rep: Actor
    rep_token: str
    admin_token: str
    proposals: dict[str, str]
    """Proposal id by the demo call's account (`northwind`, `brightwave`)."""
    crm: OutageCrm


def seed_scene(rt: Runtime) -> Scene:
    """The demo book processed (two proposals pending), an admin, and a CRM that can go down.
    Jobs run inline without backoff sleeps."""
    rt.runner = InlineRunner(rt.job_queue(sleep=lambda _s: None))
    setup = seed_demo_book(rt)
    rt.crm = OutageCrm(rt.crm)
    assert setup.token is not None
    with rt.db.session() as session:
        rep = find_user(session, email=setup.rep_email)
        _, admin_token = add_user(
            session, email="ops@engage-demo.com", role="admin", name="Ops", now=rt.clock.now()
        )
        rows = session.execute(
            select(Meeting.external_id, Proposal.id).join(
                Proposal, Proposal.meeting_id == Meeting.id
            )
        ).all()
    assert isinstance(rt.crm, OutageCrm)
    return Scene(
        rep=rep,
        rep_token=setup.token,
        admin_token=admin_token,
        proposals={str(key).split("-")[0]: pid for key, pid in rows},
        crm=rt.crm,
    )


def approve_all(rt: Runtime, scene: Scene, call: str) -> None:
    Workflow(rt).approve(
        proposal_id=scene.proposals[call], actor=scene.rep, approve_all=True, decisions=[]
    )


def dead_letter_by_outage(rt: Runtime, scene: Scene, call: str = "northwind") -> str:
    """Approve a proposal while the CRM is down: its apply job retries, then dies."""
    scene.crm.down = True
    try:
        approve_all(rt, scene, call)
    finally:
        scene.crm.down = False
    with rt.db.session() as session:
        dead = session.scalars(
            select(Job.id).where(Job.kind == "apply_proposal", Job.status == "dead")
        ).all()
    assert len(dead) == 1
    return dead[0]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def connector_report(
    system: str, *, used: int, limit: int, expires_at: datetime | None, refreshable: bool = False
) -> CrmHealth:
    """What a hosted connector's `health()` says: its daily quota, a burst window and the token."""
    at = expires_at or datetime(2026, 1, 1, tzinfo=UTC)
    return CrmHealth(
        system=system,
        usage=(
            ApiUsage(name="daily", used=used, limit=limit, at=at),
            ApiUsage(name="interval", used=99, limit=100, at=at),
        ),
        token_expires_at=expires_at,
        token_refreshable=refreshable,
        requests_sent=42,
    )


class AlertReceiver:
    """A Slack-style incoming webhook on 127.0.0.1 that keeps every JSON body it is sent."""

    def __init__(self, *, status: int = 200) -> None:
        self.status = status
        self.bodies: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/engage"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AlertReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def texts(self) -> list[str]:
        return [str(b["text"]) for b in self.bodies]
