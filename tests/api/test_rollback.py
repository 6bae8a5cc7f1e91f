"""Rollback through the API and the review page: a change or a whole proposal reverted in one
click, audited with a link to the entry it reverts, and a conflict when a person edited since."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.domain.models import ObjectType
from agent.runtime import Runtime
from agent.services.users import add_user
from connectors.sandbox.crm import SandboxCrm
from tests.api.test_pages import csrf_of, logged_in


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def by_field(proposal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["field"]: c for c in proposal["changes"]}


def applied_northwind(client: TestClient, rep: dict[str, str]) -> dict[str, Any]:
    """The demo's Northwind proposal (amount, close date, stage, competitors), all applied."""
    proposal = next(
        p
        for p in client.get("/api/v1/proposals", headers=rep).json()
        if "deal.stage" in by_field(p)
    )
    done = client.post(
        f"/api/v1/proposals/{proposal['id']}/approve", json={"all": True}, headers=rep
    )
    assert {c["status"] for c in done.json()["changes"]} == {"applied"}
    result: dict[str, Any] = done.json()
    return result


def test_one_change_and_then_the_rest_are_reverted_and_audited(runtime: Runtime) -> None:
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    client = TestClient(create_app(runtime))
    rep = auth(setup.token)
    proposal = applied_northwind(client, rep)
    changes = by_field(proposal)
    deal_id = proposal["deal_id"]
    amount = changes["deal.amount"]
    audit = client.get("/api/v1/audit", params={"object_id": deal_id}, headers=rep).json()
    amount_entry = next(e for e in audit if e["change_id"] == amount["id"])
    assert crm.get_record(ObjectType.DEAL, deal_id)["amount"] == 138000.0

    one = client.post(
        f"/api/v1/proposals/{proposal['id']}/revert",
        json={"changes": [{"id": amount["id"]}]},
        headers=rep,
    )
    assert one.status_code == 200
    reverted = by_field(one.json())["deal.amount"]
    assert reverted["status"] == "reverted"
    assert reverted["revert"]["status"] == "applied"
    assert reverted["revert"]["reverts_audit_seq"] == amount_entry["seq"]
    assert crm.get_record(ObjectType.DEAL, deal_id)["amount"] == 96000.0
    assert by_field(one.json())["deal.stage"]["status"] == "applied"

    entry = next(
        e
        for e in client.get("/api/v1/audit", params={"object_id": deal_id}, headers=rep).json()
        if e["change_id"] == reverted["revert"]["id"]
    )
    assert (entry["field"], entry["before"], entry["after"]) == ("deal.amount", 138000, 96000)
    assert entry["evidence"]["reverts"] == amount_entry["seq"]
    assert entry["evidence"]["reverted_change_id"] == amount["id"]
    assert entry["approved_by"] == setup.rep_email
    assert entry["written_by"] == crm.service_account

    again = client.post(
        f"/api/v1/proposals/{proposal['id']}/revert",
        json={"changes": [{"id": amount["id"]}]},
        headers=rep,
    )
    assert again.status_code == 422
    assert "only an applied one reverts" in again.json()["detail"]

    rest = client.post(f"/api/v1/proposals/{proposal['id']}/revert", json={}, headers=rep).json()
    assert {c["status"] for c in rest["changes"]} == {"reverted"}
    assert rest["status"] == "reverted"
    deal = crm.get_record(ObjectType.DEAL, deal_id)
    assert deal["stage"] == "Proposal"
    assert deal["competitors"] == ["Clari"]
    assert client.get("/api/v1/audit/verify", headers=rep).json()["ok"] is True


def test_a_value_a_person_changed_since_is_a_conflict_not_a_revert(runtime: Runtime) -> None:
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    client = TestClient(create_app(runtime))
    rep = auth(setup.token)
    proposal = applied_northwind(client, rep)
    deal_id = proposal["deal_id"]
    crm.update_as_person(
        ObjectType.DEAL, deal_id, {"amount": 150000.0}, who="dana@northwind.example"
    )
    audit_before = len(client.get("/api/v1/audit", headers=rep).json())

    done = client.post(f"/api/v1/proposals/{proposal['id']}/revert", json={}, headers=rep).json()
    amount = by_field(done)["deal.amount"]
    assert amount["status"] == "applied"
    assert amount["revert"]["status"] == "conflict"
    assert amount["revert"]["conflict_value"] == 150000.0
    assert crm.get_record(ObjectType.DEAL, deal_id)["amount"] == 150000.0
    others = [c for c in done["changes"] if c["field"] != "deal.amount"]
    assert {c["status"] for c in others} == {"reverted"}
    assert done["status"] != "reverted"
    audit = client.get("/api/v1/audit", headers=rep).json()
    assert len(audit) == audit_before + len(others)


def test_only_the_rep_reverts_and_only_applied_changes(runtime: Runtime) -> None:
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    with runtime.db.session() as session:
        _, other = add_user(
            session, email="sam@engage-demo.com", role="rep", name="Sam", now=runtime.clock.now()
        )
    client = TestClient(create_app(runtime))
    rep = auth(setup.token)
    pending = client.get("/api/v1/proposals", headers=rep).json()[0]
    refused = client.post(f"/api/v1/proposals/{pending['id']}/revert", json={}, headers=rep)
    assert refused.status_code == 422
    assert "no applied change to revert" in refused.json()["detail"]
    unknown = client.post(
        f"/api/v1/proposals/{pending['id']}/revert",
        json={"changes": [{"id": "chg_nope"}]},
        headers=rep,
    )
    assert unknown.status_code == 422

    proposal = applied_northwind(client, rep)
    foreign = client.post(
        f"/api/v1/proposals/{proposal['id']}/revert", json={}, headers=auth(other)
    )
    assert foreign.status_code == 403
    assert (
        client.post("/api/v1/proposals/prp_missing/revert", json={}, headers=rep).status_code == 404
    )
    assert (
        client.post(
            f"/api/v1/proposals/{proposal['id']}/revert", json={"all": True}, headers=rep
        ).status_code
        == 422
    )


def test_the_review_page_reverts_with_a_csrf_checked_button(runtime: Runtime) -> None:
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    client, token = logged_in(runtime)
    proposal = applied_northwind(client, auth(token))
    stage = by_field(proposal)["deal.stage"]

    page = client.get(f"/proposals/{proposal['id']}")
    assert f'name="change" value="{stage["id"]}"' in page.text
    assert 'action="/proposals/' in page.text

    forged = client.post(f"/proposals/{proposal['id']}/revert", data={"change": stage["id"]})
    assert forged.status_code == 403
    assert crm.get_record(ObjectType.DEAL, proposal["deal_id"])["stage"] == "Negotiation"

    done = client.post(
        f"/proposals/{proposal['id']}/revert",
        data={"csrf": csrf_of(page.text), "change": stage["id"]},
    )
    assert done.status_code == 200
    assert "Reverted: 1 change(s)" in done.text
    assert "reverted by riley@engage-demo.com" in done.text
    assert crm.get_record(ObjectType.DEAL, proposal["deal_id"])["stage"] == "Proposal"
