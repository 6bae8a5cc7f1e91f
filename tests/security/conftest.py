"""A seeded world for the security tests: the demo rep (the victim) with meetings, proposals, an
applied change, audit entries and a signal; a second rep (the intruder); an admin; and an app
whose webhooks are configured, so that unsigned input meets a signature check, not a 503."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agent.api.app import create_app
from agent.db import audit_log
from agent.demo import seed_demo_book
from agent.runtime import Runtime, Workflow, build_runtime
from agent.services import prepared_briefs
from agent.services import proposals as proposal_service
from agent.services import signals as signal_service
from agent.services.brief import ReadOnlyCrm
from agent.services.users import Actor, add_user, find_user
from agent.settings import Settings
from tests.api.webhook_support import ingest_settings
from tests.support import FrozenClock

INTRUDER = "mallory@engage-demo.com"
ADMIN = "root@engage-demo.com"


@dataclass
class World:
    rt: Runtime
    app: FastAPI
    victim: Actor
    victim_token: str
    intruder_token: str
    admin_token: str
    deal_id: str
    meeting_ids: list[str]
    proposal_ids: list[str]
    signal_id: str
    secrets: list[str] = field(default_factory=list)

    def client(self) -> TestClient:
        return TestClient(self.app)

    def fingerprints(self) -> set[str]:
        """Strings that appear only in the victim's data: ids, change ids and audit hashes."""
        marks = {self.deal_id, self.signal_id, *self.meeting_ids, *self.proposal_ids}
        with self.rt.db.session() as session:
            for proposal_id in self.proposal_ids:
                view = proposal_service.get_proposal(session, proposal_id, None)
                marks.update(c.id for c in view.changes)
            marks.update(str(e["hash"]) for e in audit_log.entries(session))
        return marks


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def security_settings(settings: Settings, **extra: Any) -> Settings:
    update: dict[str, Any] = {
        "google_calendar_channel_token": SecretStr("gcal-channel-token"),
        "graph_client_state": SecretStr("graph-client-state"),
        "engage_signals_secret": SecretStr("signals-secret"),
        "slack_signing_secret": SecretStr("slack-signing-secret"),
        "engage_rate_limit_per_minute": 0,
    }
    update.update(extra)
    return ingest_settings(settings, **update)


def _decide_one(rt: Runtime, victim: Actor, proposal_ids: list[str]) -> None:
    """Approve one non-critical change of the victim's, so the audit log has entries."""
    with rt.db.session() as session:
        views = [proposal_service.get_proposal(session, p, None) for p in proposal_ids]
    pending = [(v, c) for v in views for c in v.changes if not c.critical and c.status == "pending"]
    if not pending:
        return
    proposal, change = pending[0]
    from agent.services.review import Decision

    Workflow(rt).approve(
        proposal_id=proposal.id,
        actor=victim,
        approve_all=False,
        decisions=[Decision(change_id=change.id)],
    )


def build_world(rt: Runtime) -> World:
    setup = seed_demo_book(rt)
    assert setup.token is not None
    now = rt.clock.now()
    with rt.db.session() as session:
        victim = find_user(session, email=setup.rep_email)
        _, intruder = add_user(session, email=INTRUDER, role="rep", name="Mallory", now=now)
        _, admin = add_user(session, email=ADMIN, role="admin", name="Root", now=now)
        proposals = proposal_service.list_proposals(session, actor=victim)
        signal, _ = signal_service.record_signal(
            session,
            crm=rt.crm,
            signal=signal_service.SignalIn(
                kind="email_reply",
                source="mailbox",
                occurred_at=now,
                email="elena.novak@calderrobotics.com",
                summary="Asked for pricing",
            ),
            now=now,
        )
    assert signal.deal_id is not None
    proposal_ids = [p.id for p in proposals]
    _decide_one(rt, victim, proposal_ids)
    with rt.db.session() as session:
        for meeting_id in setup.meeting_ids:
            prepared_briefs.prepare(
                session, crm=ReadOnlyCrm(rt.crm), meeting_id=meeting_id, now=now
            )
    return World(
        rt=rt,
        app=create_app(rt),
        victim=victim,
        victim_token=setup.token,
        intruder_token=intruder,
        admin_token=admin,
        deal_id=signal.deal_id,
        meeting_ids=setup.meeting_ids,
        proposal_ids=proposal_ids,
        signal_id=signal.id,
        secrets=[setup.token, intruder, admin],
    )


@pytest.fixture
def base_settings(tmp_path: Path) -> Settings:
    """SQLite only: who may see what is decided above the store, which the API tests run on
    both databases."""
    return Settings(
        ENGAGE_HOME=tmp_path / "home",
        DATABASE_URL=f"sqlite:///{tmp_path / 'engage.sqlite3'}",
        ENGAGE_ENGINE="rules",
    )


@pytest.fixture
def world(base_settings: Settings, clock: FrozenClock) -> Iterator[World]:
    rt = build_runtime(security_settings(base_settings), clock=clock)
    try:
        yield build_world(rt)
    finally:
        rt.close()
