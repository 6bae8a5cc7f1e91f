"""Google Calendar push: channel token, sync/exists, incremental pulls, 410 resync, renewal,
and a Zoom recording that finds the meeting its calendar entry scheduled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from agent.api.app import create_app
from agent.db.tables import CalendarChannel, Meeting, MeetingLink, MeetingRef, Proposal
from agent.demo import seed_demo_book
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from agent.worker.calendar_jobs import CalendarJobs
from connectors.ingestion import build_ingest_kit
from tests.api.webhook_support import CALDER, REP, ZOOM_SECRET, calder_recording, ingest_settings
from tests.fakes import google_calendar as fake_gc
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock

CHANNEL_TOKEN = "gcal-channel-token-1"
START = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


@pytest.fixture
def gcal() -> fake_gc.FakeGoogleCalendar:
    return fake_gc.FakeGoogleCalendar()


@pytest.fixture
def grt(
    settings: Settings,
    clock: FrozenClock,
    gcal: fake_gc.FakeGoogleCalendar,
    zoom: fake_zoom.FakeZoom,
) -> Iterator[Runtime]:
    configured = ingest_settings(
        settings,
        google_calendar_channel_token=SecretStr(CHANNEL_TOKEN),
        google_oauth_client_id=fake_gc.CLIENT_ID,
        google_oauth_client_secret=SecretStr(fake_gc.CLIENT_SECRET),
        google_oauth_refresh_token=SecretStr(fake_gc.REFRESH_TOKEN),
        engage_public_url="https://engage.example.com",
    )
    runtime = build_runtime(configured, clock=clock)

    def route(request: httpx.Request) -> httpx.Response:
        if "zoom" in request.url.host:
            return zoom.handle(request)
        return gcal.handle(request)

    runtime.ingest = build_ingest_kit(configured, transport=httpx.MockTransport(route))
    seed_demo_book(runtime)
    yield runtime
    runtime.close()


def notify(client: TestClient, channel: str, number: int, state: str = "exists") -> httpx.Response:
    return client.post(
        "/webhooks/google-calendar",
        headers={
            "X-Goog-Channel-ID": channel,
            "X-Goog-Channel-Token": CHANNEL_TOKEN,
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": str(number),
            "X-Goog-Resource-ID": "res",
        },
    )


def meetings_by_event(rt: Runtime) -> dict[str, Meeting]:
    with rt.db.session() as session:
        rows = session.scalars(select(Meeting).where(Meeting.source == "google_calendar"))
        return {m.external_id or "": m for m in rows}


def test_token_is_checked_and_unconfigured_is_503(
    grt: Runtime, settings: Settings, clock: FrozenClock
) -> None:
    client = TestClient(create_app(grt))
    wrong = client.post(
        "/webhooks/google-calendar",
        headers={"X-Goog-Channel-ID": "c", "X-Goog-Channel-Token": "nope"},
    )
    assert wrong.status_code == 401
    bare = build_runtime(settings, clock=clock)
    try:
        answer = TestClient(create_app(bare)).post("/webhooks/google-calendar")
    finally:
        bare.close()
    assert answer.status_code == 503
    assert "GOOGLE_CALENDAR_CHANNEL_TOKEN" in answer.json()["detail"]


def test_calendar_changes_flow_into_linked_meetings(
    grt: Runtime, gcal: fake_gc.FakeGoogleCalendar, clock: FrozenClock
) -> None:
    gcal.put(fake_gc.event("ev1", start=START, attendees=(REP, *CALDER), summary="Calder sync"))
    channel = CalendarJobs(grt).open_google(rep_email=REP, calendar_id="primary")
    assert (
        gcal.channels[channel]["address"] == "https://engage.example.com/webhooks/google-calendar"
    )
    client = TestClient(create_app(grt))
    assert notify(client, channel, 1, "sync").json()["status"] == "ignored"
    first = meetings_by_event(grt)["ev1"]
    assert first.status == "scheduled"
    assert first.deal_id
    assert first.attendees == [REP, *CALDER]

    for n in range(2, 5):
        gcal.put(fake_gc.event(f"ev{n}", start=START, attendees=(REP, "x@nowhere-corp.com")))
    gcal.cancel("ev1")
    assert notify(client, channel, 2).json()["status"] == "accepted"
    assert notify(client, channel, 2).json()["status"] == "duplicate"
    seen = meetings_by_event(grt)
    assert set(seen) == {"ev1", "ev2", "ev3", "ev4"}
    assert seen["ev1"].status == "failed"
    assert seen["ev1"].failure_reason == "cancelled in the calendar"
    with grt.db.session() as session:
        assert session.get(MeetingLink, seen["ev2"].id).status == "unmatched"  # type: ignore[union-attr]

    with grt.db.session() as session:
        token = session.get_one(CalendarChannel, channel).sync_token
    gcal.expired.add(token or "")
    gcal.put(fake_gc.event("ev5", start=START, attendees=(REP, *CALDER)))
    syncs = gcal.full_syncs
    notify(client, channel, 3)
    assert gcal.full_syncs == syncs + 1
    assert set(meetings_by_event(grt)) == {"ev1", "ev2", "ev3", "ev4", "ev5"}


def test_channels_are_renewed_before_they_expire(
    grt: Runtime, gcal: fake_gc.FakeGoogleCalendar, clock: FrozenClock
) -> None:
    old = CalendarJobs(grt).open_google(rep_email=REP, calendar_id="primary")
    with grt.db.session() as session:
        expires = session.get_one(CalendarChannel, old).expires_at
    assert expires is not None
    grt.submit("renew_channels", {})
    assert old not in gcal.stopped
    clock.current = expires - timedelta(hours=2)
    grt.submit("renew_channels", {}, dedupe_key="renew-later")
    assert gcal.stopped == [old]
    with grt.db.session() as session:
        active = session.scalars(
            select(CalendarChannel.id).where(CalendarChannel.status == "active")
        ).all()
    assert len(active) == 1
    assert active[0] != old


def test_zoom_recording_lands_on_the_calendar_meeting(
    grt: Runtime, gcal: fake_gc.FakeGoogleCalendar, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    gcal.put(fake_gc.event("evz", start=START, attendees=(REP, *CALDER), zoom_number=81234567000))
    CalendarJobs(grt).open_google(rep_email=REP, calendar_id="primary")
    scheduled = meetings_by_event(grt)["evz"]
    body = calder_recording(zoom, uuid="inst-1", number=81234567000, start=START)
    zoom.participants.pop("inst-1")
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    client = TestClient(create_app(grt))
    assert client.post("/webhooks/zoom", content=raw, headers=headers).status_code == 200
    with grt.db.session() as session:
        ref = session.get_one(MeetingRef, ("zoom", "inst-1"))
        assert ref.meeting_id == scheduled.id
        assert session.scalars(select(Meeting).where(Meeting.source == "zoom")).all() == []
        proposal = session.scalars(select(Proposal).where(Proposal.meeting_id == scheduled.id))
        assert [p.status for p in proposal] == ["pending"]
