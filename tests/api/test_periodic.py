"""Periodic jobs: briefs ahead of meetings (refreshed when the CRM changes), reconcile of a
recording whose webhook never came, one job per slot however often the scheduler ticks."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.db.tables import Job, Meeting, PreparedBrief, Proposal
from agent.domain.models import ObjectType
from agent.runtime import Runtime
from agent.services import signals as signal_service
from agent.services.users import rotate_token
from agent.worker.periodic import tick
from connectors.sandbox.crm import SandboxCrm
from tests.api.webhook_support import REP, calder_recording
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock


def upcoming(rt: Runtime) -> Meeting:
    with rt.db.session() as session:
        return session.scalars(select(Meeting).where(Meeting.status == "scheduled")).one()


def test_brief_prepared_ahead_and_refreshed_when_the_crm_changes(
    rt: Runtime, client: TestClient, clock: FrozenClock
) -> None:
    crm = rt.crm
    assert isinstance(crm, SandboxCrm)
    meeting = upcoming(rt)
    rt.submit("prepare_briefs", {})
    with rt.db.session() as session:
        assert session.get(PreparedBrief, meeting.id) is None
    clock.current = meeting.start_at - timedelta(minutes=30)
    writes = crm.write_count()
    rt.submit("prepare_briefs", {}, dedupe_key="b1")
    with rt.db.session() as session:
        first = session.get_one(PreparedBrief, meeting.id)
        assert session.get_one(Meeting, meeting.id).status == "brief_ready"
    assert crm.write_count() == writes
    rt.submit("prepare_briefs", {}, dedupe_key="b2")
    with rt.db.session() as session:
        assert session.get_one(PreparedBrief, meeting.id).fingerprint == first.fingerprint
    crm.update_as_person(ObjectType.DEAL, meeting.deal_id, {"amount": 51000.0}, who="pat")
    with rt.db.session() as session:
        signal_service.record_signal(
            session,
            crm=crm,
            signal=signal_service.SignalIn(
                kind="pricing_page_visit",
                source="web",
                occurred_at=clock.now(),
                email="elena.novak@calderrobotics.com",
            ),
            now=clock.now(),
        )
    clock.advance(minutes=5)
    rt.submit("prepare_briefs", {}, dedupe_key="b3")
    with rt.db.session() as session:
        refreshed = session.get_one(PreparedBrief, meeting.id)
    assert refreshed.fingerprint != first.fingerprint
    assert refreshed.content["amount"] == 51000.0
    assert [s["kind"] for s in refreshed.content["signals"]] == ["pricing_page_visit"]
    with rt.db.session() as session:
        token = rotate_token(session, email=REP)
    answer = client.get(
        f"/api/v1/meetings/{meeting.id}/brief/prepared",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    assert answer.json()["brief"]["amount"] == 51000.0


def test_reconcile_finds_a_recording_whose_webhook_was_missed(
    rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock
) -> None:
    body = calder_recording(zoom, uuid="missed-1", number=81200000001)
    meeting_object = body["payload"]["object"]  # type: ignore[index]
    zoom.recordings.append(meeting_object)
    first = tick(rt)
    assert tick(rt) == first
    with rt.db.session() as session:
        kinds = session.scalars(select(Job.kind).where(Job.id.in_(first))).all()
        assert sorted(kinds) == [
            "audit_head",
            "health_checks",
            "prepare_briefs",
            "privacy_purge",
            "reconcile",
            "renew_channels",
        ]
        meeting = session.scalars(select(Meeting).where(Meeting.source == "zoom")).one()
        proposals = session.scalars(select(Proposal).where(Proposal.meeting_id == meeting.id))
        assert [p.status for p in proposals] == ["pending"]
    clock.advance(minutes=20)
    tick(rt)
    with rt.db.session() as session:
        assert (
            len(session.scalars(select(Proposal).where(Proposal.meeting_id == meeting.id)).all())
            == 1
        )
