"""Through the API: guards' flags, abstention ("mentioned, not proposed"), overwrite rules, a
person's edit since Engage's write, and an earlier call that said something else."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.domain.fields import DEFAULT_POLICY, FieldPolicy, OverwriteRule
from agent.domain.models import ObjectType
from agent.runtime import Runtime
from connectors.sandbox.crm import SandboxCrm
from tests.api.test_pages import logged_in
from tests.support import FrozenClock

BOLD_CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: We're ready to move into negotiation.
Elena Novak: The budget we approved is $120,000 for the first year.
Elena Novak: We want the contract signed by June 30th.
"""

HEDGED_CALL = """\
Riley Chen: Thanks for making time today, Elena.
Elena Novak: I think the budget we approved is $60,000 for the first year.
Elena Novak: We're also looking at Gong.
"""


def call(amount: str) -> str:
    return (
        f"Riley Chen: Hello Elena.\nElena Novak: The budget we approved is {amount} for the year.\n"
    )


def policy(rules: dict[str, dict[str, Any]]) -> FieldPolicy:
    fields = tuple(replace(f, **rules.get(f.name, {})) for f in DEFAULT_POLICY.fields)
    return replace(DEFAULT_POLICY, fields=fields)


def by_field(proposal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["field"]: c for c in proposal["changes"]}


class Rep:
    """The demo rep talking to the API about the demo's Calder deal."""

    def __init__(self, client: TestClient, token: str, rep_email: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.email = rep_email
        meetings = client.get("/api/v1/meetings", headers=self.headers).json()
        self.deal_id = next(m for m in meetings if m["status"] == "scheduled")["deal_id"]

    def process(self, transcript: str, day: str) -> dict[str, Any]:
        posted = self.client.post(
            "/api/v1/transcripts",
            headers=self.headers,
            json={
                "deal_id": self.deal_id,
                "rep_email": self.email,
                "date": day,
                "transcript": transcript,
            },
        )
        assert posted.status_code == 202
        meeting_id = posted.json()["meeting_id"]
        meeting = self.client.get(f"/api/v1/meetings/{meeting_id}", headers=self.headers).json()
        found = self.client.get(f"/api/v1/proposals/{meeting['proposal_id']}", headers=self.headers)
        proposal: dict[str, Any] = found.json()
        return proposal

    def approve_all(self, proposal: dict[str, Any]) -> None:
        done = self.client.post(
            f"/api/v1/proposals/{proposal['id']}/approve", json={"all": True}, headers=self.headers
        )
        assert {c["status"] for c in done.json()["changes"]} == {"applied"}


def demo_rep(runtime: Runtime) -> Rep:
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    return Rep(TestClient(create_app(runtime)), setup.token, setup.rep_email)


def test_unusual_moves_are_flagged_in_the_json_and_on_the_page(runtime: Runtime) -> None:
    client, token = logged_in(runtime)
    rep = Rep(client, token, "riley@engage-demo.com")
    proposal = rep.process(BOLD_CALL, "2026-11-20")
    flags = {field: [f["kind"] for f in c["flags"]] for field, c in by_field(proposal).items()}
    assert flags == {
        "deal.stage": ["stage_skip"],
        "deal.amount": ["amount_jump"],
        "deal.close_date": ["date_shift"],
    }
    stage = by_field(proposal)["deal.stage"]
    assert stage["flags"][0]["message"] == "skips Demo, Proposal (Discovery → Negotiation)"
    assert stage["status"] == "pending"
    page = client.get(f"/proposals/{proposal['id']}").text
    assert "look twice: skips Demo, Proposal (Discovery → Negotiation)" in page
    assert "look twice: the amount rises by a factor of 2.7" in page


def test_below_the_threshold_a_change_is_mentioned_not_proposed(runtime: Runtime) -> None:
    runtime.policy = policy({"deal.amount": {"min_confidence": 0.7}})
    client, token = logged_in(runtime)
    rep = Rep(client, token, "riley@engage-demo.com")
    proposal = rep.process(HEDGED_CALL, "2026-11-20")
    assert "deal.amount" not in by_field(proposal)
    [mentioned] = proposal["mentioned"]
    assert (mentioned["field"], mentioned["value"]) == ("deal.amount", 60000.0)
    assert mentioned["confidence"] == 0.637
    assert mentioned["confidence_basis"] == {
        "engine": 0.85,
        "evidence": 0.75,
        "notes": ["hedged: “i think”"],
    }
    assert mentioned["reason"] == "confidence 0.64 is below the deal.amount threshold 0.70"
    assert "I think the budget we approved is $60,000" in mentioned["evidence"]["quote"]
    page = client.get(f"/proposals/{proposal['id']}").text
    assert "Mentioned, not proposed" in page
    assert "confidence 0.64 is below the deal.amount threshold 0.70" in page

    runtime.policy = DEFAULT_POLICY
    again = rep.process(HEDGED_CALL, "2026-11-21")
    amount = by_field(again)["deal.amount"]
    assert amount["confidence"] == 0.637
    assert amount["confidence_basis"]["notes"] == ["hedged: “i think”"]


def test_if_empty_and_never_keep_engage_off_the_field(runtime: Runtime) -> None:
    runtime.policy = policy(
        {
            "deal.competitors": {"overwrite": OverwriteRule.IF_EMPTY},
            "deal.amount": {"overwrite": OverwriteRule.NEVER},
        }
    )
    rep = demo_rep(runtime)
    proposal = rep.process(HEDGED_CALL, "2026-11-20")
    assert by_field(proposal) == {}
    reasons = {m["field"]: m["reason"] for m in proposal["mentioned"]}
    assert reasons["deal.competitors"] == (
        "the CRM already holds a value and the field policy fills deal.competitors only when "
        "it is empty"
    )
    assert "deal.amount" not in reasons
    assert [d["reason"] for d in proposal["dropped"]] == ["deal.amount is not writable by Engage"]


def test_an_earlier_call_and_a_persons_edit_are_flagged(
    runtime: Runtime, clock: FrozenClock
) -> None:
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    rep = demo_rep(runtime)
    first = rep.process(call("$60,000"), "2026-11-13")
    assert by_field(first)["deal.amount"]["flags"] == []
    rep.approve_all(first)
    clock.advance(hours=2)
    crm.update_as_person(
        ObjectType.DEAL, rep.deal_id, {"amount": 65000.0}, who="elena@calderrobotics.com"
    )

    second = rep.process(call("$70,000"), "2026-11-20")
    amount = by_field(second)["deal.amount"]
    kinds = {f["kind"]: f for f in amount["flags"]}
    assert set(kinds) == {"earlier_call", "person_edit"}
    earlier = kinds["earlier_call"]
    assert earlier["earlier"]["quote"] == "The budget we approved is $60,000 for the year."
    assert earlier["earlier"]["meeting_date"] == "2026-11-13"
    assert earlier["earlier"]["proposal_id"] == first["id"]
    assert "The budget we approved is $70,000 for the year." in earlier["message"]
    assert kinds["person_edit"]["message"].startswith("changed by a person on 2026-11-20 18:00 UTC")
    assert "by elena@calderrobotics.com" in kinds["person_edit"]["message"]
    assert "(Engage wrote 60,000, the CRM now holds 65,000)" in kinds["person_edit"]["message"]
    assert amount["critical"] is True

    restated = rep.process(call("$70,000"), "2026-11-27")
    assert [f["kind"] for f in by_field(restated)["deal.amount"]["flags"]] == ["person_edit"]
