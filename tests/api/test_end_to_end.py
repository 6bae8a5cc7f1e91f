"""The whole first path through the HTTP API, on SQLite and on PostgreSQL.

seed → brief (zero CRM writes) → post a transcript → proposal → approve as another rep (403) and
as the owner (200) → applied → CRM value changed → audit entries complete → chain verifies → an
edited audit row is detected.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.domain.audit import AUDIT_KEYS
from agent.domain.models import ObjectType
from agent.runtime import Runtime
from agent.services.users import add_user
from connectors.sandbox.crm import SandboxCrm

CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: Happy to. We went through the numbers with finance last week.
Elena Novak: The budget we approved is $60,000 for the first year.
Elena Novak: We want the contract signed by January 30th.
Riley Chen: Great, I'll send the order form by Friday.
"""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def by_field(proposal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["field"]: c for c in proposal["changes"]}


def test_meeting_to_audited_crm_write(runtime: Runtime) -> None:
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    with runtime.db.session() as session:
        _, other_token = add_user(
            session, email="sam@engage-demo.com", role="rep", name="Sam", now=runtime.clock.now()
        )
    client = TestClient(create_app(runtime))
    rep = auth(setup.token)

    meetings = client.get("/api/v1/meetings", headers=rep).json()
    assert len(meetings) == 3
    assert client.get("/api/v1/meetings", headers=auth(other_token)).json() == []
    upcoming = next(m for m in meetings if m["status"] == "scheduled")

    writes_before = crm.write_count()
    brief = client.get(f"/api/v1/meetings/{upcoming['id']}/brief", headers=rep)
    assert brief.status_code == 200
    assert brief.json()["account_name"] == "Calder Robotics"
    assert crm.write_count() == writes_before

    posted = client.post(
        f"/api/v1/meetings/{upcoming['id']}/transcript",
        content=CALL,
        headers={**rep, "Content-Type": "text/plain"},
    )
    assert posted.status_code == 202
    meeting = client.get(f"/api/v1/meetings/{upcoming['id']}", headers=rep).json()
    assert meeting["status"] == "proposed"
    proposal_id = meeting["proposal_id"]

    proposal = client.get(f"/api/v1/proposals/{proposal_id}", headers=rep).json()
    changes = by_field(proposal)
    assert changes["deal.amount"]["after"] == 60000.0
    assert changes["deal.amount"]["before"] == 45000.0
    assert changes["deal.amount"]["critical"] is True
    assert "$60,000" in changes["deal.amount"]["evidence"]["quote"]
    assert changes["deal.close_date"]["after"] == "2027-01-30"

    foreign = client.post(
        f"/api/v1/proposals/{proposal_id}/approve", json={"all": True}, headers=auth(other_token)
    )
    assert foreign.status_code == 403
    assert (
        client.get(f"/api/v1/proposals/{proposal_id}", headers=auth(other_token)).status_code == 403
    )

    approved = client.post(
        f"/api/v1/proposals/{proposal_id}/approve", json={"all": True}, headers=rep
    )
    assert approved.status_code == 200
    assert {c["status"] for c in approved.json()["changes"]} == {"applied"}

    deal = crm.get_record(ObjectType.DEAL, meeting["deal_id"])
    assert deal["amount"] == 60000.0
    assert deal["close_date"] == "2027-01-30"

    audit = client.get(
        "/api/v1/audit", params={"object_id": meeting["deal_id"]}, headers=rep
    ).json()
    assert {e["field"] for e in audit} >= {"deal.amount", "deal.close_date"}
    for entry in audit:
        assert set(AUDIT_KEYS) | {"seq", "prev_hash", "hash"} <= set(entry)
        assert entry["approved_by"] == "riley@engage-demo.com"
        assert entry["written_by"] == crm.service_account
        assert entry["target"] == "sandbox"
        assert entry["proposal_id"] == proposal_id
        assert entry["model"] == "rules"
        assert entry["evidence"]["quote"]
    assert client.get("/api/v1/audit", headers=auth(other_token)).json() == []

    assert client.get("/api/v1/audit/verify", headers=rep).json()["ok"] is True
    with runtime.db.session() as session:  # an attacker who can switch the triggers off
        postgres = session.get_bind().dialect.name == "postgresql"
        session.execute(
            text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only")
            if postgres
            else text("DROP TRIGGER audit_entries_tombstone_only")
        )
        session.execute(text("UPDATE audit_entries SET after = :v WHERE seq = 1"), {"v": "1000000"})
        if postgres:
            session.execute(
                text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only")
            )
    verdict = client.get("/api/v1/audit/verify", headers=rep).json()
    assert verdict["ok"] is False
    assert verdict["bad_seq"] == 1


def test_a_value_changed_in_the_crm_since_the_proposal_is_a_conflict(runtime: Runtime) -> None:
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    client = TestClient(create_app(runtime))
    rep = auth(setup.token)
    proposal = next(
        p
        for p in client.get("/api/v1/proposals", headers=rep).json()
        if "deal.amount" in by_field(p)
    )
    amount = by_field(proposal)["deal.amount"]
    crm.update_as_person(
        ObjectType.DEAL, amount["object_id"], {"amount": 99000.0}, who="someone@northwind.example"
    )

    done = client.post(
        f"/api/v1/proposals/{proposal['id']}/approve", json={"all": True}, headers=rep
    ).json()
    statuses = {c["field"]: c["status"] for c in done["changes"]}
    assert statuses["deal.amount"] == "conflict"
    assert by_field(done)["deal.amount"]["conflict_value"] == 99000.0
    assert crm.get_record(ObjectType.DEAL, amount["object_id"])["amount"] == 99000.0
    assert all(s == "applied" for f, s in statuses.items() if f != "deal.amount")
    assert done["status"] == "partially_applied"

    again = client.post(
        f"/api/v1/proposals/{proposal['id']}/approve", json={"all": True}, headers=rep
    )
    assert again.status_code == 200
    audit = client.get("/api/v1/audit", headers=rep).json()
    assert len([e for e in audit if e["proposal_id"] == proposal["id"]]) == len(statuses) - 1


def test_the_meetings_rep_is_on_the_team_side(runtime: Runtime) -> None:
    """The rep's own commitments belong to `rep`, never to a customer first name."""
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    client = TestClient(create_app(runtime))
    proposals = client.get("/api/v1/proposals", headers=auth(setup.token)).json()
    steps = [s for p in proposals for s in p["next_steps"]]
    order_form = next(s for s in steps if "revised order form" in s["action"])
    assert order_form["owner"] == "rep"
    assert {s["owner"] for s in steps} >= {"rep", "Dana", "Marcus"}
