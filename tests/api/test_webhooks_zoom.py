"""Zoom webhooks: the documented signature with a fixed vector, the validation handshake, replay
and SSRF refusals, and a transcript event that becomes a proposal for the right rep, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agent.api.app import create_app
from agent.db.tables import Job, Meeting, Proposal, WebhookEvent
from agent.runtime import Runtime, build_runtime
from agent.settings import Settings
from connectors.zoom import SignatureError, sign, url_validation, verify
from tests.api.webhook_support import REP, ZOOM_SECRET, calder_recording
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock

VECTOR_BODY = Path("/work/shared/zoom_test_vector_body.json")
VECTOR_SIGNATURE = "v0=fff41329468aedc93fbc2f32647a451b993f23d8a8a14ee88b90e201d807d5b1"
VALIDATION_BODY = (
    b'{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1719500000000,'
    b'"event":"endpoint.url_validation"}'
)
VECTOR_RAW = (
    b'{"event":"recording.transcript_completed","event_ts":1719500123456,"payload":{"account_id":'
    b'"AAAAAABBBB","object":{"uuid":"4444AAAiAAAAAiAiAiiAii==","id":87565330005,"host_id":'
    b'"x1yCzABCDEfg23HiJKl4mN","host_email":"host@example.com","topic":"Acme renewal call",'
    b'"start_time":"2024-06-27T14:00:00Z","duration":30,"recording_files":[{"id":'
    b'"ed6c2f27-2ae7-42f4-b3d0-835b493e4fa8","recording_start":"2024-06-27T14:00:05Z",'
    b'"recording_end":"2024-06-27T14:30:01Z","file_type":"TRANSCRIPT","file_extension":"VTT",'
    b'"file_size":14200,"download_url":"https://example.zoom.us/rec/webhook_download/abc/def",'
    b'"status":"completed","recording_type":"audio_transcript"}]}},"download_token":'
    b'"dl_tok_example"}'
)
AT_VECTOR = datetime.fromtimestamp(1719500124, tz=UTC)


def test_signature_matches_the_documented_vector() -> None:
    assert len(VECTOR_RAW) == 685
    if VECTOR_BODY.exists():
        assert VECTOR_BODY.read_bytes() == VECTOR_RAW
    assert sign(ZOOM_SECRET, "1719500124", VECTOR_RAW) == VECTOR_SIGNATURE
    verify(
        secret=ZOOM_SECRET,
        timestamp="1719500124",
        signature=VECTOR_SIGNATURE,
        body=VECTOR_RAW,
        now=AT_VECTOR,
    )


def test_reserialized_json_does_not_verify() -> None:
    reserialized = json.dumps(json.loads(VECTOR_RAW)).encode()
    assert sign(ZOOM_SECRET, "1719500124", reserialized) == (
        "v0=13b9ed61625e897a8b373cc09b48e9f57ab580efe84b671843107b0d9e3cf9f1"
    )
    with pytest.raises(SignatureError, match="does not match"):
        verify(
            secret=ZOOM_SECRET,
            timestamp="1719500124",
            signature=VECTOR_SIGNATURE,
            body=reserialized,
            now=AT_VECTOR,
        )


def test_url_validation_vector() -> None:
    answer = url_validation(ZOOM_SECRET, "qgg8vlvZRS6UYooatFL8Aw")
    assert answer == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "36366daf2d4714f8c0a652c5bc15ec090ae489559d1ed7751cc464fa35e95eef",
    }
    assert sign(ZOOM_SECRET, "1719500000", VALIDATION_BODY) == (
        "v0=38e3b1561c279744320e6960ffa121209f936fcdbd1b28fd971d44c307054676"
    )


def test_validation_handshake_through_the_route(client: TestClient, clock: FrozenClock) -> None:
    clock.current = datetime.fromtimestamp(1719500000, tz=UTC)
    headers = {
        "x-zm-request-timestamp": "1719500000",
        "x-zm-signature": "v0=38e3b1561c279744320e6960ffa121209f936fcdbd1b28fd971d44c307054676",
    }
    answer = client.post("/webhooks/zoom", content=VALIDATION_BODY, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["encryptedToken"] == (
        "36366daf2d4714f8c0a652c5bc15ec090ae489559d1ed7751cc464fa35e95eef"
    )


def test_unconfigured_secret_is_503(settings: Settings, clock: FrozenClock) -> None:
    runtime = build_runtime(settings, clock=clock)
    try:
        answer = TestClient(create_app(runtime)).post(
            "/webhooks/zoom", content=VECTOR_RAW, headers={"x-zm-request-timestamp": "1"}
        )
    finally:
        runtime.close()
    assert answer.status_code == 503
    assert "ZOOM_WEBHOOK_SECRET_TOKEN" in answer.json()["detail"]


def test_bad_signature_and_stale_replay_are_401(
    client: TestClient, rt: Runtime, clock: FrozenClock
) -> None:
    clock.current = AT_VECTOR
    good = {"x-zm-request-timestamp": "1719500124", "x-zm-signature": VECTOR_SIGNATURE}
    forged = {**good, "x-zm-signature": "v0=" + "0" * 64}
    assert client.post("/webhooks/zoom", content=VECTOR_RAW, headers=forged).status_code == 401
    clock.advance(minutes=6)
    stale = client.post("/webhooks/zoom", content=VECTOR_RAW, headers=good)
    assert stale.status_code == 401
    assert "replay" in stale.json()["detail"]
    with rt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_transcript_event_becomes_one_pending_proposal(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    body = calder_recording(zoom, uuid="abc/123==", number=81234567890)
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    first = client.post("/webhooks/zoom", content=raw, headers=headers)
    assert first.status_code == 200
    assert first.json()["status"] == "accepted"
    again = client.post("/webhooks/zoom", content=raw, headers=headers)
    assert again.json()["status"] == "duplicate"
    with rt.db.session() as session:
        meeting = session.scalars(select(Meeting).where(Meeting.source == "zoom")).one()
        proposals = session.scalars(select(Proposal).where(Proposal.meeting_id == meeting.id))
        assert [p.status for p in proposals] == ["pending"]
    listed = client.get(
        f"/api/v1/meetings/{meeting.id}/link", headers={"Authorization": f"Bearer {_token(rt)}"}
    )
    assert listed.json()["status"] == "linked"
    assert (
        meeting.deal_id
        == rt.crm.match_identities(emails=[], domains=["calderrobotics.com"]).open_deals[0].id
    )
    assert zoom.hosts() <= {"zoom.us", "api.zoom.us", "acme.zoom.us", "ssrweb.zoom.us"}


def _token(rt: Runtime) -> str:
    from agent.services.users import rotate_token

    with rt.db.session() as session:
        return rotate_token(session, email=REP)


def test_download_outside_zoom_is_refused(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    body = calder_recording(zoom, uuid="ssrf-1", number=81234567891)
    files = body["payload"]["object"]["recording_files"]  # type: ignore[index]
    files[0]["download_url"] = "https://169.254.169.254.nip.io/latest/meta-data"
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    assert client.post("/webhooks/zoom", content=raw, headers=headers).status_code == 200
    with rt.db.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "zoom_event")).one()
    assert job.status == "dead"
    assert "not an https Zoom host" in (job.last_error or "")
    assert "169.254.169.254.nip.io" not in zoom.hosts()


def test_expired_download_token_falls_back_to_the_recordings_api(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    body = calder_recording(zoom, uuid="late-1", number=81234567892)
    zoom.download_tokens.discard(str(body["download_token"]))
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    client.post("/webhooks/zoom", content=raw, headers=headers)
    with rt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Proposal)) >= 1
        job = session.scalars(select(Job).where(Job.kind == "zoom_event")).one()
    assert job.status == "done"


def test_audio_without_a_transcriber_is_a_dead_letter_with_the_reason(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    rt.ingest.transcriber = None
    url = zoom.add_file(b"RIFF....WAVE", name="no-asr.m4a")
    body = fake_zoom.event_body(
        "recording.completed",
        uuid="no-asr-1",
        meeting_number=81234567893,
        host_email=REP,
        start=clock.now(),
        files=[fake_zoom.recording_file(url, file_type="M4A", size=12)],
        download_token=zoom.new_download_token(),
    )
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    assert client.post("/webhooks/zoom", content=raw, headers=headers).status_code == 200
    with rt.db.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "zoom_event")).one()
    assert job.status == "dead"
    assert "no transcriber configured" in (job.last_error or "")


def test_unknown_host_is_a_dead_letter_naming_the_fix(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    body = calder_recording(zoom, uuid="stranger-1", number=81234567894)
    body["payload"]["object"]["host_email"] = "someone@elsewhere.com"  # type: ignore[index]
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    assert client.post("/webhooks/zoom", content=raw, headers=headers).status_code == 200
    with rt.db.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "zoom_event")).one()
    assert job.status == "dead"
    assert "engage users add" in (job.last_error or "")
