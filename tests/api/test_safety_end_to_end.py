"""Rollback, overwrite rules and cross-call flags end to end, through the HTTP API, against the
sandbox CRM and against the Salesforce fake over HTTP.

Call 1 states a budget, a close date and a new title; the title is held back by the field
policy (`if_empty`), the rest is approved and written. A person then moves the close date in the
CRM. Call 2 states another budget (flagged against call 1, with both quotes) and another close
date (flagged as changed by a person, and made critical). Call 2's budget is approved and then
reverted; reverting call 1 puts its budget back and leaves the person's close date alone, as a
conflict. The audit chain verifies throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.api.app import create_app
from agent.demo import seed_demo_book
from agent.domain.fields import DEFAULT_POLICY, OverwriteRule
from agent.domain.models import ObjectType
from agent.runtime import Runtime, build_runtime
from agent.services.users import add_user
from agent.settings import Settings
from connectors.salesforce.mapping import to_salesforce
from connectors.sandbox.crm import SandboxCrm
from tests.fakes.salesforce import FakeSalesforce, harness, running_salesforce, seed_book
from tests.support import FrozenClock

REP_EMAIL = "sam.rivera@engage-demo.com"


@dataclass(frozen=True, kw_only=True)
class World:
    """One CRM with its rep, deal and customer, and how a person edits the deal there."""

    runtime: Runtime
    clock: FrozenClock
    client: TestClient
    headers: dict[str, str]
    rep_email: str
    deal_id: str
    customer: str
    original_amount: float
    person_moves_close_date: Callable[[str], None]

    def deal(self) -> dict[str, Any]:
        return dict(self.runtime.crm.get_record(ObjectType.DEAL, self.deal_id))


@pytest.fixture(scope="module")
def served_salesforce() -> Iterator[tuple[FakeSalesforce, str]]:
    fake = FakeSalesforce()
    with running_salesforce(fake) as url:
        yield fake, url


def settings(tmp_path: Path) -> Settings:
    return Settings(
        ENGAGE_HOME=tmp_path / "home",
        DATABASE_URL=f"sqlite:///{tmp_path / 'engage.sqlite3'}",
        ENGAGE_ENGINE="rules",
    )


def if_empty_titles(runtime: Runtime) -> None:
    fields = tuple(
        replace(f, overwrite=OverwriteRule.IF_EMPTY) if f.name == "contact.title" else f
        for f in DEFAULT_POLICY.fields
    )
    runtime.policy = replace(DEFAULT_POLICY, fields=fields)


def sandbox_world(tmp_path: Path, clock: FrozenClock) -> World:
    runtime = build_runtime(settings(tmp_path), clock=clock)
    crm = runtime.crm
    assert isinstance(crm, SandboxCrm)
    setup = seed_demo_book(runtime)
    assert setup.token is not None
    client = TestClient(create_app(runtime))
    headers = {"Authorization": f"Bearer {setup.token}"}
    meetings = client.get("/api/v1/meetings", headers=headers).json()
    deal_id = next(m for m in meetings if m["status"] == "scheduled")["deal_id"]

    def person_moves_close_date(day: str) -> None:
        crm.update_as_person(
            ObjectType.DEAL, deal_id, {"close_date": day}, who="elena.novak@calderrobotics.com"
        )

    return World(
        runtime=runtime,
        clock=clock,
        client=client,
        headers=headers,
        rep_email=setup.rep_email,
        deal_id=deal_id,
        customer="Elena Novak",
        original_amount=45000.0,
        person_moves_close_date=person_moves_close_date,
    )


def salesforce_world(
    tmp_path: Path, clock: FrozenClock, served: tuple[FakeSalesforce, str]
) -> World:
    fake, url = served
    fake.reset()
    book = seed_book(fake.org)
    rep_id = fake.org.insert(
        "User",
        {"Name": "Sam Rivera", "Email": REP_EMAIL, "Username": REP_EMAIL},
        log=False,
        trusted=True,
    )
    fake.org.update("Opportunity", book.open_deal, {"OwnerId": rep_id})
    runtime = build_runtime(
        settings(tmp_path), clock=clock, crm=harness.connect(fake, url, tmp_path)
    )
    with runtime.db.session() as session:
        _, token = add_user(session, email=REP_EMAIL, role="rep", name="Sam", now=clock.now())

    def person_moves_close_date(day: str) -> None:
        value = to_salesforce("deal.close_date", day)
        fake.org.update("Opportunity", book.open_deal, {"CloseDate": value}, by=rep_id)

    return World(
        runtime=runtime,
        clock=clock,
        client=TestClient(create_app(runtime)),
        headers={"Authorization": f"Bearer {token}"},
        rep_email=REP_EMAIL,
        deal_id=book.open_deal,
        customer="Dana Reyes",
        original_amount=90000.0,
        person_moves_close_date=person_moves_close_date,
    )


@pytest.fixture(params=["sandbox", "salesforce"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, served_salesforce: tuple[FakeSalesforce, str]
) -> Iterator[World]:
    clock = FrozenClock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    if request.param == "sandbox":
        built = sandbox_world(tmp_path, clock)
    else:
        built = salesforce_world(tmp_path, clock, served_salesforce)
    if_empty_titles(built.runtime)
    yield built
    built.runtime.close()


def process(world: World, lines: list[str], day: str) -> dict[str, Any]:
    transcript = "\n".join(["Sam Rivera: Thanks for making time today.", *lines]) + "\n"
    posted = world.client.post(
        "/api/v1/transcripts",
        headers=world.headers,
        json={
            "deal_id": world.deal_id,
            "rep_email": world.rep_email,
            "date": day,
            "transcript": transcript,
        },
    )
    assert posted.status_code == 202, posted.text
    meeting_id = posted.json()["meeting_id"]
    meeting = world.client.get(f"/api/v1/meetings/{meeting_id}", headers=world.headers).json()
    assert meeting["status"] == "proposed", meeting
    found = world.client.get(f"/api/v1/proposals/{meeting['proposal_id']}", headers=world.headers)
    proposal: dict[str, Any] = found.json()
    return proposal


def post(world: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = world.client.post(path, json=body, headers=world.headers)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def by_field(proposal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["field"]: c for c in proposal["changes"]}


def test_rollback_overwrite_rules_and_cross_call_flags(world: World) -> None:
    who = world.customer
    first = process(
        world,
        [
            f"{who}: The budget we approved is $60,000 for the first year.",
            f"{who}: We want the contract signed by January 30th.",
            f"{who}: And I've been promoted to Chief Operating Officer.",
        ],
        "2026-11-13",
    )
    assert set(by_field(first)) == {"deal.amount", "deal.close_date"}
    [title] = first["mentioned"]
    assert (title["field"], title["value"]) == ("contact.title", "Chief Operating Officer")
    assert "fills contact.title only when it is empty" in title["reason"]
    done = post(world, f"/api/v1/proposals/{first['id']}/approve", {"all": True})
    assert {c["status"] for c in done["changes"]} == {"applied"}
    assert world.deal()["amount"] == 60000.0

    world.clock.advance(hours=3)
    world.person_moves_close_date("2027-02-15")
    second = process(
        world,
        [
            f"{who}: The budget we approved is $50,000 for the first year.",
            f"{who}: We want the contract signed by March 31st.",
        ],
        "2026-11-20",
    )
    amount, close = by_field(second)["deal.amount"], by_field(second)["deal.close_date"]
    [earlier] = [f for f in amount["flags"] if f["kind"] == "earlier_call"]
    assert earlier["earlier"]["quote"] == "The budget we approved is $60,000 for the first year."
    assert earlier["earlier"]["meeting_date"] == "2026-11-13"
    assert "The budget we approved is $50,000 for the first year." in earlier["message"]
    [edited] = [f for f in close["flags"] if f["kind"] == "person_edit"]
    assert edited["message"].startswith("changed by a person on 2026-11-20")
    assert "(Engage wrote 2027-01-30, the CRM now holds 2027-02-15)" in edited["message"]
    assert close["critical"] is True

    post(world, f"/api/v1/proposals/{second['id']}/approve", {"changes": [{"id": amount["id"]}]})
    assert world.deal()["amount"] == 50000.0
    undone = post(
        world, f"/api/v1/proposals/{second['id']}/revert", {"changes": [{"id": amount["id"]}]}
    )
    assert by_field(undone)["deal.amount"]["revert"]["status"] == "applied"
    assert world.deal()["amount"] == 60000.0

    whole = post(world, f"/api/v1/proposals/{first['id']}/revert", {})
    outcomes = {c["field"]: c["revert"]["status"] for c in whole["changes"]}
    assert outcomes == {"deal.amount": "applied", "deal.close_date": "conflict"}
    assert by_field(whole)["deal.close_date"]["revert"]["conflict_value"] == "2027-02-15"
    deal = world.deal()
    assert deal["amount"] == world.original_amount
    assert deal["close_date"] == "2027-02-15"

    audit = world.client.get("/api/v1/audit", headers=world.headers).json()
    reverts = [e for e in audit if "reverts" in (e["evidence"] or {})]
    assert [(e["field"], e["before"], e["after"]) for e in reverts] == [
        ("deal.amount", 50000, 60000),
        ("deal.amount", 60000, world.original_amount),
    ]
    seqs = {e["change_id"]: e["seq"] for e in audit}
    assert reverts[1]["evidence"]["reverts"] == seqs[by_field(first)["deal.amount"]["id"]]
    assert world.client.get("/api/v1/audit/verify", headers=world.headers).json()["ok"] is True
