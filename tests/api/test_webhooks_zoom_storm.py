"""500 Zoom deliveries: 30% duplicates, 10% out of order, stale replays among them.

Exactly one meeting and one proposal per recording, every stale replay refused with 401, and the
ledger holds each distinct event once.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.db.tables import Meeting, MeetingRef, Proposal, WebhookEvent
from agent.runtime import Runtime
from tests.api.webhook_support import CALDER, CALDER_VTT, REP, ZOOM_SECRET
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock

RECORDINGS = 117
TOTAL, DUPLICATES, STALE = 500, 130, 20


def _recording_events(zoom: fake_zoom.FakeZoom, n: int) -> list[dict[str, Any]]:
    uuid = f"rec{n:03d}/x=="
    start = datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(minutes=n)
    zoom.participants[uuid] = [REP, *CALDER]
    vtt = fake_zoom.recording_file(
        zoom.add_file(CALDER_VTT.encode()), file_type="TRANSCRIPT", size=len(CALDER_VTT)
    )
    audio = fake_zoom.recording_file(zoom.add_file(b"\0" * 64), file_type="M4A", size=64)
    common = {"uuid": uuid, "meeting_number": 80000000000 + n, "host_email": REP, "start": start}
    token = zoom.new_download_token()
    return [
        fake_zoom.event_body("meeting.ended", **common, event_ts=1),
        fake_zoom.event_body(
            "recording.completed", **common, files=[audio, vtt], download_token=token, event_ts=2
        ),
        fake_zoom.event_body(
            "recording.transcript_completed",
            **common,
            files=[vtt],
            download_token=token,
            event_ts=3,
        ),
    ]


def _deliveries(zoom: fake_zoom.FakeZoom) -> list[tuple[dict[str, Any], bool]]:
    """(event, stale?) in delivery order, 500 in all."""
    rng = random.Random(20261120)
    unique = [e for n in range(RECORDINGS) for e in _recording_events(zoom, n)][: TOTAL - 150]
    sends: list[tuple[dict[str, Any], bool]] = [(e, False) for e in unique]
    sends += [(rng.choice(unique), False) for _ in range(DUPLICATES)]
    sends += [(rng.choice(unique), True) for _ in range(STALE)]
    rng.shuffle(sends[len(unique) :])
    ordered = sends[: len(unique)]
    for extra in sends[len(unique) :]:
        ordered.insert(rng.randrange(len(ordered) + 1), extra)
    for _ in range(TOTAL // 20):
        i = rng.randrange(len(ordered) - 10)
        j = i + rng.randrange(1, 10)
        ordered[i], ordered[j] = ordered[j], ordered[i]
    return ordered


def test_storm_of_deliveries_makes_one_meeting_and_one_proposal_per_recording(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    deliveries = _deliveries(zoom)
    assert len(deliveries) == TOTAL
    statuses: Counter[tuple[bool, int]] = Counter()
    for body, stale in deliveries:
        at = clock.now() - timedelta(minutes=6) if stale else clock.now()
        raw, headers = fake_zoom.signed(ZOOM_SECRET, body, at)
        statuses[
            (stale, client.post("/webhooks/zoom", content=raw, headers=headers).status_code)
        ] += 1
    assert statuses[(True, 401)] == STALE
    assert statuses[(False, 200)] == TOTAL - STALE
    with rt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == TOTAL - 150
        per_recording = Counter(
            session.scalars(select(MeetingRef.meeting_id).where(MeetingRef.system == "zoom"))
        )
        assert len(per_recording) == RECORDINGS
        assert set(per_recording.values()) == {1}
        zoom_meetings = select(Meeting.id).where(Meeting.source == "zoom")
        assert session.scalar(select(func.count()).select_from(zoom_meetings.subquery())) == (
            RECORDINGS
        )
        proposals = Counter(
            session.scalars(
                select(Proposal.meeting_id).where(Proposal.meeting_id.in_(zoom_meetings))
            )
        )
        assert len(proposals) == RECORDINGS
        assert set(proposals.values()) == {1}
