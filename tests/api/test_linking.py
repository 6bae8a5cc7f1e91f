"""Meeting linking: external attendees resolve to the one open deal, or the rep is asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.db.tables import Meeting, Proposal
from agent.runtime import Runtime
from agent.services import linking
from agent.services.users import rotate_token
from connectors.sandbox.crm import SandboxCrm
from tests.api.webhook_support import REP, ZOOM_SECRET, calder_recording
from tests.fakes import zoom as fake_zoom
from tests.support import FrozenClock

TEAM = frozenset({"engage-demo.com"})


def two_deal_account(crm: SandboxCrm) -> tuple[str, str]:
    with crm.batch() as writer:
        account = writer.create_account(name="Twofold Labs", domain="twofold.io")
        writer.create_contact(account_id=account, name="Ana Ruiz", email="ana@twofold.io")
        first = writer.create_deal(account_id=account, name="Twofold - Core", stage="Demo")
        second = writer.create_deal(account_id=account, name="Twofold - Add-on", stage="Proposal")
    return first, second


def test_resolution_by_email_and_domain(rt: Runtime) -> None:
    crm = rt.crm
    assert isinstance(crm, SandboxCrm)
    first, second = two_deal_account(crm)
    calder = linking.resolve(
        crm=crm, attendees=[REP, "Elena.Novak+cal@CalderRobotics.com"], team_domains=TEAM
    )
    assert calder.status == "linked"
    assert calder.deal_id
    assert calder.contact_ids
    ambiguous = linking.resolve(crm=crm, attendees=[REP, "ana@twofold.io"], team_domains=TEAM)
    assert ambiguous.status == "ambiguous"
    assert {c.id for c in ambiguous.candidates} == {first, second}
    assert ambiguous.deal_id is None
    by_domain = linking.resolve(crm=crm, attendees=["new.person@twofold.io"], team_domains=TEAM)
    assert by_domain.status == "ambiguous"
    assert linking.resolve(crm=crm, attendees=["x@gmail.com"], team_domains=TEAM).status == (
        "unmatched"
    )
    internal = linking.resolve(crm=crm, attendees=[REP, "pat@engage-demo.com"], team_domains=TEAM)
    assert internal.status == "internal"


@pytest.fixture
def token(rt: Runtime) -> str:
    with rt.db.session() as session:
        return rotate_token(session, email=REP)


def test_ambiguous_meeting_waits_for_the_rep(
    client: TestClient, rt: Runtime, zoom: fake_zoom.FakeZoom, clock: FrozenClock, token: str
) -> None:
    crm = rt.crm
    assert isinstance(crm, SandboxCrm)
    first, second = two_deal_account(crm)
    body = calder_recording(
        zoom, uuid="amb-1", number=81111111111, start=datetime(2026, 11, 20, 9, tzinfo=UTC)
    )
    zoom.participants["amb-1"] = [REP, "ana@twofold.io"]
    raw, headers = fake_zoom.signed(ZOOM_SECRET, body, clock.now())
    assert client.post("/webhooks/zoom", content=raw, headers=headers).status_code == 200
    with rt.db.session() as session:
        meeting = session.scalars(select(Meeting).where(Meeting.source == "zoom")).one()
        assert (
            session.scalars(select(Proposal)).all()
            == session.scalars(select(Proposal).where(Proposal.meeting_id != meeting.id)).all()
        )
    auth = {"Authorization": f"Bearer {token}"}
    link = client.get(f"/api/v1/meetings/{meeting.id}/link", headers=auth).json()
    assert link["status"] == "ambiguous"
    assert {c["id"] for c in link["candidates"]} == {first, second}
    assert meeting.status == "transcribed"

    chosen = client.post(
        f"/api/v1/meetings/{meeting.id}/link", json={"deal_id": second}, headers=auth
    )
    assert chosen.status_code == 200
    assert chosen.json()["status"] == "linked"
    with rt.db.session() as session:
        proposals = session.scalars(select(Proposal).where(Proposal.meeting_id == meeting.id))
        assert [p.status for p in proposals] == ["pending"]
        assert session.get_one(Meeting, meeting.id).deal_id == second
