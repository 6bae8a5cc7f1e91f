"""End to end: a Zoom `recording.completed` with only an audio file (speech made with espeak-ng)
is downloaded, transcribed by faster-whisper, linked, and waits as a proposal for the right rep."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.db.tables import Job, Meeting, Proposal, User
from agent.runtime import Runtime
from agent.services.meetings import latest_transcript
from tests.api.webhook_support import CALDER, REP, ZOOM_SECRET
from tests.audio import SALES_CALL, render_call, speech_tools  # noqa: F401 (fixture)
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock

pytestmark = pytest.mark.slow


@pytest.mark.usefixtures("speech_tools")
def test_audio_only_recording_becomes_a_proposal_for_the_host(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock, tmp_path: Path
) -> None:
    audio = render_call(SALES_CALL, tmp_path / "call.wav").read_bytes()
    zoom.participants["audio-1"] = [REP, *CALDER]
    url = zoom.add_file(audio, name="audio-1.m4a")
    body = fake_zoom.event_body(
        "recording.completed",
        uuid="audio-1",
        meeting_number=81999999999,
        host_email=REP,
        start=datetime(2026, 11, 20, 13, 0, tzinfo=UTC),
        files=[fake_zoom.recording_file(url, file_type="M4A", size=len(audio))],
        download_token=zoom.new_download_token(),
    )
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    assert client.post("/webhooks/zoom", content=raw, headers=headers).status_code == 200
    with rt.db.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "zoom_event")).one()
        assert (job.status, job.last_error) == ("done", None)
        meeting = session.scalars(select(Meeting).where(Meeting.source == "zoom")).one()
        assert session.get_one(User, meeting.rep_id).email == REP
        transcript = latest_transcript(session, meeting.id)
        proposals = session.scalars(select(Proposal).where(Proposal.meeting_id == meeting.id))
        assert [p.status for p in proposals] == ["pending"]
    assert transcript is not None
    assert "budget" in transcript.full_text.lower()
