"""Microsoft Graph: the validationToken handshake, clientState checks, created/updated/deleted
events, lifecycle notifications, and a Teams transcript fetched when the meeting has ended."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from agent.api.app import create_app
from agent.db.tables import CalendarChannel, Meeting, Proposal, WebhookEvent
from agent.demo import seed_demo_book
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from agent.worker.calendar_jobs import CalendarJobs
from connectors.ingestion import build_ingest_kit
from tests.api.webhook_support import CALDER, REP, ingest_settings
from tests.fakes import graph as fake_graph
from tests.support import FrozenClock

STATE = "graph-client-state-7"
USER = "riley-user-id"
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=x"
TEAMS_VTT = """WEBVTT

0b7c3d2e-1/12-0
00:00:03.260 --> 00:00:05.940
<v Elena Novak>The budget we approved is $60,000 for the first year.</v>
"""


@pytest.fixture
def graph() -> fake_graph.FakeGraph:
    return fake_graph.FakeGraph()


@pytest.fixture
def mrt(settings: Settings, clock: FrozenClock, graph: fake_graph.FakeGraph) -> Iterator[Runtime]:
    configured = ingest_settings(
        settings,
        graph_client_state=SecretStr(STATE),
        graph_tenant_id=fake_graph.TENANT,
        graph_client_id=fake_graph.CLIENT_ID,
        graph_client_secret=SecretStr(fake_graph.CLIENT_SECRET),
        engage_public_url="https://engage.example.com",
    )
    runtime = build_runtime(configured, clock=clock)
    runtime.ingest = build_ingest_kit(configured, transport=graph.transport)
    seed_demo_book(runtime)
    yield runtime
    runtime.close()


def post(client: TestClient, *items: dict[str, Any]) -> Any:
    return client.post("/webhooks/microsoft-graph", json={"value": list(items)})


def test_validation_handshake_echoes_the_decoded_token(mrt: Runtime) -> None:
    client = TestClient(create_app(mrt))
    answer = client.post(
        "/webhooks/microsoft-graph?validationToken=Validation%3A%20Testing%20client%20a%2Bb"
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.text == "Validation: Testing client a+b"


def test_unconfigured_is_503(settings: Settings, clock: FrozenClock) -> None:
    bare = build_runtime(settings, clock=clock)
    try:
        answer = TestClient(create_app(bare)).post("/webhooks/microsoft-graph?validationToken=x")
    finally:
        bare.close()
    assert answer.status_code == 503


def test_wrong_client_state_is_refused(mrt: Runtime, graph: fake_graph.FakeGraph) -> None:
    sub = CalendarJobs(mrt).open_graph(rep_email=REP, user_id=USER)
    item = fake_graph.notification(
        sub, change="created", event_id="e1", user=USER, client_state="forged"
    )
    assert post(TestClient(create_app(mrt)), item).status_code == 401
    with mrt.db.session() as session:
        assert session.scalars(select(WebhookEvent)).all() == []


def test_events_and_teams_transcript(
    mrt: Runtime, graph: fake_graph.FakeGraph, clock: FrozenClock
) -> None:
    sub = CalendarJobs(mrt).open_graph(rep_email=REP, user_id=USER)
    assert graph.subscriptions[sub]["clientState"] == STATE
    client = TestClient(create_app(mrt))
    start = clock.now() + timedelta(days=1)
    graph.events["e1"] = fake_graph.teams_event(
        "e1", start=start, attendees=(REP, *CALDER), join_url=JOIN
    )
    created = fake_graph.notification(
        sub, change="created", event_id="e1", user=USER, client_state=STATE
    )
    answer = post(client, created)
    assert answer.status_code == 202
    assert answer.json() == {"accepted": 1, "refused": 0}
    assert post(client, created).status_code == 202
    with mrt.db.session() as session:
        meeting = session.scalars(select(Meeting).where(Meeting.external_id == "e1")).one()
    assert meeting.status == "scheduled"
    assert meeting.deal_id

    graph.online_meetings[JOIN] = "om-1"
    graph.transcripts["om-1"] = TEAMS_VTT
    clock.current = start + timedelta(minutes=45)
    updated = fake_graph.notification(
        sub, change="updated", event_id="e1", user=USER, client_state=STATE
    )
    post(client, updated)
    with mrt.db.session() as session:
        proposals = session.scalars(select(Proposal).where(Proposal.meeting_id == meeting.id))
        assert [p.status for p in proposals] == ["pending"]

    graph.events["e2"] = fake_graph.teams_event(
        "e2", start=clock.now() + timedelta(days=2), attendees=(REP, *CALDER), join_url=None
    )
    post(
        client,
        fake_graph.notification(
            sub, change="created", event_id="e2", user=USER, client_state=STATE
        ),
    )
    post(
        client,
        fake_graph.notification(
            sub, change="deleted", event_id="e2", user=USER, client_state=STATE
        ),
    )
    with mrt.db.session() as session:
        gone = session.scalars(select(Meeting).where(Meeting.external_id == "e2")).one()
    assert (gone.status, gone.failure_reason) == ("failed", "cancelled in the calendar")


def test_lifecycle_notifications(mrt: Runtime, graph: fake_graph.FakeGraph) -> None:
    sub = CalendarJobs(mrt).open_graph(rep_email=REP, user_id=USER)
    client = TestClient(create_app(mrt))
    base = {"subscriptionId": sub, "clientState": STATE, "tenantId": fake_graph.TENANT}
    post(
        client,
        {
            **base,
            "lifecycleEvent": "reauthorizationRequired",
            "subscriptionExpirationDateTime": "2026-11-21T00:00:00Z",
        },
    )
    assert graph.renewals == [sub]
    post(
        client,
        {
            **base,
            "lifecycleEvent": "subscriptionRemoved",
            "subscriptionExpirationDateTime": "2026-11-21T00:00:00Z",
        },
    )
    with mrt.db.session() as session:
        rows = {c.id: c.status for c in session.scalars(select(CalendarChannel))}
    assert rows[sub] == "removed"
    assert len([s for s in rows.values() if s == "active"]) == 1
    assert len(graph.subscriptions) == 2
