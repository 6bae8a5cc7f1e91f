"""One activity per call: the same call reported by two sources becomes one meeting, one proposal
and one summary note — two hosts uploading their notetakers' transcripts, or a Zoom recording
hosted by one rep while the call sits on another rep's calendar."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.db.tables import Meeting
from agent.demo import seed_demo_book
from agent.runtime import Runtime, build_runtime
from agent.services import linking
from agent.services import meetings as meeting_service
from agent.services.users import add_user, rotate_token
from agent.settings import Settings
from connectors.ingestion import build_ingest_kit
from connectors.sandbox.crm import SandboxCrm
from tests.api.webhook_support import CALDER, ZOOM_SECRET, ingest_settings
from tests.delivery.conftest import REP, MakeRuntime, auth
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock

SAM = "sam@engage-demo.com"
CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: The budget we approved is $60,000 for the first year.
Riley Chen: Great, I'll send the order form by Friday.
"""


def second_host(rt: Runtime, clock: FrozenClock, riley_meeting: dict[str, Any]) -> tuple[str, str]:
    """Sam has the same call on his own calendar, five minutes off: his meeting and token."""
    with rt.db.session() as session:
        sam, token = add_user(session, email=SAM, role="rep", name="Sam", now=clock.now())
        start = riley_meeting["start"]
        view = meeting_service.create_meeting(
            session,
            title="Calder sync (Sam's calendar)",
            rep=sam,
            crm_system=rt.crm.system,
            deal_id="",
            start=start + timedelta(minutes=5),
            end=None,
            attendees=(SAM, CALDER[0]),
            source="google_calendar",
            external_id="sam-event-1",
            now=clock.now(),
        )
    return view.id, token


def notes(rt: Runtime, deal_id: str) -> int:
    crm = rt.crm
    assert isinstance(crm, SandboxCrm)
    return len(crm.read_context(deal_id).notes)


def test_two_hosts_one_call_one_proposal_one_note(make_rt: MakeRuntime, clock: FrozenClock) -> None:
    rt = make_rt()
    seed_demo_book(rt)
    with rt.db.session() as session:
        riley = rotate_token(session, email=REP)
    client = TestClient(create_app(rt))
    calder = next(
        m
        for m in client.get("/api/v1/meetings", headers=auth(riley)).json()
        if m["title"].startswith("Calder")
    )
    with rt.db.session() as session:
        calder["start"] = session.get_one(Meeting, calder["id"]).start_at
    sam_meeting, sam = second_host(rt, clock, calder)
    before = notes(rt, calder["deal_id"])

    for meeting_id, token in ((sam_meeting, sam), (calder["id"], riley)):
        posted = client.post(
            f"/api/v1/meetings/{meeting_id}/transcript",
            content=CALL,
            headers={**auth(token), "Content-Type": "text/plain"},
        )
        assert posted.status_code == 202

    merged = client.get(f"/api/v1/meetings/{sam_meeting}", headers=auth(sam)).json()
    assert (merged["status"], merged["merged_into"], merged["proposal_id"]) == (
        "merged",
        calder["id"],
        None,
    )
    primary = client.get(f"/api/v1/meetings/{calder['id']}", headers=auth(riley)).json()
    assert primary["status"] == "proposed"
    assert primary["proposal_id"]
    assert SAM in primary["attendees"]
    listed = client.get("/api/v1/proposals", headers=auth(riley)).json()
    assert [p["meeting_id"] for p in listed].count(calder["id"]) == 1
    assert client.get("/api/v1/proposals", headers=auth(sam)).json() == []

    approved = client.post(
        f"/api/v1/proposals/{primary['proposal_id']}/approve",
        json={"all": True},
        headers=auth(riley),
    )
    assert approved.status_code == 200
    assert notes(rt, calder["deal_id"]) == before + 1


def test_a_zoom_recording_of_another_host_joins_the_calendar_meeting(
    settings: Settings, clock: FrozenClock
) -> None:
    zoom = fake_zoom.FakeZoom()
    configured = ingest_settings(settings)
    rt = build_runtime(configured, clock=clock)
    rt.ingest = build_ingest_kit(configured, transport=zoom.transport)
    try:
        seed_demo_book(rt)
        with rt.db.session() as session:
            riley = rotate_token(session, email=REP)
            add_user(session, email=SAM, role="rep", name="Sam", now=clock.now())
            calder = next(m for m in session.query(Meeting) if m.title.startswith("Calder"))
            linking.save_link(
                session,
                meeting_id=calder.id,
                result=linking.LinkResult(status=linking.LINKED, deal_id=calder.deal_id),
                conference_key="zoom:88877766655",
                now=clock.now(),
            )
            start, calder_id, deal_id = calder.start_at, calder.id, calder.deal_id
        client = TestClient(create_app(rt))
        body = _sams_recording(zoom, number=88877766655, start=start)
        raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
        delivered = client.post("/webhooks/zoom", content=raw, headers=headers)
        assert delivered.status_code == 200
        meetings = client.get("/api/v1/meetings", headers=auth(riley)).json()
        primary = next(m for m in meetings if m["id"] == calder_id)
        assert primary["status"] == "proposed"
        assert primary["proposal_id"]
        with rt.db.session() as session:
            twins = session.query(Meeting).filter(Meeting.merged_into == calder_id).all()
            assert [(t.source, t.status) for t in twins] == [("zoom", "merged")]
        proposals = client.get("/api/v1/proposals", headers=auth(riley)).json()
        assert [p["meeting_id"] for p in proposals].count(calder_id) == 1
        assert deal_id == primary["deal_id"]
    finally:
        rt.close()


def _sams_recording(zoom: fake_zoom.FakeZoom, *, number: int, start: Any) -> dict[str, object]:
    from tests.api.webhook_support import CALDER_VTT

    uuid = "sam-instance-1=="
    zoom.participants[uuid] = [SAM, *CALDER]
    url = zoom.add_file(CALDER_VTT.encode(), name="vtt-sam")
    return fake_zoom.event_body(
        "recording.transcript_completed",
        uuid=uuid,
        meeting_number=number,
        host_email=SAM,
        start=start,
        files=[fake_zoom.recording_file(url, file_type="TRANSCRIPT", size=len(CALDER_VTT))],
        download_token=zoom.new_download_token(),
    )
